import GlacierDomain
import Synchronization

/// The last requests the server answered (`GET /_mock/requests`), so a test can check which
/// Glacier calls the code under test made and how they were answered: a spy, beside the
/// state the calls left behind.
///
/// Every request to a Glacier path is recorded once it is answered (by `ErrorMiddleware`, so
/// with the status and error code the client got), successes and errors alike: injected
/// faults, and requests refused before the operation was matched (a bad signature under
/// `--auth sigv4`), whose operation and caller are then unknown. Admin endpoints are not. A ring of `capacity`
/// entries: the oldest go first, and `dropped` counts them. One short lock per request;
/// `--request-journal 0` turns it off.
public final class RequestJournal: Sendable {
    public struct Entry: Sendable, Equatable {
        /// 1 for the first request recorded since start (not reset by `clear`).
        public var sequence: Int64 = 0
        public let time: Int64
        public let requestID: String
        public let method: String
        public let path: String
        public let operation: OperationName?
        /// nil when the request was refused before its caller was known (a bad signature).
        public let accountID: String?
        public let region: String?
        public let vaultName: String?
        public let status: Int
        /// The Glacier error code of an error answer; nil for a success.
        public let errorCode: String?
        /// The error's message (at most `maxMessageBytes`); nil for a success.
        public var errorMessage: String?

        public init(
            time: Int64, requestID: String, method: String, path: String, operation: OperationName?,
            accountID: String?, region: String?, vaultName: String?, status: Int, errorCode: String?, errorMessage: String? = nil
        ) {
            self.time = time
            self.requestID = requestID
            self.method = method
            self.path = path
            self.operation = operation
            self.accountID = accountID
            self.region = region
            self.vaultName = vaultName
            self.status = status
            self.errorCode = errorCode
            self.errorMessage = errorMessage.map { RequestJournal.clipped($0, to: RequestJournal.maxMessageBytes) }
        }
    }

    private struct Ring {
        var entries: [Entry] = []
        /// Index of the oldest entry once the ring is full.
        var start = 0
        var nextSequence: Int64 = 1
        var dropped: Int64 = 0
    }

    public let capacity: Int
    private let ring = Mutex(Ring())

    public static let defaultCapacity = 1_000
    /// Longest path kept in an entry (bytes of UTF-8, cut at a character boundary).
    static let maxPathBytes = 1_024
    /// Longest error message kept in an entry.
    static let maxMessageBytes = 1_024

    public init(capacity: Int = RequestJournal.defaultCapacity) {
        self.capacity = max(0, capacity)
    }

    public var isEnabled: Bool { capacity > 0 }

    public func record(_ entry: Entry) {
        guard capacity > 0 else { return }
        var entry = entry
        ring.withLock { ring in
            entry.sequence = ring.nextSequence
            ring.nextSequence += 1
            if ring.entries.count < capacity {
                ring.entries.append(entry)
            } else {
                ring.entries[ring.start] = entry
                ring.start = (ring.start + 1) % capacity
                ring.dropped += 1
            }
        }
    }

    /// The entries held, oldest first, and how many older ones were dropped for room.
    public func snapshot() -> (entries: [Entry], dropped: Int64) {
        ring.withLock { ring in
            (Array(ring.entries[ring.start...] + ring.entries[..<ring.start]), ring.dropped)
        }
    }

    /// Forgets every entry; returns how many there were. Sequence numbers go on.
    @discardableResult
    public func clear() -> Int {
        ring.withLock { ring in
            let n = ring.entries.count
            ring.entries.removeAll(keepingCapacity: true)
            ring.start = 0
            ring.dropped = 0
            return n
        }
    }

    static func clippedPath(_ path: String) -> String {
        clipped(path, to: maxPathBytes)
    }

    static func clipped(_ text: String, to maxBytes: Int) -> String {
        guard text.utf8.count > maxBytes else { return text }
        var out = ""
        var bytes = 0
        for c in text {
            bytes += c.utf8.count
            guard bytes <= maxBytes else { break }
            out.append(c)
        }
        return out
    }

    /// Newest first: at most `limit` entries that `matches`, older than the sequence number
    /// `before` (nil: from the newest), and whether older matching entries remain. Walks the
    /// ring from its newest entry under the lock and copies only the entries it returns, so
    /// a page of the dashboard's journal view costs what it shows, not the whole ring.
    public func newest(
        before: Int64?, limit: Int, where matches: (Entry) -> Bool
    ) -> (entries: [Entry], more: Bool) {
        ring.withLock { ring in
            var out: [Entry] = []
            let n = ring.entries.count
            var i = 0
            while i < n {
                // The i-th newest: the ring's newest is just before `start` once it is full.
                let entry = ring.entries[(ring.start + n - 1 - i) % n]
                i += 1
                if let before, entry.sequence >= before { continue }
                guard matches(entry) else { continue }
                if out.count == limit { return (out, true) }
                out.append(entry)
            }
            return (out, false)
        }
    }

    /// How many entries are held, and how many older ones were dropped for room.
    public func snapshotCount() -> (held: Int, dropped: Int64) {
        ring.withLock { ($0.entries.count, $0.dropped) }
    }

    public var droppedCount: Int64 { ring.withLock { $0.dropped } }

    /// The sequence number of the newest entry (0 when none): changes with every request.
    public var lastSequence: Int64 {
        ring.withLock { $0.nextSequence - 1 }
    }
}
