import GlacierDomain
import HTTPTypes
import Hummingbird

/// Works out who is calling. The region is the credential scope's region of the SigV4
/// `Authorization` header (or of a presigned URL's `X-Amz-Credential`) when that scope is
/// for the service `glacier`, else the server's default region; the account is the access key ID when it is 12 digits, else the
/// server's default account.
struct CallerMiddleware: GlacierMiddleware {
    typealias Context = GlacierRequestContext
    let options: ServerOptions

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        var context = context
        let credential = request.headers[.authorization].flatMap(Self.credentialFromAuthorization)
            ?? request.uri.queryParameters["X-Amz-Credential"].map { String($0) }
        context.caller = Self.caller(credential: credential, options: options)
        return try await next(request, context)
    }

    /// `AWS4-HMAC-SHA256 Credential=AKID/20261121/us-east-1/glacier/aws4_request, SignedHeaders=…, Signature=…`
    /// → `AKID/20261121/us-east-1/glacier/aws4_request`
    static func credentialFromAuthorization(_ header: String) -> String? {
        guard header.hasPrefix("AWS4-HMAC-SHA256"), let range = header.range(of: "Credential=") else { return nil }
        let rest = header[range.upperBound...]
        return String(rest.prefix { $0 != "," && $0 != " " })
    }

    static func caller(credential: String?, options: ServerOptions) -> Caller {
        var account = options.defaultAccountID
        var region = options.defaultRegion
        if let credential {
            let scope = credential.split(separator: "/", omittingEmptySubsequences: false)
            if let key = scope.first, key.utf8.count == 12, key.utf8.allSatisfy({ $0 >= 48 && $0 <= 57 }) {
                account = String(key)
            }
            // Only a Glacier scope names the caller's region: boto 2 pointed at 127.0.0.1 signs
            // for region "0" of service "127" (it reads both from the host name).
            if scope.count == 5, scope[3] == "glacier", !scope[2].isEmpty, scope[2].utf8.allSatisfy({ c in
                (c >= 97 && c <= 122) || (c >= 48 && c <= 57) || c == UInt8(ascii: "-")
            }) {
                region = String(scope[2])
            }
        }
        return Caller(accountID: account, region: region)
    }
}
