import GRDB
import GRDBSQLite

/// Vault inventories: Glacier's point-in-time snapshots of a vault's archives.
///
/// "After you upload your first archive to your vault, Glacier automatically creates a vault
/// inventory and then updates it approximately once a day" (Developer Guide, "Downloading a
/// Vault Inventory"); DescribeVault, ListVaults, inventory-retrieval jobs and DeleteVault's
/// rule read that snapshot, not the live archives.
///
/// A snapshot is not a copy. Per vault, the row of `vaults` keeps:
/// - `last_inventory_date`, `inventory_archives`, `inventory_size`: when it was taken and
///   what it counted (the live counters at that moment);
/// - `inventory_rowid`: the largest archive place (`archives.rowid`) in the whole table when
///   it was taken. Every archive of the vault then alive has a place at or below it; every
///   later one a place above it, since taking the snapshot raises `archive_rowid_floor` to it
///   (and an archive is inserted above its vault's floor, see `insertArchiveSQL`);
/// - `inventory_writes`: archives added and deleted since (Deleting a Vault: "S3 Glacier
///   ensures the vault is indeed empty by checking if there were any write operations since
///   the last vault inventory").
/// `inventory_gone` keeps, until the next snapshot, the rows of the archives that were in the
/// snapshot and have been deleted since (DeleteArchive writes one in its transaction).
/// So the snapshot is: the vault's live archives placed at or below `inventory_rowid`, plus
/// its `inventory_gone` rows, in place order. Taking one is one UPDATE of the vault row and
/// deleting the vault's `inventory_gone` rows: it costs the deletions since the last one,
/// however many archives the vault holds, and holds the writer only that long.
extension MetadataStore {
    static func registerInventoryMigration(_ m: inout DatabaseMigrator) {
        m.registerMigration("v6-inventories") { db in
            // Vaults stored before this migration have had no inventory taken in this sense:
            // a vault that ever held an archive counts as written since (its next inventory,
            // scheduled or POST /_mock/inventory, covers it); one that never did has none.
            try db.execute(sql: """
                ALTER TABLE vaults ADD COLUMN inventory_archives INTEGER NOT NULL DEFAULT 0;
                ALTER TABLE vaults ADD COLUMN inventory_size INTEGER NOT NULL DEFAULT 0;
                ALTER TABLE vaults ADD COLUMN inventory_rowid INTEGER NOT NULL DEFAULT 0;
                ALTER TABLE vaults ADD COLUMN inventory_writes INTEGER NOT NULL DEFAULT 0;
                UPDATE vaults SET inventory_writes = 1, last_inventory_date = NULL
                    WHERE number_of_archives > 0 OR archive_rowid_floor > 0;
                CREATE TABLE inventory_gone (
                    account_id TEXT NOT NULL,
                    region TEXT NOT NULL,
                    vault_name TEXT NOT NULL,
                    position INTEGER NOT NULL,
                    id TEXT NOT NULL,
                    description TEXT,
                    creation_date INTEGER NOT NULL,
                    size INTEGER NOT NULL,
                    tree_hash TEXT NOT NULL,
                    PRIMARY KEY (account_id, region, vault_name, position),
                    FOREIGN KEY (account_id, region, vault_name) REFERENCES vaults(account_id, region, name) ON DELETE CASCADE
                ) WITHOUT ROWID;
                CREATE INDEX archives_by_vault_place ON archives(account_id, region, vault_name);
                DROP INDEX archives_by_vault;
                """)
            // `archives_by_vault_place` lists a vault's archives in place order (an index's
            // entries end with the rowid), which is inventory order: a snapshot is read in
            // that order without sorting. It replaces the index by creation date, whose only
            // reader was the inventory's (now place-ordered) date-range listing.
        }
    }

    /// Raised by each archive added or deleted (in the statement that already updates the
    /// vault's counters).
    static let countWriteSQL = "inventory_writes = inventory_writes + 1"

    /// Keeps a deleted archive's row for the snapshot that still lists it (placed at or below
    /// the vault's `inventory_rowid`); nothing otherwise.
    static let keepInSnapshotSQL = """
        INSERT INTO inventory_gone (account_id, region, vault_name, position, id, description, creation_date, size, tree_hash)
        SELECT ?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9 FROM vaults
        WHERE account_id = ?1 AND region = ?2 AND name = ?3 AND last_inventory_date IS NOT NULL AND inventory_rowid >= ?4
        """

    /// Takes the inventory of `vault`, or of every vault of every account when nil, at `now`:
    /// each vault with archives added or deleted since its last inventory (or never
    /// inventoried and written to) gets a new one; the others keep theirs, date included
    /// ("If there have been no archive additions or deletions to the vault since the last
    /// inventory, the inventory date is not updated"). One transaction.
    /// Returns the vaults' inventories after it (all matching vaults; `taken` says which are
    /// new), or nil when `vault` names no vault. `day`, when given, is stored in the same
    /// transaction as the scheduled day now done (see `GlacierService`'s schedule).
    ///
    /// It may use the space reserve on a full disk (`freesSpace`), as deletions do: after the
    /// archives are deleted, only a new inventory makes their vault deletable.
    public func takeInventories(of vault: VaultKey?, now: Milliseconds, scheduleDay: (kind: String, day: Int64)? = nil) async throws -> [InventoryState]? {
        try await write(freesSpace: true) { db in
            if let vault, try Self.fetchVault(db, vault) == nil { return nil }
            let top = try Int64.fetchOne(db, sql: "SELECT coalesce(max(rowid), 0) FROM archives") ?? 0
            let filter = vault == nil ? "" : " AND account_id = ? AND region = ? AND name = ?"
            let arguments: StatementArguments = vault.map { [$0.accountID, $0.region, $0.name] } ?? []
            let taken = try Row.fetchAll(db, sql: "SELECT account_id, region, name FROM vaults WHERE inventory_writes > 0" + filter, arguments: arguments)
                .map { VaultKey(accountID: $0[0], region: $0[1], name: $0[2]) }
            if vault == nil {
                // Only written vaults have gone rows, and all of them are taken now.
                try db.execute(sql: "DELETE FROM inventory_gone")
            } else {
                for key in taken {
                    try db.execute(
                        sql: "DELETE FROM inventory_gone WHERE account_id = ? AND region = ? AND vault_name = ?",
                        arguments: [key.accountID, key.region, key.name])
                }
            }
            try db.execute(
                sql: """
                    UPDATE vaults SET last_inventory_date = ?, inventory_archives = number_of_archives,
                    inventory_size = size_in_bytes, inventory_rowid = ?, archive_rowid_floor = max(archive_rowid_floor, ?),
                    inventory_writes = 0
                    WHERE inventory_writes > 0
                    """ + filter,
                arguments: StatementArguments([now, top, top]) + arguments)
            if let scheduleDay {
                try db.cachedStatement(
                    sql: "INSERT OR REPLACE INTO account_settings (account_id, region, kind, value) VALUES ('', '', ?, ?)").execute(
                    arguments: [scheduleDay.kind, String(scheduleDay.day)])
            }
            let takenSet = Set(taken)
            return try Row.fetchAll(
                db, sql: "SELECT * FROM vaults WHERE 1" + filter + " ORDER BY account_id, region, name", arguments: arguments
            ).map { row in
                let v = Self.vaultRow(row)
                return InventoryState(vault: v, taken: takenSet.contains(v.key))
            }
        }
    }

    /// The inventories of every vault (or the vaults named `name`, in any account and region),
    /// for `GET /_mock/inventory`.
    public func inventories(named name: String?) async throws -> [InventoryState] {
        try await database.read { db in
            let rows = try Row.fetchAll(
                db, sql: "SELECT * FROM vaults" + (name == nil ? "" : " WHERE name = ?") + " ORDER BY account_id, region, name",
                arguments: name.map { [$0] } ?? [])
            return rows.map { InventoryState(vault: Self.vaultRow($0), taken: false) }
        }
    }

    /// What an inventory job reads: the vault's last inventory, or its live archives
    /// (`live`), from the place of the archive `fromID` on, created in [from, before),
    /// in inventory order. `begin` is called first, with the inventory's date (nil: live, or
    /// the vault has none yet); `body` then sees each listed archive, at most `limit`; the result says
    /// which snapshot was read (nil date: the vault has no inventory, and `body` saw nothing)
    /// and the ID of the first archive not listed when `limit` cut the list.
    ///
    /// One read transaction over two cursors merged by place: the vault's archives through
    /// `archives_by_vault_place` and its `inventory_gone` rows through their primary key, so
    /// memory stays constant whatever the vault holds.
    public func readInventory(
        of vault: VaultKey, live: Bool, createdFrom: Milliseconds?, createdBefore: Milliseconds?, fromID: String?, limit: Int,
        begin: @Sendable (_ inventoryDate: Milliseconds?) throws -> Void,
        _ body: @Sendable (InventoryItem) throws -> Void
    ) async throws -> InventoryRead? {
        try await database.read { db in
            guard let row = try Self.fetchVault(db, vault) else { return nil }
            let date: Milliseconds? = live ? nil : row.lastInventoryDate
            try begin(date)
            if !live && date == nil { return InventoryRead(vault: row, inventoryDate: nil, next: nil) }
            var from: Int64 = 0
            if let fromID { from = try Self.inventoryPosition(db, ofArchive: fromID, in: vault) ?? Int64.max }
            let lo = createdFrom ?? Int64.min, hi = createdBefore ?? Int64.max
            let top = live ? Int64.max : row.inventoryRowID
            let archivesStatement = try db.cachedStatement(sql: Self.inventoryArchivesSQL)
            let archives = try Row.fetchCursor(archivesStatement, arguments: [vault.accountID, vault.region, vault.name, from, top, lo, hi])
            let goneStatement = try db.cachedStatement(sql: Self.inventoryGoneSQL)
            let gone = try Row.fetchCursor(goneStatement, arguments: [vault.accountID, vault.region, vault.name, live ? Int64.max : from, lo, hi])
            // Each cursor's current row is read straight from its statement (no `String` per
            // column): an item's bytes stay valid until its cursor steps again.
            var a = try archives.next().map { _ in InventoryItem(archivesStatement.sqliteStatement) }
            var g = try gone.next().map { _ in InventoryItem(goneStatement.sqliteStatement) }
            var listed = 0
            while true {
                let item: InventoryItem
                let fromArchives: Bool
                if let x = a, g.map({ x.position < $0.position }) ?? true {
                    (item, fromArchives) = (x, true)
                } else if let y = g {
                    (item, fromArchives) = (y, false)
                } else {
                    break
                }
                if listed == limit { return InventoryRead(vault: row, inventoryDate: date, next: item.idString) }
                try body(item)
                listed += 1
                if fromArchives {
                    a = try archives.next().map { _ in InventoryItem(archivesStatement.sqliteStatement) }
                } else {
                    g = try gone.next().map { _ in InventoryItem(goneStatement.sqliteStatement) }
                }
            }
            return InventoryRead(vault: row, inventoryDate: date, next: nil)
        }
    }

    static let inventoryArchivesSQL = """
        SELECT rowid, id, description, creation_date, size, tree_hash FROM archives INDEXED BY archives_by_vault_place
        WHERE account_id = ?1 AND region = ?2 AND vault_name = ?3 AND rowid >= ?4 AND rowid <= ?5
        AND creation_date >= ?6 AND creation_date < ?7
        ORDER BY rowid
        """
    static let inventoryGoneSQL = """
        SELECT position, id, description, creation_date, size, tree_hash FROM inventory_gone
        WHERE account_id = ?1 AND region = ?2 AND vault_name = ?3 AND position >= ?4
        AND creation_date >= ?5 AND creation_date < ?6
        ORDER BY position
        """

    /// For `glacier-mock verify`: every vault whose inventory disagrees with its archives —
    /// the snapshot's count and size with the archives it lists, or the live counters with
    /// the live archives. Empty when all agree.
    public func inventoryProblems() async throws -> [String] {
        try await database.read { db in
            var problems: [String] = []
            let rows = try Row.fetchAll(db, sql: """
                SELECT v.*,
                  (SELECT count(*) FROM archives a WHERE a.account_id = v.account_id AND a.region = v.region AND a.vault_name = v.name) AS live_n,
                  (SELECT coalesce(sum(size), 0) FROM archives a WHERE a.account_id = v.account_id AND a.region = v.region AND a.vault_name = v.name) AS live_s,
                  (SELECT count(*) FROM archives a WHERE a.account_id = v.account_id AND a.region = v.region AND a.vault_name = v.name AND a.rowid <= v.inventory_rowid)
                  + (SELECT count(*) FROM inventory_gone g WHERE g.account_id = v.account_id AND g.region = v.region AND g.vault_name = v.name) AS snap_n,
                  (SELECT coalesce(sum(size), 0) FROM archives a WHERE a.account_id = v.account_id AND a.region = v.region AND a.vault_name = v.name AND a.rowid <= v.inventory_rowid)
                  + (SELECT coalesce(sum(size), 0) FROM inventory_gone g WHERE g.account_id = v.account_id AND g.region = v.region AND g.vault_name = v.name) AS snap_s
                FROM vaults v
                """)
            for r in rows {
                let name = "vault \(r["name"] as String) (account \(r["account_id"] as String), \(r["region"] as String))"
                let liveN: Int64 = r["live_n"], liveS: Int64 = r["live_s"], snapN: Int64 = r["snap_n"], snapS: Int64 = r["snap_s"]
                let countedN: Int64 = r["number_of_archives"], countedS: Int64 = r["size_in_bytes"]
                if liveN != countedN || liveS != countedS {
                    problems.append("\(name): holds \(liveN) archives of \(liveS) bytes, its counters say \(countedN) and \(countedS)")
                }
                let invN: Int64 = r["inventory_archives"], invS: Int64 = r["inventory_size"]
                let hasInventory = (r["last_inventory_date"] as Int64?) != nil
                if hasInventory && (snapN != invN || snapS != invS) {
                    problems.append("\(name): its last inventory lists \(snapN) archives of \(snapS) bytes but counted \(invN) and \(invS)")
                }
            }
            let orphans = try Int.fetchOne(db, sql: """
                SELECT count(*) FROM inventory_gone g JOIN vaults v
                ON g.account_id = v.account_id AND g.region = v.region AND g.vault_name = v.name
                WHERE v.last_inventory_date IS NULL OR g.position > v.inventory_rowid
                """) ?? 0
            if orphans > 0 { problems.append("\(orphans) deleted archive(s) kept for an inventory that does not list them") }
            return problems
        }
    }
}

/// One vault's last inventory as `POST`/`GET /_mock/inventory` show it.
public struct InventoryState: Sendable, Equatable {
    public let vault: VaultRow
    /// True when this call took a new inventory of the vault.
    public let taken: Bool
}

/// One archive as an inventory lists it; `position` is its place in inventory order. The
/// text columns are the bytes SQLite holds for the current row of a statement: valid only
/// during the `readInventory` callback that receives them (copy what must outlive it).
public struct InventoryItem {
    public let position: Int64
    public let id: UnsafeRawBufferPointer
    /// nil: no description.
    public let description: UnsafeRawBufferPointer?
    public let creationDate: Milliseconds
    public let size: Int64
    public let treeHash: UnsafeRawBufferPointer

    public init(
        position: Int64, id: UnsafeRawBufferPointer, description: UnsafeRawBufferPointer?, creationDate: Milliseconds, size: Int64,
        treeHash: UnsafeRawBufferPointer
    ) {
        self.position = position
        self.id = id
        self.description = description
        self.creationDate = creationDate
        self.size = size
        self.treeHash = treeHash
    }

    /// The current row of a statement selecting (position, id, description, creation_date, size, tree_hash).
    init(_ s: SQLiteStatement) {
        func text(_ column: Int32) -> UnsafeRawBufferPointer? {
            guard let p = sqlite3_column_text(s, column) else { return nil }
            return UnsafeRawBufferPointer(start: p, count: Int(sqlite3_column_bytes(s, column)))
        }
        self.init(
            position: sqlite3_column_int64(s, 0), id: text(1) ?? UnsafeRawBufferPointer(start: nil, count: 0),
            description: text(2), creationDate: sqlite3_column_int64(s, 3), size: sqlite3_column_int64(s, 4),
            treeHash: text(5) ?? UnsafeRawBufferPointer(start: nil, count: 0))
    }

    public var idString: String { String(decoding: id, as: UTF8.self) }
}

/// What `readInventory` read: the vault, the date of the inventory (nil: none yet, or live),
/// and the first archive left out by the limit.
public struct InventoryRead: Sendable {
    public let vault: VaultRow
    public let inventoryDate: Milliseconds?
    public let next: String?
}
