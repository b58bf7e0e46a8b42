import Synchronization

/// Results of the hot reads (a vault's row, its settings, an upload and its parts), kept
/// until the next write transaction. Metadata requests that poll — DescribeVault, ListParts,
/// and the policy check every vault request makes — then touch neither SQLite nor another
/// thread.
///
/// Correctness rests on one counter: every write transaction bumps `generation` after it
/// commits (`MetadataStore.write`), and a loaded value is kept only if no bump happened
/// between the moment its read began and the moment it is stored. A value read before a
/// commit can therefore never outlive that commit; a reader racing a write may still see
/// the state before it, as it could without the cache.
final class ReadCache: Sendable {
    enum Key: Hashable, Sendable {
        case vault(VaultKey)
        case setting(VaultKey, String)
        case upload(String, VaultKey)
        case parts(String, from: Int64, limit: Int)
        /// Anything derived only from stored state, named by its caller (a rendered response).
        case derived(String)
    }

    private struct State {
        var generation: UInt64 = 0
        var entries: [Key: any Sendable] = [:]
    }

    /// The entries are dropped wholesale beyond `capacity` (a bound on memory, not an LRU).
    static let capacity = 4096
    let capacity: Int
    private let state = Mutex(State())

    init(capacity: Int = ReadCache.capacity) {
        self.capacity = capacity
    }

    /// The cached value for `key`, else `load()`'s, remembered unless a write intervened.
    func value<T: Sendable>(_ key: Key, load: () throws -> T) rethrows -> T {
        let (generation, hit) = state.withLock { ($0.generation, $0.entries[key]) }
        if let hit, let value = hit as? T { return value }
        let value = try load()
        remember(value, for: key, loadedAt: generation)
        return value
    }

    /// The same with an asynchronous `load`.
    func remembered<T: Sendable>(_ key: Key, load: () async throws -> T) async rethrows -> T {
        let (generation, hit) = state.withLock { ($0.generation, $0.entries[key]) }
        if let hit, let value = hit as? T { return value }
        let value = try await load()
        remember(value, for: key, loadedAt: generation)
        return value
    }

    private func remember(_ value: any Sendable, for key: Key, loadedAt generation: UInt64) {
        state.withLock { state in
            guard state.generation == generation else { return }
            if state.entries.count >= capacity { state.entries.removeAll(keepingCapacity: true) }
            state.entries[key] = value
        }
    }

    /// How many values are kept (for tests).
    var count: Int { state.withLock { $0.entries.count } }

    /// Forgets everything; called after every write transaction.
    func invalidate() {
        state.withLock { state in
            state.generation &+= 1
            state.entries.removeAll(keepingCapacity: true)
        }
    }
}
