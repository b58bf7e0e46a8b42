import GRDB
@testable import GlacierStorage
import Testing

/// A listing's marker is the ID of the first item of the next page. When that item has gone
/// before the next page is asked for, its tombstone gives its place, and the listing goes on
/// from there ("Markers of items that are gone", MetadataStore+Tombstones.swift).
@Suite struct MarkerPositionTests {
    let window = MetadataStore.repeatWindow
    let other = VaultKey(accountID: "123456789012", region: "us-east-1", name: "w")
    let t: Milliseconds = 1_000_000

    func rowCount(_ dir: TempDirectory, _ table: String) throws -> Int {
        let db = try DatabaseQueue(path: dir.path + "/glacier.sqlite")
        return try db.read { try Int.fetchOne($0, sql: "SELECT COUNT(*) FROM \(table)") ?? -1 }
    }

    func ids(_ store: MetadataStore, from id: String?, in vault: VaultKey = key, limit: Int = 10, now: Milliseconds) async throws -> [String]? {
        try await store.uploads(in: vault, fromID: id, limit: limit, now: now)?.map(\.id)
    }

    @Test func uploadMarkerOfACompletedOrAbortedUploadKeepsItsPlace() async throws {
        let dir = try TempDirectory()
        defer { dir.remove() }
        let store = try makeStore(dir)
        try await store.createVault(key, now: 1)
        try await store.createVault(other, now: 1)
        for id in ["u1", "u2", "u3", "u4", "u5"] {
            #expect(try await store.createUpload(upload(id)))
            #expect(try await store.putPart(part(id, 0, length: 10, blob: "b-\(id)"), vault: key, maxParts: 10) == .stored(replacedBlob: nil))
        }
        #expect(try await store.createUpload(upload("o1", in: other)))
        // A page of two ends before u3; u3 is completed, then u4 aborted.
        #expect(try await ids(store, from: nil, limit: 2, now: t) == ["u1", "u2"])
        guard case .completed = try await store.completeUpload(id: "u3", in: key, archiveID: "a3", now: t, check: { _, _ in (10, "th") }) else {
            Issue.record("not completed"); return
        }
        #expect(try await ids(store, from: "u3", limit: 2, now: t) == ["u4", "u5"])
        #expect(try await store.abortUpload(id: "u4", in: key, now: t) == .aborted(orphanedBlobs: ["b-u4"]))
        #expect(try await ids(store, from: "u3", limit: 2, now: t) == ["u5"])
        #expect(try await ids(store, from: "u4", now: t) == ["u5"])
        // A live marker is as before: its own upload first.
        #expect(try await ids(store, from: "u2", now: t) == ["u2", "u5"])
        // Newer uploads come after, as they would have.
        #expect(try await store.createUpload(upload("u6")))
        #expect(try await ids(store, from: "u3", now: t + 1) == ["u5", "u6"])
        // For as long as a repeated Complete or Abort would succeed; then no longer.
        #expect(try await ids(store, from: "u3", now: t + window) == ["u5", "u6"])
        #expect(try await ids(store, from: "u4", now: t + window) == ["u5", "u6"])
        #expect(try await ids(store, from: "u3", now: t + window + 1) == nil)
        #expect(try await ids(store, from: "u4", now: t + window + 1) == nil)
        // Only in its own vault; and an ID never issued has no place.
        #expect(try await ids(store, from: "u3", in: other, now: t) == nil)
        #expect(try await ids(store, from: "nope", now: t) == nil)
    }

    @Test func inventoryMarkerOfADeletedArchiveKeepsItsPlace() async throws {
        let dir = try TempDirectory()
        defer { dir.remove() }
        let store = try makeStore(dir)
        try await store.createVault(key, now: 1)
        try await store.createVault(other, now: 1)
        func archive(_ id: String, in vault: VaultKey = key) -> ArchiveRow {
            ArchiveRow(id: id, vault: vault, description: nil, creationDate: 1, size: 10, treeHash: "h-\(id)")
        }
        #expect(try await store.createArchive(archive("o1", in: other), blobID: "b-o1"))
        for id in ["a1", "a2", "a3", "a4"] { #expect(try await store.createArchive(archive(id), blobID: "b-\(id)")) }
        func listed(from id: String?, in vault: VaultKey = key, limit: Int = 10) async throws -> [String] {
            try await store.archives(in: vault, createdFrom: nil, createdBefore: nil, fromID: id, limit: limit).map(\.id)
        }
        #expect(try await listed(from: "a2") == ["a2", "a3", "a4"])
        let placeOfA2 = try await store.inventoryPosition(ofArchive: "a2", in: key)
        #expect(placeOfA2 != nil)

        _ = try await store.deleteArchive(id: "a2", in: key, now: t)
        #expect(try await store.inventoryPosition(ofArchive: "a2", in: key) == placeOfA2)
        #expect(try await listed(from: "a2") == ["a3", "a4"])
        #expect(try await listed(from: "a2", limit: 1) == ["a3"])
        // The archive after it deleted as well: still no gap, no repeat.
        _ = try await store.deleteArchive(id: "a3", in: key, now: t)
        #expect(try await listed(from: "a2") == ["a4"])
        #expect(try await listed(from: "a3") == ["a4"])
        // Every archive from the one listed last on deleted (SQLite would give the next
        // archive the rowid of a1's successor, a place before a3's and a4's): an archive
        // uploaded now still comes after every place, so no marker's paging misses it.
        _ = try await store.deleteArchive(id: "a4", in: key, now: t)
        #expect(try await listed(from: "a4") == [])
        #expect(try await store.createArchive(archive("a5"), blobID: "b-a5"))
        #expect(try await listed(from: "a4") == ["a5"])
        #expect(try await listed(from: "a3") == ["a5"])
        #expect(try await listed(from: "a2") == ["a5"])
        #expect(try await listed(from: nil) == ["a1", "a5"])
        // Only in its own vault; an ID never held has no place (the old answer: an empty list).
        #expect(try await store.inventoryPosition(ofArchive: "a2", in: other) == nil)
        #expect(try await store.inventoryPosition(ofArchive: "nope", in: key) == nil)
        #expect(try await listed(from: "a2", in: other) == [])
        #expect(try await listed(from: "nope") == [])
        // Deleting the vault forgets it.
        _ = try await store.deleteArchive(id: "a1", in: key, now: t)
        _ = try await store.deleteArchive(id: "a5", in: key, now: t)
        #expect(try await store.deleteVault(key) == .deleted(orphanedBlobs: []))
        try await store.createVault(key, now: t)
        #expect(try await store.inventoryPosition(ofArchive: "a2", in: key) == nil)
    }

    func job(_ id: String, in vault: VaultKey = key, completedAt: Milliseconds?) -> JobRow {
        JobRow(id: id, vault: vault, document: "{}", completesAt: completedAt ?? .max, completedAt: completedAt)
    }

    @Test func jobMarkerOfAnExpiredJobKeepsItsPlace() async throws {
        let dir = try TempDirectory()
        defer { dir.remove() }
        let store = try makeStore(dir)
        try await store.createVault(key, now: 1)
        try await store.createVault(other, now: 1)
        // j2 completed early, j1 and j4 still in progress, j3 and j5 completed later.
        for (id, done) in [("j1", nil), ("j2", 10), ("j3", 500), ("j4", nil), ("j5", 500)] as [(String, Milliseconds?)] {
            #expect(try await store.createJob(job(id, completedAt: done), segments: []) == .created)
        }
        #expect(try await store.createJob(job("o1", in: other, completedAt: 10), segments: []) == .created)
        func listed(from id: String?, in vault: VaultKey = key, now: Milliseconds) async throws -> [String]? {
            try await store.jobs(in: vault, fromID: id, now: now)?.map(\.id)
        }
        #expect(try await listed(from: nil, now: t) == ["j1", "j2", "j3", "j4", "j5"])
        #expect(try await listed(from: "j2", now: t) == ["j2", "j3", "j4", "j5"])

        // The ticker deletes the jobs completed before 100: j2 (and the other vault's o1).
        #expect(try await store.deleteJobs(completedBefore: 100, now: t) == [])
        #expect(try rowCount(dir, "expired_jobs") == 2)
        #expect(try await listed(from: nil, now: t) == ["j1", "j3", "j4", "j5"])
        #expect(try await listed(from: "j2", now: t) == ["j3", "j4", "j5"])
        #expect(try await listed(from: "j3", now: t) == ["j3", "j4", "j5"])
        #expect(try await listed(from: "j2", now: t + window) == ["j3", "j4", "j5"])
        // Not after 24 hours; not in another vault; not an ID never issued.
        #expect(try await listed(from: "j2", now: t + window + 1) == nil)
        #expect(try await listed(from: "j2", in: other, now: t) == nil)
        #expect(try await listed(from: "o1", in: other, now: t) == [])
        #expect(try await listed(from: "nope", now: t) == nil)

        // Later deletions drop the records older than 24 hours, and keep their own.
        #expect(try await store.deleteJobs(completedBefore: 1_000, now: t + window + 1) == [])
        #expect(try rowCount(dir, "expired_jobs") == 2)  // j3 and j5
        #expect(try await listed(from: "j2", now: t + window + 1) == nil)
        #expect(try await listed(from: "j3", now: t + window + 1) == ["j4"])
        #expect(try await listed(from: "j5", now: t + window + 1) == [])
        // A tick with nothing to delete writes nothing.
        #expect(try await store.deleteJobs(completedBefore: 1_000, now: t + 5 * window) == [])
        #expect(try rowCount(dir, "expired_jobs") == 2)

        #expect(try await store.deleteVault(key) == .deleted(orphanedBlobs: []))
        #expect(try rowCount(dir, "expired_jobs") == 0)
        #expect(try await store.createJob(job("o2", in: other, completedAt: 10), segments: []) == .created)
        _ = try await store.deleteJobs(completedBefore: 100, now: t)
        #expect(try rowCount(dir, "expired_jobs") == 1)
        _ = try await store.reset()
        #expect(try rowCount(dir, "expired_jobs") == 0)
    }

    /// Tombstones written before the positions were recorded keep answering repeated
    /// requests, but place no marker.
    @Test func tombstonesFromBeforeThePositionsPlaceNothing() async throws {
        let dir = try TempDirectory()
        defer { dir.remove() }
        do {
            let old = try DatabaseQueue(path: dir.path + "/glacier.sqlite")
            try MetadataStore.migrator.migrate(old, upTo: "v4-tombstones")
            try await old.write { db in
                try db.execute(sql: """
                    INSERT INTO vaults (account_id, region, name, creation_date, number_of_archives, size_in_bytes)
                    VALUES ('123456789012', 'us-east-1', 'v', 1, 0, 0);
                    INSERT INTO deleted_archives (account_id, region, vault_name, id, deleted_at)
                    VALUES ('123456789012', 'us-east-1', 'v', 'gone-archive', 1);
                    INSERT INTO completed_uploads (account_id, region, vault_name, id, archive_id, size, tree_hash, completed_at)
                    VALUES ('123456789012', 'us-east-1', 'v', 'done-upload', 'arch', 10, 'th', \(t));
                    INSERT INTO aborted_uploads (account_id, region, vault_name, id, aborted_at)
                    VALUES ('123456789012', 'us-east-1', 'v', 'aborted-upload', \(t));
                    """)
            }
        }
        let store = try makeStore(dir)
        #expect(try await store.deleteArchive(id: "gone-archive", in: key, now: t) == .alreadyDeleted)
        #expect(try await store.abortUpload(id: "aborted-upload", in: key, now: t + 1) == .alreadyAborted)
        #expect(try await store.inventoryPosition(ofArchive: "gone-archive", in: key) == nil)
        #expect(try await ids(store, from: "done-upload", now: t + 1) == nil)
        #expect(try await ids(store, from: "aborted-upload", now: t + 1) == nil)
        #expect(try rowCount(dir, "expired_jobs") == 0)
    }
}
