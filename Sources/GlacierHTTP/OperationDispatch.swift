import GlacierDomain
import HTTPTypes
import Hummingbird

/// The inputs of one request, read where the operation table says they live.
public struct OperationInput: Sendable {
    public let spec: OperationSpec
    public let request: Request
    let pathParameters: [String: String]

    /// The value of an input member (botocore's member name), or nil when absent.
    public func value(_ member: String) -> String? {
        switch spec.inputs[member] {
        case .path(let name): return pathParameters[name]
        case .header(let name): return HTTPField.Name(name).flatMap { request.headers[$0] }
        case .query(let name): return request.uri.queryParameters[Substring(name)].map(String.init)
        case .body, nil: return nil
        }
    }

    /// A path member that the route guarantees is present.
    public func path(_ member: String) -> String { pathParameters[member] ?? "" }

    /// The streamed request body.
    public var body: RequestBody { request.body }

    /// Largest JSON request body accepted (policies are at most 20 KB).
    static let maxJSONBody = 64 * 1024

    /// A JSON request body, read whole (it is small); larger than 64 KiB is refused.
    public func jsonBody() async throws -> [UInt8] {
        try await Self.smallBody(of: request, named: spec.name.rawValue)
    }

    /// `request`'s body read whole; more than `maxJSONBody` bytes is refused, naming `what`.
    static func smallBody(of request: Request, named what: String) async throws -> [UInt8] {
        var collected: [UInt8] = []
        for try await chunk in request.body {
            guard collected.count + chunk.readableBytes <= maxJSONBody else {
                throw GlacierError.invalid("The JSON request body of \(what) is larger than \(maxJSONBody) bytes")
            }
            collected.append(contentsOf: chunk.readableBytesView)
        }
        return collected
    }

    /// Content-Length as a number, when the request declared one.
    public var contentLength: Int64? { request.headers[.contentLength].flatMap { Int64($0) } }
}

/// What a handler returns: output members bound for headers (named in the table), and an
/// optional JSON document or raw body. The status comes from the table.
public struct OperationOutput: Sendable {
    public var headers: [String: String] = [:]
    public var json: JSONValue?
    /// A JSON document already in text form (stored configuration returned verbatim).
    public var rawJSON: String?
    /// A raw body (GetJobOutput), with the status when it differs from the table's (206).
    public var body: ResponseBody?
    public var status: Int?

    public init(headers: [String: String] = [:], json: JSONValue? = nil, rawJSON: String? = nil, body: ResponseBody? = nil, status: Int? = nil) {
        self.headers = headers
        self.json = json
        self.rawJSON = rawJSON
        self.body = body
        self.status = status
    }
}

public typealias OperationHandler = @Sendable (OperationInput, GlacierRequestContext) async throws -> OperationOutput

/// Matches a request against the operation table, checks the account in the path, runs
/// the operation's handler and encodes its output. Paths outside Glacier's space (the
/// admin endpoints) go on to the router.
struct OperationDispatchMiddleware: GlacierMiddleware {
    typealias Context = GlacierRequestContext
    let handlers: [OperationName: OperationHandler]
    /// Errors armed by `POST /_mock/faults`, answered before a matching request's handler runs.
    let faults: FaultInjector
    /// Reuses a rendered response until the next write (`GlacierService.untilNextWrite`).
    let remember: Remember
    /// Checks the vault's lock and access policies for `glacier:<operation>`.
    let enforcePolicies: @Sendable (Caller, _ vaultName: String, _ action: String) async throws -> Void

    typealias Remember = @Sendable (_ key: String, _ render: @Sendable () async throws -> Rendered) async throws -> Rendered

    init(
        handlers: [OperationName: OperationHandler],
        faults: FaultInjector = FaultInjector(),
        remember: @escaping Remember,
        enforcePolicies: @escaping @Sendable (Caller, _ vaultName: String, _ action: String) async throws -> Void
    ) {
        self.handlers = handlers
        self.faults = faults
        self.remember = remember
        self.enforcePolicies = enforcePolicies
    }

    /// Read-only operations whose response depends only on stored metadata, the caller and
    /// the request URI. Their rendered responses are reused until the next write of any kind
    /// (clients poll them: DescribeVault for the archive count, ListParts to resume). Job
    /// operations are not among them (a job completes with time, not with a request), nor
    /// is GetVaultLock (an InProgress lock expires with time).
    static let rememberable: Set<OperationName> = [.describeVault, .listVaults, .listParts, .listMultipartUploads]

    /// A response without a streamed body, ready to be sent again.
    struct Rendered: Sendable {
        let status: HTTPResponse.Status
        let headers: HTTPFields
        let body: ByteBuffer

        var response: Response { Response(status: status, headers: headers, body: .init(byteBuffer: body)) }
    }

    /// Operations that manage the policies themselves are not subject to them (so a policy
    /// can always be inspected and an InProgress lock aborted); DeleteArchive is checked in
    /// the domain, where the archive's age is known.
    static let unenforced: Set<OperationName> = [
        .deleteArchive, .getVaultAccessPolicy, .setVaultAccessPolicy, .deleteVaultAccessPolicy,
        .initiateVaultLock, .completeVaultLock, .abortVaultLock, .getVaultLock,
    ]

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        let path = request.uri.path
        if AdminRoutes.owns(path) {
            return try await next(request, context)
        }
        let queryParameters = request.uri.queryParameters
        let matched = OperationSpec.match(
            method: request.method, path: path, query: { queryParameters[Substring($0)].map(String.init) })
        if let note = context.note {  // for the request journal (ErrorMiddleware writes it)
            note.caller = context.caller
            note.operation = matched?.0.name
            note.vaultName = matched?.1["vaultName"]
        }
        guard let (spec, parameters) = matched else {
            throw GlacierError(
                .unknownOperation,
                "No Glacier operation matches \(request.method.rawValue) \(path.prefix(300)); docs/operations.md lists the 33 operations")
        }
        // Every Glacier request names the API version (Developer Guide, Common Request Headers:
        // "Required: Yes"); AWS answers one without it with this code and these words. SDKs that
        // forgot the header hit it (aws-sdk-cpp#117, aws-sdk-java-v2#116, amazonka#402).
        guard request.headers[.amzGlacierVersion] != nil else {
            throw GlacierError(
                .missingParameterValue,
                "Required parameter missing: API version (the x-amz-glacier-version header; the only version is 2012-06-01)")
        }
        // An armed fault: a wait, then an answer in place of the operation, before anything is
        // read or changed (or, with a delay alone, the operation served late).
        if let fault = faults.take(spec.name, vaultName: parameters["vaultName"]) {
            if fault.delayMilliseconds > 0 {
                try await Task.sleep(for: .milliseconds(fault.delayMilliseconds))
            }
            if let error = fault.error { throw error }
        }
        if spec.name != .uploadArchive && spec.name != .uploadMultipartPart,
            let declared = request.headers[.contentLength].flatMap({ Int64($0) }), declared > OperationInput.maxJSONBody
        {
            // Refused before a byte of it is read; the connection guard then closes the
            // connection instead of draining the body.
            throw GlacierError.invalid(
                "The request body of \(spec.name.rawValue) is \(declared) bytes; it may be at most \(OperationInput.maxJSONBody)")
        }
        try Self.checkAccount(parameters["accountId"] ?? "-", caller: context.caller)
        if let vaultName = parameters["vaultName"], !Self.unenforced.contains(spec.name) {
            try await enforcePolicies(context.caller, vaultName, spec.name.rawValue)
        }
        guard let handler = handlers[spec.name] else {
            throw GlacierError(
                .notImplemented, "glacier-mock does not implement \(spec.name.rawValue) yet; docs/operations.md lists what is served")
        }
        let input = OperationInput(spec: spec, request: request, pathParameters: parameters)
        if Self.rememberable.contains(spec.name) {
            // The account, region and URI name everything these responses depend on; the
            // policy check above still runs for every request.
            let key = "\(spec.name.rawValue) \(context.caller.accountID) \(context.caller.region) \(request.uri.description)"
            return try await remember(key) {
                let output = try await handler(input, context)
                let (headers, body) = Self.encodeHeadersAndJSON(output, spec: spec)
                return Rendered(status: HTTPResponse.Status(code: output.status ?? spec.successStatus), headers: headers, body: body ?? ByteBuffer())
            }.response
        }
        return Self.encode(try await handler(input, context), spec: spec)
    }

    /// `-` is the caller's own account; an explicit account ID must be the caller's.
    static func checkAccount(_ accountID: String, caller: Caller) throws {
        guard accountID == "-" || accountID == caller.accountID else {
            throw GlacierError(
                .accessDenied,
                "Access denied: the request names account '\(accountID.prefix(40))' but the caller's credentials belong to account \(caller.accountID); use '-' or the caller's 12-digit account ID")
        }
    }

    static func encode(_ output: OperationOutput, spec: OperationSpec) -> Response {
        let (headers, json) = encodeHeadersAndJSON(output, spec: spec)
        let body = json.map { ResponseBody(byteBuffer: $0) } ?? output.body ?? ResponseBody()
        return Response(status: HTTPResponse.Status(code: output.status ?? spec.successStatus), headers: headers, body: body)
    }

    /// The output's header members under their wire names, and its JSON document if any.
    static func encodeHeadersAndJSON(_ output: OperationOutput, spec: OperationSpec) -> (HTTPFields, ByteBuffer?) {
        var headers = HTTPFields()
        for (member, value) in output.headers {
            guard let name = spec.outputHeaders[member].flatMap({ HTTPField.Name($0) }) else {
                preconditionFailure("\(spec.name.rawValue) has no output header member \(member) in the operation table")
            }
            headers[name] = value
        }
        var json: ByteBuffer?
        if let text = output.rawJSON {
            json = ByteBuffer(string: text)
        } else if let document = output.json {
            json = ByteBuffer(bytes: JSONWriter.bytes(document))
        }
        if json != nil { headers[.contentType] = "application/json" }
        return (headers, json)
    }
}

extension HTTPField.Name {
    static let amzGlacierVersion = Self("x-amz-glacier-version")!
}
