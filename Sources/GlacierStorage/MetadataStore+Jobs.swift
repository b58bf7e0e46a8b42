import GRDB

/// A job as stored: the domain keeps its DescribeJob document as JSON text; storage only
/// knows when it is due and when it completed.
public struct JobRow: Sendable, Equatable {
    public let id: String
    public let vault: VaultKey
    public var document: String
    public let completesAt: Milliseconds
    public var completedAt: Milliseconds?

    public init(id: String, vault: VaultKey, document: String, completesAt: Milliseconds, completedAt: Milliseconds?) {
        self.id = id
        self.vault = vault
        self.document = document
        self.completesAt = completesAt
        self.completedAt = completedAt
    }
}

/// One piece of a job's output: a range of a blob file.
public struct OutputSegment: Sendable, Equatable {
    public let blobID: String
    public let length: Int64
    public let treeHash: String

    public init(blobID: String, length: Int64, treeHash: String) {
        self.blobID = blobID
        self.length = length
        self.treeHash = treeHash
    }
}

extension MetadataStore {
    public enum CreateJobResult: Sendable, Equatable {
        case created
        case vaultNotFound
        /// The archive whose bytes the job pins was deleted meanwhile.
        case archiveNotFound
    }

    /// Records a job. `segments` pin the bytes its output will come from (an archive's blob
    /// files), so deleting the archive afterwards does not take the job's output away.
    /// `archiveID` names the archive they belong to: it must still exist in this
    /// transaction, or a DeleteArchive that committed meanwhile has already unlinked them.
    public func createJob(_ job: JobRow, segments: [OutputSegment], archiveID: String? = nil) async throws -> CreateJobResult {
        try await write { db in
            guard try Self.fetchVault(db, job.vault) != nil else { return .vaultNotFound }
            if let archiveID {
                let exists = try Bool.fetchOne(
                    db.cachedStatement(sql: "SELECT EXISTS (SELECT 1 FROM archives WHERE id = ?)"), arguments: [archiveID]) ?? false
                guard exists else { return .archiveNotFound }
            }
            try db.cachedStatement(
                sql: "INSERT INTO jobs (id, account_id, region, vault_name, document, completes_at, completed_at) VALUES (?, ?, ?, ?, ?, ?, ?)").execute(
                arguments: [job.id, job.vault.accountID, job.vault.region, job.vault.name, job.document, job.completesAt, job.completedAt])
            try Self.insertJobSegments(db, jobID: job.id, segments)
            return .created
        }
    }

    public func job(id: String, in vault: VaultKey) async throws -> JobRow? {
        try await database.read { db in
            try Row.fetchOne(
                db.cachedStatement(sql: "SELECT * FROM jobs WHERE id = ? AND account_id = ? AND region = ? AND vault_name = ?"),
                arguments: [id, vault.accountID, vault.region, vault.name]
            ).map(Self.jobRow)
        }
    }

    /// The jobs of a vault, oldest first (expired ones the ticker has not deleted yet
    /// included), from the job `fromID` (inclusive) on. `fromID` may also name a job of this
    /// vault deleted as expired within `repeatWindow` before `now`: the list then goes on
    /// from the place it had (see "Markers of items that are gone",
    /// MetadataStore+Tombstones.swift). Returns nil when `fromID` can be placed neither way.
    public func jobs(in vault: VaultKey, fromID: String? = nil, now: Milliseconds) async throws -> [JobRow]? {
        try await database.read { db in
            var fromSeq: Int64 = 0
            if let fromID {
                guard let seq = try Int64.fetchOne(
                    db.cachedStatement(sql: "SELECT seq FROM jobs WHERE id = ? AND account_id = ? AND region = ? AND vault_name = ?"),
                    arguments: [fromID, vault.accountID, vault.region, vault.name])
                    ?? Self.expiredJobPosition(db, id: fromID, in: vault, now: now)
                else { return nil }
                fromSeq = seq
            }
            return try Row.fetchAll(
                db.cachedStatement(sql: "SELECT * FROM jobs WHERE account_id = ? AND region = ? AND vault_name = ? AND seq >= ? ORDER BY seq"),
                arguments: [vault.accountID, vault.region, vault.name, fromSeq]
            ).map(Self.jobRow)
        }
    }

    /// Jobs not completed yet whose time has come (`completes_at <= now`), or all pending ones.
    public func pendingJobs(dueBy now: Milliseconds?) async throws -> [JobRow] {
        // The ticker and every job read call this: a point read on the calling thread first,
        // so that when nothing is due no task is resumed from GRDB's queue. (On NIO's event
        // loops such a resumption also moves the counter that spreads new connections over
        // the loops; bench/GAPS.md.)
        let any = try readNow { db in
            try Bool.fetchOne(
                db.cachedStatement(sql: "SELECT EXISTS (SELECT 1 FROM jobs WHERE completed_at IS NULL AND completes_at <= ?)"),
                arguments: [now ?? Int64.max]) ?? false
        }
        guard any else { return [] }
        return try await database.read { db in
            try Row.fetchAll(
                db.cachedStatement(sql: "SELECT * FROM jobs WHERE completed_at IS NULL AND completes_at <= ? ORDER BY seq"),
                arguments: [now ?? Int64.max]
            ).map(Self.jobRow)
        }
    }

    /// Marks a job completed with its final document; `output` replaces its segments when given
    /// (an inventory's generated file). Returns false if the job was already completed or gone.
    /// `failed`: the job ends Failed (its output could not be written, the disk is full); the
    /// commit may then use the space reserve, as a deletion does, so that the job does not
    /// stay InProgress for want of one WAL page.
    public func completeJob(id: String, document: String, completedAt: Milliseconds, output: [OutputSegment]?, failed: Bool = false) async throws -> Bool {
        try await write(freesSpace: failed) { db in
            try db.cachedStatement(
                sql: "UPDATE jobs SET document = ?, completed_at = ? WHERE id = ? AND completed_at IS NULL").execute(
                arguments: [document, completedAt, id])
            guard db.changesCount == 1 else { return false }
            if let output {
                try db.cachedStatement(sql: "DELETE FROM job_segments WHERE job_id = ?").execute(arguments: [id])
                try Self.insertJobSegments(db, jobID: id, output)
            }
            return true
        }
    }

    public func jobSegments(id: String) async throws -> [OutputSegment] {
        try await database.read { db in
            try Row.fetchAll(db.cachedStatement(sql: "SELECT * FROM job_segments WHERE job_id = ? ORDER BY seq"), arguments: [id]).map {
                OutputSegment(blobID: $0["blob_id"], length: $0["length"], treeHash: $0["tree_hash"])
            }
        }
    }

    /// Deletes jobs completed before `cutoff` (expired), recording each one's place in its
    /// vault's ListJobs (`expired_jobs`, with `now`) so that a marker naming it still has one.
    /// Returns blob IDs nothing refers to now.
    public func deleteJobs(completedBefore cutoff: Milliseconds, now: Milliseconds) async throws -> [String] {
        // The ticker calls this five times a second: a read first, so that an idle server
        // does not write (and invalidate the read cache) for nothing.
        let any = try readNow { db in
            try Bool.fetchOne(
                db.cachedStatement(sql: "SELECT EXISTS (SELECT 1 FROM jobs WHERE completed_at IS NOT NULL AND completed_at < ?)"),
                arguments: [cutoff]) ?? false
        }
        guard any else { return [] }
        return try await write { db in
            let blobs = try String.fetchAll(
                db.cachedStatement(
                    sql: "SELECT s.blob_id FROM job_segments s JOIN jobs j ON s.job_id = j.id WHERE j.completed_at IS NOT NULL AND j.completed_at < ?"),
                arguments: [cutoff])
            try Self.recordExpiredJobs(db, completedBefore: cutoff, now: now)
            try db.cachedStatement(sql: "DELETE FROM jobs WHERE completed_at IS NOT NULL AND completed_at < ?").execute(arguments: [cutoff])
            return try Self.unreferenced(db, blobs)
        }
    }

    private static func insertJobSegments(_ db: Database, jobID: String, _ segments: [OutputSegment]) throws {
        for (seq, s) in segments.enumerated() {
            try db.cachedStatement(
                sql: "INSERT INTO job_segments (job_id, seq, blob_id, length, tree_hash) VALUES (?, ?, ?, ?, ?)").execute(
                arguments: [jobID, seq, s.blobID, s.length, s.treeHash])
        }
    }

    private static func jobRow(_ r: Row) -> JobRow {
        JobRow(
            id: r["id"], vault: VaultKey(accountID: r["account_id"], region: r["region"], name: r["vault_name"]),
            document: r["document"], completesAt: r["completes_at"], completedAt: r["completed_at"])
    }

    // MARK: Retrieval budget (data retrieval policy)

    public func recordRetrieval(accountID: String, region: String, at: Milliseconds, bytes: Int64) async throws {
        try await write { db in
            try db.cachedStatement(sql: "INSERT INTO retrievals (account_id, region, at, bytes) VALUES (?, ?, ?, ?)").execute(arguments: [accountID, region, at, bytes])
        }
    }

    public func retrievedBytes(accountID: String, region: String, since: Milliseconds) async throws -> Int64 {
        try await database.read { db in
            try Int64.fetchOne(
                db.cachedStatement(sql: Self.retrievedBytesSQL), arguments: [accountID, region, since]) ?? 0
        }
    }

    static let retrievedBytesSQL = "SELECT COALESCE(SUM(bytes), 0) FROM retrievals WHERE account_id = ? AND region = ? AND at >= ?"

    // MARK: Notifications (recorded for GET /_mock/notifications)

    public struct NotificationRow: Sendable, Equatable {
        public let seq: Int64
        public let topic: String
        public let message: String
        public let created: Milliseconds
        public let delivery: String
    }

    @discardableResult
    public func recordNotification(topic: String, message: String, created: Milliseconds, delivery: String) async throws -> Int64 {
        try await write { db in
            try db.cachedStatement(
                sql: "INSERT INTO notifications (topic, message, created, delivery) VALUES (?, ?, ?, ?)").execute(
                arguments: [topic, message, created, delivery])
            return db.lastInsertedRowID
        }
    }

    public func updateNotificationDelivery(seq: Int64, delivery: String) async throws {
        try await write { db in
            try db.cachedStatement(sql: "UPDATE notifications SET delivery = ? WHERE seq = ?").execute(arguments: [delivery, seq])
        }
    }

    public func notifications() async throws -> [NotificationRow] {
        try await database.read { db in
            try Row.fetchAll(db, sql: "SELECT * FROM notifications ORDER BY seq").map {
                NotificationRow(seq: $0["seq"], topic: $0["topic"], message: $0["message"], created: $0["created"], delivery: $0["delivery"])
            }
        }
    }
}
