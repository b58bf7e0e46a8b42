/// What the HTTP layer needs to know from the command line.
public struct ServerOptions: Sendable {
    public var host: String = "127.0.0.1"
    public var port: Int = 9901
    /// Region when a request carries no SigV4 credential scope.
    public var defaultRegion: String = "us-east-1"
    /// Account when the access key ID is not a 12-digit account ID.
    public var defaultAccountID: String = "123456789012"
    /// Connection count, header size, URI length and timeouts.
    public var limits = ConnectionLimits()

    public init() {}
}
