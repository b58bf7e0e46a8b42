import GRDB
@testable import GlacierStorage
import Testing

/// The records that let DeleteArchive, CompleteMultipartUpload and AbortMultipartUpload be
/// repeated as Glacier documents (MetadataStore+Tombstones.swift).
@Suite struct TombstoneTests {
    let window = MetadataStore.repeatWindow
    let other = VaultKey(accountID: "123456789012", region: "us-east-1", name: "w")

    func rowCount(_ dir: TempDirectory, _ table: String) throws -> Int {
        let db = try DatabaseQueue(path: dir.path + "/glacier.sqlite")
        return try db.read { try Int.fetchOne($0, sql: "SELECT COUNT(*) FROM \(table)") ?? -1 }
    }

    func archive(_ id: String, in vault: VaultKey = key, size: Int64 = 10) -> ArchiveRow {
        ArchiveRow(id: id, vault: vault, description: nil, creationDate: 1, size: size, treeHash: "h-\(id)")
    }

    /// An upload "u" of one 10-byte part (blob "b") in `vault`.
    func uploadWithAPart(_ store: MetadataStore, _ id: String = "u", in vault: VaultKey = key) async throws {
        #expect(try await store.createUpload(upload(id, in: vault)))
        #expect(try await store.putPart(part(id, 0, length: 10, blob: "b-\(id)"), vault: vault, maxParts: 10) == .stored(replacedBlob: nil))
    }

    func complete(_ store: MetadataStore, _ id: String = "u", in vault: VaultKey = key, archiveID: String = "arch", now: Milliseconds) async throws -> MetadataStore.CompleteResult {
        try await store.completeUpload(id: id, in: vault, archiveID: archiveID, now: now) { _, _ in (10, "th") }
    }

    @Test func deletedArchiveIsRememberedInItsVaultOnly() async throws {
        let dir = try TempDirectory()
        defer { dir.remove() }
        let store = try makeStore(dir)
        try await store.createVault(key, now: 1)
        try await store.createVault(other, now: 1)
        #expect(try await store.createArchive(archive("a1"), blobID: "b1"))
        #expect(try await store.createArchive(archive("a2", size: 5), blobID: "b2"))

        #expect(try await store.deleteArchive(id: "a1", in: key, now: 2) == .deleted(unreferencedBlobs: ["b1"]))
        #expect(try await store.archiveWasDeleted(id: "a1", in: key))
        // Again, and again much later: no time limit, nothing changes.
        #expect(try await store.deleteArchive(id: "a1", in: key, now: 3) == .alreadyDeleted)
        #expect(try await store.deleteArchive(id: "a1", in: key, now: 3 + 10 * window) == .alreadyDeleted)
        let vault = try #require(try await store.vault(key))
        #expect(vault.numberOfArchives == 1)
        #expect(vault.sizeInBytes == 5)
        // Listings, verify's lists and the blob references know nothing of it.
        #expect(try await store.archives(in: key, createdFrom: nil, createdBefore: nil, fromID: nil, limit: 10).map(\.id) == ["a2"])
        #expect(try await store.allArchives().map(\.id) == ["a2"])
        #expect(try await store.referencedBlobIDs() == ["b2"])
        #expect(try await store.archive(id: "a1", in: key) == nil)
        // Never held, or held by another vault: not found.
        #expect(try await store.deleteArchive(id: "a3", in: key, now: 4) == .notFound)
        #expect(try await store.deleteArchive(id: "a1", in: other, now: 4) == .notFound)
        #expect(try await store.archiveWasDeleted(id: "a1", in: other) == false)
        #expect(try await store.archiveWasDeleted(id: "a3", in: key) == false)
        #expect(try rowCount(dir, "deleted_archives") == 1)
    }

    @Test func repeatedCompleteWithinTheWindowReturnsTheFirstCompletion() async throws {
        let dir = try TempDirectory()
        defer { dir.remove() }
        let store = try makeStore(dir)
        try await store.createVault(key, now: 1)
        try await store.createVault(other, now: 1)
        try await uploadWithAPart(store)
        let t: Milliseconds = 1_000_000
        guard case .completed = try await complete(store, now: t) else { Issue.record("not completed"); return }
        let first = CompletedUploadRow(uploadID: "u", vault: key, archiveID: "arch", size: 10, treeHash: "th", completedAt: t)
        for now in [t, t + 1, t + window] {
            let again = try await store.completeUpload(id: "u", in: key, archiveID: "arch-\(now)", now: now) { _, _ in
                Issue.record("check ran for a completed upload")
                return (0, "")
            }
            #expect(again == .alreadyCompleted(first))
            #expect(try await store.archive(id: "arch-\(now)", in: key) == nil)
        }
        #expect(try await store.vault(key)?.numberOfArchives == 1)
        #expect(try await store.allArchives().count == 1)
        // After the window, or in another vault: an unknown upload.
        #expect(try await complete(store, archiveID: "late", now: t + window + 1) == .uploadNotFound)
        #expect(try await complete(store, in: other, archiveID: "elsewhere", now: t + 1) == .uploadNotFound)
        // "Aborting a completed upload fails."
        #expect(try await store.abortUpload(id: "u", in: key, now: t + 1) == .notFound)
        #expect(try await store.putPart(part("u", 0, length: 10, blob: "x"), vault: key, maxParts: 10) == .uploadGone)
    }

    @Test func repeatedAbortWithinTheWindowSucceeds() async throws {
        let dir = try TempDirectory()
        defer { dir.remove() }
        let store = try makeStore(dir)
        try await store.createVault(key, now: 1)
        try await store.createVault(other, now: 1)
        try await uploadWithAPart(store)
        let t: Milliseconds = 1_000_000
        #expect(try await store.abortUpload(id: "u", in: key, now: t) == .aborted(orphanedBlobs: ["b-u"]))
        #expect(try await store.abortUpload(id: "u", in: key, now: t + 1) == .alreadyAborted)
        #expect(try await store.abortUpload(id: "u", in: key, now: t + window) == .alreadyAborted)
        #expect(try await store.abortUpload(id: "u", in: key, now: t + window + 1) == .notFound)
        #expect(try await store.abortUpload(id: "u", in: other, now: t + 1) == .notFound)
        #expect(try await store.abortUpload(id: "never", in: key, now: t + 1) == .notFound)
        // An aborted upload cannot be completed or added to, even within the window.
        #expect(try await complete(store, now: t + 1) == .uploadNotFound)
        #expect(try await store.putPart(part("u", 0, length: 10, blob: "x"), vault: key, maxParts: 10) == .uploadGone)
        #expect(try await store.uploads(in: key, fromID: nil, limit: 10, now: t + 1)?.isEmpty == true)
    }

    @Test func completesAndAbortsDeleteExpiredRecords() async throws {
        let dir = try TempDirectory()
        defer { dir.remove() }
        let store = try makeStore(dir)
        try await store.createVault(key, now: 1)
        for id in ["c1", "a1", "c2", "a2", "c3"] { try await uploadWithAPart(store, id) }
        let t: Milliseconds = 1_000_000
        _ = try await complete(store, "c1", archiveID: "arch1", now: t)
        _ = try await store.abortUpload(id: "a1", in: key, now: t)
        #expect(try rowCount(dir, "completed_uploads") == 1)
        #expect(try rowCount(dir, "aborted_uploads") == 1)
        // At the window's end both are still kept ...
        _ = try await complete(store, "c2", archiveID: "arch2", now: t + window)
        #expect(try rowCount(dir, "completed_uploads") == 2)
        #expect(try rowCount(dir, "aborted_uploads") == 1)
        // ... one millisecond later a complete removes both kinds of expired record,
        _ = try await complete(store, "c3", archiveID: "arch3", now: t + window + 1)
        #expect(try rowCount(dir, "completed_uploads") == 2)  // c2 and c3
        #expect(try rowCount(dir, "aborted_uploads") == 0)
        // ... and so does an abort.
        _ = try await store.abortUpload(id: "a2", in: key, now: t + 3 * window)
        #expect(try rowCount(dir, "completed_uploads") == 0)
        #expect(try rowCount(dir, "aborted_uploads") == 1)
        // The archives themselves stay.
        #expect(try await store.allArchives().map(\.id) == ["arch1", "arch2", "arch3"])
    }

    @Test func deletingTheVaultForgetsItsRecords() async throws {
        let dir = try TempDirectory()
        defer { dir.remove() }
        let store = try makeStore(dir)
        try await store.createVault(key, now: 1)
        try await store.createVault(other, now: 1)
        for vault in [key, other] {
            try await uploadWithAPart(store, "c-\(vault.name)", in: vault)
            try await uploadWithAPart(store, "a-\(vault.name)", in: vault)
            _ = try await complete(store, "c-\(vault.name)", in: vault, archiveID: "arch-\(vault.name)", now: 2)
            _ = try await store.abortUpload(id: "a-\(vault.name)", in: vault, now: 2)
            _ = try await store.deleteArchive(id: "arch-\(vault.name)", in: vault, now: 3)
        }
        #expect(try await store.deleteVault(key) == .deleted(orphanedBlobs: []))
        for table in ["deleted_archives", "completed_uploads", "aborted_uploads"] {
            #expect(try rowCount(dir, table) == 1, "\(table)")  // the other vault's
        }
        try await store.createVault(key, now: 4)
        #expect(try await store.deleteArchive(id: "arch-v", in: key, now: 5) == .notFound)
        #expect(try await complete(store, "c-v", now: 5) == .uploadNotFound)
        #expect(try await store.abortUpload(id: "a-v", in: key, now: 5) == .notFound)
        // The other vault's records still answer.
        #expect(try await store.deleteArchive(id: "arch-w", in: other, now: 5) == .alreadyDeleted)
        #expect(try await store.abortUpload(id: "a-w", in: other, now: 5) == .alreadyAborted)
        guard case .alreadyCompleted(let done) = try await complete(store, "c-w", in: other, now: 5) else {
            Issue.record("not remembered"); return
        }
        #expect(done.archiveID == "arch-w")

        _ = try await store.reset()
        for table in ["deleted_archives", "completed_uploads", "aborted_uploads"] {
            #expect(try rowCount(dir, table) == 0, "\(table)")
        }
    }

    /// Server IDs are random, so an ID is never issued twice; were it, the live row wins and
    /// recording its end again does not fail.
    @Test func aRecordNeverStandsInTheWayOfALiveRow() async throws {
        let dir = try TempDirectory()
        defer { dir.remove() }
        let store = try makeStore(dir)
        try await store.createVault(key, now: 1)
        #expect(try await store.createArchive(archive("a1"), blobID: "b1"))
        _ = try await store.deleteArchive(id: "a1", in: key, now: 2)
        #expect(try await store.createArchive(archive("a1", size: 7), blobID: "b2"))
        #expect(try await store.deleteArchive(id: "a1", in: key, now: 3) == .deleted(unreferencedBlobs: ["b2"]))
        #expect(try await store.deleteArchive(id: "a1", in: key, now: 4) == .alreadyDeleted)
        #expect(try await store.vault(key)?.numberOfArchives == 0)

        try await uploadWithAPart(store)
        _ = try await complete(store, archiveID: "first", now: 5)
        try await uploadWithAPart(store)
        guard case .completed(let second) = try await complete(store, archiveID: "second", now: 6) else {
            Issue.record("live upload not completed"); return
        }
        #expect(second.id == "second")
        guard case .alreadyCompleted(let done) = try await complete(store, archiveID: "third", now: 7) else {
            Issue.record("not remembered"); return
        }
        #expect(done.archiveID == "second")

        try await uploadWithAPart(store, "x")
        _ = try await store.abortUpload(id: "x", in: key, now: 8)
        try await uploadWithAPart(store, "x")
        #expect(try await store.abortUpload(id: "x", in: key, now: 9) == .aborted(orphanedBlobs: ["b-x"]))
    }

    /// A data directory written before the records existed opens, gains the tables, and
    /// keeps everything it held.
    @Test func anExistingDataDirectoryUpgrades() async throws {
        let dir = try TempDirectory()
        defer { dir.remove() }
        do {
            let old = try DatabaseQueue(path: dir.path + "/glacier.sqlite")
            try MetadataStore.migrator.migrate(old, upTo: "v3-blob-and-retrieval-indexes")
            try await old.write { db in
                try db.execute(sql: """
                    INSERT INTO vaults (account_id, region, name, creation_date, number_of_archives, size_in_bytes)
                    VALUES ('123456789012', 'us-east-1', 'v', 1, 1, 10);
                    INSERT INTO archives (id, account_id, region, vault_name, creation_date, size, tree_hash)
                    VALUES ('old', '123456789012', 'us-east-1', 'v', 1, 10, 'h');
                    INSERT INTO archive_segments (archive_id, seq, blob_id, length, tree_hash) VALUES ('old', 0, 'b-old', 10, 'h');
                    INSERT INTO uploads (id, account_id, region, vault_name, part_size, creation_date)
                    VALUES ('u', '123456789012', 'us-east-1', 'v', 1048576, 1);
                    """)
            }
            #expect(try await old.read { try $0.tableExists("deleted_archives") } == false)
        }
        let store = try makeStore(dir)
        #expect(try await store.vault(key)?.numberOfArchives == 1)
        #expect(try await store.deleteArchive(id: "old", in: key, now: 2) == .deleted(unreferencedBlobs: ["b-old"]))
        #expect(try await store.deleteArchive(id: "old", in: key, now: 3) == .alreadyDeleted)
        #expect(try await store.abortUpload(id: "u", in: key, now: 2) == .aborted(orphanedBlobs: []))
        #expect(try await store.abortUpload(id: "u", in: key, now: 3) == .alreadyAborted)
    }
}
