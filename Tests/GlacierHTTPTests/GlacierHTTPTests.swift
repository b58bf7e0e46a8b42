import Foundation
import GlacierDomain
import HTTPTypes
import GlacierHTTP
import Hummingbird
import HummingbirdTesting
import NIOCore
import Testing
import TreeHash

@Suite struct VaultHTTPTests {
    @Test func createVaultReturns201WithLocationAndRequestID() async throws {
        try await withServer { client in
            try await client.execute(uri: "/-/vaults/photos", method: .put) { r in
                #expect(r.status.code == 201)
                #expect(r.headers[.location] == "/123456789012/vaults/photos")
                #expect(r.headers[.requestID]?.count == 47)
                #expect(r.body.readableBytes == 0)
            }
            try await client.execute(uri: "/-/vaults/photos", method: .get) { r in
                #expect(r.status.code == 200)
                #expect(r.headers[.requestID]?.count == 47)
                #expect(r.headers[.contentType] == "application/json")
                let body = try json(r)
                #expect(body["VaultARN"] as? String == "arn:aws:glacier:us-east-1:123456789012:vaults/photos")
                #expect(body["VaultName"] as? String == "photos")
                #expect(body["NumberOfArchives"] as? Int == 0)
                #expect(body["SizeInBytes"] as? Int == 0)
                #expect(body["LastInventoryDate"] is NSNull)
                let date = try #require(body["CreationDate"] as? String)
                #expect(date.count == 24)
                #expect(date.hasSuffix("Z"))
                #expect(date.range(of: #"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$"#, options: .regularExpression) != nil)
            }
            try await client.execute(uri: "/-/vaults/photos", method: .delete) { r in
                #expect(r.status.code == 204)
                #expect(r.headers[.requestID]?.count == 47)
            }
        }
    }

    @Test func errorBodyShape() async throws {
        try await withServer { client in
            let first = try await client.execute(uri: "/-/vaults/nope", method: .get) { r in
                try expectError(r, 404, "ResourceNotFoundException", "Client")
                #expect(text(r) == #"{"code":"ResourceNotFoundException","message":"Vault not found for ARN: arn:aws:glacier:us-east-1:123456789012:vaults/nope","type":"Client"}"#)
                return r.headers[.requestID]
            }
            let second = try await client.execute(uri: "/-/vaults/nope", method: .get) { $0.headers[.requestID] }
            #expect(first != nil)
            #expect(first != second)
            try await client.execute(uri: "/-/vaults/bad%20name", method: .put) { r in
                try expectError(r, 400, "InvalidParameterValueException", "Client", messageContains: "Vault name")
            }
        }
    }

    /// AWS refuses a Glacier request without x-amz-glacier-version (SDKs that forgot it got
    /// "Required parameter missing: API version"); admin paths and unknown paths are unaffected.
    @Test func requestWithoutGlacierVersionIsMissingParameter() async throws {
        try await withServer { client in
            let bare = GlacierTestClient(try #require(client as? GlacierTestClient).base, omitVersion: true)
            try await bare.execute(uri: "/-/vaults/v", method: .put) { r in
                try expectError(r, 400, "MissingParameterValueException", "Client", messageContains: "Required parameter missing: API version")
            }
            try await client.execute(uri: "/-/vaults/v", method: .get) { r in
                try expectError(r, 404, "ResourceNotFoundException", "Client")  // nothing was created
            }
            try await bare.execute(uri: "/_mock/health", method: .get) { r in #expect(r.status.code == 200) }
            try await bare.execute(uri: "/-/no-such-operation", method: .get) { r in
                try expectError(r, 404, "UnknownOperationException", "Client")
            }
        }
    }

    @Test func listVaultsPaginatesOverHTTP() async throws {
        try await withServer { client in
            for name in ["b", "a", "c"] {
                try await client.execute(uri: "/-/vaults/\(name)", method: .put) { #expect($0.status.code == 201) }
            }
            let marker = try await client.execute(uri: "/-/vaults?limit=2", method: .get) { r in
                #expect(r.status.code == 200)
                let body = try json(r)
                let list = try #require(body["VaultList"] as? [[String: Any]])
                #expect(list.map { $0["VaultName"] as? String } == ["a", "b"])
                #expect(body["Marker"] as? String == "arn:aws:glacier:us-east-1:123456789012:vaults/c")
                return body["Marker"] as? String
            }
            let encoded = try #require(marker?.addingPercentEncoding(withAllowedCharacters: .alphanumerics))
            try await client.execute(uri: "/-/vaults?limit=2&marker=\(encoded)", method: .get) { r in
                #expect(r.status.code == 200)
                let body = try json(r)
                let list = try #require(body["VaultList"] as? [[String: Any]])
                #expect(list.map { $0["VaultName"] as? String } == ["c"])
                #expect(body["Marker"] is NSNull)
            }
            try await client.execute(uri: "/-/vaults?limit=0", method: .get) { r in
                try expectError(r, 400, "InvalidParameterValueException", "Client", messageContains: "limit")
            }
        }
    }
}

@Suite struct MultipartHTTPTests {
    @Test func initiateUploadListComplete() async throws {
        try await withServer { client in
            try await client.execute(uri: "/-/vaults/mp", method: .put) { #expect($0.status.code == 201) }
            let uploadID = try await client.execute(
                uri: "/-/vaults/mp/multipart-uploads", method: .post,
                headers: [.partSize: "1048576", .archiveDescription: "hello"]
            ) { r in
                #expect(r.status.code == 201)
                let id = try #require(r.headers[.uploadID])
                #expect(id.count == 92)
                #expect(r.headers[.location] == "/123456789012/vaults/mp/multipart-uploads/\(id)")
                return id
            }

            let whole = (0..<(1 << 20) + 1000).map { UInt8(truncatingIfNeeded: $0 &* 13 &+ 5) }
            let parts = [Array(whole[0..<(1 << 20)]), Array(whole[(1 << 20)...])]
            for (i, part) in parts.enumerated() {
                let first = i << 20
                try await client.execute(
                    uri: "/-/vaults/mp/multipart-uploads/\(uploadID)", method: .put,
                    headers: [
                        .contentRange: "bytes \(first)-\(first + part.count - 1)/*",
                        .treeHash: TreeHash.of(part).hex,
                        .contentSHA256: SHA256Hasher.hash(part).hex,
                        .contentLength: String(part.count),
                    ],
                    body: ByteBuffer(bytes: part)
                ) { r in
                    #expect(r.status.code == 204, "\(text(r))")
                    #expect(r.headers[.treeHash] == TreeHash.of(part).hex)
                    #expect(r.headers[.requestID]?.count == 47)
                    #expect(r.body.readableBytes == 0)
                }
            }

            // A part whose tree hash does not match its bytes.
            try await client.execute(
                uri: "/-/vaults/mp/multipart-uploads/\(uploadID)", method: .put,
                headers: [
                    .contentRange: "bytes 0-1048575/*",
                    .treeHash: TreeHash.of(parts[1]).hex,
                    .contentSHA256: SHA256Hasher.hash(parts[0]).hex,
                ],
                body: ByteBuffer(bytes: parts[0])
            ) { r in
                try expectError(r, 400, "InvalidParameterValueException", "Client", messageContains: "Checksum mismatch")
            }

            try await client.execute(uri: "/-/vaults/mp/multipart-uploads/\(uploadID)", method: .get) { r in
                #expect(r.status.code == 200)
                let body = try json(r)
                #expect(body["ArchiveDescription"] as? String == "hello")
                #expect(body["MultipartUploadId"] as? String == uploadID)
                #expect(body["PartSizeInBytes"] as? Int == 1_048_576)
                #expect(body["VaultARN"] as? String == "arn:aws:glacier:us-east-1:123456789012:vaults/mp")
                #expect(body["Marker"] is NSNull)
                let list = try #require(body["Parts"] as? [[String: Any]])
                #expect(list.map { $0["RangeInBytes"] as? String } == ["0-1048575", "1048576-1049575"])
                #expect(list.map { $0["SHA256TreeHash"] as? String } == parts.map { TreeHash.of($0).hex })
            }
            try await client.execute(uri: "/-/vaults/mp/multipart-uploads", method: .get) { r in
                #expect(r.status.code == 200)
                let body = try json(r)
                let uploads = try #require(body["UploadsList"] as? [[String: Any]])
                #expect(uploads.map { $0["MultipartUploadId"] as? String } == [uploadID])
                #expect(body["Marker"] is NSNull)
            }

            let wholeHash = TreeHash.of(whole).hex
            try await client.execute(
                uri: "/-/vaults/mp/multipart-uploads/\(uploadID)", method: .post,
                headers: [.archiveSize: String(whole.count), .treeHash: wholeHash]
            ) { r in
                #expect(r.status.code == 201, "\(text(r))")
                let archiveID = try #require(r.headers[.archiveID])
                #expect(archiveID.count == 138)
                #expect(r.headers[.location] == "/123456789012/vaults/mp/archives/\(archiveID)")
                #expect(r.headers[.treeHash] == wholeHash)
            }
            // DescribeVault counts as of the vault's last inventory: take it (POST /_mock/inventory).
            try await client.execute(
                uri: "/_mock/inventory", method: .post, body: ByteBuffer(string: #"{"VaultName":"mp"}"#)
            ) { r in #expect(r.status.code == 200, "\(text(r))") }
            try await client.execute(uri: "/-/vaults/mp", method: .get) { r in
                let body = try json(r)
                #expect(body["NumberOfArchives"] as? Int == 1)
                #expect(body["SizeInBytes"] as? Int == whole.count)
            }
            try await client.execute(uri: "/-/vaults/mp/multipart-uploads/\(uploadID)", method: .delete) { r in
                try expectError(r, 404, "ResourceNotFoundException", "Client", messageContains: uploadID)
            }
        }
    }

    @Test func missingHeadersAreMissingParameterValue() async throws {
        try await withServer { client in
            try await client.execute(uri: "/-/vaults/mp", method: .put) { #expect($0.status.code == 201) }
            try await client.execute(uri: "/-/vaults/mp/multipart-uploads", method: .post) { r in
                try expectError(r, 400, "MissingParameterValueException", "Client", messageContains: "x-amz-part-size")
            }
        }
    }
}

@Suite struct CallerHTTPTests {
    @Test func accountDashExplicitAndOther() async throws {
        try await withServer { client in
            try await client.execute(uri: "/-/vaults/v", method: .put) { #expect($0.status.code == 201) }
            try await client.execute(uri: "/123456789012/vaults/v", method: .get) { r in
                #expect(r.status.code == 200)
                let body = try json(r)
                #expect(body["VaultARN"] as? String == "arn:aws:glacier:us-east-1:123456789012:vaults/v")
            }
            try await client.execute(uri: "/999999999999/vaults/v", method: .get) { r in
                try expectError(r, 403, "AccessDeniedException", "Client", messageContains: "999999999999")
            }
            // The account is checked before anything else, even for unserved operations.
            try await client.execute(uri: "/999999999999/vaults/v/jobs", method: .get) { r in
                try expectError(r, 403, "AccessDeniedException", "Client")
            }
        }
    }

    @Test func defaultAccountComesFromOptions() async throws {
        var options = ServerOptions()
        options.defaultAccountID = "444455556666"
        options.defaultRegion = "ap-south-1"
        try await withServer(options: options) { client in
            try await client.execute(uri: "/444455556666/vaults/v", method: .put) { r in
                #expect(r.status.code == 201)
                #expect(r.headers[.location] == "/444455556666/vaults/v")
            }
            try await client.execute(uri: "/-/vaults/v", method: .get) { r in
                let body = try json(r)
                #expect(body["VaultARN"] as? String == "arn:aws:glacier:ap-south-1:444455556666:vaults/v")
            }
            try await client.execute(uri: "/123456789012/vaults/v", method: .get) { r in
                try expectError(r, 403, "AccessDeniedException", "Client")
            }
        }
    }

    @Test func regionComesFromTheCredentialScope() async throws {
        try await withServer { client in
            let eu = sigV4(region: "eu-west-1")
            try await client.execute(uri: "/-/vaults/rv", method: .put, headers: eu) { r in
                #expect(r.status.code == 201)
                #expect(r.headers[.location] == "/123456789012/vaults/rv")
            }
            try await client.execute(uri: "/-/vaults/rv", method: .get, headers: eu) { r in
                #expect(r.status.code == 200)
                let body = try json(r)
                #expect(body["VaultARN"] as? String == "arn:aws:glacier:eu-west-1:123456789012:vaults/rv")
            }
            // Not visible in the default region, nor in another signed region.
            try await client.execute(uri: "/-/vaults/rv", method: .get) { r in
                try expectError(r, 404, "ResourceNotFoundException", "Client", messageContains: "us-east-1")
            }
            try await client.execute(uri: "/-/vaults/rv", method: .get, headers: sigV4(region: "us-west-2")) { r in
                try expectError(r, 404, "ResourceNotFoundException", "Client")
            }
            try await client.execute(uri: "/-/vaults", method: .get) { r in
                let body = try json(r)
                #expect((body["VaultList"] as? [Any])?.isEmpty == true)
            }
            // A presigned URL's X-Amz-Credential works the same way.
            let credential = "AKIDEXAMPLE%2F20261121%2Feu-west-1%2Fglacier%2Faws4_request"
            try await client.execute(uri: "/-/vaults/rv?X-Amz-Credential=\(credential)", method: .get) { r in
                #expect(r.status.code == 200)
            }
        }
    }

    @Test func twelveDigitAccessKeyIsTheAccount() async throws {
        try await withServer { client in
            let auth = sigV4(accessKey: "111122223333", region: "us-east-1")
            try await client.execute(uri: "/-/vaults/k", method: .put, headers: auth) { r in
                #expect(r.status.code == 201)
                #expect(r.headers[.location] == "/111122223333/vaults/k")
            }
            try await client.execute(uri: "/111122223333/vaults/k", method: .get, headers: auth) { r in
                #expect(r.status.code == 200)
                let body = try json(r)
                #expect(body["VaultARN"] as? String == "arn:aws:glacier:us-east-1:111122223333:vaults/k")
            }
            try await client.execute(uri: "/-/vaults/k", method: .get) { r in
                try expectError(r, 404, "ResourceNotFoundException", "Client")
            }
            try await client.execute(uri: "/111122223333/vaults/k", method: .get) { r in
                try expectError(r, 403, "AccessDeniedException", "Client")
            }
            // An 11-digit key is not an account ID: the default account is used.
            try await client.execute(uri: "/-/vaults/k2", method: .put, headers: sigV4(accessKey: "11112222333", region: "us-east-1")) { r in
                #expect(r.headers[.location] == "/123456789012/vaults/k2")
            }
        }
    }
}

@Suite struct RoutingHTTPTests {
    @Test func unknownPathIsUnknownOperation() async throws {
        try await withServer { client in
            for (uri, method) in [("/nothing", HTTPRequest.Method.get), ("/-/vaults/v/unknown", .get), ("/-/vaults", .delete), ("/", .get)] {
                try await client.execute(uri: uri, method: method) { r in
                    try expectError(r, 404, "UnknownOperationException", "Client")
                }
            }
        }
    }

    /// AddTagsToVault and RemoveTagsFromVault share a path; `?operation=` picks the handler.
    @Test func tagsOperationsAreDispatchedByQuery() async throws {
        try await withServer { client in
            try await client.execute(uri: "/-/vaults/v", method: .put) { #expect($0.status.code == 201) }
            try await client.execute(
                uri: "/-/vaults/v/tags?operation=add", method: .post,
                body: ByteBuffer(string: #"{"Tags":{"k1":"v1","k2":"v2"}}"#)
            ) { r in #expect(r.status.code == 204, "\(text(r))") }
            try await client.execute(
                uri: "/-/vaults/v/tags?operation=remove", method: .post,
                body: ByteBuffer(string: #"{"TagKeys":["k1"]}"#)
            ) { r in #expect(r.status.code == 204, "\(text(r))") }
            try await client.execute(uri: "/-/vaults/v/tags", method: .get) { r in
                #expect(r.status.code == 200)
                let body = try json(r)
                #expect(body["Tags"] as? [String: String] == ["k2": "v2"])
            }
            // Without the query the path names no operation.
            try await client.execute(uri: "/-/vaults/v/tags", method: .post, body: ByteBuffer(string: "{}")) { r in
                try expectError(r, 404, "UnknownOperationException", "Client")
            }
            try await client.execute(uri: "/-/vaults/v/tags?operation=other", method: .post, body: ByteBuffer(string: "{}")) { r in
                try expectError(r, 404, "UnknownOperationException", "Client")
            }
        }
    }

    @Test func health() async throws {
        try await withServer { client in
            try await client.execute(uri: "/_mock/health", method: .get) { r in
                #expect(r.status.code == 200)
                #expect(text(r) == #"{"status":"ok"}"#)
                #expect(r.headers[.requestID]?.count == 47)
            }
        }
    }

    /// A path under the admin prefixes that names no endpoint, or the wrong method, is a
    /// Glacier-shaped 404 naming the endpoints (expectError also checks the request ID),
    /// not a server error.
    @Test(arguments: [("/_mock/nope", HTTPRequest.Method.get), ("/_mock/reset", .get), ("/moto-api/health", .get), ("/_mock/health", .post)])
    func unknownAdminEndpoint(path: String, method: HTTPRequest.Method) async throws {
        try await withServer { client in
            try await client.execute(uri: path, method: method) { r in
                _ = try expectError(r, 404, "UnknownOperationException", "Client", messageContains: "GET /_mock/health")
            }
        }
    }

    @Test(arguments: ["/_mock/reset", "/moto-api/reset"])
    func resetClearsVaults(path: String) async throws {
        try await withServer { client in
            try await client.execute(uri: "/-/vaults/a", method: .put) { #expect($0.status.code == 201) }
            try await client.execute(uri: "/-/vaults/b", method: .put, headers: sigV4(region: "eu-west-1")) { #expect($0.status.code == 201) }
            try await client.execute(uri: path, method: .post) { r in
                #expect(r.status.code == 200)
                #expect(text(r) == #"{"status":"ok"}"#)
            }
            try await client.execute(uri: "/-/vaults", method: .get) { r in
                let body = try json(r)
                #expect((body["VaultList"] as? [Any])?.isEmpty == true)
            }
            try await client.execute(uri: "/-/vaults/b", method: .get, headers: sigV4(region: "eu-west-1")) { r in
                try expectError(r, 404, "ResourceNotFoundException", "Client")
            }
        }
    }
}
