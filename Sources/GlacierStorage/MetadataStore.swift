import GRDB
import Synchronization

/// Glacier metadata in SQLite (WAL mode) through GRDB: vaults, in-progress uploads and
/// their parts, archives and the blob segments that hold their bytes.
///
/// Every method is one transaction. Writes are serialised by SQLite, which is what makes
/// racing requests safe: two CompleteMultipartUpload calls for one upload produce one
/// archive, because the second transaction no longer finds the upload — it finds the
/// completion the first one recorded instead, and answers with the same archive.
public final class MetadataStore: Sendable {
    public let path: String
    /// `--fsync`: commits (and snapshot copies) reach the disk before they count.
    let durable: Bool
    private let pool: DatabasePool
    /// The connection of `readNow`: read-only, never lent to an asynchronous read.
    private let syncReader: DatabaseQueue

    /// Called when a write transaction fails for a full disk (SQLITE_FULL); true when it freed
    /// space (the blob store's spare files), and the transaction is then tried once more.
    private let reclaimSpace: (@Sendable () -> Bool)?
    /// Called too when the failed transaction is one that gives space back (a deletion): frees
    /// the blob store's space reserve, kept so that such a commit gets through on a full disk.
    private let releaseReserve: (@Sendable () -> Bool)?

    /// `durable`: synchronous=FULL, so a commit is on disk before it returns (`--fsync`).
    /// `reclaimSpace`, `releaseReserve`: see the properties.
    public init(
        path: String, durable: Bool = false, reclaimSpace: (@Sendable () -> Bool)? = nil,
        releaseReserve: (@Sendable () -> Bool)? = nil
    ) throws {
        self.path = path
        self.durable = durable
        self.reclaimSpace = reclaimSpace
        self.releaseReserve = releaseReserve
        var config = Configuration()
        config.busyMode = .timeout(10)
        config.prepareDatabase { db in
            // WAL + synchronous=NORMAL: a committed transaction survives a process crash;
            // only a power loss may lose the last transactions (see docs/durability.md).
            // FULL also syncs the WAL at every commit.
            try db.execute(sql: durable ? "PRAGMA synchronous = FULL" : "PRAGMA synchronous = NORMAL")
            try db.execute(sql: "PRAGMA foreign_keys = ON")
        }
        pool = try DatabasePool(path: path, configuration: config)
        try Self.migrator.migrate(pool)
        var readerConfig = Configuration()
        readerConfig.readonly = true
        readerConfig.busyMode = .timeout(10)
        syncReader = try DatabaseQueue(path: path, configuration: readerConfig)
    }

    // Extensions in other files of this module use the pool directly for reads that may be
    // long (inventories, job scans); writes go through `write`.
    var database: DatabasePool { pool }

    /// See `ReadCache`: hot point reads are answered from memory until the next write.
    let cache = ReadCache()
    private let changes = Atomic<UInt64>(0)
    /// Values derived from stored state (rendered responses), on the same terms; fewer, as
    /// they are larger (a 1,000-part ListParts is ~150 KB; 256 of them at most).
    let derived = ReadCache(capacity: 256)

    /// `make()`'s value, or the one it returned for `key` since the last write. `make` must
    /// depend only on stored metadata and on what `key` names.
    public func untilNextWrite<T: Sendable>(_ key: String, _ make: () async throws -> T) async rethrows -> T {
        try await derived.remembered(.derived(key), load: make)
    }

    /// Every write transaction goes through here, so that the read cache is invalidated
    /// after each commit (and after each failed attempt, which costs nothing).
    func write<T: Sendable>(freesSpace: Bool = false, _ updates: @escaping @Sendable (Database) throws -> T) async throws -> T {
        defer { invalidateCaches() }
        let counted: @Sendable (Database) throws -> T = { db in try self.countingChanges(db, updates) }
        do {
            return try await pool.write(counted)
        } catch where reclaimedSpace(after: error, freesSpace: freesSpace) {
            return try await pool.write(counted)
        }
    }

    /// Runs `updates`, and counts the transaction in `changeCount` when it changed a row.
    private func countingChanges<T>(_ db: Database, _ updates: (Database) throws -> T) throws -> T {
        let before = db.totalChangesCount
        let value = try updates(db)
        if db.totalChangesCount != before { changes.add(1, ordering: .relaxed) }
        return value
    }

    /// A short write transaction on the calling thread, for the one-row commits that end every
    /// upload request (a part, an archive): waiting here for the writer costs less than
    /// GRDB's asynchronous `write`, whose two thread switches are on every upload's path.
    func writeNow<T>(freesSpace: Bool = false, _ updates: (Database) throws -> T) throws -> T {
        defer { invalidateCaches() }
        do {
            return try pool.write { db in try countingChanges(db, updates) }
        } catch where reclaimedSpace(after: error, freesSpace: freesSpace) {
            return try pool.write { db in try countingChanges(db, updates) }
        }
    }

    /// True when `error` is a full disk and space was freed for one more try of the failed
    /// (rolled back) transaction: the spares (`reclaimSpace`), and for a transaction that
    /// `freesSpace` also the reserve (`releaseReserve`).
    private func reclaimedSpace(after error: Error, freesSpace: Bool) -> Bool {
        guard (error as? DatabaseError)?.resultCode == .SQLITE_FULL else { return false }
        let spares = reclaimSpace?() == true
        let reserve = freesSpace && releaseReserve?() == true
        return spares || reserve
    }

    func invalidateCaches() {
        cache.invalidate()
        derived.invalidate()
    }

    /// Write transactions since start that changed at least one row (one that then failed to
    /// commit included): the dashboard polls it to learn that what it shows may have changed.
    /// The ticker's transactions that find nothing to do are not counted.
    public var changeCount: UInt64 { changes.load(ordering: .relaxed) }

    /// A short read on the calling thread: for point lookups this costs less than the two
    /// thread switches of GRDB's asynchronous `read` (measured in bench/GAPS.md).
    ///
    /// It runs on its own read-only connection, not on one of the pool's readers: an
    /// asynchronous `read` holds its reader until its task resumes on an event loop, so event
    /// loops blocked here waiting for a pool reader deadlocked the server once a few
    /// inventories or listings were in flight (the soak test hung with both event loops in
    /// `Pool.get`). This connection is only ever held by synchronous code, so a wait for it ends.
    func readNow<T>(_ value: (Database) throws -> T) throws -> T {
        try syncReader.read(value)
    }

    static var migrator: DatabaseMigrator {
        var m = DatabaseMigrator()
        m.registerMigration("v1") { db in
            try db.execute(sql: """
                CREATE TABLE vaults (
                    account_id TEXT NOT NULL,
                    region TEXT NOT NULL,
                    name TEXT NOT NULL,
                    creation_date INTEGER NOT NULL,
                    last_inventory_date INTEGER,
                    number_of_archives INTEGER NOT NULL DEFAULT 0,
                    size_in_bytes INTEGER NOT NULL DEFAULT 0,
                    PRIMARY KEY (account_id, region, name)
                ) WITHOUT ROWID;
                CREATE TABLE uploads (
                    seq INTEGER PRIMARY KEY AUTOINCREMENT,
                    id TEXT NOT NULL UNIQUE,
                    account_id TEXT NOT NULL,
                    region TEXT NOT NULL,
                    vault_name TEXT NOT NULL,
                    description TEXT,
                    part_size INTEGER NOT NULL,
                    creation_date INTEGER NOT NULL,
                    FOREIGN KEY (account_id, region, vault_name) REFERENCES vaults(account_id, region, name) ON DELETE CASCADE
                );
                CREATE INDEX uploads_by_vault ON uploads(account_id, region, vault_name, seq);
                CREATE TABLE parts (
                    upload_id TEXT NOT NULL REFERENCES uploads(id) ON DELETE CASCADE,
                    range_start INTEGER NOT NULL,
                    length INTEGER NOT NULL,
                    tree_hash TEXT NOT NULL,
                    blob_id TEXT NOT NULL,
                    PRIMARY KEY (upload_id, range_start)
                ) WITHOUT ROWID;
                CREATE TABLE archives (
                    id TEXT PRIMARY KEY NOT NULL,
                    account_id TEXT NOT NULL,
                    region TEXT NOT NULL,
                    vault_name TEXT NOT NULL,
                    description TEXT,
                    creation_date INTEGER NOT NULL,
                    size INTEGER NOT NULL,
                    tree_hash TEXT NOT NULL,
                    FOREIGN KEY (account_id, region, vault_name) REFERENCES vaults(account_id, region, name)
                );
                CREATE INDEX archives_by_vault ON archives(account_id, region, vault_name, creation_date);
                CREATE TABLE archive_segments (
                    archive_id TEXT NOT NULL REFERENCES archives(id) ON DELETE CASCADE,
                    seq INTEGER NOT NULL,
                    blob_id TEXT NOT NULL,
                    length INTEGER NOT NULL,
                    tree_hash TEXT NOT NULL,
                    PRIMARY KEY (archive_id, seq)
                ) WITHOUT ROWID;
                """)
        }
        m.registerMigration("v2-jobs-and-settings") { db in
            try db.execute(sql: """
                CREATE TABLE jobs (
                    seq INTEGER PRIMARY KEY AUTOINCREMENT,
                    id TEXT NOT NULL UNIQUE,
                    account_id TEXT NOT NULL,
                    region TEXT NOT NULL,
                    vault_name TEXT NOT NULL,
                    document TEXT NOT NULL,
                    completes_at INTEGER NOT NULL,
                    completed_at INTEGER,
                    FOREIGN KEY (account_id, region, vault_name) REFERENCES vaults(account_id, region, name) ON DELETE CASCADE
                );
                CREATE INDEX jobs_by_vault ON jobs(account_id, region, vault_name, seq);
                CREATE INDEX jobs_pending ON jobs(completed_at, completes_at);
                CREATE TABLE job_segments (
                    job_id TEXT NOT NULL REFERENCES jobs(id) ON DELETE CASCADE,
                    seq INTEGER NOT NULL,
                    blob_id TEXT NOT NULL,
                    length INTEGER NOT NULL,
                    tree_hash TEXT NOT NULL,
                    PRIMARY KEY (job_id, seq)
                ) WITHOUT ROWID;
                CREATE TABLE vault_settings (
                    account_id TEXT NOT NULL,
                    region TEXT NOT NULL,
                    vault_name TEXT NOT NULL,
                    kind TEXT NOT NULL,
                    value TEXT NOT NULL,
                    PRIMARY KEY (account_id, region, vault_name, kind),
                    FOREIGN KEY (account_id, region, vault_name) REFERENCES vaults(account_id, region, name) ON DELETE CASCADE
                ) WITHOUT ROWID;
                CREATE TABLE account_settings (
                    account_id TEXT NOT NULL,
                    region TEXT NOT NULL,
                    kind TEXT NOT NULL,
                    value TEXT NOT NULL,
                    PRIMARY KEY (account_id, region, kind)
                ) WITHOUT ROWID;
                CREATE TABLE retrievals (
                    account_id TEXT NOT NULL,
                    region TEXT NOT NULL,
                    at INTEGER NOT NULL,
                    bytes INTEGER NOT NULL
                );
                CREATE TABLE notifications (
                    seq INTEGER PRIMARY KEY AUTOINCREMENT,
                    topic TEXT NOT NULL,
                    message TEXT NOT NULL,
                    created INTEGER NOT NULL,
                    delivery TEXT NOT NULL
                );
                """)
        }
        m.registerMigration("v3-blob-and-retrieval-indexes") { db in
            // Without these, every DeleteArchive, replaced part, aborted upload and expired
            // job scanned all parts, segments and job outputs to learn whether a blob was
            // still referenced (3.2 ms per DeleteArchive with 30,000 archives stored), and
            // each retrieval-limit check scanned every retrieval ever recorded.
            try db.execute(sql: """
                CREATE INDEX parts_by_blob ON parts(blob_id);
                CREATE INDEX archive_segments_by_blob ON archive_segments(blob_id);
                CREATE INDEX job_segments_by_blob ON job_segments(blob_id);
                CREATE INDEX retrievals_by_account ON retrievals(account_id, region, at);
                """)
        }
        m.registerMigration("v4-tombstones") { db in
            // What a repeated DeleteArchive, CompleteMultipartUpload or AbortMultipartUpload
            // needs to answer as Glacier does (each operation is documented as idempotent):
            // see MetadataStore+Tombstones.swift. Keyed by vault first, so deleting a vault
            // cascades through the primary key, and a row is found only in its own vault.
            try db.execute(sql: """
                CREATE TABLE deleted_archives (
                    account_id TEXT NOT NULL,
                    region TEXT NOT NULL,
                    vault_name TEXT NOT NULL,
                    id TEXT NOT NULL,
                    deleted_at INTEGER NOT NULL,
                    PRIMARY KEY (account_id, region, vault_name, id),
                    FOREIGN KEY (account_id, region, vault_name) REFERENCES vaults(account_id, region, name) ON DELETE CASCADE
                ) WITHOUT ROWID;
                CREATE TABLE completed_uploads (
                    account_id TEXT NOT NULL,
                    region TEXT NOT NULL,
                    vault_name TEXT NOT NULL,
                    id TEXT NOT NULL,
                    archive_id TEXT NOT NULL,
                    size INTEGER NOT NULL,
                    tree_hash TEXT NOT NULL,
                    completed_at INTEGER NOT NULL,
                    PRIMARY KEY (account_id, region, vault_name, id),
                    FOREIGN KEY (account_id, region, vault_name) REFERENCES vaults(account_id, region, name) ON DELETE CASCADE
                ) WITHOUT ROWID;
                CREATE INDEX completed_uploads_by_time ON completed_uploads(completed_at);
                CREATE TABLE aborted_uploads (
                    account_id TEXT NOT NULL,
                    region TEXT NOT NULL,
                    vault_name TEXT NOT NULL,
                    id TEXT NOT NULL,
                    aborted_at INTEGER NOT NULL,
                    PRIMARY KEY (account_id, region, vault_name, id),
                    FOREIGN KEY (account_id, region, vault_name) REFERENCES vaults(account_id, region, name) ON DELETE CASCADE
                ) WITHOUT ROWID;
                CREATE INDEX aborted_uploads_by_time ON aborted_uploads(aborted_at);
                """)
        }
        m.registerMigration("v5-marker-positions") { db in
            // A listing's marker is the ID of the first item of the next page; when that item
            // is gone by the time the page is asked for, these give its place in the listing
            // (see "Markers of items that are gone" in MetadataStore+Tombstones.swift):
            // `position` is the removed row's `uploads.seq`, `archives.rowid` or `jobs.seq`.
            // NULL in the rows written before this migration: those cannot be placed.
            // Jobs had no tombstone: `expired_jobs` records the jobs the ticker deletes.
            // `archives` has no AUTOINCREMENT key, so SQLite would give a new archive the rowid
            // of the newest one if that was deleted — a place before a deleted marker's, where
            // the paging client would miss it. `vaults.archive_rowid_floor` holds the largest
            // rowid an archive of the vault had when it was deleted; a new archive's rowid is
            // above it and every live one. (A column of the vault row, which DeleteArchive
            // updates anyway: a further table would cost every DeleteArchive one more page,
            // and on a full disk the delete that is to free space no longer commits.)
            try db.execute(sql: """
                ALTER TABLE deleted_archives ADD COLUMN position INTEGER;
                ALTER TABLE completed_uploads ADD COLUMN position INTEGER;
                ALTER TABLE aborted_uploads ADD COLUMN position INTEGER;
                CREATE TABLE expired_jobs (
                    account_id TEXT NOT NULL,
                    region TEXT NOT NULL,
                    vault_name TEXT NOT NULL,
                    id TEXT NOT NULL,
                    position INTEGER NOT NULL,
                    deleted_at INTEGER NOT NULL,
                    PRIMARY KEY (account_id, region, vault_name, id),
                    FOREIGN KEY (account_id, region, vault_name) REFERENCES vaults(account_id, region, name) ON DELETE CASCADE
                ) WITHOUT ROWID;
                CREATE INDEX expired_jobs_by_time ON expired_jobs(deleted_at);
                ALTER TABLE vaults ADD COLUMN archive_rowid_floor INTEGER NOT NULL DEFAULT 0;
                """)
        }
        registerInventoryMigration(&m)
        m.registerMigration("v7-dashboard-archive-orders") { db in
            // The dashboard pages a vault's archives by creation date or by size; without an
            // index for each order a page of a large vault would sort every archive of the vault
            // (v6 dropped the index by creation date, whose only use then was inventories).
            try db.execute(sql: """
                CREATE INDEX archives_by_vault_date ON archives(account_id, region, vault_name, creation_date);
                CREATE INDEX archives_by_vault_size ON archives(account_id, region, vault_name, size);
                """)
        }
        return m
    }

    /// The statements whose cost must not grow with the store, each with sample arguments:
    /// a test checks that SQLite answers every one from an index, never by a full scan.
    static let statementsThatMustUseIndexes: [(sql: String, arguments: StatementArguments)] = [
        (unreferencedSQL, ["blob"]),
        (retrievedBytesSQL, ["123456789012", "us-east-1", 0]),
        (wasDeletedSQL, ["archive", "123456789012", "us-east-1", "v"]),
        (completedUploadSQL, ["upload", "123456789012", "us-east-1", "v", 0]),
        (wasAbortedSQL, ["upload", "123456789012", "us-east-1", "v", 0]),
        (expireCompletedSQL, [0]),
        (expireAbortedSQL, [0]),
        (goneUploadPositionSQL, ["upload", "123456789012", "us-east-1", "v", 0]),
        (deletedArchivePositionSQL, ["archive", "123456789012", "us-east-1", "v"]),
        (expiredJobPositionSQL, ["job", "123456789012", "us-east-1", "v", 0]),
        (recordExpiredJobsSQL, [0, 0]),
        (expireExpiredJobsSQL, [0]),
        (insertArchiveSQL, ["archive", "123456789012", "us-east-1", "v", nil, 0, 1, "h"]),
        (deleteVaultSQL, ["123456789012", "us-east-1", "v"]),
        (keepInSnapshotSQL, ["123456789012", "us-east-1", "v", 1, "archive", nil, 0, 1, "h"]),
        (inventoryArchivesSQL, ["123456789012", "us-east-1", "v", 0, 1, 0, 1]),
        (inventoryGoneSQL, ["123456789012", "us-east-1", "v", 0, 0, 1]),
        (archivePageSQL(.date, descending: true), ["123456789012", "us-east-1", "v", 50, 0]),
        (archivePageSQL(.size, descending: false), ["123456789012", "us-east-1", "v", 50, 0]),
    ]

    // MARK: Vaults

    /// Creates the vault unless it exists (CreateVault is idempotent).
    /// Creates the vault unless it exists (CreateVault is idempotent). Returns false, creating
    /// nothing, when it does not exist and its account already has `limit` vaults in its region.
    @discardableResult
    public func createVault(_ key: VaultKey, now: Milliseconds, limit: Int = .max) async throws -> Bool {
        try await write { db in
            guard try Self.fetchVault(db, key) == nil else { return true }
            let count = try Int.fetchOne(
                db.cachedStatement(sql: "SELECT count(*) FROM vaults WHERE account_id = ? AND region = ?"),
                arguments: [key.accountID, key.region]) ?? 0
            guard count < limit else { return false }
            try db.cachedStatement(
                sql: "INSERT INTO vaults (account_id, region, name, creation_date) VALUES (?, ?, ?, ?)").execute(
                arguments: [key.accountID, key.region, key.name, now])
            return true
        }
    }

    public func vault(_ key: VaultKey) async throws -> VaultRow? {
        try cache.value(.vault(key)) { try readNow { db in try Self.fetchVault(db, key) } }
    }

    /// Vaults of one (account, region), ordered by name, from `fromName` (inclusive) on.
    public func vaults(accountID: String, region: String, fromName: String?, limit: Int) async throws -> [VaultRow] {
        try await pool.read { db in
            let rows = try Row.fetchAll(
                db.cachedStatement(sql: """
                    SELECT * FROM vaults WHERE account_id = ? AND region = ? AND name >= ?
                    ORDER BY name LIMIT ?
                    """),
                arguments: [accountID, region, fromName ?? "", limit])
            return rows.map(Self.vaultRow)
        }
    }

    public enum DeleteVaultResult: Sendable, Equatable {
        case notFound
        case notEmpty(archives: Int64)
        /// Under the inventory rule: the last inventory counted `archives`, and `writes`
        /// archives were added or deleted since it (nil date: no inventory yet).
        case notEmptyOrRecentlyWritten(archives: Int64, writes: Int64, inventoryDate: Milliseconds?)
        /// Deleted; these blob files belonged to its in-progress uploads and can go.
        case deleted(orphanedBlobs: [String])
    }

    /// Deletes the vault; its uploads, jobs, settings and tombstones go with it (ON DELETE CASCADE).
    static let deleteVaultSQL = "DELETE FROM vaults WHERE account_id = ? AND region = ? AND name = ?"

    /// Deletes a vault that holds no archives, with its in-progress uploads, in one transaction.
    /// The IDs of its deleted archives and finished uploads are forgotten with it.
    /// `byInventory`: Glacier's rule, "no archives in the vault as of the last inventory and
    /// there have been no writes to the vault since the last inventory" (Deleting a Vault);
    /// otherwise the live count decides.
    public func deleteVault(_ key: VaultKey, byInventory: Bool = false) async throws -> DeleteVaultResult {
        try await write(freesSpace: true) { db in
            guard let vault = try Self.fetchVault(db, key) else { return .notFound }
            if byInventory {
                if vault.inventoryArchives > 0 || vault.writesSinceInventory > 0 || vault.numberOfArchives > 0 {
                    return .notEmptyOrRecentlyWritten(
                        archives: vault.inventoryArchives, writes: vault.writesSinceInventory, inventoryDate: vault.lastInventoryDate)
                }
            } else if vault.numberOfArchives > 0 {
                return .notEmpty(archives: vault.numberOfArchives)
            }
            // Blob files of its in-progress uploads and of its jobs' outputs go with the vault.
            let blobs = try String.fetchAll(
                db.cachedStatement(sql: """
                    SELECT p.blob_id FROM parts p JOIN uploads u ON p.upload_id = u.id
                    WHERE u.account_id = ?1 AND u.region = ?2 AND u.vault_name = ?3
                    UNION ALL
                    SELECT s.blob_id FROM job_segments s JOIN jobs j ON s.job_id = j.id
                    WHERE j.account_id = ?1 AND j.region = ?2 AND j.vault_name = ?3
                    """),
                arguments: [key.accountID, key.region, key.name])
            try db.cachedStatement(sql: Self.deleteVaultSQL).execute(arguments: [key.accountID, key.region, key.name])
            return .deleted(orphanedBlobs: try Self.unreferenced(db, blobs))
        }
    }

    // MARK: Multipart uploads

    /// Records a new upload; false when its vault does not exist (checked in the same transaction).
    public func createUpload(_ upload: UploadRow) async throws -> Bool {
        try await write { db in
            guard try Self.fetchVault(db, upload.vault) != nil else { return false }
            try db.cachedStatement(sql: """
                    INSERT INTO uploads (id, account_id, region, vault_name, description, part_size, creation_date)
                    VALUES (?, ?, ?, ?, ?, ?, ?)
                    """).execute(
                arguments: [
                    upload.id, upload.vault.accountID, upload.vault.region, upload.vault.name,
                    upload.description, upload.partSize, upload.creationDate,
                ])
            return true
        }
    }

    /// The upload with this ID, only if it belongs to `vault`.
    public func upload(id: String, in vault: VaultKey) async throws -> UploadRow? {
        try cache.value(.upload(id, vault)) { try readNow { db in try Self.fetchUpload(db, id: id, vault: vault) } }
    }

    /// Uploads of a vault in creation order, from the upload `fromID` (inclusive) on.
    /// `fromID` may also name an upload of this vault completed or aborted within
    /// `repeatWindow` before `now`: the list then goes on from the place it had (see
    /// "Markers of items that are gone", MetadataStore+Tombstones.swift).
    /// Returns nil when `fromID` can be placed neither way.
    public func uploads(in vault: VaultKey, fromID: String?, limit: Int, now: Milliseconds) async throws -> [UploadRow]? {
        try await pool.read { db in
            var fromSeq: Int64 = 0
            if let fromID {
                guard let seq = try Self.uploadSeq(db, id: fromID, vault: vault)
                    ?? Self.goneUploadPosition(db, id: fromID, in: vault, now: now)
                else { return nil }
                fromSeq = seq
            }
            let rows = try Row.fetchAll(
                db.cachedStatement(sql: """
                    SELECT * FROM uploads WHERE account_id = ? AND region = ? AND vault_name = ? AND seq >= ?
                    ORDER BY seq LIMIT ?
                    """),
                arguments: [vault.accountID, vault.region, vault.name, fromSeq, limit])
            return rows.map(Self.uploadRow)
        }
    }

    public enum PutPartResult: Sendable, Equatable {
        /// Stored; `replacedBlob` held the earlier data for the same range and can go.
        case stored(replacedBlob: String?)
        /// The upload was completed, aborted or its vault deleted meanwhile.
        case uploadGone
        /// Storing this part would exceed `maxParts` distinct parts.
        case tooManyParts
    }

    /// Makes a part visible (insert or replace the row for its range) in one transaction.
    public func putPart(_ part: PartRow, vault: VaultKey, maxParts: Int) async throws -> PutPartResult {
        try writeNow { db in
            guard try Self.fetchUpload(db, id: part.uploadID, vault: vault) != nil else { return .uploadGone }
            let previous = try String.fetchOne(
                db.cachedStatement(sql: "SELECT blob_id FROM parts WHERE upload_id = ? AND range_start = ?"),
                arguments: [part.uploadID, part.rangeStart])
            if previous == nil {
                let count = try Int.fetchOne(
                    db.cachedStatement(sql: "SELECT COUNT(*) FROM parts WHERE upload_id = ?"), arguments: [part.uploadID]) ?? 0
                if count >= maxParts { return .tooManyParts }
            }
            try db.cachedStatement(sql: """
                    INSERT OR REPLACE INTO parts (upload_id, range_start, length, tree_hash, blob_id)
                    VALUES (?, ?, ?, ?, ?)
                    """).execute(
                arguments: [part.uploadID, part.rangeStart, part.length, part.treeHash, part.blobID])
            return .stored(replacedBlob: previous)
        }
    }

    /// Parts of an upload ordered by range, starting at `fromStart`, at most `limit`.
    public func parts(uploadID: String, fromStart: Int64, limit: Int) async throws -> [PartRow] {
        try cache.value(.parts(uploadID, from: fromStart, limit: limit)) {
            try readNow { db in
                try Row.fetchAll(
                    db.cachedStatement(sql: "SELECT * FROM parts WHERE upload_id = ? AND range_start >= ? ORDER BY range_start LIMIT ?"),
                    arguments: [uploadID, fromStart, limit]
                ).map(Self.partRow)
            }
        }
    }

    public enum AbortResult: Sendable, Equatable {
        /// Deleted with its parts; these blob files held the parts and can go.
        case aborted(orphanedBlobs: [String])
        /// This vault's upload was aborted within `repeatWindow` (Glacier: "aborting an
        /// already-aborted upload will succeed, for a short time").
        case alreadyAborted
        /// No such upload in progress in this vault, nor one aborted within `repeatWindow`
        /// (a completed upload is one of these: "Aborting a completed upload fails").
        case notFound
    }

    /// AbortMultipartUpload: deletes an upload and its parts, and records the abort (with
    /// `now`) in the same transaction, so that a repeated abort succeeds for `repeatWindow`.
    public func abortUpload(id: String, in vault: VaultKey, now: Milliseconds) async throws -> AbortResult {
        try await write(freesSpace: true) { db in
            guard let place = try Self.uploadSeq(db, id: id, vault: vault) else {
                return try Self.wasAborted(db, uploadID: id, in: vault, now: now) ? .alreadyAborted : .notFound
            }
            let blobs = try String.fetchAll(db.cachedStatement(sql: "SELECT blob_id FROM parts WHERE upload_id = ?"), arguments: [id])
            try db.cachedStatement(sql: "DELETE FROM uploads WHERE id = ?").execute(arguments: [id])
            try Self.recordAbort(db, uploadID: id, in: vault, position: place, now: now)
            return .aborted(orphanedBlobs: blobs)
        }
    }

    public enum CompleteResult: Sendable, Equatable {
        case uploadNotFound
        case completed(ArchiveRow)
        /// The upload was completed within `repeatWindow`: what that completion made. Nothing
        /// changed, and the check did not run; whether the repeated request declared the same
        /// size and tree hash is the caller's to judge.
        case alreadyCompleted(CompletedUploadRow)
    }

    /// Turns an upload's parts into an archive in one transaction.
    ///
    /// `check` sees the upload and all its parts (ordered by range) inside the transaction
    /// and either throws — nothing changes, the upload stays usable — or returns the new
    /// archive's size and tree hash. The parts' blob files become the archive's segments.
    /// The same transaction records the completion, so that a repeated Complete — a retry,
    /// or the loser of two racing ones — finds it for `repeatWindow` (`alreadyCompleted`).
    public func completeUpload(
        id: String, in vault: VaultKey, archiveID: String, now: Milliseconds,
        check: @escaping @Sendable (UploadRow, [PartRow]) throws -> (size: Int64, treeHash: String)
    ) async throws -> CompleteResult {
        try await write { db in
            guard let found = try Self.fetchUploadAndSeq(db, id: id, vault: vault) else {
                return try Self.completedUpload(db, id: id, in: vault, now: now).map { CompleteResult.alreadyCompleted($0) } ?? .uploadNotFound
            }
            let (upload, place) = found
            let parts = try Row.fetchAll(
                db.cachedStatement(sql: "SELECT * FROM parts WHERE upload_id = ? ORDER BY range_start"), arguments: [id]
            ).map(Self.partRow)
            let (size, treeHash) = try check(upload, parts)
            let archive = ArchiveRow(
                id: archiveID, vault: vault, description: upload.description,
                creationDate: now, size: size, treeHash: treeHash)
            try Self.insertArchive(db, archive)
            for (seq, part) in parts.enumerated() {
                try db.cachedStatement(
                    sql: "INSERT INTO archive_segments (archive_id, seq, blob_id, length, tree_hash) VALUES (?, ?, ?, ?, ?)").execute(
                    arguments: [archiveID, seq, part.blobID, part.length, part.treeHash])
            }
            try db.cachedStatement(sql: "DELETE FROM uploads WHERE id = ?").execute(arguments: [id])
            try Self.recordCompletion(
                db, CompletedUploadRow(uploadID: id, vault: vault, archiveID: archiveID, size: size, treeHash: treeHash, completedAt: now),
                position: place)
            return .completed(archive)
        }
    }

    // MARK: Archives

    public func archive(id: String, in vault: VaultKey) async throws -> ArchiveRow? {
        try readNow { db in
            try Row.fetchOne(
                db.cachedStatement(
                    sql: "SELECT * FROM archives WHERE id = ? AND account_id = ? AND region = ? AND vault_name = ?"),
                arguments: [id, vault.accountID, vault.region, vault.name]
            ).map(Self.archiveRow)
        }
    }

    public func segments(ofArchive id: String) async throws -> [ArchiveSegmentRow] {
        try await pool.read { db in
            try Row.fetchAll(
                db.cachedStatement(sql: "SELECT * FROM archive_segments WHERE archive_id = ? ORDER BY seq"), arguments: [id]
            ).map { ArchiveSegmentRow(archiveID: $0["archive_id"], seq: $0["seq"], blobID: $0["blob_id"], length: $0["length"], treeHash: $0["tree_hash"]) }
        }
    }

    // MARK: Whole-store operations

    /// Every blob ID the metadata refers to (parts, archive segments, job outputs).
    public func referencedBlobIDs() async throws -> Set<String> {
        try await pool.read { db in
            Set(try String.fetchAll(db, sql: Self.allBlobsSQL))
        }
    }

    static let allBlobsSQL = "SELECT blob_id FROM parts UNION ALL SELECT blob_id FROM archive_segments UNION ALL SELECT blob_id FROM job_segments"

    /// Of `candidates`, the blob IDs nothing refers to any more (safe to unlink).
    static func unreferenced(_ db: Database, _ candidates: [String]) throws -> [String] {
        try candidates.filter { id in
            try Bool.fetchOne(db.cachedStatement(sql: unreferencedSQL), arguments: [id]) == true
        }
    }

    /// True when no part, archive segment or job output refers to the blob `?1` (indexed).
    static let unreferencedSQL = """
        SELECT NOT EXISTS (SELECT 1 FROM parts WHERE blob_id = ?1)
           AND NOT EXISTS (SELECT 1 FROM archive_segments WHERE blob_id = ?1)
           AND NOT EXISTS (SELECT 1 FROM job_segments WHERE blob_id = ?1)
        """

    /// Drops all state (the admin reset), tombstones included. Returns the blob IDs that were referenced.
    public func reset() async throws -> [String] {
        try await write { db in
            let blobs = try String.fetchAll(db, sql: Self.allBlobsSQL)
            try db.execute(sql: """
                DELETE FROM job_segments; DELETE FROM jobs; DELETE FROM archive_segments; DELETE FROM archives;
                DELETE FROM parts; DELETE FROM uploads; DELETE FROM vault_settings; DELETE FROM vaults;
                DELETE FROM account_settings; DELETE FROM retrievals; DELETE FROM notifications;
                DELETE FROM deleted_archives; DELETE FROM completed_uploads; DELETE FROM aborted_uploads;
                DELETE FROM expired_jobs; DELETE FROM inventory_gone;
                """)
            return blobs
        }
    }

    // MARK: Row mapping

    static func insertArchive(_ db: Database, _ a: ArchiveRow) throws {
        try db.cachedStatement(sql: insertArchiveSQL).execute(
            arguments: [a.id, a.vault.accountID, a.vault.region, a.vault.name, a.description, a.creationDate, a.size, a.treeHash])
        // The live counters; Glacier shows them as of the last inventory, which copies them
        // (MetadataStore+Inventory.swift). An addition is a write since that inventory.
        try db.cachedStatement(sql: """
                UPDATE vaults SET number_of_archives = number_of_archives + 1, size_in_bytes = size_in_bytes + ?,
                \(countWriteSQL)
                WHERE account_id = ? AND region = ? AND name = ?
                """).execute(
            arguments: [a.size, a.vault.accountID, a.vault.region, a.vault.name])
    }

    /// The rowid is the archive's place in inventory order: after every archive stored, and
    /// every archive of its vault deleted, before it (never a deleted one's place again; see
    /// migration "v5-marker-positions").
    static let insertArchiveSQL = """
        INSERT INTO archives (rowid, id, account_id, region, vault_name, description, creation_date, size, tree_hash)
        VALUES (max(
            coalesce((SELECT max(rowid) FROM archives), 0),
            coalesce((SELECT archive_rowid_floor FROM vaults WHERE account_id = ?2 AND region = ?3 AND name = ?4), 0)) + 1,
            ?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)
        """

    static func fetchVault(_ db: Database, _ key: VaultKey) throws -> VaultRow? {
        try Row.fetchOne(
            db.cachedStatement(sql: "SELECT * FROM vaults WHERE account_id = ? AND region = ? AND name = ?"),
            arguments: [key.accountID, key.region, key.name]
        ).map(vaultRow)
    }

    private static func fetchUpload(_ db: Database, id: String, vault: VaultKey) throws -> UploadRow? {
        try fetchUploadAndSeq(db, id: id, vault: vault)?.0
    }

    /// The upload and its place in creation order (`uploads.seq`), only if it belongs to `vault`.
    private static func fetchUploadAndSeq(_ db: Database, id: String, vault: VaultKey) throws -> (UploadRow, Int64)? {
        try Row.fetchOne(
            db.cachedStatement(sql: "SELECT * FROM uploads WHERE id = ? AND account_id = ? AND region = ? AND vault_name = ?"),
            arguments: [id, vault.accountID, vault.region, vault.name]
        ).map { (uploadRow($0), $0["seq"] as Int64) }
    }

    /// The upload's place in creation order (`uploads.seq`), only if it belongs to `vault`.
    private static func uploadSeq(_ db: Database, id: String, vault: VaultKey) throws -> Int64? {
        try Int64.fetchOne(
            db.cachedStatement(sql: "SELECT seq FROM uploads WHERE id = ? AND account_id = ? AND region = ? AND vault_name = ?"),
            arguments: [id, vault.accountID, vault.region, vault.name])
    }

    static func vaultRow(_ r: Row) -> VaultRow {
        VaultRow(
            key: VaultKey(accountID: r["account_id"], region: r["region"], name: r["name"]),
            creationDate: r["creation_date"], lastInventoryDate: r["last_inventory_date"],
            numberOfArchives: r["number_of_archives"], sizeInBytes: r["size_in_bytes"],
            inventoryArchives: r["inventory_archives"], inventorySize: r["inventory_size"],
            inventoryRowID: r["inventory_rowid"], writesSinceInventory: r["inventory_writes"])
    }

    static func uploadRow(_ r: Row) -> UploadRow {
        UploadRow(
            id: r["id"], vault: VaultKey(accountID: r["account_id"], region: r["region"], name: r["vault_name"]),
            description: r["description"], partSize: r["part_size"], creationDate: r["creation_date"])
    }

    private static func partRow(_ r: Row) -> PartRow {
        PartRow(uploadID: r["upload_id"], rangeStart: r["range_start"], length: r["length"], treeHash: r["tree_hash"], blobID: r["blob_id"])
    }

    static func archiveRow(_ r: Row) -> ArchiveRow {
        ArchiveRow(
            id: r["id"], vault: VaultKey(accountID: r["account_id"], region: r["region"], name: r["vault_name"]),
            description: r["description"], creationDate: r["creation_date"], size: r["size"], treeHash: r["tree_hash"])
    }
}
