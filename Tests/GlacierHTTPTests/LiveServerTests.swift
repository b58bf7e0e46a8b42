import Foundation
import GlacierDomain
import GlacierHTTP
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import Logging
import NIOCore
import Testing
import TreeHash

/// The real server (the same `GlacierServer.application` the command line runs, with its
/// channel pipeline) on a loopback socket, driven over TCP.
@Suite struct LiveServerTests {
    func withLiveServer(_ test: @Sendable (any TestClientProtocol) async throws -> Void) async throws {
        let dir = try TempDirectory()
        defer { dir.remove() }
        let logger = Logger(label: "glacier-live-tests")
        let service = try await GlacierService(dataDirectory: dir.path, logger: logger)
        var options = ServerOptions()
        options.port = 0
        let app = GlacierServer.application(service: service, options: options, logger: logger) { _, _ in }
        try await app.test(.live) { try await test(GlacierTestClient($0)) }
    }

    @Test func multipartUploadOverASocket() async throws {
        try await withLiveServer { client in
            try await client.execute(uri: "/-/vaults/live", method: .put) { r in #expect(r.status.code == 201) }
            let uploadID = try await client.execute(
                uri: "/-/vaults/live/multipart-uploads", method: .post, headers: [.partSize: "1048576"]
            ) { r in
                #expect(r.status.code == 201)
                return try #require(r.headers[.uploadID])
            }
            // Two parts, sent last first: 1 MiB and 10 bytes.
            let whole = (0..<(1_048_576 + 10)).map { UInt8(truncatingIfNeeded: $0 &* 31 &+ 7) }
            let parts = [Array(whole[1_048_576...]), Array(whole[..<1_048_576])]
            for (start, bytes) in [(1_048_576, parts[0]), (0, parts[1])] {
                let tree = TreeHash.of(bytes).hex
                let headers: HTTPFields = [
                    .contentRange: "bytes \(start)-\(start + bytes.count - 1)/*",
                    .treeHash: tree,
                    .contentSHA256: SHA256Hasher.hash(bytes).hex,
                ]
                try await client.execute(
                    uri: "/-/vaults/live/multipart-uploads/\(uploadID)", method: .put, headers: headers,
                    body: ByteBuffer(bytes: bytes)
                ) { r in
                    #expect(r.status.code == 204)
                    #expect(r.headers[.treeHash] == tree)
                    #expect(r.headers[.requestID] != nil)
                    #expect(r.headers[.date] != nil)
                }
            }
            let expected = TreeHash.of(whole).hex
            try await client.execute(
                uri: "/-/vaults/live/multipart-uploads/\(uploadID)", method: .post,
                headers: [.archiveSize: String(whole.count), .treeHash: expected]
            ) { r in
                #expect(r.status.code == 201)
                #expect(r.headers[.treeHash] == expected)
                let archiveID = try #require(r.headers[.archiveID])
                #expect(r.headers[.location] == "/123456789012/vaults/live/archives/\(archiveID)")
            }
            // DescribeVault counts as of the vault's last inventory: take it (POST /_mock/inventory).
            try await client.execute(
                uri: "/_mock/inventory", method: .post, body: ByteBuffer(string: #"{"VaultName":"live"}"#)
            ) { r in #expect(r.status.code == 200, "\(text(r))") }
            try await client.execute(uri: "/-/vaults/live", method: .get) { r in
                let body = try json(r)
                #expect(body["NumberOfArchives"] as? Int == 1)
                #expect(body["SizeInBytes"] as? Int == whole.count)
            }
        }
    }

    @Test func corruptedPartIsRefusedOverASocket() async throws {
        try await withLiveServer { client in
            try await client.execute(uri: "/-/vaults/live", method: .put) { _ in }
            let uploadID = try await client.execute(
                uri: "/-/vaults/live/multipart-uploads", method: .post, headers: [.partSize: "1048576"]
            ) { r in try #require(r.headers[.uploadID]) }
            var bytes = [UInt8](repeating: 0x5a, count: 4096)
            let headers: HTTPFields = [
                .contentRange: "bytes 0-4095/*", .treeHash: TreeHash.of(bytes).hex, .contentSHA256: SHA256Hasher.hash(bytes).hex,
            ]
            bytes[2048] ^= 1  // one flipped bit in transit
            try await client.execute(
                uri: "/-/vaults/live/multipart-uploads/\(uploadID)", method: .put, headers: headers, body: ByteBuffer(bytes: bytes)
            ) { r in
                #expect(r.status.code == 400)
                let body = try json(r)
                #expect(body["code"] as? String == "InvalidParameterValueException")
            }
            try await client.execute(uri: "/-/vaults/live/multipart-uploads/\(uploadID)", method: .get) { r in
                let body = try json(r)
                #expect((body["Parts"] as? [Any])?.isEmpty == true)
            }
        }
    }
}
