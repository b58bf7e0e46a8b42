import Foundation
import GlacierDomain
import HTTPTypes
import GlacierHTTP
import Hummingbird
import HummingbirdTesting
import Logging
import NIOCore
import Testing

struct TempDirectory {
    let path: String

    init() throws {
        var template = Array((NSTemporaryDirectory() + "/glacier-http-test-XXXXXX").utf8CString)
        guard let p = mkdtemp(&template) else { throw CocoaError(.fileWriteUnknown) }
        path = String(cString: p)
    }

    func remove() { try? FileManager.default.removeItem(atPath: path) }
}

/// Runs `test` against the glacier-mock responder over a fresh data directory.
func withServer(
    options: ServerOptions = ServerOptions(),
    _ test: @Sendable (any TestClientProtocol) async throws -> Void
) async throws {
    let dir = try TempDirectory()
    defer { dir.remove() }
    let service = try await GlacierService(dataDirectory: dir.path, logger: Logger(label: "glacier-http-tests"))
    let app = Application(responder: GlacierServer.responder(service: service, options: options))
    try await app.test(.router) { try await test(GlacierTestClient($0)) }
}

/// A test client that sends `x-amz-glacier-version: 2012-06-01`, as every SDK does (the server
/// refuses a Glacier request without it), unless the request sets the header itself — to an
/// empty value, say — or `omitVersion` is set.
struct GlacierTestClient: TestClientProtocol {
    let base: any TestClientProtocol
    var omitVersion = false

    init(_ base: any TestClientProtocol, omitVersion: Bool = false) {
        self.base = base
        self.omitVersion = omitVersion
    }

    func executeRequest(uri: String, method: HTTPRequest.Method, headers: HTTPFields, body: ByteBuffer?) async throws -> TestResponse {
        var headers = headers
        if !omitVersion, headers[.glacierVersion] == nil { headers[.glacierVersion] = "2012-06-01" }
        return try await base.executeRequest(uri: uri, method: method, headers: headers, body: body)
    }

    var port: Int? { base.port }
}

extension HTTPField.Name {
    static let requestID = Self("x-amzn-RequestId")!
    static let glacierVersion = Self("x-amz-glacier-version")!
    static let treeHash = Self("x-amz-sha256-tree-hash")!
    static let contentSHA256 = Self("x-amz-content-sha256")!
    static let partSize = Self("x-amz-part-size")!
    static let archiveDescription = Self("x-amz-archive-description")!
    static let uploadID = Self("x-amz-multipart-upload-id")!
    static let archiveSize = Self("x-amz-archive-size")!
    static let archiveID = Self("x-amz-archive-id")!
    static let location = Self("Location")!
    static let contentRange = Self("Content-Range")!
}

/// `Authorization` header with a SigV4 credential scope.
func sigV4(accessKey: String = "AKIDEXAMPLE", region: String) -> HTTPFields {
    [.authorization: "AWS4-HMAC-SHA256 Credential=\(accessKey)/20261121/\(region)/glacier/aws4_request, SignedHeaders=host, Signature=00"]
}

func text(_ r: TestResponse) -> String { String(buffer: r.body) }

func json(_ r: TestResponse, sourceLocation: SourceLocation = #_sourceLocation) throws -> [String: Any] {
    let object = try JSONSerialization.jsonObject(with: Data(text(r).utf8), options: [.fragmentsAllowed])
    return try #require(object as? [String: Any], "not a JSON object: \(text(r))", sourceLocation: sourceLocation)
}

/// Checks a Glacier error response: status, `x-amzn-RequestId`, JSON `{"code","message","type"}`.
@discardableResult
func expectError(
    _ r: TestResponse, _ status: Int, _ code: String, _ type: String, messageContains: String? = nil,
    sourceLocation: SourceLocation = #_sourceLocation
) throws -> String {
    #expect(r.status.code == status, "body: \(text(r))", sourceLocation: sourceLocation)
    #expect(r.headers[.requestID]?.count == 47, sourceLocation: sourceLocation)
    #expect(r.headers[.contentType] == "application/json", sourceLocation: sourceLocation)
    let body = try json(r, sourceLocation: sourceLocation)
    #expect(Set(body.keys) == ["code", "message", "type"], sourceLocation: sourceLocation)
    #expect(body["code"] as? String == code, sourceLocation: sourceLocation)
    #expect(body["type"] as? String == type, sourceLocation: sourceLocation)
    let message = try #require(body["message"] as? String, sourceLocation: sourceLocation)
    if let messageContains {
        #expect(message.contains(messageContains), "message: \(message)", sourceLocation: sourceLocation)
    }
    return message
}
