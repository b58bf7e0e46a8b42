import Foundation
import GlacierDomain
import GlacierStorage
import Testing
import TreeHash

@Suite struct VaultServiceTests {
    @Test func createDescribeDelete() async throws {
        let dir = try TempDirectory()
        defer { dir.remove() }
        let service = try await makeService(dir)

        let before = Timestamp.now()
        let ref = try await service.createVault(caller, name: "photos")
        let after = Timestamp.now()
        #expect(ref.name == "photos")
        #expect(ref.arn == "arn:aws:glacier:us-east-1:123456789012:vaults/photos")
        #expect(ref.location == "/123456789012/vaults/photos")

        let d = try await service.describeVault(caller, name: "photos")
        #expect(d.vault == ref)
        #expect(d.numberOfArchives == 0)
        #expect(d.sizeInBytes == 0)
        #expect(d.lastInventoryDate == nil)
        #expect(d.creationDate >= before && d.creationDate <= after)

        // CreateVault is idempotent: same vault, creation date unchanged.
        try await Task.sleep(for: .milliseconds(5))
        #expect(try await service.createVault(caller, name: "photos") == ref)
        #expect(try await service.describeVault(caller, name: "photos") == d)

        try await service.deleteVault(caller, name: "photos")
        await expectGlacierError(.resourceNotFound, "Vault not found for ARN: arn:aws:glacier:us-east-1:123456789012:vaults/photos") {
            try await service.describeVault(caller, name: "photos")
        }
        await expectGlacierError(.resourceNotFound) { try await service.deleteVault(caller, name: "photos") }
    }

    @Test func invalidNamesAreRejected() async throws {
        let dir = try TempDirectory()
        defer { dir.remove() }
        let service = try await makeService(dir)
        await expectGlacierError(.invalidParameterValue) { try await service.createVault(caller, name: "a/b") }
        await expectGlacierError(.invalidParameterValue) { try await service.createVault(caller, name: String(repeating: "x", count: 256)) }
        await expectGlacierError(.invalidParameterValue) { try await service.describeVault(caller, name: "") }
        // '..' is made of periods, which the name rule allows.
        let dots = try await service.createVault(caller, name: "..")
        #expect(dots.arn == "arn:aws:glacier:us-east-1:123456789012:vaults/..")
        #expect(try await service.describeVault(caller, name: "..").vault.name == "..")
    }

    @Test func vaultsBelongToAccountAndRegion() async throws {
        let dir = try TempDirectory()
        defer { dir.remove() }
        let service = try await makeService(dir)
        let eu = Caller(accountID: "123456789012", region: "eu-west-1")
        let other = Caller(accountID: "111122223333", region: "us-east-1")
        _ = try await service.createVault(eu, name: "v")
        await expectGlacierError(.resourceNotFound) { try await service.describeVault(caller, name: "v") }
        await expectGlacierError(.resourceNotFound) { try await service.describeVault(other, name: "v") }
        #expect(try await service.describeVault(eu, name: "v").vault.arn == "arn:aws:glacier:eu-west-1:123456789012:vaults/v")
        #expect(try await service.listVaults(caller, marker: nil, limit: nil).vaults.isEmpty)
        #expect(try await service.listVaults(eu, marker: nil, limit: nil).vaults.map(\.vault.name) == ["v"])
    }

    @Test func listVaultsPaginates() async throws {
        let dir = try TempDirectory()
        defer { dir.remove() }
        let service = try await makeService(dir)
        for name in ["c", "a", "e", "b", "d"] { _ = try await service.createVault(caller, name: name) }

        let all = try await service.listVaults(caller, marker: nil, limit: nil)
        #expect(all.vaults.map(\.vault.name) == ["a", "b", "c", "d", "e"])
        #expect(all.marker == nil)

        let p1 = try await service.listVaults(caller, marker: nil, limit: "2")
        #expect(p1.vaults.map(\.vault.name) == ["a", "b"])
        #expect(p1.marker == "arn:aws:glacier:us-east-1:123456789012:vaults/c")
        let p2 = try await service.listVaults(caller, marker: p1.marker, limit: "2")
        #expect(p2.vaults.map(\.vault.name) == ["c", "d"])
        #expect(p2.marker == "arn:aws:glacier:us-east-1:123456789012:vaults/e")
        let p3 = try await service.listVaults(caller, marker: p2.marker, limit: "2")
        #expect(p3.vaults.map(\.vault.name) == ["e"])
        #expect(p3.marker == nil)

        // Exactly `limit` vaults left: no marker.
        let exact = try await service.listVaults(caller, marker: nil, limit: "5")
        #expect(exact.vaults.count == 5)
        #expect(exact.marker == nil)

        await expectGlacierError(.invalidParameterValue, "Invalid marker") {
            try await service.listVaults(caller, marker: "garbage", limit: nil)
        }
        await expectGlacierError(.invalidParameterValue, "Invalid marker") {
            try await service.listVaults(caller, marker: "arn:aws:glacier:eu-west-1:123456789012:vaults/c", limit: nil)
        }
        await expectGlacierError(.invalidParameterValue) { try await service.listVaults(caller, marker: nil, limit: "0") }
    }

    @Test func deleteVaultWithArchiveFailsAndWithUploadsRemovesTheirBlobs() async throws {
        let dir = try TempDirectory()
        defer { dir.remove() }
        let service = try await makeService(dir)
        _ = try await service.createVault(caller, name: "full")
        let data = bytes(1000)
        let (_, up) = try await service.initiateMultipartUpload(caller, vaultName: "full", partSize: "1048576", description: nil)
        try await service.put("full", up, first: 0, data)
        _ = try await service.completeMultipartUpload(caller, vaultName: "full", uploadID: up, archiveSize: "1000", treeHash: TreeHash.of(data).hex)
        // Written since the last inventory (there is none yet): not deletable (Deleting a Vault).
        await expectGlacierError(.invalidParameterValue, "1 archive") { try await service.deleteVault(caller, name: "full") }
        _ = try await service.takeInventories(vaultName: "full")
        // Its inventory lists the archive: still not deletable, and counted.
        await expectGlacierError(.invalidParameterValue, "lists 1 archive") { try await service.deleteVault(caller, name: "full") }
        #expect(try await service.describeVault(caller, name: "full").numberOfArchives == 1)

        _ = try await service.createVault(caller, name: "pending")
        let (_, up2) = try await service.initiateMultipartUpload(caller, vaultName: "pending", partSize: "1048576", description: nil)
        try await service.put("pending", up2, first: 0, bytes(mib, seed: 1))
        try await service.put("pending", up2, first: mib, bytes(10, seed: 2))
        #expect(dir.files(in: dir.blobs).count == 3)  // 1 archive segment + 2 parts
        try await service.deleteVault(caller, name: "pending")
        #expect(dir.files(in: dir.blobs).count == 1)
        await expectGlacierError(.resourceNotFound) {
            try await service.listParts(caller, vaultName: "pending", uploadID: up2, marker: nil, limit: nil)
        }
    }
}

@Suite struct MultipartServiceTests {
    @Test func initiateUploadListComplete() async throws {
        let dir = try TempDirectory()
        defer { dir.remove() }
        let service = try await makeService(dir)
        _ = try await service.createVault(caller, name: "v")
        let (vault, up) = try await service.initiateMultipartUpload(caller, vaultName: "v", partSize: "1048576", description: "my archive")
        #expect(vault.arn == "arn:aws:glacier:us-east-1:123456789012:vaults/v")
        #expect(up.count == 92)

        let whole = bytes(2 * mib + 512 * 1024)
        let parts = [Array(whole[0..<mib]), Array(whole[mib..<2 * mib]), Array(whole[(2 * mib)...])]
        // Out of order, odd chunk sizes.
        #expect(try await service.put("v", up, first: 2 * mib, parts[2]) == TreeHash.of(parts[2]))
        #expect(try await service.put("v", up, first: 0, parts[0]) == TreeHash.of(parts[0]))
        let h1 = try await service.uploadPart(
            caller, vaultName: "v", uploadID: up,
            headers: .init(contentRange: "bytes 1048576-2097151/*", treeHash: TreeHash.of(parts[1]).hex.uppercased(),
                           contentSHA256: SHA256Hasher.hash(parts[1]).hex, contentLength: Int64(mib)),
            body: body(parts[1], chunk: 7919))
        #expect(h1 == TreeHash.of(parts[1]))

        let list = try await service.listParts(caller, vaultName: "v", uploadID: up, marker: nil, limit: nil)
        #expect(list.vault == vault)
        #expect(list.upload.id == up)
        #expect(list.upload.description == "my archive")
        #expect(list.upload.partSize == Int64(mib))
        #expect(list.marker == nil)
        #expect(list.parts.map(\.rangeStart) == [0, Int64(mib), Int64(2 * mib)])
        #expect(list.parts.map(\.length) == [Int64(mib), Int64(mib), 512 * 1024])
        #expect(list.parts.map(\.treeHash) == parts.map { TreeHash.of($0).hex })

        let uploads = try await service.listMultipartUploads(caller, vaultName: "v", marker: nil, limit: nil)
        #expect(uploads.uploads.map(\.id) == [up])
        #expect(uploads.marker == nil)

        // Part files are published under blobs/, nothing stays in tmp/.
        #expect(dir.files(in: dir.blobs).count == 3)
        #expect(dir.files(in: dir.tmp).isEmpty)
        let blobContents = Set(try dir.files(in: dir.blobs).map { try Data(contentsOf: URL(fileURLWithPath: dir.blobs + "/" + $0)) })
        #expect(blobContents == Set(parts.map { Data($0) }))

        let (_, archive) = try await service.completeMultipartUpload(
            caller, vaultName: "v", uploadID: up, archiveSize: String(whole.count), treeHash: TreeHash.of(whole).hex)
        #expect(archive.id.count == 138)
        #expect(archive.size == Int64(whole.count))
        #expect(archive.treeHash == TreeHash.of(whole).hex)
        #expect(archive.description == "my archive")
        #expect(archive.vault == vault.key)

        #expect(try await service.uploadIDs("v").isEmpty)
        await expectGlacierError(.resourceNotFound) {
            try await service.listParts(caller, vaultName: "v", uploadID: up, marker: nil, limit: nil)
        }
        _ = try await service.takeInventories(vaultName: "v")  // counts are as of the last inventory
        let d = try await service.describeVault(caller, name: "v")
        #expect(d.numberOfArchives == 1)
        #expect(d.sizeInBytes == Int64(whole.count))
        // The part files became the archive's segments.
        #expect(dir.files(in: dir.blobs).count == 3)
        // Completing again with the same size and tree hash (a retry): the same archive,
        // nothing created (Complete Multipart Upload is idempotent for a short period).
        let (_, again) = try await service.completeMultipartUpload(
            caller, vaultName: "v", uploadID: up, archiveSize: String(whole.count), treeHash: TreeHash.of(whole).hex.uppercased())
        #expect(again.id == archive.id)
        #expect(again.treeHash == archive.treeHash)
        #expect(again.size == archive.size)
        _ = try await service.takeInventories(vaultName: "v")
        #expect(try await service.describeVault(caller, name: "v").numberOfArchives == 1)
        #expect(dir.files(in: dir.blobs).count == 3)
        // Another size or tree hash is not a repeat: 404, as for any upload no longer in progress.
        await expectGlacierError(.resourceNotFound, "was completed") {
            try await service.completeMultipartUpload(
                caller, vaultName: "v", uploadID: up, archiveSize: String(whole.count - 1), treeHash: TreeHash.of(whole).hex)
        }
        await expectGlacierError(.resourceNotFound, "was completed") {
            try await service.completeMultipartUpload(
                caller, vaultName: "v", uploadID: up, archiveSize: String(whole.count), treeHash: TreeHash.of(parts[0]).hex)
        }
        // Malformed headers are still 400 first.
        await expectGlacierError(.invalidParameterValue) {
            try await service.completeMultipartUpload(caller, vaultName: "v", uploadID: up, archiveSize: "x", treeHash: TreeHash.of(whole).hex)
        }
        // In another vault the upload is unknown; the upload is not in progress any more.
        _ = try await service.createVault(caller, name: "w")
        await expectGlacierError(.resourceNotFound) {
            try await service.completeMultipartUpload(
                caller, vaultName: "w", uploadID: up, archiveSize: String(whole.count), treeHash: TreeHash.of(whole).hex)
        }
        await expectGlacierError(.resourceNotFound) { try await service.put("v", up, first: 0, parts[0]) }
        // "Aborting a completed upload fails."
        await expectGlacierError(.resourceNotFound) { try await service.abortMultipartUpload(caller, vaultName: "v", uploadID: up) }
        _ = try await service.takeInventories(vaultName: "v")
        #expect(try await service.describeVault(caller, name: "v").numberOfArchives == 1)
    }

    @Test func initiateErrors() async throws {
        let dir = try TempDirectory()
        defer { dir.remove() }
        let service = try await makeService(dir)
        await expectGlacierError(.resourceNotFound, "vaults/none") {
            try await service.initiateMultipartUpload(caller, vaultName: "none", partSize: "1048576", description: nil)
        }
        _ = try await service.createVault(caller, name: "v")
        await expectGlacierError(.missingParameterValue) {
            try await service.initiateMultipartUpload(caller, vaultName: "v", partSize: nil, description: nil)
        }
        await expectGlacierError(.invalidParameterValue) {
            try await service.initiateMultipartUpload(caller, vaultName: "v", partSize: "3145728", description: nil)
        }
        await expectGlacierError(.invalidParameterValue) {
            try await service.initiateMultipartUpload(caller, vaultName: "v", partSize: "1048576", description: "tab\there")
        }
        #expect(try await service.uploadIDs("v").isEmpty)
    }

    /// Every failing Upload Part: the error, nothing in tmp/, no new blob, parts unchanged.
    @Test func failedUploadsLeaveNoTrace() async throws {
        let dir = try TempDirectory()
        defer { dir.remove() }
        let service = try await makeService(dir)
        _ = try await service.createVault(caller, name: "v")
        let (_, up) = try await service.initiateMultipartUpload(caller, vaultName: "v", partSize: "1048576", description: nil)
        let good = bytes(mib, seed: 3)
        try await service.put("v", up, first: 0, good)
        let blobsBefore = dir.files(in: dir.blobs)
        #expect(blobsBefore.count == 1)
        let data = bytes(mib, seed: 4)
        let other = bytes(mib, seed: 5)

        func checkNoTrace(_ what: String, sourceLocation: SourceLocation = #_sourceLocation) async throws {
            #expect(dir.files(in: dir.tmp).isEmpty, "tmp/ not empty after \(what)", sourceLocation: sourceLocation)
            #expect(dir.files(in: dir.blobs) == blobsBefore, "blobs/ changed after \(what)", sourceLocation: sourceLocation)
            #expect(try await service.partHashes("v", up) == [TreeHash.of(good).hex], sourceLocation: sourceLocation)
        }

        await expectGlacierError(.invalidParameterValue, "Checksum mismatch") {
            try await service.put("v", up, first: mib, data, treeHash: TreeHash.of(other).hex)
        }
        try await checkNoTrace("tree-hash mismatch")
        await expectGlacierError(.invalidParameterValue, "x-amz-content-sha256") {
            try await service.put("v", up, first: mib, data, linearHash: SHA256Hasher.hash(other).hex)
        }
        try await checkNoTrace("linear-hash mismatch")
        await expectGlacierError(.invalidParameterValue, "has \(mib - 1) bytes but its Content-Range declares \(mib)") {
            try await service.put("v", up, first: mib, data, sentBody: Array(data.dropLast()))
        }
        try await checkNoTrace("short body")
        await expectGlacierError(.invalidParameterValue, "longer than the \(mib) bytes") {
            try await service.put("v", up, first: mib, data, sentBody: data + [0])
        }
        try await checkNoTrace("long body")
        await expectGlacierError(.invalidParameterValue, "Content-Length 5") {
            try await service.put("v", up, first: mib, data, contentLength: 5)
        }
        try await checkNoTrace("Content-Length mismatch")
        await expectGlacierError(.invalidParameterValue, "align") {
            try await service.put("v", up, first: 512 * 1024, data)
        }
        await expectGlacierError(.invalidParameterValue, "malformed") {
            try await service.put("v", up, first: mib, data, range: "bytes \(mib)-\(2 * mib - 1)/\(2 * mib)")
        }
        await expectGlacierError(.missingParameterValue, "x-amz-sha256-tree-hash") {
            try await service.uploadPart(
                caller, vaultName: "v", uploadID: up,
                headers: .init(contentRange: "bytes 0-9/*", treeHash: nil, contentSHA256: SHA256Hasher.hash(data).hex, contentLength: nil),
                body: body(Array(data[0..<10])))
        }
        await expectGlacierError(.missingParameterValue, "x-amz-content-sha256") {
            try await service.uploadPart(
                caller, vaultName: "v", uploadID: up,
                headers: .init(contentRange: "bytes 0-9/*", treeHash: TreeHash.of(data).hex, contentSHA256: nil, contentLength: nil),
                body: body(Array(data[0..<10])))
        }
        await expectGlacierError(.missingParameterValue, "Content-Range") {
            try await service.uploadPart(
                caller, vaultName: "v", uploadID: up,
                headers: .init(contentRange: nil, treeHash: TreeHash.of(data).hex, contentSHA256: SHA256Hasher.hash(data).hex, contentLength: nil),
                body: body(data))
        }
        await expectGlacierError(.resourceNotFound, "no-such-upload") {
            try await service.put("v", "no-such-upload", first: mib, data)
        }
        await expectGlacierError(.resourceNotFound) {
            try await service.put("v", up, first: mib, data, caller: Caller(accountID: "123456789012", region: "eu-west-1"))
        }
        try await checkNoTrace("all failures")
    }

    @Test func reuploadReplacesAndFailedReuploadKeepsEarlierPart() async throws {
        let dir = try TempDirectory()
        defer { dir.remove() }
        let service = try await makeService(dir)
        _ = try await service.createVault(caller, name: "v")
        let (_, up) = try await service.initiateMultipartUpload(caller, vaultName: "v", partSize: "1048576", description: nil)
        let a = bytes(mib, seed: 10)
        let b = bytes(mib, seed: 11)
        let c = bytes(mib, seed: 12)
        try await service.put("v", up, first: 0, a)
        try await service.put("v", up, first: 0, b)
        #expect(try await service.partHashes("v", up) == [TreeHash.of(b).hex])
        // The replaced part's file is gone; the one left holds b.
        let files = dir.files(in: dir.blobs)
        #expect(files.count == 1)
        let stored = try Data(contentsOf: URL(fileURLWithPath: dir.blobs + "/" + files[0]))
        #expect(stored == Data(b))

        // A failed re-upload (wrong hash) leaves b in place.
        await expectGlacierError(.invalidParameterValue, "Checksum mismatch") {
            try await service.put("v", up, first: 0, c, treeHash: TreeHash.of(a).hex)
        }
        #expect(try await service.partHashes("v", up) == [TreeHash.of(b).hex])
        #expect(dir.files(in: dir.blobs) == files)
        #expect(try Data(contentsOf: URL(fileURLWithPath: dir.blobs + "/" + files[0])) == Data(b))
        #expect(dir.files(in: dir.tmp).isEmpty)

        // The upload completes with b.
        let (_, archive) = try await service.completeMultipartUpload(
            caller, vaultName: "v", uploadID: up, archiveSize: String(mib), treeHash: TreeHash.of(b).hex)
        #expect(archive.treeHash == TreeHash.of(b).hex)
    }

    @Test func completeRejectsBadPartSetsAndKeepsTheUpload() async throws {
        let dir = try TempDirectory()
        defer { dir.remove() }
        let service = try await makeService(dir)
        _ = try await service.createVault(caller, name: "v")
        let whole = bytes(3 * mib - 100, seed: 20)
        let p0 = Array(whole[0..<mib])
        let p1 = Array(whole[mib..<2 * mib])
        let p2 = Array(whole[(2 * mib)...])
        let wholeHash = TreeHash.of(whole).hex
        let size = String(whole.count)

        func complete(_ up: String, size: String? = size, hash: String? = wholeHash) async throws -> ArchiveRow {
            try await service.completeMultipartUpload(caller, vaultName: "v", uploadID: up, archiveSize: size, treeHash: hash).archive
        }

        // No parts.
        let (_, empty) = try await service.initiateMultipartUpload(caller, vaultName: "v", partSize: "1048576", description: nil)
        await expectGlacierError(.invalidParameterValue, "has no parts") { try await complete(empty) }

        // A gap: the part at 1 MiB is missing.
        let (_, gap) = try await service.initiateMultipartUpload(caller, vaultName: "v", partSize: "1048576", description: nil)
        try await service.put("v", gap, first: 0, p0)
        try await service.put("v", gap, first: 2 * mib, p2)
        await expectGlacierError(.invalidParameterValue, "missing the range 1048576-2097151") { try await complete(gap) }

        // A short part that is not the last.
        let (_, short) = try await service.initiateMultipartUpload(caller, vaultName: "v", partSize: "1048576", description: nil)
        try await service.put("v", short, first: 0, p0)
        try await service.put("v", short, first: mib, Array(p1[0..<1000]))
        try await service.put("v", short, first: 2 * mib, p2)
        await expectGlacierError(.invalidParameterValue, "every part but the last must be exactly the part size 1048576") {
            try await complete(short)
        }

        // A complete part set, then wrong size, wrong hash, missing/malformed headers.
        let (_, good) = try await service.initiateMultipartUpload(caller, vaultName: "v", partSize: "1048576", description: nil)
        try await service.put("v", good, first: 0, p0)
        try await service.put("v", good, first: mib, p1)
        try await service.put("v", good, first: 2 * mib, p2)
        await expectGlacierError(.invalidParameterValue, "x-amz-archive-size \(whole.count + 1) does not match the \(whole.count) bytes") {
            try await complete(good, size: String(whole.count + 1))
        }
        await expectGlacierError(.invalidParameterValue, "does not match the tree hash of the uploaded parts, \(wholeHash)") {
            try await complete(good, hash: TreeHash.of(p0).hex)
        }
        await expectGlacierError(.missingParameterValue, "x-amz-archive-size") { try await complete(good, size: nil) }
        await expectGlacierError(.invalidParameterValue) { try await complete(good, size: "-1") }
        await expectGlacierError(.missingParameterValue, "x-amz-sha256-tree-hash") { try await complete(good, hash: nil) }
        await expectGlacierError(.invalidParameterValue) { try await complete(good, hash: "xyz") }
        await expectGlacierError(.resourceNotFound) { try await complete("no-such-upload") }

        // Every failed upload is still listed, with its parts.
        #expect(Set(try await service.uploadIDs("v")) == Set([empty, gap, short, good]))
        #expect(try await service.partHashes("v", gap).count == 2)
        #expect(try await service.partHashes("v", short).count == 3)
        #expect(try await service.partHashes("v", good) == [p0, p1, p2].map { TreeHash.of($0).hex })
        #expect(try await service.describeVault(caller, name: "v").numberOfArchives == 0)

        // The good one still completes.
        let archive = try await complete(good)
        #expect(archive.size == Int64(whole.count))
        #expect(archive.treeHash == wholeHash)
        #expect(Set(try await service.uploadIDs("v")) == Set([empty, gap, short]))
    }

    @Test func abortRemovesUploadAndBlobs() async throws {
        let dir = try TempDirectory()
        defer { dir.remove() }
        let service = try await makeService(dir)
        _ = try await service.createVault(caller, name: "v")
        let (_, up) = try await service.initiateMultipartUpload(caller, vaultName: "v", partSize: "2097152", description: nil)
        try await service.put("v", up, first: 0, bytes(2 * mib))
        try await service.put("v", up, first: 2 * mib, bytes(5))
        #expect(dir.files(in: dir.blobs).count == 2)
        try await service.abortMultipartUpload(caller, vaultName: "v", uploadID: up)
        #expect(dir.files(in: dir.blobs).isEmpty)
        #expect(try await service.uploadIDs("v").isEmpty)
        // "aborting an already-aborted upload will succeed, for a short time"
        try await service.abortMultipartUpload(caller, vaultName: "v", uploadID: up)
        await expectGlacierError(.resourceNotFound) { try await service.put("v", up, first: 0, bytes(5)) }
        await expectGlacierError(.resourceNotFound) {
            try await service.completeMultipartUpload(caller, vaultName: "v", uploadID: up, archiveSize: "5", treeHash: TreeHash.of(bytes(5)).hex)
        }
        await expectGlacierError(.resourceNotFound) { try await service.abortMultipartUpload(caller, vaultName: "v", uploadID: "never-initiated") }
        _ = try await service.createVault(caller, name: "w")
        await expectGlacierError(.resourceNotFound) { try await service.abortMultipartUpload(caller, vaultName: "w", uploadID: up) }
        #expect(dir.incoming.isEmpty)
    }

    /// Delete Archive: "Attempting to delete an already-deleted archive does not result in an
    /// error"; an ID the vault never held is still 404 — with and without a vault policy.
    @Test(arguments: [false, true]) func deleteArchiveAgainSucceedsUnknownIsNotFound(withPolicy: Bool) async throws {
        let dir = try TempDirectory()
        defer { dir.remove() }
        let service = try await makeService(dir)
        _ = try await service.createVault(caller, name: "v")
        _ = try await service.createVault(caller, name: "w")
        let data = bytes(1234)
        let headers = GlacierService.ArchiveHeaders(
            description: nil, treeHash: TreeHash.of(data).hex, contentSHA256: SHA256Hasher.hash(data).hex, contentLength: 1234)
        let (_, archive) = try await service.uploadArchive(caller, vaultName: "v", headers: headers, body: body(data))
        let (_, kept) = try await service.uploadArchive(caller, vaultName: "v", headers: headers, body: body(data))
        func denyDeletes(_ condition: String) async throws {
            let policy = """
                {"Version":"2012-10-17","Statement":[{"Sid":"no-deletes","Effect":"Deny","Principal":"*",
                "Action":"glacier:DeleteArchive","Resource":"arn:aws:glacier:us-east-1:123456789012:vaults/v"\(condition)}]}
                """
            try await service.setAccessPolicy(caller, vaultName: "v", body: JSONWriter.bytes(.object([("Policy", .string(policy))])))
        }
        // A policy makes DeleteArchive read the archive before the write (for its age); this
        // one denies nothing (no archive is younger than 0 days).
        if withPolicy { try await denyDeletes(#","Condition":{"NumericLessThan":{"glacier:ArchiveAgeInDays":"0"}}"#) }
        try await service.deleteArchive(caller, vaultName: "v", archiveID: archive.id)
        #expect(dir.files(in: dir.blobs).count == 1)
        try await service.deleteArchive(caller, vaultName: "v", archiveID: archive.id)
        try await service.deleteArchive(caller, vaultName: "v", archiveID: archive.id)
        _ = try await service.takeInventories(vaultName: "v")
        let d = try await service.describeVault(caller, name: "v")
        #expect(d.numberOfArchives == 1)
        #expect(d.sizeInBytes == 1234)
        await expectGlacierError(.resourceNotFound, "Archive not found") {
            try await service.deleteArchive(caller, vaultName: "v", archiveID: "never-uploaded")
        }
        // Only in the vault it was deleted from.
        await expectGlacierError(.resourceNotFound, "Archive not found") {
            try await service.deleteArchive(caller, vaultName: "w", archiveID: archive.id)
        }
        await expectGlacierError(.resourceNotFound, "Vault not found") {
            try await service.deleteArchive(caller, vaultName: "none", archiveID: archive.id)
        }
        if withPolicy {
            // A policy that denies every DeleteArchive denies repeating one too.
            try await denyDeletes("")
            await expectGlacierError(.accessDenied) {
                try await service.deleteArchive(caller, vaultName: "v", archiveID: archive.id)
            }
            try await service.deleteAccessPolicy(caller, vaultName: "v")
        }
        // A vault deleted and created again forgets the IDs deleted from it.
        try await service.deleteArchive(caller, vaultName: "v", archiveID: kept.id)
        _ = try await service.takeInventories(vaultName: "v")  // no archive as of the last inventory
        try await service.deleteVault(caller, name: "v")
        _ = try await service.createVault(caller, name: "v")
        await expectGlacierError(.resourceNotFound, "Archive not found") {
            try await service.deleteArchive(caller, vaultName: "v", archiveID: archive.id)
        }
    }

    @Test func listPartsAndUploadsPaginate() async throws {
        let dir = try TempDirectory()
        defer { dir.remove() }
        let service = try await makeService(dir)
        _ = try await service.createVault(caller, name: "v")
        var ids: [String] = []
        for i in 0..<3 {
            ids.append(try await service.initiateMultipartUpload(caller, vaultName: "v", partSize: "1048576", description: "u\(i)").uploadID)
        }
        let u1 = try await service.listMultipartUploads(caller, vaultName: "v", marker: nil, limit: "2")
        #expect(u1.uploads.map(\.id) == Array(ids[0..<2]))
        #expect(u1.uploads.map(\.description) == ["u0", "u1"])
        #expect(u1.marker == ids[2])
        let u2 = try await service.listMultipartUploads(caller, vaultName: "v", marker: u1.marker, limit: "2")
        #expect(u2.uploads.map(\.id) == [ids[2]])
        #expect(u2.marker == nil)
        await expectGlacierError(.invalidParameterValue, "Invalid marker") {
            try await service.listMultipartUploads(caller, vaultName: "v", marker: "bogus", limit: nil)
        }
        await expectGlacierError(.resourceNotFound) {
            try await service.listMultipartUploads(caller, vaultName: "none", marker: nil, limit: nil)
        }

        let up = ids[0]
        for i in 0..<3 { try await service.put("v", up, first: i * mib, bytes(100, seed: i)) }
        let p1 = try await service.listParts(caller, vaultName: "v", uploadID: up, marker: nil, limit: "2")
        #expect(p1.parts.map(\.rangeStart) == [0, Int64(mib)])
        #expect(p1.marker == "2097152")
        let p2 = try await service.listParts(caller, vaultName: "v", uploadID: up, marker: p1.marker, limit: "2")
        #expect(p2.parts.map(\.rangeStart) == [Int64(2 * mib)])
        #expect(p2.marker == nil)
        await expectGlacierError(.invalidParameterValue, "Invalid marker") {
            try await service.listParts(caller, vaultName: "v", uploadID: up, marker: "abc", limit: nil)
        }
        await expectGlacierError(.invalidParameterValue) {
            try await service.listParts(caller, vaultName: "v", uploadID: up, marker: nil, limit: "-2")
        }
    }

    @Test func uploadPartAfterVaultDeletedIsNotFound() async throws {
        let dir = try TempDirectory()
        defer { dir.remove() }
        let service = try await makeService(dir)
        _ = try await service.createVault(caller, name: "v")
        let (_, up) = try await service.initiateMultipartUpload(caller, vaultName: "v", partSize: "1048576", description: nil)
        try await service.deleteVault(caller, name: "v")
        await expectGlacierError(.resourceNotFound) { try await service.put("v", up, first: 0, bytes(10)) }
        #expect(dir.files(in: dir.blobs).isEmpty)
        #expect(dir.files(in: dir.tmp).isEmpty)
    }

    @Test func resetDropsEverything() async throws {
        let dir = try TempDirectory()
        defer { dir.remove() }
        let service = try await makeService(dir)
        _ = try await service.createVault(caller, name: "v")
        let (_, up) = try await service.initiateMultipartUpload(caller, vaultName: "v", partSize: "1048576", description: nil)
        try await service.put("v", up, first: 0, bytes(10))
        try await service.reset()
        #expect(try await service.listVaults(caller, marker: nil, limit: nil).vaults.isEmpty)
        #expect(dir.files(in: dir.blobs).isEmpty)
    }
}

@Suite struct ServiceReopenTests {
    @Test func reopenKeepsStateAndRemovesOrphans() async throws {
        let dir = try TempDirectory()
        defer { dir.remove() }
        let data = bytes(mib + 17, seed: 7)
        let up: String
        do {
            let service = try await makeService(dir)
            _ = try await service.createVault(caller, name: "kept")
            up = try await service.initiateMultipartUpload(caller, vaultName: "kept", partSize: "1048576", description: "d").uploadID
            try await service.put("kept", up, first: 0, Array(data[0..<mib]))
            try await service.put("kept", up, first: mib, Array(data[mib...]))
        }
        let referenced = dir.files(in: dir.blobs)
        #expect(referenced.count == 2)
        // A crash between rename and commit, and a request that never finished.
        let orphanBlob = dir.blobs + "/ORPHANorphanORPHANorphanORPHAN00"
        let orphanTemp = dir.tmp + "/abandoned.incoming"
        #expect(FileManager.default.createFile(atPath: orphanBlob, contents: Data([1, 2, 3])))
        #expect(FileManager.default.createFile(atPath: orphanTemp, contents: Data([4, 5, 6])))
        #expect(dir.files(in: dir.blobs).count == 3)

        let service = try await makeService(dir)
        #expect(dir.files(in: dir.blobs) == referenced)
        #expect(dir.files(in: dir.tmp).isEmpty)
        #expect(try await service.listVaults(caller, marker: nil, limit: nil).vaults.map(\.vault.name) == ["kept"])
        #expect(try await service.uploadIDs("kept") == [up])
        let parts = try await service.listParts(caller, vaultName: "kept", uploadID: up, marker: nil, limit: nil)
        #expect(parts.upload.description == "d")
        #expect(parts.parts.map(\.treeHash) == [TreeHash.of(Array(data[0..<mib])).hex, TreeHash.of(Array(data[mib...])).hex])
        // And the reopened upload completes.
        let (_, archive) = try await service.completeMultipartUpload(
            caller, vaultName: "kept", uploadID: up, archiveSize: String(data.count), treeHash: TreeHash.of(data).hex)
        #expect(archive.size == Int64(data.count))
    }
}

/// A body that yields some bytes and then fails, as a dropped connection does.
struct FailingBody: AsyncSequence {
    typealias Element = [UInt8]
    struct Disconnected: Error {}
    let first: [UInt8]

    struct AsyncIterator: AsyncIteratorProtocol {
        var sent = false
        let first: [UInt8]
        mutating func next() async throws -> [UInt8]? {
            if sent { throw Disconnected() }
            sent = true
            return first
        }
    }

    func makeAsyncIterator() -> AsyncIterator { AsyncIterator(first: first) }
}

@Suite struct ServiceConcurrencyTests {
    @Test func bodyFailureMidStreamLeavesNoTemporaryFile() async throws {
        let dir = try TempDirectory()
        defer { dir.remove() }
        let service = try await makeService(dir)
        _ = try await service.createVault(caller, name: "v")
        let (_, up) = try await service.initiateMultipartUpload(caller, vaultName: "v", partSize: "1048576", description: nil)
        let data = bytes(mib)
        await #expect(throws: FailingBody.Disconnected.self) {
            _ = try await service.uploadPart(
                caller, vaultName: "v", uploadID: up,
                headers: .init(contentRange: "bytes 0-1048575/*", treeHash: TreeHash.of(data).hex,
                               contentSHA256: SHA256Hasher.hash(data).hex, contentLength: nil),
                body: FailingBody(first: Array(data[0..<1000])))
        }
        #expect(dir.files(in: dir.tmp).isEmpty)
        #expect(dir.files(in: dir.blobs).isEmpty)
        #expect(try await service.partHashes("v", up).isEmpty)
    }

    @Test func racingCompletionsMakeOneArchive() async throws {
        let dir = try TempDirectory()
        defer { dir.remove() }
        let service = try await makeService(dir)
        _ = try await service.createVault(caller, name: "v")
        let (_, up) = try await service.initiateMultipartUpload(caller, vaultName: "v", partSize: "1048576", description: nil)
        let data = bytes(3000)
        try await service.put("v", up, first: 0, data)
        let hash = TreeHash.of(data).hex
        let outcomes = await withTaskGroup(of: String.self) { group in
            for _ in 0..<8 {
                group.addTask {
                    do {
                        let (_, archive) = try await service.completeMultipartUpload(caller, vaultName: "v", uploadID: up, archiveSize: "3000", treeHash: hash)
                        return "ok " + archive.id
                    } catch let e as GlacierError {
                        return e.code.rawValue
                    } catch {
                        return "\(error)"
                    }
                }
            }
            return await group.reduce(into: [String]()) { $0.append($1) }
        }
        // Every one succeeds (the later ones find the first one's completion) with the same
        // archive, the only one.
        #expect(outcomes.filter { $0.hasPrefix("ok ") }.count == 8, "\(outcomes)")
        #expect(Set(outcomes).count == 1, "\(outcomes)")
        _ = try await service.takeInventories(vaultName: "v")
        let d = try await service.describeVault(caller, name: "v")
        #expect(d.numberOfArchives == 1)
        #expect(d.sizeInBytes == 3000)
    }

    @Test func racingUploadsOfOneRangeLeaveOnePartAndOneFile() async throws {
        let dir = try TempDirectory()
        defer { dir.remove() }
        let service = try await makeService(dir)
        _ = try await service.createVault(caller, name: "v")
        let (_, up) = try await service.initiateMultipartUpload(caller, vaultName: "v", partSize: "1048576", description: nil)
        let versions = (0..<6).map { bytes(mib, seed: 40 + $0) }
        try await withThrowingTaskGroup(of: Void.self) { group in
            for data in versions {
                group.addTask { try await service.put("v", up, first: 0, data) }
            }
            try await group.waitForAll()
        }
        let hashes = try await service.partHashes("v", up)
        #expect(hashes.count == 1)
        #expect(versions.map { TreeHash.of($0).hex }.contains(hashes[0]))
        let files = dir.files(in: dir.blobs)
        #expect(files.count == 1)
        // The surviving file is the version the part row names.
        let stored = try Data(contentsOf: URL(fileURLWithPath: dir.blobs + "/" + files[0]))
        #expect(TreeHash.of(Array(stored)).hex == hashes[0])
        #expect(dir.incoming.isEmpty)
    }
}

@Suite struct VaultConfigurationServiceTests {
    func json(_ text: String) -> [UInt8] { Array(text.utf8) }

    @Test func dataRetrievalPolicyKeepsBytesPerHourExact() async throws {
        let dir = try TempDirectory()
        defer { dir.remove() }
        let service = try await makeService(dir)
        #expect(JSONWriter.write(try await service.getDataRetrievalPolicy(caller)) == #"{"Rules":[{"Strategy":"None"}]}"#)
        for bytes in ["9223372036854775807", "9223372036854775806", "9200000000000000001"] {
            try await service.setDataRetrievalPolicy(caller, body: json(#"{"Policy":{"Rules":[{"Strategy":"BytesPerHour","BytesPerHour":"# + bytes + "}]}}"))
            #expect(JSONWriter.write(try await service.getDataRetrievalPolicy(caller))
                == #"{"Rules":[{"BytesPerHour":"# + bytes + #","Strategy":"BytesPerHour"}]}"#)
        }
        // A refused policy leaves the stored one alone.
        await expectGlacierError(.invalidParameterValue, "2^63-1") {
            try await service.setDataRetrievalPolicy(caller, body: json(#"{"Policy":{"Rules":[{"Strategy":"BytesPerHour","BytesPerHour":9223372036854775808}]}}"#))
        }
        await expectGlacierError(.missingParameterValue, "BytesPerHour") {
            try await service.setDataRetrievalPolicy(caller, body: json(#"{"Policy":{"Rules":[{"Strategy":"BytesPerHour"}]}}"#))
        }
        await expectGlacierError(.missingParameterValue, "Policy.Rules") {
            try await service.setDataRetrievalPolicy(caller, body: json(#"{"Policy":{}}"#))
        }
        #expect(JSONWriter.write(try await service.getDataRetrievalPolicy(caller))
            == #"{"Rules":[{"BytesPerHour":9200000000000000001,"Strategy":"BytesPerHour"}]}"#)
    }

    @Test func dataRetrievalPolicyGovernsOnlyStandardRetrievals() async throws {
        let dir = try TempDirectory()
        defer { dir.remove() }
        let service = try await makeService(dir)
        _ = try await service.createVault(caller, name: "v")
        let data = bytes(2 * mib, seed: 9)
        let headers = GlacierService.ArchiveHeaders(
            description: nil, treeHash: TreeHash.of(data).hex, contentSHA256: SHA256Hasher.hash(data).hex, contentLength: Int64(data.count))
        let archive = try await service.uploadArchive(caller, vaultName: "v", headers: headers, body: body(data)).archive
        try await service.setDataRetrievalPolicy(caller, body: json(#"{"Policy":{"Rules":[{"Strategy":"BytesPerHour","BytesPerHour":1048576}]}}"#))
        func retrieve(_ tier: String?, range: String? = nil) async throws -> String {
            var members = [#""Type":"archive-retrieval""#, #""ArchiveId":""# + archive.id + #"""#]
            if let tier { members.append(#""Tier":""# + tier + #"""#) }
            if let range { members.append(#""RetrievalByteRange":""# + range + #"""#) }
            return try await service.initiateJob(caller, vaultName: "v", body: json("{" + members.joined(separator: ",") + "}")).jobID
        }
        for tier in ["Standard", nil] as [String?] {
            await expectGlacierError(.policyEnforced, "1048576 bytes per hour") { try await retrieve(tier) }
        }
        // Expedited and Bulk: not refused, and their 8 MiB do not count toward the budget.
        for tier in ["Expedited", "Bulk", "Expedited", "Bulk"] { _ = try await retrieve(tier) }
        _ = try await retrieve("Standard", range: "0-1048575")
        await expectGlacierError(.policyEnforced) { try await retrieve("Standard", range: "1048576-2097151") }
        _ = try await retrieve("Bulk")
    }

    @Test func tagsTenPerRequestFiftyPerVault() async throws {
        let dir = try TempDirectory()
        defer { dir.remove() }
        let service = try await makeService(dir)
        _ = try await service.createVault(caller, name: "v")
        func tagsBody(_ range: Range<Int>, value: String = "v") -> [UInt8] {
            json(#"{"Tags":{"# + range.map { #""key\#($0)":""# + value + #"""# }.joined(separator: ",") + "}}")
        }
        await expectGlacierError(.invalidParameterValue, "at most 10 tags per AddTagsToVault request") {
            try await service.addTags(caller, vaultName: "v", body: tagsBody(0..<11))
        }
        #expect(try await service.listTags(caller, vaultName: "v").isEmpty)
        for start in stride(from: 0, to: 45, by: 9) { try await service.addTags(caller, vaultName: "v", body: tagsBody(start..<start + 9)) }
        #expect(try await service.listTags(caller, vaultName: "v").count == 45)
        // Six new tags would make 51: refused whole.
        await expectGlacierError(.limitExceeded, "at most 50 tags") {
            try await service.addTags(caller, vaultName: "v", body: tagsBody(45..<51))
        }
        #expect(try await service.listTags(caller, vaultName: "v").count == 45)
        try await service.addTags(caller, vaultName: "v", body: tagsBody(45..<50))
        // Replacing values adds no tag.
        try await service.addTags(caller, vaultName: "v", body: tagsBody(0..<10, value: "w"))
        let tags = try await service.listTags(caller, vaultName: "v")
        #expect(tags.count == 50)
        #expect(tags.filter { $0.1 == "w" }.count == 10)

        let elevenKeys = json(#"{"TagKeys":["# + (0..<11).map { #""key\#($0)""# }.joined(separator: ",") + "]}")
        await expectGlacierError(.invalidParameterValue, "at most 10 keys per RemoveTagsFromVault request") {
            try await service.removeTags(caller, vaultName: "v", body: elevenKeys)
        }
        await expectGlacierError(.invalidParameterValue, "at least 1 key") {
            try await service.removeTags(caller, vaultName: "v", body: json(#"{"TagKeys":[]}"#))
        }
        #expect(try await service.listTags(caller, vaultName: "v").count == 50)
        try await service.removeTags(caller, vaultName: "v", body: json(#"{"TagKeys":["key0","key1","not-there"]}"#))
        #expect(try await service.listTags(caller, vaultName: "v").count == 48)
    }

    @Test func vaultLockErrorsFollowTheLockState() async throws {
        let dir = try TempDirectory()
        defer { dir.remove() }
        let service = try await makeService(dir)
        _ = try await service.createVault(caller, name: "v")
        let policy = json(#"{"Policy":"{\"Version\":\"2012-10-17\",\"Statement\":[]}"}"#)
        // No lock: aborting succeeds, completing has nothing to complete.
        try await service.abortVaultLock(caller, vaultName: "v")
        await expectGlacierError(.invalidParameterValue, "no vault lock in progress") {
            try await service.completeVaultLock(caller, vaultName: "v", lockID: "none")
        }
        let lockID = try await service.initiateVaultLock(caller, vaultName: "v", body: policy)
        // InProgress: initiating again is AccessDenied, a wrong lock ID InvalidParameterValue.
        await expectGlacierError(.accessDenied, "InProgress") {
            try await service.initiateVaultLock(caller, vaultName: "v", body: policy)
        }
        await expectGlacierError(.invalidParameterValue, "does not match the vault lock in progress") {
            try await service.completeVaultLock(caller, vaultName: "v", lockID: "wrong")
        }
        try await service.completeVaultLock(caller, vaultName: "v", lockID: lockID)
        // Locked: its own ID again succeeds; a wrong one is AccessDenied; abort is AccessDenied;
        // initiating stays InvalidParameterValue (the docs name no code).
        try await service.completeVaultLock(caller, vaultName: "v", lockID: lockID)
        await expectGlacierError(.accessDenied, "Locked") {
            try await service.completeVaultLock(caller, vaultName: "v", lockID: "wrong")
        }
        await expectGlacierError(.accessDenied) { try await service.abortVaultLock(caller, vaultName: "v") }
        await expectGlacierError(.invalidParameterValue, "already locked") {
            try await service.initiateVaultLock(caller, vaultName: "v", body: policy)
        }
        #expect(JSONWriter.write(try await service.getVaultLock(caller, vaultName: "v")).contains(#""State":"Locked""#))
    }
}
