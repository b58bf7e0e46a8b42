import GRDB

/// Whole-state copies (snapshots, seeds) and the few writes a seed needs that no Glacier
/// operation makes (dates in the past, a job that stays pending).
///
/// A snapshot is a copy of the metadata made with SQLite's online backup API; the blob files
/// it names are shared with the live state (`BlobPins`), never copied. Restoring copies the
/// snapshot's pages back into the live database in one write transaction of the backup API,
/// so readers see the old state or the new one, never a mix, and a crash leaves one of them.
extension MetadataStore {
    /// Copies the live metadata to a new database file at `path` (which must not exist), while
    /// holding the writer, and hands the blob IDs the copy refers to to `pin` before the
    /// writer is released: a deletion that commits after the copy finds them pinned.
    public func saveCopy(to path: String, pin: @escaping @Sendable (Set<String>) -> Void) async throws -> Set<String> {
        try await database.writeWithoutTransaction { db in
            var config = Configuration()
            config.journalMode = .default
            // A new file under a temporary name: it needs no rollback journal, and without
            // --fsync no sync either (a process crash leaves the page cache whole; the rename
            // publishes it). With --fsync the copy is synced before it is renamed.
            let synchronous = self.durable ? "FULL" : "OFF"
            config.prepareDatabase { db in
                try db.execute(sql: "PRAGMA journal_mode = OFF; PRAGMA synchronous = \(synchronous)")
            }
            let copy = try DatabaseQueue(path: path, configuration: config)
            try copy.writeWithoutTransaction { dest in
                try db.backup(to: dest)
                // The copied header says WAL; one self-contained file is what gets renamed.
                try dest.execute(sql: "PRAGMA journal_mode = DELETE")
            }
            try copy.close()
            let blobs = Set(try String.fetchAll(db, sql: Self.allBlobsSQL))
            pin(blobs)
            return blobs
        }
    }

    /// Replaces the whole live metadata by the database at `path` (a snapshot, or a seed's
    /// staging database), in one transaction. Returns the blob IDs referred to before and after.
    /// `whileLocked` runs after the copy, still holding the writer, with the new state's
    /// server-wide settings `kinds` (account "" and region ""; the clock's offset, the inventory
    /// schedule's day), so the caller
    /// can adopt it before anyone writes.
    public func replaceContents(
        from path: String, settingKinds kinds: [String], whileLocked: @escaping @Sendable ([String: String]) -> Void
    ) async throws -> (old: Set<String>, new: Set<String>) {
        defer { invalidateCaches() }
        // A snapshot saved by an older version is brought to the current schema first. Its
        // pages are read through a memory map: no read(2) per 4 KiB page.
        var config = Configuration()
        config.prepareDatabase { db in try db.execute(sql: "PRAGMA mmap_size = 1073741824") }
        let source = try DatabaseQueue(path: path, configuration: config)
        try Self.migrator.migrate(source)
        let result = try await database.writeWithoutTransaction { db in
            let old = Set(try String.fetchAll(db, sql: Self.allBlobsSQL))
            // The copy's pages go to the WAL; copying them on into the database file (the
            // checkpoint SQLite would run at this commit, with its syncs) is left to
            // `checkpointSoon`, off the restore's path.
            try db.execute(sql: "PRAGMA wal_autocheckpoint = 0")
            defer { try? db.execute(sql: "PRAGMA wal_autocheckpoint = 1000") }
            try source.read { src in try src.backup(to: db) }
            let new = Set(try String.fetchAll(db, sql: Self.allBlobsSQL))
            var settings: [String: String] = [:]
            for kind in kinds {
                settings[kind] = try String.fetchOne(
                    db, sql: "SELECT value FROM account_settings WHERE account_id = '' AND region = '' AND kind = ?", arguments: [kind])
            }
            whileLocked(settings)
            return (old: old, new: new)
        }
        try source.close()
        checkpointSoon()
        return result
    }

    /// A passive checkpoint on a connection of its own, in the background: it copies the WAL's
    /// pages into the database file without blocking readers or the writer (a commit that
    /// meanwhile finds the WAL long runs its own, as always).
    func checkpointSoon() {
        let path = self.path
        Task.detached(priority: .utility) {
            guard let queue = try? DatabaseQueue(path: path) else { return }
            _ = try? queue.writeWithoutTransaction { db in try db.checkpoint(.passive) }
            try? queue.close()
        }
    }

    /// Runs `body` while holding the writer: no transaction commits meanwhile.
    public func exclusively<T: Sendable>(_ body: @escaping @Sendable () throws -> T) async throws -> T {
        try await database.writeWithoutTransaction { _ in try body() }
    }

    /// Of `candidates`, hands to `remove` those no part, archive segment or job output of the
    /// live state refers to, holding the writer meanwhile (so no restore makes one live again).
    public func removeUnreferenced(_ candidates: [String], remove: (String) -> Void) throws {
        guard !candidates.isEmpty else { return }
        try database.writeWithoutTransaction { db in
            for id in try Self.unreferenced(db, candidates) { remove(id) }
        }
    }

    /// The blob IDs the metadata database at `path` refers to (a snapshot file).
    public static func blobIDs(ofDatabaseAt path: String) throws -> Set<String> {
        let queue = try DatabaseQueue(path: path, configuration: readOnly())
        defer { try? queue.close() }
        return try queue.read { db in Set(try String.fetchAll(db, sql: allBlobsSQL)) }
    }

    public struct SnapshotSummary: Sendable {
        public let vaults: Int64
        public let archives: Int64
        public let archiveBytes: Int64
        public let uploads: Int64
        public let jobs: Int64
        /// Bytes of the distinct blob files it refers to (shared, not copied).
        public let blobBytes: Int64
        public let blobs: Int64
    }

    /// Counts of what a snapshot file holds, for GET /_mock/snapshots.
    public static func summary(ofDatabaseAt path: String) throws -> SnapshotSummary {
        let queue = try DatabaseQueue(path: path, configuration: readOnly())
        defer { try? queue.close() }
        return try queue.read { db in
            let row = try Row.fetchOne(db, sql: """
                SELECT (SELECT count(*) FROM vaults) AS v, (SELECT count(*) FROM archives) AS a,
                       (SELECT coalesce(sum(size), 0) FROM archives) AS ab, (SELECT count(*) FROM uploads) AS u,
                       (SELECT count(*) FROM jobs) AS j,
                       (SELECT count(*) FROM (SELECT blob_id FROM parts UNION SELECT blob_id FROM archive_segments
                                               UNION SELECT blob_id FROM job_segments)) AS b,
                       (SELECT coalesce(sum(length), 0) FROM (
                            SELECT blob_id, max(length) AS length FROM (
                                SELECT blob_id, length FROM parts UNION ALL SELECT blob_id, length FROM archive_segments
                                UNION ALL SELECT blob_id, length FROM job_segments) GROUP BY blob_id)) AS bb
                """)!
            return SnapshotSummary(
                vaults: row["v"], archives: row["a"], archiveBytes: row["ab"], uploads: row["u"], jobs: row["j"],
                blobBytes: row["bb"], blobs: row["b"])
        }
    }

    private static func readOnly() -> Configuration {
        var config = Configuration()
        config.readonly = true
        return config
    }

    /// True when the metadata holds anything a client made: a vault, an account setting
    /// (retrieval policy, provisioned capacity) or a notification. The clock's offset alone
    /// (account "") is not state a seed would overwrite.
    public func holdsState() async throws -> Bool {
        try await database.read { db in
            try Bool.fetchOne(db, sql: """
                SELECT EXISTS (SELECT 1 FROM vaults) OR EXISTS (SELECT 1 FROM account_settings WHERE account_id != '')
                    OR EXISTS (SELECT 1 FROM notifications)
                """) ?? false
        }
    }

    // MARK: Seeding

    /// Dates a seed sets that the operations would set to "now".
    public enum SeedDate: Sendable {
        case vaultCreation(VaultKey)
        case archiveCreation(archiveID: String)
        case uploadCreation(uploadID: String)
        case lastInventory(VaultKey)
        /// When a pending job completes by itself.
        case jobCompletesAt(jobID: String)
    }

    public func setSeedDate(_ which: SeedDate, _ value: Milliseconds) async throws {
        try await write { db in
            switch which {
            case .vaultCreation(let k):
                try db.execute(
                    sql: "UPDATE vaults SET creation_date = ? WHERE account_id = ? AND region = ? AND name = ?",
                    arguments: [value, k.accountID, k.region, k.name])
            case .archiveCreation(let id):
                try db.execute(sql: "UPDATE archives SET creation_date = ? WHERE id = ?", arguments: [value, id])
            case .uploadCreation(let id):
                try db.execute(sql: "UPDATE uploads SET creation_date = ? WHERE id = ?", arguments: [value, id])
            case .lastInventory(let k):
                try db.execute(
                    sql: "UPDATE vaults SET last_inventory_date = ? WHERE account_id = ? AND region = ? AND name = ?",
                    arguments: [value, k.accountID, k.region, k.name])
            case .jobCompletesAt(let id):
                try db.execute(sql: "UPDATE jobs SET completes_at = ? WHERE id = ? AND completed_at IS NULL", arguments: [value, id])
            }
        }
    }

    /// Inserts archives whose bytes are already published blobs (one segment each), in one
    /// transaction, updating the vault's counters as uploads do. False when a vault does not exist.
    public func insertSeedArchives(_ archives: [(ArchiveRow, blobID: String)]) async throws -> Bool {
        try await write { db in
            for (archive, blobID) in archives {
                guard try Self.fetchVault(db, archive.vault) != nil else { return false }
                try Self.insertArchive(db, archive)
                try db.cachedStatement(
                    sql: "INSERT INTO archive_segments (archive_id, seq, blob_id, length, tree_hash) VALUES (?, 0, ?, ?, ?)").execute(
                    arguments: [archive.id, blobID, archive.size, archive.treeHash])
            }
            return true
        }
    }

    // MARK: Export

    /// Everything `glacier-mock export` writes, read in one transaction.
    public struct ExportRows: Sendable {
        public var vaults: [VaultRow] = []
        /// (vault, kind, value)
        public var vaultSettings: [(VaultKey, String, String)] = []
        /// (account, region, kind, value)
        public var accountSettings: [(String, String, String, String)] = []
        public var archives: [ArchiveRow] = []
        public var segments: [String: [ArchiveSegmentRow]] = [:]
        public var uploads: [UploadRow] = []
        public var parts: [String: [PartRow]] = [:]
        public var jobs: [JobRow] = []
        public var clockOffset: String?
    }

    public func exportRows() async throws -> ExportRows {
        try await database.read { db in
            var out = ExportRows()
            out.vaults = try Row.fetchAll(db, sql: "SELECT * FROM vaults ORDER BY account_id, region, name").map(Self.vaultRow)
            out.vaultSettings = try Row.fetchAll(db, sql: "SELECT * FROM vault_settings ORDER BY account_id, region, vault_name, kind").map {
                (VaultKey(accountID: $0["account_id"], region: $0["region"], name: $0["vault_name"]), $0["kind"], $0["value"])
            }
            out.accountSettings = try Row.fetchAll(db, sql: "SELECT * FROM account_settings ORDER BY account_id, region, kind").map {
                ($0["account_id"], $0["region"], $0["kind"], $0["value"])
            }
            out.archives = try Row.fetchAll(db, sql: "SELECT * FROM archives ORDER BY rowid").map(Self.archiveRow)
            for r in try Row.fetchAll(db, sql: "SELECT * FROM archive_segments ORDER BY archive_id, seq") {
                out.segments[r["archive_id"], default: []].append(
                    ArchiveSegmentRow(archiveID: r["archive_id"], seq: r["seq"], blobID: r["blob_id"], length: r["length"], treeHash: r["tree_hash"]))
            }
            out.uploads = try Row.fetchAll(db, sql: "SELECT * FROM uploads ORDER BY seq").map {
                UploadRow(
                    id: $0["id"], vault: VaultKey(accountID: $0["account_id"], region: $0["region"], name: $0["vault_name"]),
                    description: $0["description"], partSize: $0["part_size"], creationDate: $0["creation_date"])
            }
            for r in try Row.fetchAll(db, sql: "SELECT * FROM parts ORDER BY upload_id, range_start") {
                out.parts[r["upload_id"], default: []].append(
                    PartRow(uploadID: r["upload_id"], rangeStart: r["range_start"], length: r["length"], treeHash: r["tree_hash"], blobID: r["blob_id"]))
            }
            out.jobs = try Row.fetchAll(db, sql: "SELECT * FROM jobs ORDER BY seq").map {
                JobRow(
                    id: $0["id"], vault: VaultKey(accountID: $0["account_id"], region: $0["region"], name: $0["vault_name"]),
                    document: $0["document"], completesAt: $0["completes_at"], completedAt: $0["completed_at"])
            }
            return out
        }
    }
}
