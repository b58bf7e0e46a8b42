import GlacierDomain
import Hummingbird

/// Per-request state the middleware fills in: the request ID every response carries,
/// and the caller (account and region) the request acts for.
public struct GlacierRequestContext: RequestContext {
    public var coreContext: CoreRequestContextStorage
    /// `x-amzn-RequestId` of this request.
    public var requestID: String = ""
    /// Set by `CallerMiddleware` from the `Authorization` header (or the defaults).
    public var caller: Caller = Caller(accountID: "", region: "")
    /// What the inner stages learn about the request, for the request journal's entry
    /// (nil when the journal is off or the path is an admin endpoint's).
    public var note: RequestNote?

    public init(source: Source) {
        coreContext = .init(source: source)
    }
}

/// Filled in by the stages a request passes (the caller by authentication, the operation and
/// vault by the dispatcher) and read by `ErrorMiddleware`, outside them, to write the request
/// journal's entry once the answer is known. One per journaled request; the stages run one
/// after the other in the request's task, so it needs no lock.
public final class RequestNote: @unchecked Sendable {
    public var caller: Caller?
    public var operation: OperationName?
    public var vaultName: String?

    public init() {}
}
