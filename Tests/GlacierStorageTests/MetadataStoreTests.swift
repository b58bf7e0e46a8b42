import Foundation
import GlacierStorage
import Testing

struct TempDirectory {
    let path: String

    init() throws {
        var template = Array((NSTemporaryDirectory() + "/glacier-storage-test-XXXXXX").utf8CString)
        guard let p = mkdtemp(&template) else { throw CocoaError(.fileWriteUnknown) }
        path = String(cString: p)
    }

    func remove() { try? FileManager.default.removeItem(atPath: path) }

    func files(in dir: String) -> [String] {
        ((try? FileManager.default.contentsOfDirectory(atPath: dir)) ?? []).sorted()
    }
}

struct CheckFailed: Error, Equatable {}

let key = VaultKey(accountID: "123456789012", region: "us-east-1", name: "v")
let mib: Int64 = 1 << 20

func makeStore(_ dir: TempDirectory) throws -> MetadataStore {
    try MetadataStore(path: dir.path + "/glacier.sqlite")
}

func upload(_ id: String, in vault: VaultKey = key, partSize: Int64 = mib, description: String? = nil, at time: Int64 = 1_000) -> UploadRow {
    UploadRow(id: id, vault: vault, description: description, partSize: partSize, creationDate: time)
}

func part(_ uploadID: String, _ index: Int64, length: Int64 = mib, blob: String, hash: String? = nil) -> PartRow {
    PartRow(uploadID: uploadID, rangeStart: index * mib, length: length, treeHash: hash ?? "hash-\(blob)", blobID: blob)
}

@Suite struct MetadataStoreVaultTests {
    @Test func createVaultIsIdempotent() async throws {
        let dir = try TempDirectory()
        defer { dir.remove() }
        let store = try makeStore(dir)
        #expect(try await store.vault(key) == nil)
        try await store.createVault(key, now: 1_000)
        try await store.createVault(key, now: 2_000)
        let row = try #require(try await store.vault(key))
        #expect(row.key == key)
        #expect(row.creationDate == 1_000)
        #expect(row.lastInventoryDate == nil)
        #expect(row.numberOfArchives == 0)
        #expect(row.sizeInBytes == 0)
        #expect(try await store.vaults(accountID: key.accountID, region: key.region, fromName: nil, limit: 10).count == 1)
    }

    /// The per-(account, region) vault limit: an existing vault can still be "created" again
    /// (idempotent), a new one beyond the limit is not, and other regions or accounts are apart.
    @Test func createVaultStopsAtTheLimit() async throws {
        let dir = try TempDirectory()
        defer { dir.remove() }
        let store = try makeStore(dir)
        let key = { (account: String, region: String, name: String) in VaultKey(accountID: account, region: region, name: name) }
        for name in ["a", "b", "c"] {
            #expect(try await store.createVault(key("123456789012", "us-east-1", name), now: 1, limit: 3))
        }
        #expect(try await store.createVault(key("123456789012", "us-east-1", "a"), now: 2, limit: 3))
        #expect(try await store.createVault(key("123456789012", "us-east-1", "d"), now: 2, limit: 3) == false)
        #expect(try await store.vault(key("123456789012", "us-east-1", "d")) == nil)
        #expect(try await store.createVault(key("123456789012", "eu-west-1", "d"), now: 2, limit: 3))
        #expect(try await store.createVault(key("111122223333", "us-east-1", "d"), now: 2, limit: 3))
    }

    @Test func vaultsAreOrderedByNameFromAName() async throws {
        let dir = try TempDirectory()
        defer { dir.remove() }
        let store = try makeStore(dir)
        for name in ["b", "a", "d", "c", "B"] {
            try await store.createVault(VaultKey(accountID: "123456789012", region: "us-east-1", name: name), now: 1)
        }
        try await store.createVault(VaultKey(accountID: "123456789012", region: "eu-west-1", name: "a0"), now: 1)
        try await store.createVault(VaultKey(accountID: "111122223333", region: "us-east-1", name: "a1"), now: 1)

        func names(_ from: String?, _ limit: Int) async throws -> [String] {
            try await store.vaults(accountID: "123456789012", region: "us-east-1", fromName: from, limit: limit).map(\.key.name)
        }
        // Byte order: uppercase before lowercase.
        #expect(try await names(nil, 10) == ["B", "a", "b", "c", "d"])
        #expect(try await names(nil, 2) == ["B", "a"])
        #expect(try await names("b", 2) == ["b", "c"])  // inclusive
        #expect(try await names("bb", 10) == ["c", "d"])
        #expect(try await names("z", 10) == [])
        #expect(try await store.vaults(accountID: "123456789012", region: "eu-west-1", fromName: nil, limit: 10).map(\.key.name) == ["a0"])
        #expect(try await store.vaults(accountID: "111122223333", region: "us-east-1", fromName: nil, limit: 10).map(\.key.name) == ["a1"])
    }

    @Test func deleteVaultResults() async throws {
        let dir = try TempDirectory()
        defer { dir.remove() }
        let store = try makeStore(dir)
        #expect(try await store.deleteVault(key) == .notFound)

        // A vault with an archive is not empty.
        let full = VaultKey(accountID: key.accountID, region: key.region, name: "full")
        try await store.createVault(full, now: 1)
        #expect(try await store.createUpload(upload("u-full", in: full)))
        #expect(try await store.putPart(part("u-full", 0, length: 10, blob: "blobF"), vault: full, maxParts: 10) == .stored(replacedBlob: nil))
        let done = try await store.completeUpload(id: "u-full", in: full, archiveID: "arch", now: 2) { _, _ in (10, "th") }
        guard case .completed = done else { Issue.record("not completed: \(done)"); return }
        #expect(try await store.deleteVault(full) == .notEmpty(archives: 1))
        #expect(try await store.vault(full) != nil)

        // A vault with in-progress uploads: deleted, their part blobs reported.
        try await store.createVault(key, now: 1)
        #expect(try await store.createUpload(upload("u1")))
        #expect(try await store.createUpload(upload("u2")))
        _ = try await store.putPart(part("u1", 0, blob: "blob1"), vault: key, maxParts: 10)
        _ = try await store.putPart(part("u1", 1, blob: "blob2"), vault: key, maxParts: 10)
        _ = try await store.putPart(part("u2", 0, blob: "blob3"), vault: key, maxParts: 10)
        let result = try await store.deleteVault(key)
        guard case .deleted(let orphaned) = result else { Issue.record("not deleted: \(result)"); return }
        #expect(orphaned.sorted() == ["blob1", "blob2", "blob3"])
        #expect(try await store.vault(key) == nil)
        #expect(try await store.upload(id: "u1", in: key) == nil)
        #expect(try await store.parts(uploadID: "u1", fromStart: 0, limit: 10).isEmpty)
        #expect(try await store.referencedBlobIDs() == ["blobF"])
        #expect(try await store.deleteVault(key) == .notFound)
    }
}

@Suite struct MetadataStoreUploadTests {
    @Test func createUploadNeedsTheVault() async throws {
        let dir = try TempDirectory()
        defer { dir.remove() }
        let store = try makeStore(dir)
        #expect(try await store.createUpload(upload("u1")) == false)
        try await store.createVault(key, now: 1)
        let row = upload("u1", partSize: 4 * mib, description: "desc", at: 1234)
        #expect(try await store.createUpload(row))
        #expect(try await store.upload(id: "u1", in: key) == row)
        // Only in its own vault.
        #expect(try await store.upload(id: "u1", in: VaultKey(accountID: key.accountID, region: "eu-west-1", name: "v")) == nil)
        #expect(try await store.upload(id: "u1", in: VaultKey(accountID: key.accountID, region: key.region, name: "w")) == nil)
    }

    @Test func uploadsInCreationOrderFromAnID() async throws {
        let dir = try TempDirectory()
        defer { dir.remove() }
        let store = try makeStore(dir)
        try await store.createVault(key, now: 1)
        for id in ["zz", "aa", "mm"] { #expect(try await store.createUpload(upload(id))) }
        #expect(try await store.uploads(in: key, fromID: nil, limit: 10, now: 2_000)?.map(\.id) == ["zz", "aa", "mm"])
        #expect(try await store.uploads(in: key, fromID: nil, limit: 2, now: 2_000)?.map(\.id) == ["zz", "aa"])
        #expect(try await store.uploads(in: key, fromID: "aa", limit: 10, now: 2_000)?.map(\.id) == ["aa", "mm"])
        #expect(try await store.uploads(in: key, fromID: "nope", limit: 10, now: 2_000) == nil)
        let other = VaultKey(accountID: key.accountID, region: key.region, name: "w")
        #expect(try await store.uploads(in: other, fromID: "aa", limit: 10, now: 2_000) == nil)
        #expect(try await store.uploads(in: other, fromID: nil, limit: 10, now: 2_000)?.isEmpty == true)
    }

    @Test func putPartInsertsAndReplaces() async throws {
        let dir = try TempDirectory()
        defer { dir.remove() }
        let store = try makeStore(dir)
        try await store.createVault(key, now: 1)
        #expect(try await store.createUpload(upload("u")))
        #expect(try await store.putPart(part("u", 2, length: 5, blob: "c"), vault: key, maxParts: 10) == .stored(replacedBlob: nil))
        #expect(try await store.putPart(part("u", 0, blob: "a"), vault: key, maxParts: 10) == .stored(replacedBlob: nil))
        #expect(try await store.putPart(part("u", 1, blob: "b"), vault: key, maxParts: 10) == .stored(replacedBlob: nil))
        // Same range again: the earlier blob is returned for removal.
        #expect(try await store.putPart(part("u", 0, blob: "a2"), vault: key, maxParts: 10) == .stored(replacedBlob: "a"))

        let parts = try await store.parts(uploadID: "u", fromStart: 0, limit: 10)
        #expect(parts == [part("u", 0, blob: "a2"), part("u", 1, blob: "b"), part("u", 2, length: 5, blob: "c")])
        #expect(try await store.parts(uploadID: "u", fromStart: mib, limit: 1) == [part("u", 1, blob: "b")])
        #expect(try await store.parts(uploadID: "u", fromStart: mib + 1, limit: 10) == [part("u", 2, length: 5, blob: "c")])
        #expect(try await store.referencedBlobIDs() == ["a2", "b", "c"])
        // Wrong vault: as if gone.
        let other = VaultKey(accountID: key.accountID, region: key.region, name: "w")
        #expect(try await store.putPart(part("u", 3, blob: "d"), vault: other, maxParts: 10) == .uploadGone)
    }

    @Test func putPartOnDeletedUploadIsUploadGone() async throws {
        let dir = try TempDirectory()
        defer { dir.remove() }
        let store = try makeStore(dir)
        try await store.createVault(key, now: 1)
        #expect(try await store.createUpload(upload("u")))
        _ = try await store.putPart(part("u", 0, blob: "a"), vault: key, maxParts: 10)
        _ = try await store.putPart(part("u", 1, blob: "b"), vault: key, maxParts: 10)
        guard case .aborted(let blobs) = try await store.abortUpload(id: "u", in: key, now: 2) else {
            Issue.record("not aborted"); return
        }
        #expect(blobs.sorted() == ["a", "b"])
        #expect(try await store.abortUpload(id: "u", in: key, now: 3) == .alreadyAborted)
        #expect(try await store.putPart(part("u", 0, blob: "c"), vault: key, maxParts: 10) == .uploadGone)
        #expect(try await store.parts(uploadID: "u", fromStart: 0, limit: 10).isEmpty)
        #expect(try await store.referencedBlobIDs().isEmpty)
    }

    @Test func tooManyParts() async throws {
        let dir = try TempDirectory()
        defer { dir.remove() }
        let store = try makeStore(dir)
        try await store.createVault(key, now: 1)
        #expect(try await store.createUpload(upload("u")))
        #expect(try await store.putPart(part("u", 0, blob: "a"), vault: key, maxParts: 2) == .stored(replacedBlob: nil))
        #expect(try await store.putPart(part("u", 1, blob: "b"), vault: key, maxParts: 2) == .stored(replacedBlob: nil))
        #expect(try await store.putPart(part("u", 2, blob: "c"), vault: key, maxParts: 2) == .tooManyParts)
        // Replacing an existing range at the limit is fine.
        #expect(try await store.putPart(part("u", 1, blob: "b2"), vault: key, maxParts: 2) == .stored(replacedBlob: "b"))
        #expect(try await store.parts(uploadID: "u", fromStart: 0, limit: 10).map(\.blobID) == ["a", "b2"])
    }

    @Test func completeUploadRunsCheckInsideTheTransaction() async throws {
        let dir = try TempDirectory()
        defer { dir.remove() }
        let store = try makeStore(dir)
        try await store.createVault(key, now: 1)
        let row = upload("u", description: "desc")
        #expect(try await store.createUpload(row))
        _ = try await store.putPart(part("u", 1, length: 7, blob: "b"), vault: key, maxParts: 10)
        _ = try await store.putPart(part("u", 0, blob: "a"), vault: key, maxParts: 10)
        let expectedParts = [part("u", 0, blob: "a"), part("u", 1, length: 7, blob: "b")]

        // A throwing check: its error comes out, nothing changes.
        await #expect(throws: CheckFailed.self) {
            _ = try await store.completeUpload(id: "u", in: key, archiveID: "arch", now: 5) { upload, parts in
                #expect(upload == row)
                #expect(parts == expectedParts)
                throw CheckFailed()
            }
        }
        #expect(try await store.upload(id: "u", in: key) == row)
        #expect(try await store.parts(uploadID: "u", fromStart: 0, limit: 10) == expectedParts)
        #expect(try await store.archive(id: "arch", in: key) == nil)
        #expect(try await store.segments(ofArchive: "arch").isEmpty)
        let vault = try #require(try await store.vault(key))
        #expect(vault.numberOfArchives == 0)
        #expect(vault.sizeInBytes == 0)

        // A passing check: archive with the check's size and hash, parts become segments.
        let result = try await store.completeUpload(id: "u", in: key, archiveID: "arch", now: 5) { upload, parts in
            #expect(parts == expectedParts)
            return (mib + 7, "composed")
        }
        let archive = ArchiveRow(id: "arch", vault: key, description: "desc", creationDate: 5, size: mib + 7, treeHash: "composed")
        #expect(result == .completed(archive))
        #expect(try await store.archive(id: "arch", in: key) == archive)
        #expect(try await store.archive(id: "arch", in: VaultKey(accountID: key.accountID, region: key.region, name: "w")) == nil)
        let segments = try await store.segments(ofArchive: "arch")
        #expect(segments.map(\.seq) == [0, 1])
        #expect(segments.map(\.blobID) == ["a", "b"])
        #expect(segments.map(\.length) == [mib, 7])
        #expect(segments.map(\.treeHash) == ["hash-a", "hash-b"])
        #expect(segments.allSatisfy { $0.archiveID == "arch" })
        #expect(try await store.upload(id: "u", in: key) == nil)
        #expect(try await store.parts(uploadID: "u", fromStart: 0, limit: 10).isEmpty)
        let after = try #require(try await store.vault(key))
        #expect(after.numberOfArchives == 1)
        #expect(after.sizeInBytes == mib + 7)
        #expect(try await store.referencedBlobIDs() == ["a", "b"])

        // Second completion: upload gone, check not run; the first completion is returned.
        let again = try await store.completeUpload(id: "u", in: key, archiveID: "arch2", now: 6) { _, _ in
            Issue.record("check ran for a completed upload")
            return (0, "")
        }
        #expect(again == .alreadyCompleted(CompletedUploadRow(
            uploadID: "u", vault: key, archiveID: "arch", size: mib + 7, treeHash: "composed", completedAt: 5)))
        #expect(try await store.archive(id: "arch2", in: key) == nil)
        #expect(try await store.vault(key)?.numberOfArchives == 1)
    }

    @Test func resetDropsAllAndReturnsBlobs() async throws {
        let dir = try TempDirectory()
        defer { dir.remove() }
        let store = try makeStore(dir)
        try await store.createVault(key, now: 1)
        #expect(try await store.createUpload(upload("u")))
        _ = try await store.putPart(part("u", 0, blob: "a"), vault: key, maxParts: 10)
        _ = try await store.putPart(part("u", 1, length: 3, blob: "b"), vault: key, maxParts: 10)
        _ = try await store.completeUpload(id: "u", in: key, archiveID: "arch", now: 2) { _, _ in (mib + 3, "h") }
        #expect(try await store.createUpload(upload("u2")))
        _ = try await store.putPart(part("u2", 0, blob: "c"), vault: key, maxParts: 10)
        #expect(try await store.reset().sorted() == ["a", "b", "c"])
        #expect(try await store.vault(key) == nil)
        #expect(try await store.referencedBlobIDs().isEmpty)
        #expect(try await store.archive(id: "arch", in: key) == nil)
    }

    @Test func stateSurvivesReopen() async throws {
        let dir = try TempDirectory()
        defer { dir.remove() }
        do {
            let store = try makeStore(dir)
            try await store.createVault(key, now: 1)
            #expect(try await store.createUpload(upload("u")))
            _ = try await store.putPart(part("u", 0, blob: "a"), vault: key, maxParts: 10)
        }
        let store = try makeStore(dir)
        #expect(try await store.vault(key)?.creationDate == 1)
        #expect(try await store.upload(id: "u", in: key) == upload("u"))
        #expect(try await store.parts(uploadID: "u", fromStart: 0, limit: 10) == [part("u", 0, blob: "a")])
    }
}
