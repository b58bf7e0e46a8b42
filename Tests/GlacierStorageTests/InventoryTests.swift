import GRDB
@testable import GlacierStorage
import Synchronization
import Testing

/// Vault inventories as snapshots (MetadataStore+Inventory.swift): what an inventory counts and
/// lists, and that it stays so until the next one.
@Suite struct InventoryTests {
    let other = VaultKey(accountID: "123456789012", region: "us-east-1", name: "w")

    func archive(_ id: String, in vault: VaultKey = key, size: Int64 = 10, created: Milliseconds = 1) -> ArchiveRow {
        ArchiveRow(id: id, vault: vault, description: "d-\(id)", creationDate: created, size: size, treeHash: "h-\(id)")
    }

    /// The IDs an inventory read lists (daily: the snapshot), and its date and next marker.
    func listed(_ store: MetadataStore, _ vault: VaultKey = key, live: Bool = false, from: String? = nil, limit: Int = 100,
                createdFrom: Milliseconds? = nil, createdBefore: Milliseconds? = nil) async throws -> (ids: [String], date: Milliseconds?, next: String?) {
        let ids = Mutex<[String]>([])
        let read = try await store.readInventory(
            of: vault, live: live, createdFrom: createdFrom, createdBefore: createdBefore, fromID: from, limit: limit,
            begin: { _ in }, { item in ids.withLock { $0.append(item.idString) } })
        let r = try #require(read)
        return (ids.withLock { $0 }, r.inventoryDate, r.next)
    }

    @Test func anInventoryCountsAndListsWhatTheVaultHeldWhenItWasTaken() async throws {
        let dir = try TempDirectory()
        defer { dir.remove() }
        let store = try makeStore(dir)
        try await store.createVault(key, now: 1)
        try await store.createVault(other, now: 1)
        // Never written: no inventory, and none is taken.
        var states = try #require(try await store.takeInventories(of: key, now: 5))
        #expect(states.map(\.taken) == [false] && states[0].vault.lastInventoryDate == nil)
        #expect(try await listed(store).date == nil)

        #expect(try await store.createArchive(archive("a1"), blobID: "b1"))
        #expect(try await store.createArchive(archive("a2", size: 5), blobID: "b2"))
        var v = try #require(try await store.vault(key))
        #expect((v.numberOfArchives, v.inventoryArchives, v.writesSinceInventory) == (2, 0, 2))

        states = try #require(try await store.takeInventories(of: key, now: 10))
        #expect(states.map(\.taken) == [true])
        v = try #require(try await store.vault(key))
        #expect((v.lastInventoryDate, v.inventoryArchives, v.inventorySize, v.writesSinceInventory) == (10, 2, 15, 0))
        #expect(try await listed(store).ids == ["a1", "a2"])

        // Added after it: not listed; deleted after it: still listed, in its place.
        #expect(try await store.createArchive(archive("a3"), blobID: "b3"))
        #expect(try await store.deleteArchive(id: "a1", in: key, now: 11) == .deleted(unreferencedBlobs: ["b1"]))
        #expect(try await store.deleteArchive(id: "a3", in: key, now: 11) == .deleted(unreferencedBlobs: ["b3"]))
        let snap = try await listed(store)
        #expect(snap.ids == ["a1", "a2"] && snap.date == 10)
        #expect(try await listed(store, live: true).ids == ["a2"])
        v = try #require(try await store.vault(key))
        #expect((v.numberOfArchives, v.inventoryArchives, v.inventorySize, v.writesSinceInventory) == (1, 2, 15, 3))
        // Paging the snapshot: a marker on the deleted archive still places the next page.
        let page = try await listed(store, limit: 1)
        #expect(page.ids == ["a1"] && page.next == "a2")
        #expect(try await listed(store, from: "a1").ids == ["a1", "a2"])
        #expect(try await listed(store, createdFrom: 2).ids == [])

        // The next inventory (all vaults): a1 gone, the kept row with it; the other vault untouched.
        states = try #require(try await store.takeInventories(of: nil, now: 20))
        #expect(states.map { "\($0.vault.key.name):\($0.taken)" } == ["v:true", "w:false"])
        #expect(try await listed(store).ids == ["a2"])
        #expect(try await store.inventoryProblems() == [])
        let gone = try await DatabaseQueue(path: dir.path + "/glacier.sqlite").read { try Int.fetchOne($0, sql: "SELECT COUNT(*) FROM inventory_gone") }
        #expect(gone == 0)
        // No write since: the date stays.
        #expect(try await store.takeInventories(of: key, now: 30)?.map(\.taken) == [false])
        #expect(try await store.vault(key)?.lastInventoryDate == 20)
    }

    @Test func deleteVaultByInventoryNeedsAnEmptyInventoryAndNoWriteSince() async throws {
        let dir = try TempDirectory()
        defer { dir.remove() }
        let store = try makeStore(dir)
        try await store.createVault(key, now: 1)
        #expect(try await store.createArchive(archive("a1"), blobID: "b1"))
        #expect(try await store.deleteVault(key, byInventory: true) == .notEmptyOrRecentlyWritten(archives: 0, writes: 1, inventoryDate: nil))
        _ = try await store.takeInventories(of: key, now: 5)
        #expect(try await store.deleteVault(key, byInventory: true) == .notEmptyOrRecentlyWritten(archives: 1, writes: 0, inventoryDate: 5))
        _ = try await store.deleteArchive(id: "a1", in: key, now: 6)
        #expect(try await store.deleteVault(key, byInventory: true) == .notEmptyOrRecentlyWritten(archives: 1, writes: 1, inventoryDate: 5))
        _ = try await store.takeInventories(of: key, now: 7)
        #expect(try await store.deleteVault(key, byInventory: true) == .deleted(orphanedBlobs: []))
        // A vault never written to: at once.
        try await store.createVault(other, now: 8)
        #expect(try await store.deleteVault(other, byInventory: true) == .deleted(orphanedBlobs: []))
    }

    @Test func anArchiveAddedAfterAnInventoryOfAnotherVaultIsNotInThisOnesInventory() async throws {
        // The newest archive of the table deleted, then an archive added to a vault whose
        // inventory covers places up to it: the new one must get a place above that.
        let dir = try TempDirectory()
        defer { dir.remove() }
        let store = try makeStore(dir)
        try await store.createVault(key, now: 1)
        try await store.createVault(other, now: 1)
        #expect(try await store.createArchive(archive("k1"), blobID: "b1"))
        #expect(try await store.createArchive(archive("o1", in: other), blobID: "b2"))
        _ = try await store.takeInventories(of: key, now: 5)
        _ = try await store.deleteArchive(id: "o1", in: other, now: 6)
        #expect(try await store.createArchive(archive("k2"), blobID: "b3"))
        #expect(try await listed(store).ids == ["k1"])
        #expect(try await store.inventoryProblems() == [])
    }

    @Test func verifyReportsAnInventoryThatDisagreesWithWhatItLists() async throws {
        let dir = try TempDirectory()
        defer { dir.remove() }
        let store = try makeStore(dir)
        try await store.createVault(key, now: 1)
        #expect(try await store.createArchive(archive("a1"), blobID: "b1"))
        _ = try await store.takeInventories(of: key, now: 5)
        #expect(try await store.inventoryProblems() == [])
        try await DatabaseQueue(path: dir.path + "/glacier.sqlite").write { try $0.execute(sql: "UPDATE vaults SET inventory_archives = 3") }
        let problems = try await store.inventoryProblems()
        #expect(problems.count == 1 && problems[0].contains("its last inventory lists 1 archives of 10 bytes but counted 3 and 10"))
    }
}
