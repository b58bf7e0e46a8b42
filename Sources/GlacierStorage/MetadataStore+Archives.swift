import GRDB

extension MetadataStore {
    /// Records an archive stored as one blob (UploadArchive) and bumps the vault's counters.
    /// Returns false when the vault no longer exists.
    public func createArchive(_ archive: ArchiveRow, blobID: String) async throws -> Bool {
        try writeNow { db in
            guard try Self.fetchVault(db, archive.vault) != nil else { return false }
            try Self.insertArchive(db, archive)
            try db.cachedStatement(
                sql: "INSERT INTO archive_segments (archive_id, seq, blob_id, length, tree_hash) VALUES (?, 0, ?, ?, ?)").execute(
                arguments: [archive.id, blobID, archive.size, archive.treeHash])
            return true
        }
    }

    public enum DeleteArchiveResult: Sendable, Equatable {
        /// Deleted; these of its blob files nothing refers to any more (a retrieval job still
        /// holding the archive's bytes keeps them) and can go.
        case deleted(unreferencedBlobs: [String])
        /// Deleted earlier from this vault: nothing to do ("Attempting to delete an
        /// already-deleted archive does not result in an error", Delete Archive).
        case alreadyDeleted
        /// No archive with this ID was ever in this vault (or the vault was deleted since).
        case notFound
    }

    /// Deletes an archive, and records its ID as deleted from its vault (with `now`) in the
    /// same transaction.
    public func deleteArchive(id: String, in vault: VaultKey, now: Milliseconds) async throws -> DeleteArchiveResult {
        try writeNow(freesSpace: true) { db in
            guard let found = try Row.fetchOne(
                db.cachedStatement(sql: "SELECT rowid, * FROM archives WHERE id = ? AND account_id = ? AND region = ? AND vault_name = ?"),
                arguments: [id, vault.accountID, vault.region, vault.name]
            ) else {
                return try Self.wasDeleted(db, archiveID: id, in: vault) ? .alreadyDeleted : .notFound
            }
            let archive = Self.archiveRow(found)
            let position: Int64 = found["rowid"]
            let blobs = try String.fetchAll(db.cachedStatement(sql: "SELECT blob_id FROM archive_segments WHERE archive_id = ?"), arguments: [id])
            try db.cachedStatement(sql: "DELETE FROM archive_segments WHERE archive_id = ?").execute(arguments: [id])
            try db.cachedStatement(sql: "DELETE FROM archives WHERE id = ?").execute(arguments: [id])
            // The floor keeps later archives of this vault after the deleted one's place.
            // A deletion is a write since the last inventory; an archive that inventory lists
            // stays listed (and counted) until the next one (MetadataStore+Inventory.swift).
            try db.cachedStatement(sql: """
                    UPDATE vaults SET number_of_archives = number_of_archives - 1, size_in_bytes = size_in_bytes - ?,
                    archive_rowid_floor = max(archive_rowid_floor, ?), \(Self.countWriteSQL)
                    WHERE account_id = ? AND region = ? AND name = ?
                    """).execute(
                arguments: [archive.size, position, vault.accountID, vault.region, vault.name])
            try db.cachedStatement(sql: Self.keepInSnapshotSQL).execute(
                arguments: [vault.accountID, vault.region, vault.name, position, archive.id, archive.description,
                            archive.creationDate, archive.size, archive.treeHash])
            try Self.recordDeletion(db, archiveID: id, in: vault, position: position, now: now)
            return .deleted(unreferencedBlobs: try Self.unreferenced(db, blobs))
        }
    }

    /// Archives of a vault in creation order (inventory order), optionally limited to a
    /// creation-date window [from, to), starting at the archive `fromID`: one the vault holds,
    /// or one deleted from it, whose place the list goes on from (`inventoryPosition`). When
    /// `fromID` has no place (InitiateJob checked that it had one), the list is empty.
    public func archives(in vault: VaultKey, createdFrom: Milliseconds?, createdBefore: Milliseconds?, fromID: String?, limit: Int) async throws -> [ArchiveRow] {
        try await database.read { db in
            var fromRowID: Int64 = 0
            if let fromID {
                fromRowID = try Self.inventoryPosition(db, ofArchive: fromID, in: vault) ?? Int64.max
            }
            return try Row.fetchAll(
                db.cachedStatement(sql: """
                    SELECT * FROM archives WHERE account_id = ? AND region = ? AND vault_name = ?
                    AND rowid >= ? AND creation_date >= ? AND creation_date < ?
                    ORDER BY rowid LIMIT ?
                    """),
                arguments: [vault.accountID, vault.region, vault.name, fromRowID, createdFrom ?? Int64.min, createdBefore ?? Int64.max, limit]
            ).map(Self.archiveRow)
        }
    }

    /// The place in this vault's inventory order (`archives.rowid`) of the archive `id`: one
    /// the vault holds, or one deleted from it since migration "v5-marker-positions" (see
    /// "Markers of items that are gone", MetadataStore+Tombstones.swift). nil when neither:
    /// an inventory Marker naming it cannot be placed.
    public func inventoryPosition(ofArchive id: String, in vault: VaultKey) async throws -> Int64? {
        try readNow { db in try Self.inventoryPosition(db, ofArchive: id, in: vault) }
    }

    static func inventoryPosition(_ db: Database, ofArchive id: String, in vault: VaultKey) throws -> Int64? {
        try Int64.fetchOne(
            db.cachedStatement(sql: "SELECT rowid FROM archives WHERE id = ? AND account_id = ? AND region = ? AND vault_name = ?"),
            arguments: [id, vault.accountID, vault.region, vault.name])
            ?? deletedArchivePosition(db, id: id, in: vault)
    }

    /// Every archive with its segments, for `glacier-mock verify`.
    public func allArchives() async throws -> [ArchiveRow] {
        try await database.read { db in
            try Row.fetchAll(db, sql: "SELECT * FROM archives ORDER BY rowid").map(Self.archiveRow)
        }
    }

    /// Every stored part, for `glacier-mock verify`.
    public func allParts() async throws -> [PartRow] {
        try await database.read { db in
            try Row.fetchAll(db, sql: "SELECT * FROM parts ORDER BY upload_id, range_start").map {
                PartRow(uploadID: $0["upload_id"], rangeStart: $0["range_start"], length: $0["length"], treeHash: $0["tree_hash"], blobID: $0["blob_id"])
            }
        }
    }

    /// Glacier sets LastInventoryDate when it takes an inventory; glacier-mock when an
    /// inventory job completes.
    public func setLastInventoryDate(_ vault: VaultKey, _ date: Milliseconds) async throws {
        try await write { db in
            try db.cachedStatement(
                sql: "UPDATE vaults SET last_inventory_date = ? WHERE account_id = ? AND region = ? AND name = ?").execute(
                arguments: [date, vault.accountID, vault.region, vault.name])
        }
    }
}
