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

        public init(
            time: Int64, requestID: String, method: String, path: String, operation: OperationName?,
            accountID: String?, region: String?, vaultName: String?, status: Int, errorCode: String?
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
        guard path.utf8.count > maxPathBytes else { return path }
        var out = ""
        for c in path {
            guard out.utf8.count + c.utf8.count <= maxPathBytes else { break }
            out.append(c)
        }
        return out
    }
}
