#if canImport(Glibc)
import Glibc
#endif
import GlacierStorage
import Synchronization

/// Snapshots: `DATA/snapshots/NAME.sqlite`, a copy of the metadata made with SQLite's backup
/// API. Archive, part and job-output files are immutable once published and named by random
/// IDs, so a snapshot shares them with the live state: `BlobStore.pins` counts, per blob, the
/// snapshots that name it, and a pinned file is never removed nor reused as a spare. Saving
/// costs a copy of the metadata; restoring copies it back in one write transaction, whatever
/// the bytes stored.
///
/// Crash safety: a snapshot is written as `.saving-RANDOM.sqlite` and renamed into place (start-up
/// removes leftovers), so a crash leaves the old snapshot or the new one. A restore is one
/// SQLite transaction; blob files the restored state no longer names are removed after it,
/// and a crash before that leaves them to the orphan scan of the next (unclean) start, which
/// keeps every file a snapshot names.
extension GlacierService {
    public struct SnapshotInfo: Sendable {
        public let name: String
        /// When it was saved (the server's clock at the time), ms since the epoch.
        public let savedAt: Milliseconds
        /// Size of the snapshot's metadata file.
        public let metadataBytes: Int64
        public let summary: MetadataStore.SnapshotSummary
    }

    var snapshotDirectory: String { dataDirectory + "/snapshots" }

    func snapshotPath(_ name: String) -> String { snapshotDirectory + "/" + name + ".sqlite" }

    /// Letters, digits, `.`, `_` and `-`, 1 to 64 characters, not starting with `.` (the name
    /// is a file name; glacier-mock's choice, AWS has no such API).
    public static func checkSnapshotName(_ name: String) throws {
        let allowed = name.utf8.allSatisfy { c in
            (c >= 0x30 && c <= 0x39) || (c >= 0x41 && c <= 0x5A) || (c >= 0x61 && c <= 0x7A) || c == 0x2E || c == 0x5F || c == 0x2D
        }
        guard (1...64).contains(name.utf8.count), allowed, !name.hasPrefix(".") else {
            throw GlacierError.invalid(
                "Invalid snapshot name '\(name.prefix(100))': use 1 to 64 letters, digits, '.', '_' or '-', not starting with '.'")
        }
    }

    /// Start-up: drops snapshot files a crash left half-written, and pins the blobs of the rest.
    func loadSnapshots() throws {
        if mkdir(snapshotDirectory, 0o755) != 0 && errno != EEXIST {
            throw BlobStoreError.io(operation: "mkdir", path: snapshotDirectory, errno: errno)
        }
        for file in Self.listDirectory(snapshotDirectory) where file.hasPrefix(".saving-") {
            unlink(snapshotDirectory + "/" + file)
        }
        for name in snapshotNames() {
            let ids = try MetadataStore.blobIDs(ofDatabaseAt: snapshotPath(name))
            snapshotRegistry.withLock { $0[name] = ids }
            blobs.pins.pin(ids)
        }
    }

    /// Names of the saved snapshots, sorted.
    func snapshotNames() -> [String] {
        Self.listDirectory(snapshotDirectory)
            .filter { $0.hasSuffix(".sqlite") && !$0.hasPrefix(".") }
            .map { String($0.dropLast(".sqlite".count)) }
            .sorted()
    }

    /// POST /_mock/snapshots: saves the whole state under `name` (replacing a snapshot of that
    /// name). The metadata is copied while no write commits; the blobs it names are pinned
    /// before any later deletion can remove them.
    @discardableResult
    public func saveSnapshot(name: String) async throws -> SnapshotInfo {
        try Self.checkSnapshotName(name)
        let temporary = snapshotDirectory + "/.saving-" + RandomID.make(length: 16) + ".sqlite"
        let final = snapshotPath(name)
        let durable = options.fsync
        let directory = snapshotDirectory
        let released = ReleasedBlobs()
        do {
            _ = try await store.saveCopy(to: temporary) { ids in
                // Still holding the writer: publish the file, then swap the pins.
                guard rename(temporary, final) == 0 else { return }
                if durable { Self.syncDirectory(directory) }
                self.blobs.pins.pin(ids)
                let previous = self.snapshotRegistry.withLock { r in r.updateValue(ids, forKey: name) }
                if let previous { released.set(self.blobs.pins.unpin(previous)) }
            }
        } catch {
            unlink(temporary)
            throw error
        }
        guard access(final, F_OK) == 0, snapshotRegistry.withLock({ $0[name] != nil }) else {
            unlink(temporary)
            throw GlacierError(.serviceUnavailable, "Could not save snapshot \(name): the file could not be moved into \(snapshotDirectory)")
        }
        // A replaced snapshot's blobs that nothing else names go, once no request can read them.
        try await retire(released.get())
        return try snapshotInfo(name)
    }

    /// POST /_mock/snapshots/NAME/restore: the state becomes exactly the snapshot's — vaults,
    /// archives, uploads and parts, jobs and their outputs, settings, tombstones, and the
    /// clock's offset — in one transaction.
    public func restoreSnapshot(name: String) async throws {
        try Self.checkSnapshotName(name)
        guard snapshotRegistry.withLock({ $0[name] != nil }) else { throw Self.noSnapshot(name) }
        try await replaceState(from: snapshotPath(name))
    }

    /// Replaces the live state by the metadata database at `path`, whose blob files are all in
    /// `blobs/` already (a snapshot's pinned ones, or a seed's moved there).
    func replaceState(from path: String) async throws {
        let kinds = [Self.clockOffsetSetting, Self.inventoryDaySetting]
        let (old, new) = try await store.replaceContents(from: path, settingKinds: kinds) { settings in
            let offset = settings[Self.clockOffsetSetting].flatMap { Int64($0) } ?? 0
            self.clockOffset.store(offset, ordering: .relaxed)
            // The inventory schedule's day as the restored state had it (today when it had none).
            let day = settings[Self.inventoryDaySetting].flatMap { Int64($0) } ?? Self.day(of: Timestamp.now() + offset)
            self.inventoryDay.store(day, ordering: .relaxed)
        }
        try await retire(Array(old.subtracting(new)))
    }

    public func listSnapshots() throws -> [SnapshotInfo] {
        try snapshotNames().map(snapshotInfo)
    }

    func snapshotInfo(_ name: String) throws -> SnapshotInfo {
        var info = stat()
        guard stat(snapshotPath(name), &info) == 0 else { throw Self.noSnapshot(name) }
        let summary = try MetadataStore.summary(ofDatabaseAt: snapshotPath(name))
        let mtime = Int64(info.st_mtim.tv_sec) * 1000 + Int64(info.st_mtim.tv_nsec) / 1_000_000
        return SnapshotInfo(
            name: name, savedAt: mtime + clockOffsetMilliseconds, metadataBytes: Int64(info.st_size), summary: summary)
    }

    /// DELETE /_mock/snapshots/NAME: its file goes; blobs only it named go too.
    public func deleteSnapshot(name: String) async throws {
        try Self.checkSnapshotName(name)
        let path = snapshotPath(name)
        let released: [String]? = try await store.exclusively {
            guard let ids = self.snapshotRegistry.withLock({ $0.removeValue(forKey: name) }) else { return nil }
            for suffix in ["", "-wal", "-shm", "-journal"] { unlink(path + suffix) }
            return self.blobs.pins.unpin(ids)
        }
        guard let released else { throw Self.noSnapshot(name) }
        try await retire(released)
    }

    /// Deletes every snapshot (`POST /_mock/reset` with `{"Snapshots": true}`). Returns how many.
    @discardableResult
    public func deleteAllSnapshots() async throws -> Int {
        let names = snapshotNames()
        for name in names { try? await deleteSnapshot(name: name) }
        return names.count
    }

    static func noSnapshot(_ name: String) -> GlacierError {
        GlacierError(.resourceNotFound, "No snapshot named '\(name.prefix(100))'; GET /_mock/snapshots lists them")
    }

    // MARK: Removing blobs after a restore

    /// Marks the start of a request (the HTTP layer calls this for every request, around its
    /// whole response, body included). Blob files a restore leaves unnamed are removed only
    /// after every request that started before the restore has ended: a GetJobOutput of the old
    /// state still reads its files, answering from the old state rather than failing.
    public func enterRequest() -> BlobReadTicket {
        BlobReadTicket(service: self, epoch: removalGrace.enter())
    }

    /// `enterRequest` without the ticket object, for the HTTP layer's per-request bracket
    /// (no allocation on every request); pair with `leaveRequest`.
    public func enterRequestEpoch() -> UInt64 {
        removalGrace.enter()
    }

    public func leaveRequest(_ epoch: UInt64) {
        leave(epoch)
    }

    fileprivate func leave(_ epoch: UInt64) {
        let due = removalGrace.leave(epoch)
        guard !due.isEmpty else { return }
        try? store.removeUnreferenced(due) { [blobs] id in blobs.remove(id) }
    }

    /// Removes these blobs (those still unnamed by the live state and unpinned by then) once no
    /// request older than this call is running.
    func retire(_ ids: [String]) async throws {
        let due = removalGrace.retire(ids)
        try store.removeUnreferenced(due) { [blobs] id in blobs.remove(id) }
    }

    /// A clean shutdown (no request runs): removes every blob still waiting for requests.
    func drainRetiredBlobs() {
        try? store.removeUnreferenced(removalGrace.drain()) { [blobs] id in blobs.remove(id) }
    }

    static func syncDirectory(_ path: String) {
        let fd = open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC)
        guard fd >= 0 else { return }
        fsync(fd)
        close(fd)
    }

    static func listDirectory(_ path: String) -> [String] {
        BlobStore.listDirectory(path)
    }
}

/// A request (or a response body still being sent) that may read blob files of the state it
/// started in. `end()` once done; dropping it ends it too (a body never written).
public final class BlobReadTicket: Sendable {
    private let service: GlacierService
    private let epoch: UInt64
    private let ended = Atomic<Bool>(false)

    init(service: GlacierService, epoch: UInt64) {
        self.service = service
        self.epoch = epoch
    }

    public func end() {
        guard !ended.exchange(true, ordering: .relaxed) else { return }
        service.leave(epoch)
    }

    deinit { end() }
}

/// Blob IDs a snapshot that was replaced no longer pins (set under the writer, read after).
final class ReleasedBlobs: Sendable {
    private let ids = Mutex<[String]>([])
    func set(_ value: [String]) { ids.withLock { $0 = value } }
    func get() -> [String] { ids.withLock { $0 } }
}

/// Which requests are still running, by the epoch (restore count) they started in, and which
/// blob files wait for them to end before they are removed.
final class RemovalGrace: Sendable {
    private struct State {
        var epoch: UInt64 = 0
        var active: [UInt64: Int] = [:]
        var pending: [(epoch: UInt64, ids: [String])] = []

        /// Blobs retired at epoch E are due when no request that started before E is running.
        mutating func takeDue() -> [String] {
            guard !pending.isEmpty else { return [] }
            let oldest = active.keys.min() ?? .max
            var due: [String] = []
            pending.removeAll { p in
                guard p.epoch <= oldest else { return false }
                due += p.ids
                return true
            }
            return due
        }
    }

    private let state = Mutex(State())

    func enter() -> UInt64 {
        state.withLock { s in
            s.active[s.epoch, default: 0] += 1
            return s.epoch
        }
    }

    func leave(_ epoch: UInt64) -> [String] {
        state.withLock { s in
            if let n = s.active[epoch] { s.active[epoch] = n > 1 ? n - 1 : nil }
            return s.takeDue()
        }
    }

    func retire(_ ids: [String]) -> [String] {
        state.withLock { s in
            s.epoch += 1
            if !ids.isEmpty { s.pending.append((s.epoch, ids)) }
            return s.takeDue()
        }
    }

    /// Everything still waiting (a clean shutdown: no request runs any more).
    func drain() -> [String] {
        state.withLock { s in
            defer { s.pending = [] }
            return s.pending.flatMap(\.ids)
        }
    }
}
