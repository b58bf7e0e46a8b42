import GlacierDomain
import HTTPTypes
@testable import GlacierHTTP
import Hummingbird
import HummingbirdTesting
import Logging
import Testing

@Suite struct OperationTableTests {
    @Test func tableHas33UniqueOperations() {
        #expect(OperationSpec.all.count == 33)
        #expect(Set(OperationSpec.all.map(\.name)).count == 33)
        #expect(Set(OperationSpec.all.map(\.name)) == Set(OperationName.allCases))
        // No two operations share method, path and fixed query.
        let shapes = OperationSpec.all.map { "\($0.method.rawValue) \($0.pathTemplate)" }
        #expect(Set(shapes).count == 33)
    }

    func match(_ method: HTTPRequest.Method, _ path: String, _ query: [String: String] = [:]) -> (OperationName, [String: String])? {
        OperationSpec.match(method: method, path: path, query: { query[$0] }).map { ($0.0.name, $0.1) }
    }

    @Test func tagsOperationsAreToldApartByQuery() {
        let add = match(.post, "/-/vaults/v/tags", ["operation": "add"])
        #expect(add?.0 == .addTagsToVault)
        #expect(add?.1 == ["accountId": "-", "vaultName": "v"])
        #expect(match(.post, "/-/vaults/v/tags", ["operation": "remove"])?.0 == .removeTagsFromVault)
        #expect(match(.post, "/-/vaults/v/tags") == nil)
        #expect(match(.post, "/-/vaults/v/tags", ["operation": "other"]) == nil)
        #expect(match(.get, "/-/vaults/v/tags")?.0 == .listTagsForVault)
    }

    @Test func methodsOnTheUploadPath() {
        let path = "/123456789012/vaults/v/multipart-uploads/UP"
        #expect(match(.put, path)?.0 == .uploadMultipartPart)
        #expect(match(.post, path)?.0 == .completeMultipartUpload)
        #expect(match(.get, path)?.0 == .listParts)
        #expect(match(.delete, path)?.0 == .abortMultipartUpload)
        #expect(match(.put, path)?.1 == ["accountId": "123456789012", "vaultName": "v", "uploadId": "UP"])
        #expect(match(.patch, path) == nil)
    }

    @Test func vaultPaths() {
        #expect(match(.get, "/-/vaults")?.0 == .listVaults)
        #expect(match(.put, "/-/vaults/v")?.0 == .createVault)
        #expect(match(.get, "/-/vaults/v")?.0 == .describeVault)
        #expect(match(.delete, "/-/vaults/v")?.0 == .deleteVault)
        #expect(match(.get, "/-/vaults/v/jobs")?.0 == .listJobs)
        #expect(match(.get, "/-/vaults/v/jobs/J/output")?.0 == .getJobOutput)
        #expect(match(.get, "/-/policies/data-retrieval")?.0 == .getDataRetrievalPolicy)
        #expect(match(.get, "/-/vaults/") == nil)  // empty vault name
        #expect(match(.get, "/-/vaults/v/") == nil)
        #expect(match(.get, "/x/y/z/w/v/u") == nil)
        #expect(match(.get, "/-/vaults//jobs") == nil)  // an empty segment in the middle
        #expect(match(.get, "/-/vaults/v/jobs/J/output/") == nil)
        #expect(match(.get, "/-/vault\u{301}s/v") == nil)  // a literal followed by a combining mark
        #expect(match(.get, "/") == nil)
        #expect(match(.get, "") == nil)
        #expect(match(.get, "/-/vaults/v\u{e9}")?.1["vaultName"] == "v\u{e9}")
    }

    @Test func pathParametersArePercentDecoded() {
        #expect(match(.get, "/-/vaults/a%2Eb")?.1["vaultName"] == "a.b")
        #expect(match(.get, "/-/vaults/a%2fb")?.1["vaultName"] == "a/b")
        #expect(match(.get, "/-/vaults/a%zz") == nil)
        #expect(match(.get, "/-/vaults/a%2") == nil)
        #expect(match(.get, "/-/vaults/%FF") == nil)  // not UTF-8
    }

    @Test func specsCarryStatusAndHeaders() throws {
        func spec(_ name: OperationName) throws -> OperationSpec {
            try #require(OperationSpec.all.first { $0.name == name })
        }
        #expect(try spec(.createVault).successStatus == 201)
        #expect(try spec(.createVault).outputHeaders == ["location": "Location"])
        #expect(try spec(.uploadMultipartPart).successStatus == 204)
        #expect(try spec(.uploadMultipartPart).inputs["range"] == .header("Content-Range"))
        #expect(try spec(.uploadMultipartPart).inputs["uploadId"] == .path("uploadId"))
        #expect(try spec(.completeMultipartUpload).successStatus == 201)
        #expect(try spec(.initiateJob).successStatus == 202)
        #expect(try spec(.listVaults).inputs["marker"] == .query("marker"))
        #expect(try spec(.describeVault).successStatus == 200)
    }

    @Test func callerFromCredential() {
        let options = ServerOptions()
        #expect(CallerMiddleware.credentialFromAuthorization(
            "AWS4-HMAC-SHA256 Credential=AKID/20261121/eu-west-1/glacier/aws4_request, SignedHeaders=host, Signature=00")
            == "AKID/20261121/eu-west-1/glacier/aws4_request")
        #expect(CallerMiddleware.credentialFromAuthorization("Basic dXNlcjpwYXNz") == nil)
        #expect(CallerMiddleware.caller(credential: nil, options: options) == Caller(accountID: "123456789012", region: "us-east-1"))
        #expect(CallerMiddleware.caller(credential: "AKID/20261121/eu-west-1/glacier/aws4_request", options: options)
            == Caller(accountID: "123456789012", region: "eu-west-1"))
        #expect(CallerMiddleware.caller(credential: "210987654321/20261121/us-west-2/glacier/aws4_request", options: options)
            == Caller(accountID: "210987654321", region: "us-west-2"))
        // A malformed scope keeps the defaults.
        #expect(CallerMiddleware.caller(credential: "AKID/20261121/EU_WEST/glacier/aws4_request", options: options)
            == Caller(accountID: "123456789012", region: "us-east-1"))
        #expect(CallerMiddleware.caller(credential: "AKID/eu-west-1", options: options)
            == Caller(accountID: "123456789012", region: "us-east-1"))
        // A scope for another service says nothing about the Glacier region (boto 2 pointed
        // at 127.0.0.1 signs for region "0" of service "127").
        #expect(CallerMiddleware.caller(credential: "AKID/20261121/0/127/aws4_request", options: options)
            == Caller(accountID: "123456789012", region: "us-east-1"))
        #expect(CallerMiddleware.caller(credential: "AKID/20261121/eu-west-1/s3/aws4_request", options: options)
            == Caller(accountID: "123456789012", region: "us-east-1"))
    }

    @Test func jsonWriterEscapes() {
        #expect(JSONWriter.object([("a", .string("q\"b\\n\n\t\u{1}é")), ("n", .null), ("i", .int(-3)), ("t", .bool(true))])
            == #"{"a":"q\"b\\n\n\t\u0001é","n":null,"i":-3,"t":true}"#)
        #expect(JSONWriter.write(.array([.int(1), .object([])])) == "[1,{}]")
    }
}

@Suite struct DispatchTests {
    @Test func everyOperationInTheTableHasAHandler() async throws {
        let dir = try TempDirectory()
        defer { dir.remove() }
        let service = try await GlacierService(dataDirectory: dir.path, logger: Logger(label: "glacier-http-tests"))
        #expect(Set(GlacierServer.handlers(service).keys) == Set(OperationName.allCases))
    }

    /// The dispatcher answers an operation of the table that has no handler with 501
    /// NotImplemented (a Server error), after the account check.
    @Test func operationWithoutHandlerIsNotImplemented() async throws {
        let dir = try TempDirectory()
        defer { dir.remove() }
        let service = try await GlacierService(dataDirectory: dir.path, logger: Logger(label: "glacier-http-tests"))
        var handlers = GlacierServer.handlers(service)
        handlers[.listJobs] = nil
        handlers[.addTagsToVault] = nil
        let app = Application(responder: GlacierServer.responder(service: service, options: ServerOptions(), handlers: handlers))
        try await app.test(.router) { base in
            let client = GlacierTestClient(base)
            try await client.execute(uri: "/-/vaults/v/jobs", method: .get) { r in
                try expectError(r, 501, "NotImplemented", "Server", messageContains: "ListJobs")
            }
            try await client.execute(uri: "/-/vaults/v/tags?operation=add", method: .post) { r in
                try expectError(r, 501, "NotImplemented", "Server", messageContains: "AddTagsToVault")
            }
            // Served operations still work; the account check comes before the handler lookup.
            try await client.execute(uri: "/-/vaults/v", method: .put) { r in #expect(r.status.code == 201) }
            try await client.execute(uri: "/999999999999/vaults/v/jobs", method: .get) { r in
                try expectError(r, 403, "AccessDeniedException", "Client")
            }
        }
    }

    @Test func accountCheck() throws {
        let me = Caller(accountID: "123456789012", region: "us-east-1")
        try OperationDispatchMiddleware.checkAccount("-", caller: me)
        try OperationDispatchMiddleware.checkAccount("123456789012", caller: me)
        let error = #expect(throws: GlacierError.self) { try OperationDispatchMiddleware.checkAccount("210987654321", caller: me) }
        #expect(error?.code == .accessDenied)
    }
}
