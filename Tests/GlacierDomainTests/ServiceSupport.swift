import Foundation
import GlacierDomain
import GlacierStorage
import Logging
import Testing
import TreeHash

/// A fresh data directory, removed by `remove()`.
struct TempDirectory {
    let path: String

    init() throws {
        var template = Array((NSTemporaryDirectory() + "/glacier-domain-test-XXXXXX").utf8CString)
        guard let p = mkdtemp(&template) else { throw CocoaError(.fileWriteUnknown) }
        path = String(cString: p)
    }

    func remove() { try? FileManager.default.removeItem(atPath: path) }

    var blobs: String { path + "/blobs" }
    var tmp: String { path + "/tmp" }

    func files(in dir: String) -> [String] {
        ((try? FileManager.default.contentsOfDirectory(atPath: dir)) ?? []).sorted()
    }

    /// Files in tmp/ other than spares (removed blobs' files kept for reuse, at most
    /// `SpareFiles.defaultCount`): bodies being received, or left behind.
    var incoming: [String] {
        let names = files(in: tmp)
        #expect(names.filter { $0.hasSuffix(".spare") }.count <= SpareFiles.defaultCount)
        return names.filter { !$0.hasSuffix(".spare") }
    }
}

let mib = 1 << 20
let caller = Caller(accountID: "123456789012", region: "us-east-1")

func makeService(_ dir: TempDirectory) async throws -> GlacierService {
    try await GlacierService(dataDirectory: dir.path, logger: Logger(label: "glacier-domain-tests"))
}

/// Deterministic bytes, different for each `seed`.
func bytes(_ count: Int, seed: Int = 0) -> [UInt8] {
    var out = [UInt8](repeating: 0, count: count)
    out.withUnsafeMutableBufferPointer { p in
        for i in 0..<count { p[i] = UInt8(truncatingIfNeeded: i &* 31 &+ (i >> 12) &+ seed &* 101) }
    }
    return out
}

/// A request body: the bytes in chunks of `chunk`.
func body(_ data: [UInt8], chunk: Int = 65_536) -> AsyncStream<[UInt8]> {
    AsyncStream { continuation in
        var start = 0
        while start < data.count {
            let end = min(start + chunk, data.count)
            continuation.yield(Array(data[start..<end]))
            start = end
        }
        continuation.finish()
    }
}

extension GlacierService {
    /// Uploads `data` as the part starting at `first`, with headers computed from `data`
    /// unless overridden.
    @discardableResult
    func put(
        _ vault: String, _ uploadID: String, first: Int, _ data: [UInt8],
        treeHash: String? = nil, linearHash: String? = nil, range: String? = nil,
        contentLength: Int64? = nil, sentBody: [UInt8]? = nil, caller who: Caller = caller
    ) async throws -> SHA256Digest {
        let headers = PartHeaders(
            contentRange: range ?? "bytes \(first)-\(first + data.count - 1)/*",
            treeHash: treeHash ?? TreeHash.of(data).hex,
            contentSHA256: linearHash ?? SHA256Hasher.hash(data).hex,
            contentLength: contentLength)
        return try await uploadPart(who, vaultName: vault, uploadID: uploadID, headers: headers, body: body(sentBody ?? data))
    }

    func partHashes(_ vault: String, _ uploadID: String) async throws -> [String] {
        try await listParts(caller, vaultName: vault, uploadID: uploadID, marker: nil, limit: nil).parts.map(\.treeHash)
    }

    func uploadIDs(_ vault: String) async throws -> [String] {
        try await listMultipartUploads(caller, vaultName: vault, marker: nil, limit: nil).uploads.map(\.id)
    }
}

/// Runs `body`, which must throw a `GlacierError` with `code`; returns it.
@discardableResult
func expectGlacierError<T>(
    _ code: GlacierError.Code, _ containing: String? = nil,
    sourceLocation: SourceLocation = #_sourceLocation,
    _ body: () async throws -> T
) async -> GlacierError? {
    do {
        let value = try await body()
        Issue.record("expected \(code.rawValue), got success: \(value)", sourceLocation: sourceLocation)
        return nil
    } catch let error as GlacierError {
        #expect(error.code == code, "\(error)", sourceLocation: sourceLocation)
        if let containing {
            #expect(error.message.contains(containing), "message '\(error.message)' lacks '\(containing)'", sourceLocation: sourceLocation)
        }
        return error
    } catch {
        Issue.record("expected \(code.rawValue), got \(error)", sourceLocation: sourceLocation)
        return nil
    }
}
