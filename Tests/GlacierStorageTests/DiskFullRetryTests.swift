import GRDB
@testable import GlacierStorage
import Synchronization
import Testing

/// A write transaction that fails for a full disk (SQLITE_FULL) asks the store's
/// `reclaimSpace` to free space (in the server: drop the blob store's spare files) and is
/// tried once more when it did. `PRAGMA max_page_count` makes SQLite answer SQLITE_FULL.
@Suite struct DiskFullRetryTests {
    final class Harness: Sendable {
        let store = Mutex<MetadataStore?>(nil)
        let calls = Atomic<Int>(0)
        /// What `reclaimSpace` answers; when true it also lifts the page limit.
        let frees: Bool
        init(frees: Bool) { self.frees = frees }

        func reclaim() -> Bool {
            calls.add(1, ordering: .relaxed)
            guard frees, let store = store.withLock({ $0 }) else { return false }
            try? store.database.writeWithoutTransaction { db in try db.execute(sql: "PRAGMA max_page_count = 1000000") }
            return true
        }
    }

    /// A store whose writer may not grow the database by a page more.
    func makeFullStore(_ dir: TempDirectory, frees: Bool) throws -> (MetadataStore, Harness) {
        let harness = Harness(frees: frees)
        let store = try MetadataStore(path: dir.path + "/glacier.sqlite") { harness.reclaim() }
        harness.store.withLock { $0 = store }
        try store.database.writeWithoutTransaction { db in
            let pages = try Int.fetchOne(db, sql: "PRAGMA page_count") ?? 0
            try db.execute(sql: "PRAGMA max_page_count = \(pages)")
        }
        return (store, harness)
    }

    /// Large enough to need new (overflow) pages.
    let bigValue = String(repeating: "p", count: 64 * 1024)

    @Test func theWriteSucceedsWhenSpaceWasReclaimed() async throws {
        let dir = try TempDirectory()
        defer { dir.remove() }
        let (store, harness) = try makeFullStore(dir, frees: true)
        try await store.createVault(key, now: 1)
        #expect(try await store.updateVaultSetting(key, kind: "policy") { _ in .set(bigValue) })
        #expect(harness.calls.load(ordering: .relaxed) >= 1)
        #expect(try await store.vaultSetting(key, kind: "policy") == bigValue)
    }

    @Test func theDiskFullErrorStandsWhenNothingWasReclaimed() async throws {
        let dir = try TempDirectory()
        defer { dir.remove() }
        let (store, harness) = try makeFullStore(dir, frees: false)
        do {
            try await store.createVault(key, now: 1)
            _ = try await store.updateVaultSetting(key, kind: "policy") { _ in .set(bigValue) }
            Issue.record("a write past max_page_count succeeded")
        } catch let error as DatabaseError {
            #expect(error.resultCode == .SQLITE_FULL)
        }
        #expect(harness.calls.load(ordering: .relaxed) == 1)
        #expect(try await store.vaultSetting(key, kind: "policy") == nil)
    }

    /// A transaction that gives space back (`freesSpace`: DeleteArchive, AbortMultipartUpload,
    /// DeleteVault) may also use the space reserve; an ordinary one may not.
    @Test func onlyADeletionReleasesTheReserve() async throws {
        let dir = try TempDirectory()
        defer { dir.remove() }
        let harness = Harness(frees: false)
        let reserve = Harness(frees: true)
        let store = try MetadataStore(
            path: dir.path + "/glacier.sqlite", reclaimSpace: { harness.reclaim() }, releaseReserve: { reserve.reclaim() })
        harness.store.withLock { $0 = store }
        reserve.store.withLock { $0 = store }
        try await store.createVault(key, now: 1)
        try await store.database.writeWithoutTransaction { db in
            let pages = try Int.fetchOne(db, sql: "PRAGMA page_count") ?? 0
            try db.execute(sql: "PRAGMA max_page_count = \(pages)")
        }
        do {
            _ = try await store.updateVaultSetting(key, kind: "policy") { _ in .set(bigValue) }
            Issue.record("an ordinary write past max_page_count succeeded")
        } catch let error as DatabaseError {
            #expect(error.resultCode == .SQLITE_FULL)
        }
        #expect(reserve.calls.load(ordering: .relaxed) == 0)
        try store.writeNow(freesSpace: true) { db in
            try db.execute(
                sql: "INSERT INTO vault_settings (account_id, region, vault_name, kind, value) VALUES (?, ?, ?, ?, ?)",
                arguments: [key.accountID, key.region, key.name, "policy", bigValue])
        }
        #expect(reserve.calls.load(ordering: .relaxed) == 1)
        #expect(harness.calls.load(ordering: .relaxed) == 2)
        #expect(try await store.vaultSetting(key, kind: "policy") == bigValue)
    }
}
