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

/// Tombstones: what is left of an archive, upload or job that is gone, so that repeating the
/// request that removed it is answered as Glacier answers it, and so that a listing's marker
/// naming it still has a place (see "Markers of items that are gone" below). Each is written
/// in the transaction of the delete, complete, abort or expiry it records; none is ever
/// listed, counted, inventoried or verified, and none holds a blob. All of a vault's go with
/// the vault.
///
/// - `deleted_archives`: "Attempting to delete an already-deleted archive does not result in
///   an error" (Delete Archive) — kept as long as the vault, since the rule has no time limit.
/// - `completed_uploads`: "if you call the operation again within a short period, the
///   operation will succeed and return the same archive ID" (Complete Multipart Upload).
/// - `aborted_uploads`: "aborting an already-aborted upload will succeed, for a short time"
///   (Abort Multipart Upload).
/// - `expired_jobs`: only a job's place in ListJobs, for markers.
///
/// The last three count for `repeatWindow` only: lookups ignore older rows, every complete
/// and abort deletes the uploads' (two indexed range deletes), and every deletion of expired
/// jobs the jobs' (one), so those tables hold at most a window's worth of rows. Server IDs are random (92 and 138 characters), so a tombstone
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

    /// `position`: the archive's rowid in `archives` (its place in inventory order), which
    /// no later archive of the vault takes (`vaults.archive_rowid_floor`, see `insertArchive`).
    static func recordDeletion(_ db: Database, archiveID: String, in vault: VaultKey, position: Int64, now: Milliseconds) throws {
        try db.cachedStatement(sql: """
                INSERT OR REPLACE INTO deleted_archives (account_id, region, vault_name, id, deleted_at, position) VALUES (?, ?, ?, ?, ?, ?)
                """).execute(arguments: [vault.accountID, vault.region, vault.name, archiveID, now, position])
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

    /// `position`: the upload's `seq` in `uploads` (its place in ListMultipartUploads).
    static func recordCompletion(_ db: Database, _ c: CompletedUploadRow, position: Int64) throws {
        try expireFinishedUploads(db, now: c.completedAt)
        try db.cachedStatement(sql: """
                INSERT OR REPLACE INTO completed_uploads (account_id, region, vault_name, id, archive_id, size, tree_hash, completed_at, position)
                VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)
                """).execute(
            arguments: [c.vault.accountID, c.vault.region, c.vault.name, c.uploadID, c.archiveID, c.size, c.treeHash, c.completedAt, position])
    }

    /// `position`: the upload's `seq` in `uploads` (its place in ListMultipartUploads).
    static func recordAbort(_ db: Database, uploadID: String, in vault: VaultKey, position: Int64, now: Milliseconds) throws {
        try expireFinishedUploads(db, now: now)
        try db.cachedStatement(sql: """
                INSERT OR REPLACE INTO aborted_uploads (account_id, region, vault_name, id, aborted_at, position) VALUES (?, ?, ?, ?, ?, ?)
                """).execute(arguments: [vault.accountID, vault.region, vault.name, uploadID, now, position])
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

    // MARK: Markers of items that are gone

    // ListMultipartUploads' and ListJobs' markers, and an inventory job's Marker, are the ID of
    // the first item of the next page, and stay that (clients may compare them with IDs). When
    // that item has gone before the next page is asked for (an upload completed or aborted, a
    // job expired, an archive deleted), its place in the listing is read from its tombstone,
    // and the listing goes on from there: from the first item still present after it. So a
    // client paging while items come and go gets every item that stays, once, in order.
    // A tombstone places a marker for as long as it is looked up at all: for 24 hours
    // (`repeatWindow`) after an upload's complete or abort, for 24 hours after the ticker
    // deleted an expired job, as long as the vault for a deleted archive. After that, or for
    // an ID this server never issued in the vault, the marker is refused as before (400).
    // Rows written before migration "v5-marker-positions" have no position and place nothing.

    static let goneUploadPositionSQL = """
        SELECT position FROM completed_uploads
        WHERE id = ?1 AND account_id = ?2 AND region = ?3 AND vault_name = ?4 AND completed_at >= ?5
        UNION ALL
        SELECT position FROM aborted_uploads
        WHERE id = ?1 AND account_id = ?2 AND region = ?3 AND vault_name = ?4 AND aborted_at >= ?5
        """
    static let deletedArchivePositionSQL =
        "SELECT position FROM deleted_archives WHERE id = ?1 AND account_id = ?2 AND region = ?3 AND vault_name = ?4"
    static let expiredJobPositionSQL = """
        SELECT position FROM expired_jobs
        WHERE id = ?1 AND account_id = ?2 AND region = ?3 AND vault_name = ?4 AND deleted_at >= ?5
        """
    static let recordExpiredJobsSQL = """
        INSERT OR REPLACE INTO expired_jobs (account_id, region, vault_name, id, position, deleted_at)
        SELECT account_id, region, vault_name, id, seq, ?2 FROM jobs WHERE completed_at IS NOT NULL AND completed_at < ?1
        """
    static let expireExpiredJobsSQL = "DELETE FROM expired_jobs WHERE deleted_at < ?"

    /// The place (`uploads.seq`) of this vault's upload `id`, completed or aborted within
    /// `repeatWindow` before `now`; nil when there is none, or it predates the positions.
    static func goneUploadPosition(_ db: Database, id: String, in vault: VaultKey, now: Milliseconds) throws -> Int64? {
        try Int64.fetchOne(
            db.cachedStatement(sql: goneUploadPositionSQL),
            arguments: [id, vault.accountID, vault.region, vault.name, now - repeatWindow])
    }

    /// The place (`archives.rowid`) of the archive `id` deleted from this vault; nil when
    /// there is none, or it predates the positions.
    static func deletedArchivePosition(_ db: Database, id: String, in vault: VaultKey) throws -> Int64? {
        try Int64.fetchOne(
            db.cachedStatement(sql: deletedArchivePositionSQL), arguments: [id, vault.accountID, vault.region, vault.name])
    }

    /// The place (`jobs.seq`) of this vault's job `id`, deleted as expired within
    /// `repeatWindow` before `now`; nil when there is none.
    static func expiredJobPosition(_ db: Database, id: String, in vault: VaultKey, now: Milliseconds) throws -> Int64? {
        try Int64.fetchOne(
            db.cachedStatement(sql: expiredJobPositionSQL),
            arguments: [id, vault.accountID, vault.region, vault.name, now - repeatWindow])
    }

    /// Records the jobs completed before `cutoff`, which the caller is about to delete, and
    /// deletes the records older than `repeatWindow`; in the ticker's transaction that deletes
    /// the jobs, so the table never holds more than a window's worth of expired jobs.
    static func recordExpiredJobs(_ db: Database, completedBefore cutoff: Milliseconds, now: Milliseconds) throws {
        try db.cachedStatement(sql: expireExpiredJobsSQL).execute(arguments: [now - repeatWindow])
        try db.cachedStatement(sql: recordExpiredJobsSQL).execute(arguments: [cutoff, now])
    }
}
