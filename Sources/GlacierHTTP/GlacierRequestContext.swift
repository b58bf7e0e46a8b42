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

    public init(source: Source) {
        coreContext = .init(source: source)
    }
}
