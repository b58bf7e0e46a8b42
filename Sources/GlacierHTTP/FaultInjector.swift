import GlacierDomain
import Synchronization

/// Glacier errors armed by a test (`POST /_mock/faults`) and answered, in place of the real
/// work, to the next requests that match: so a client's retry and error handling can be
/// tested against the errors AWS sends under load or failure (ThrottlingException,
/// ServiceUnavailableException, RequestTimeoutException, ...), which a local server would
/// otherwise never send.
///
/// A rule names an operation (or every operation), optionally a vault, the error code and/or a
/// delay, and how many requests it applies to. A matched request waits the delay, then is
/// refused with the error before its handler runs (so it changes nothing), or, without an
/// error, is served late (to test a client's timeouts); the rule's count goes down by one and
/// the rule is gone at zero. Rules are tried in the order they were armed. Costs one relaxed
/// atomic load per request while none is armed.
public final class FaultInjector: Sendable {
    public struct Rule: Sendable, Equatable {
        /// nil: every Glacier operation.
        public let operation: OperationName?
        /// nil: every vault (and operations without one).
        public let vaultName: String?
        /// nil: the request is served (after `delayMilliseconds`).
        public let code: GlacierError.Code?
        public let message: String
        public let delayMilliseconds: Int
        public internal(set) var remaining: Int

        public init(
            operation: OperationName?, vaultName: String?, code: GlacierError.Code?, message: String,
            delayMilliseconds: Int = 0, count: Int
        ) {
            self.operation = operation
            self.vaultName = vaultName
            self.code = code
            self.message = message
            self.delayMilliseconds = delayMilliseconds
            self.remaining = count
        }

        func matches(_ operation: OperationName, vaultName: String?) -> Bool {
            (self.operation == nil || self.operation == operation) && (self.vaultName == nil || self.vaultName == vaultName)
        }
    }

    /// Codes a rule may arm: Glacier's own error codes, not glacier-mock's NotImplemented or
    /// the code for paths that name no operation.
    public static let armableCodes: [GlacierError.Code] = GlacierError.Code.allCases.filter {
        $0 != .notImplemented && $0 != .unknownOperation
    }

    /// What a matched request gets: a wait, then the error (or, without one, service).
    public struct Fault: Sendable, Equatable {
        public let delayMilliseconds: Int
        public let error: GlacierError?
    }

    /// Most requests one rule may answer, most rules armed at once, longest delay.
    public static let maxCount = 1_000_000
    public static let maxRules = 1_000
    public static let maxDelayMilliseconds = 60_000

    private let rules = Mutex<[Rule]>([])
    /// Rules armed; read without the lock on every request.
    private let armedCount = Atomic<Int>(0)

    public init() {}

    /// Arms `rule`; false when `maxRules` are armed already.
    public func arm(_ rule: Rule) -> Bool {
        rules.withLock { rules in
            guard rules.count < Self.maxRules else { return false }
            rules.append(rule)
            armedCount.store(rules.count, ordering: .relaxed)
            return true
        }
    }

    /// The fault for a request of `operation` on `vaultName`, taken from the first matching
    /// rule; nil when no rule matches (the request proceeds).
    public func take(_ operation: OperationName, vaultName: String?) -> Fault? {
        guard armedCount.load(ordering: .relaxed) > 0 else { return nil }
        return rules.withLock { rules in
            guard let i = rules.firstIndex(where: { $0.matches(operation, vaultName: vaultName) }) else { return nil }
            let rule = rules[i]
            rules[i].remaining -= 1
            if rules[i].remaining == 0 {
                rules.remove(at: i)
                armedCount.store(rules.count, ordering: .relaxed)
            }
            return Fault(delayMilliseconds: rule.delayMilliseconds, error: rule.code.map { GlacierError($0, rule.message) })
        }
    }

    /// The rules still armed, in order, with their remaining counts.
    public var armed: [Rule] { rules.withLock { $0 } }

    /// Disarms every rule; returns how many there were.
    @discardableResult
    public func clear() -> Int {
        rules.withLock { rules in
            let n = rules.count
            rules.removeAll()
            armedCount.store(0, ordering: .relaxed)
            return n
        }
    }
}
