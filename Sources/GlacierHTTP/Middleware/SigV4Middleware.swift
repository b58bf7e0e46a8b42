import GlacierDomain
import HTTPTypes
import Hummingbird
import NIOCore
import TreeHash

/// `--auth sigv4`: verifies the Signature Version 4 of every Glacier request (the admin
/// endpoints under `/_mock/` and `/moto-api/` stay open) and makes the caller the account
/// of the matching credential, in the region of the credential scope.
///
/// Checks, in order: an `Authorization` header or presigned query (else 400
/// MissingAuthenticationTokenException); its form; a request time (`x-amz-date`, else
/// `Date`; `X-Amz-Date` when presigned); a known access key (else 403
/// UnrecognizedClientException); the scope's date, region, service `glacier` and
/// `aws4_request`; the time within 15 minutes of the server's (a presigned URL: not yet
/// past `X-Amz-Expires`); then the signature itself, compared in constant time. Every
/// other failure is 403 InvalidSignatureException.
///
/// The payload: the signature covers `x-amz-content-sha256` when sent, else the SHA-256 of
/// the body (a presigned URL may also sign `UNSIGNED-PAYLOAD`). The body received must
/// hash to what was signed:
/// - an upload (UploadArchive, UploadMultipartPart) with `x-amz-content-sha256`: the
///   handler already streams the body through a SHA-256 and refuses a mismatch before
///   anything becomes visible; that refusal is reported as InvalidSignatureException;
/// - an upload without it: 403 at once, as AWS answers (a presigned URL that signs
///   `UNSIGNED-PAYLOAD` goes on to the handler, which requires the header);
/// - anything else: the body (a small JSON document, at most 64 KiB) is read first.
struct SigV4Middleware: GlacierMiddleware {
    typealias Context = GlacierRequestContext
    let credentials: Credentials
    /// Seconds since the epoch.
    let clock: @Sendable () -> Int64

    init(credentials: Credentials, clock: @escaping @Sendable () -> Int64 = { Timestamp.now() / 1000 }) {
        self.credentials = credentials
        self.clock = clock
    }

    /// How far a request time may be from the server's, either way (AWS: 15 minutes).
    static let maxSkew: Int64 = 15 * 60
    /// Longest `X-Amz-Expires` of a presigned URL (AWS: 7 days).
    static let maxExpires: Int64 = 7 * 24 * 3600

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        let path = request.uri.path
        if AdminRoutes.owns(path) {
            return try await next(request, context)
        }
        var request = request
        var context = context
        let signed = try SignedRequest(request)
        guard let credential = credentials[signed.accessKeyID] else {
            throw GlacierError(.unrecognizedClient, "The security token included in the request is invalid.")
        }
        try signed.checkScope()
        try signed.checkTime(now: clock())
        let verifier = SignatureVerifier(request: request, signed: signed, credential: credential)
        context.caller = Caller(accountID: credential.accountID, region: signed.region)

        let claimed = request.headers[values: .amzContentSHA256].first
        let queryParameters = request.uri.queryParameters
        let operation = OperationSpec.match(
            method: request.method, path: path, query: { queryParameters[Substring($0)].map(String.init) })?.0.name
        let isUpload = operation == .uploadArchive || operation == .uploadMultipartPart

        if isUpload {
            if let claimed {
                try verifier.verify(payloadHashes: [claimed])
                do {
                    return try await next(request, context)
                } catch let error as GlacierError where error.isContentSHA256Mismatch {
                    // The body is not the one signed.
                    throw GlacierError(.invalidSignature, error.message)
                }
            }
            if signed.presigned, verifier.matches(payloadHash: SigV4.unsignedPayload) {
                return try await next(request, context)
            }
            // Glacier signs an upload's payload through x-amz-content-sha256, a required header;
            // without it AWS answers InvalidSignatureException whatever the signature (the AWS SDK
            // for Go v2 omits it when given a Checksum: aws/aws-sdk-go-v2#1212). Refused before
            // the body is read, so a wrong key gets no further than a right one.
            throw GlacierError(
                .invalidSignature,
                "The request signature cannot be verified: Glacier signs an upload's payload through the x-amz-content-sha256 header, and this request has none")
        }

        let body = try await Self.collect(request.body)
        request.body = RequestBody(buffer: body)
        let actual = body.withUnsafeReadableBytes { SHA256Hasher.hash($0) }.hex
        if let claimed {
            try verifier.verify(payloadHashes: [claimed])
            guard claimed == actual else {
                throw GlacierError(
                    .invalidSignature,
                    "x-amz-content-sha256 \(claimed.prefix(80)) does not match the SHA-256 of the received payload, \(actual)")
            }
        } else {
            try verifier.verify(payloadHashes: signed.presigned ? [actual, SigV4.unsignedPayload] : [actual])
        }
        return try await next(request, context)
    }

    /// The body of a non-upload request, read whole: at most 64 KiB (the JSON limit).
    static func collect(_ body: RequestBody) async throws -> ByteBuffer {
        var collected = ByteBuffer()
        for try await var chunk in body {
            guard collected.readableBytes + chunk.readableBytes <= OperationInput.maxJSONBody else {
                throw GlacierError.invalid("The request body is larger than \(OperationInput.maxJSONBody) bytes, the most a request other than an upload may carry")
            }
            collected.writeBuffer(&chunk)
        }
        return collected
    }
}

/// The signature a request carries and what it claims, from its `Authorization` header or
/// its presigned query string.
struct SignedRequest: Sendable {
    let accessKeyID: String
    let scopeDate: String
    let region: String
    let service: String
    let terminator: String
    let signedHeaders: [String]
    let signature: String
    /// The request time in the `20150830T123600Z` form the string to sign uses.
    let timestamp: String
    let time: Int64
    let presigned: Bool
    /// `X-Amz-Expires` of a presigned URL.
    let expires: Int64?

    var scope: String { "\(scopeDate)/\(region)/\(service)/\(terminator)" }

    static func invalid(_ message: String) -> GlacierError { GlacierError(.invalidSignature, message) }

    init(_ request: Request) throws {
        let authorizations = request.headers[values: .authorization]
        let query = SigV4.queryPairs(rawQuery: request.uri.query)
        func queryValue(_ name: String) -> String? {
            let key = Array(name.utf8)
            return query.first(where: { $0.name == key }).map { String(decoding: $0.value, as: UTF8.self) }
        }
        let queryAuth = ["X-Amz-Algorithm", "X-Amz-Credential", "X-Amz-Signature"].contains { queryValue($0) != nil }

        if authorizations.isEmpty && !queryAuth {
            throw GlacierError(.missingAuthenticationToken, "Missing Authentication Token")
        }
        guard authorizations.isEmpty || !queryAuth else {
            throw Self.invalid(
                "Only one authentication mechanism allowed; only the X-Amz-Algorithm query parameter or the Authorization header should be specified")
        }
        let credential: String
        let signedHeaderList: String
        if !queryAuth {
            guard authorizations.count == 1 else { throw Self.invalid("The request has \(authorizations.count) Authorization headers; send one") }
            let parsed = try Self.parseAuthorization(authorizations[0])
            credential = parsed.credential
            signedHeaderList = parsed.signedHeaders
            signature = parsed.signature
            presigned = false
            expires = nil
            if let amzDate = request.headers[values: .amzDate].first {
                guard let t = SigV4.parseAmzDate(amzDate) else {
                    throw Self.invalid("X-Amz-Date '\(amzDate.prefix(40))' must be in the ISO 8601 basic format yyyyMMdd'T'HHmmss'Z'")
                }
                timestamp = amzDate
                time = t
            } else if let date = request.headers[values: .date].first {
                guard let t = SigV4.parseHTTPDate(date) else {
                    throw Self.invalid("Date '\(date.prefix(40))' must be an HTTP date such as 'Sun, 06 Nov 1994 08:49:37 GMT'")
                }
                timestamp = SigV4.amzDate(t)
                time = t
            } else {
                throw Self.invalid("Authorization header requires existence of either a 'X-Amz-Date' or a 'Date' header.")
            }
        } else {
            let names = ["X-Amz-Algorithm", "X-Amz-Credential", "X-Amz-Date", "X-Amz-Expires", "X-Amz-SignedHeaders", "X-Amz-Signature"]
            let missing = names.filter { queryValue($0) == nil }
            guard missing.isEmpty else {
                throw Self.invalid("AWS query-string parameters must include \(names.map { "'\($0)'" }.joined(separator: ", ")); missing \(missing.joined(separator: ", "))")
            }
            guard queryValue("X-Amz-Algorithm") == SigV4.algorithm else {
                throw Self.invalid("X-Amz-Algorithm only supports '\(SigV4.algorithm)'")
            }
            credential = queryValue("X-Amz-Credential")!
            signedHeaderList = queryValue("X-Amz-SignedHeaders")!
            signature = queryValue("X-Amz-Signature")!
            let amzDate = queryValue("X-Amz-Date")!
            guard let t = SigV4.parseAmzDate(amzDate) else {
                throw Self.invalid("X-Amz-Date '\(amzDate.prefix(40))' must be in the ISO 8601 basic format yyyyMMdd'T'HHmmss'Z'")
            }
            timestamp = amzDate
            time = t
            let expiresText = queryValue("X-Amz-Expires")!
            guard let e = Rules.parseDecimal(expiresText), (1...SigV4Middleware.maxExpires).contains(e) else {
                throw Self.invalid("X-Amz-Expires must be a number of seconds from 1 to \(SigV4Middleware.maxExpires); got '\(expiresText.prefix(40))'")
            }
            presigned = true
            expires = e
        }

        let parts = credential.split(separator: "/", omittingEmptySubsequences: false).map(String.init)
        guard parts.count == 5, !parts[0].isEmpty else {
            throw Self.invalid("Credential '\(credential.prefix(200))' must be ACCESS_KEY_ID/YYYYMMDD/REGION/glacier/aws4_request")
        }
        accessKeyID = parts[0]
        scopeDate = parts[1]
        region = parts[2]
        service = parts[3]
        terminator = parts[4]
        signedHeaders = signedHeaderList.split(separator: ";", omittingEmptySubsequences: false).map(String.init)
        guard signedHeaders.contains("host") else {
            throw Self.invalid("'Host' or ':authority' must be a 'SignedHeader' in the AWS Authorization.")
        }
        guard signedHeaders.allSatisfy({ !$0.isEmpty && $0 == $0.lowercased() }) else {
            throw Self.invalid("SignedHeaders '\(signedHeaderList.prefix(200))' must be lowercase header names separated by ';'")
        }
    }

    /// `AWS4-HMAC-SHA256 Credential=…, SignedHeaders=…, Signature=…` → its three values.
    static func parseAuthorization(_ header: String) throws -> (credential: String, signedHeaders: String, signature: String) {
        let prefix = SigV4.algorithm + " "
        guard header.hasPrefix(prefix) else {
            throw invalid(
                "Unsupported Authorization type: --auth sigv4 accepts '\(SigV4.algorithm) Credential=…, SignedHeaders=…, Signature=…'")
        }
        var fields: [String: String] = [:]
        for component in header.dropFirst(prefix.count).split(separator: ",") {
            let item = component.trimmingASCIIWhitespace()
            guard let eq = item.firstIndex(of: "=") else {
                throw invalid("Authorization component '\(item.prefix(80))' is not Name=Value")
            }
            let name = String(item[..<eq])
            guard ["Credential", "SignedHeaders", "Signature"].contains(name) else {
                throw invalid("Authorization has an unknown component '\(name.prefix(40))'")
            }
            guard fields[name] == nil else { throw invalid("Authorization has '\(name)' twice") }
            fields[name] = String(item[item.index(after: eq)...])
        }
        let missing = ["Credential", "SignedHeaders", "Signature"].filter { fields[$0] == nil }
        guard missing.isEmpty else {
            throw invalid(missing.map { "Authorization header requires '\($0)' parameter." }.joined(separator: " "))
        }
        return (fields["Credential"]!, fields["SignedHeaders"]!, fields["Signature"]!)
    }

    func checkScope() throws {
        guard service == "glacier" else {
            throw Self.invalid("Credential should be scoped to correct service: 'glacier'.")
        }
        guard terminator == "aws4_request" else {
            throw Self.invalid("Credential should be scoped with a valid terminator: 'aws4_request', not '\(terminator.prefix(40))'.")
        }
        guard !region.isEmpty, region.utf8.count <= 64, region.utf8.allSatisfy({ c in
            (c >= 97 && c <= 122) || (c >= 48 && c <= 57) || c == UInt8(ascii: "-")
        }) else {
            throw Self.invalid("Credential should be scoped to a valid region, not '\(region.prefix(64))'.")
        }
        guard scopeDate == String(timestamp.prefix(8)) else {
            throw Self.invalid(
                "Date in Credential scope does not match YYYYMMDD from ISO-8601 version of date from HTTP: '\(scopeDate.prefix(20))' != '\(timestamp.prefix(8))', from '\(timestamp)'.")
        }
    }

    /// Within 15 minutes of `now` (seconds since the epoch); a presigned URL until its
    /// `X-Amz-Expires` runs out.
    func checkTime(now: Int64) throws {
        let maxSkew = SigV4Middleware.maxSkew
        if time > now + maxSkew {
            throw Self.invalid(
                "Signature not yet current: \(timestamp) is still later than \(SigV4.amzDate(now + maxSkew)) (\(SigV4.amzDate(now)) + 15 min.)")
        }
        if let expires {
            if now > time + expires {
                throw Self.invalid(
                    "Signature expired: \(timestamp) is now earlier than \(SigV4.amzDate(now - expires)) (\(SigV4.amzDate(now)) - \(expires) sec.)")
            }
        } else if time < now - maxSkew {
            throw Self.invalid(
                "Signature expired: \(timestamp) is now earlier than \(SigV4.amzDate(now - maxSkew)) (\(SigV4.amzDate(now)) - 15 min.)")
        }
    }
}

/// Recomputes a request's signature for a given payload hash and compares it with the
/// one sent.
struct SignatureVerifier: Sendable {
    let signed: SignedRequest
    let signingKey: [UInt8]
    /// The canonical request up to and including the signed headers line.
    let canonicalPrefix: String

    init(request: Request, signed: SignedRequest, credential: Credential) {
        self.signed = signed
        signingKey = SigV4.signingKey(
            secret: credential.secretAccessKey, date: signed.scopeDate, region: signed.region, service: signed.service)
        let headers = request.headers
        let authority = request.head.authority
        let canonicalHeaders = SigV4.canonicalHeaders(signedHeaders: signed.signedHeaders) { name in
            let fields = HTTPField.Name(name).map { headers[values: $0] } ?? []
            // HTTP/1's first Host header arrives as the request's authority.
            return name == "host" ? (authority.map { [$0] } ?? []) + fields : fields
        }
        canonicalPrefix = SigV4.canonicalRequest(
            method: request.method.rawValue,
            canonicalURI: SigV4.canonicalURI(rawPath: request.uri.path),
            canonicalQuery: SigV4.canonicalQuery(
                SigV4.queryPairs(rawQuery: request.uri.query), excluding: signed.presigned ? "X-Amz-Signature" : nil),
            canonicalHeaders: canonicalHeaders, signedHeaders: signed.signedHeaders, payloadHash: "")
    }

    func strings(payloadHash: String) -> (canonicalRequest: String, stringToSign: String) {
        let canonicalRequest = canonicalPrefix + payloadHash
        return (canonicalRequest, SigV4.stringToSign(timestamp: signed.timestamp, scope: signed.scope, canonicalRequest: canonicalRequest))
    }

    func matches(payloadHash: String) -> Bool {
        let expected = SigV4.signature(signingKey: signingKey, stringToSign: strings(payloadHash: payloadHash).stringToSign)
        return SigV4.constantTimeEquals(expected, signed.signature)
    }

    /// Passes when the signature matches one of `payloadHashes`; otherwise throws
    /// InvalidSignatureException showing the canonical request of the first, as AWS does.
    func verify(payloadHashes: [String]) throws {
        if payloadHashes.contains(where: matches) { return }
        let (canonicalRequest, stringToSign) = strings(payloadHash: payloadHashes[0])
        throw GlacierError(
            .invalidSignature,
            """
            The request signature we calculated does not match the signature you provided. Check your AWS Secret Access Key and signing method. Consult the service documentation for details.

            The Canonical String for this request should have been
            '\(canonicalRequest)'

            The String-to-Sign should have been
            '\(stringToSign)'

            """)
    }
}

extension HTTPField.Name {
    static let amzDate = Self("x-amz-date")!
}
