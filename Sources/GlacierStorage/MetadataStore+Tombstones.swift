import GRDB

/// A multipart upload that was completed: what a repeated CompleteMultipartUpload answers.
public struct CompletedUploadRow: Sendable, Equatable {
    public let uploadID: String
    public let vault: VaultKey
    public let archiveID: String
    public let size: Int64
    public let treeHash: String
    public let completedAt: Milliseconds

    public init(uploadID: String, vault: VaultKey, archiveID: String, size: Int64, treeHash: String, completedAt: Milliseconds) {
        self.uploadID = uploadID
        self.vault = vault
        self.archiveID = archiveID
        self.size = size
        self.treeHash = treeHash
        self.completedAt = completedAt
    }
}

/// Tombstones: what is left of an archive or upload that is gone, so that repeating the
/// request that removed it is answered as Glacier answers it. Each is written in the
/// transaction of the delete, complete or abort it records; none is ever listed, counted,
/// inventoried or verified, and none holds a blob. All of a vault's go with the vault.
///
/// - `deleted_archives`: "Attempting to delete an already-deleted archive does not result in
///   an error" (Delete Archive) — kept as long as the vault, since the rule has no time limit.
/// - `completed_uploads`: "if you call the operation again within a short period, the
///   operation will succeed and return the same archive ID" (Complete Multipart Upload).
/// - `aborted_uploads`: "aborting an already-aborted upload will succeed, for a short time"
///   (Abort Multipart Upload).
///
/// The last two count for `repeatWindow` only: lookups ignore older rows, and every complete
/// and abort deletes them (two indexed range deletes), so those tables hold at most a
/// window's worth of uploads. Server IDs are random (92 and 138 characters), so a tombstone
/// never stands for a later object; lookups try the live row first all the same, and
/// tombstones are written with INSERT OR REPLACE, so even a repeated ID could not fail a request.
extension MetadataStore {
    /// Glacier's "short period" during which a repeated Complete or Abort of a finished upload
    /// still succeeds (after it: 404, as for an unknown upload). Glacier does not say how long
    /// that is; glacier-mock takes 24 hours, the inactivity after which Glacier "may" remove
    /// an upload (Initiate Multipart Upload), which is also how long a completed job's output
    /// stays available.
    public static let repeatWindow: Milliseconds = 24 * 3600 * 1000

    // MARK: Deleted archives

    static let wasDeletedSQL =
        "SELECT EXISTS (SELECT 1 FROM deleted_archives WHERE id = ?1 AND account_id = ?2 AND region = ?3 AND vault_name = ?4)"

    static func recordDeletion(_ db: Database, archiveID: String, in vault: VaultKey, now: Milliseconds) throws {
        try db.cachedStatement(sql: """
                INSERT OR REPLACE INTO deleted_archives (account_id, region, vault_name, id, deleted_at) VALUES (?, ?, ?, ?, ?)
                """).execute(arguments: [vault.accountID, vault.region, vault.name, archiveID, now])
    }

    static func wasDeleted(_ db: Database, archiveID: String, in vault: VaultKey) throws -> Bool {
        try Bool.fetchOne(db.cachedStatement(sql: wasDeletedSQL), arguments: [archiveID, vault.accountID, vault.region, vault.name]) == true
    }

    /// True when an archive with this ID was deleted from this vault (DeleteArchive's check
    /// when a policy made it read the archive first).
    public func archiveWasDeleted(id: String, in vault: VaultKey) async throws -> Bool {
        try readNow { db in try Self.wasDeleted(db, archiveID: id, in: vault) }
    }

    // MARK: Completed and aborted uploads

    static let completedUploadSQL = """
        SELECT * FROM completed_uploads
        WHERE id = ?1 AND account_id = ?2 AND region = ?3 AND vault_name = ?4 AND completed_at >= ?5
        """
    static let wasAbortedSQL = """
        SELECT EXISTS (SELECT 1 FROM aborted_uploads
        WHERE id = ?1 AND account_id = ?2 AND region = ?3 AND vault_name = ?4 AND aborted_at >= ?5)
        """
    static let expireCompletedSQL = "DELETE FROM completed_uploads WHERE completed_at < ?"
    static let expireAbortedSQL = "DELETE FROM aborted_uploads WHERE aborted_at < ?"

    static func recordCompletion(_ db: Database, _ c: CompletedUploadRow) throws {
        try expireFinishedUploads(db, now: c.completedAt)
        try db.cachedStatement(sql: """
                INSERT OR REPLACE INTO completed_uploads (account_id, region, vault_name, id, archive_id, size, tree_hash, completed_at)
                VALUES (?, ?, ?, ?, ?, ?, ?, ?)
                """).execute(
            arguments: [c.vault.accountID, c.vault.region, c.vault.name, c.uploadID, c.archiveID, c.size, c.treeHash, c.completedAt])
    }

    static func recordAbort(_ db: Database, uploadID: String, in vault: VaultKey, now: Milliseconds) throws {
        try expireFinishedUploads(db, now: now)
        try db.cachedStatement(sql: """
                INSERT OR REPLACE INTO aborted_uploads (account_id, region, vault_name, id, aborted_at) VALUES (?, ?, ?, ?, ?)
                """).execute(arguments: [vault.accountID, vault.region, vault.name, uploadID, now])
    }

    /// The completion of this vault's upload `id` within `repeatWindow` before `now`, if any.
    static func completedUpload(_ db: Database, id: String, in vault: VaultKey, now: Milliseconds) throws -> CompletedUploadRow? {
        try Row.fetchOne(
            db.cachedStatement(sql: completedUploadSQL),
            arguments: [id, vault.accountID, vault.region, vault.name, now - repeatWindow]
        ).map {
            CompletedUploadRow(
                uploadID: $0["id"], vault: vault, archiveID: $0["archive_id"], size: $0["size"],
                treeHash: $0["tree_hash"], completedAt: $0["completed_at"])
        }
    }

    static func wasAborted(_ db: Database, uploadID: String, in vault: VaultKey, now: Milliseconds) throws -> Bool {
        try Bool.fetchOne(
            db.cachedStatement(sql: wasAbortedSQL),
            arguments: [uploadID, vault.accountID, vault.region, vault.name, now - repeatWindow]) == true
    }

    /// Deletes the completed and aborted uploads older than `repeatWindow`; run by every
    /// complete and abort, so the tables never hold more than a window's worth.
    static func expireFinishedUploads(_ db: Database, now: Milliseconds) throws {
        try db.cachedStatement(sql: expireCompletedSQL).execute(arguments: [now - repeatWindow])
        try db.cachedStatement(sql: expireAbortedSQL).execute(arguments: [now - repeatWindow])
    }
}
