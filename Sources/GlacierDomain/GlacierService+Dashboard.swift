import Foundation
import GlacierStorage

/// Read-only queries for the dashboard (`/_mock/ui`). Unlike the Glacier operations they see
/// every account and region, and none of them writes: they do not complete due jobs (the
/// server's ticker does that within 200 ms), so a page never changes the state it shows.
extension GlacierService {
    /// A vault as the dashboard shows it: what it holds now, and what its last inventory
    /// counted (what DescribeVault and ListVaults answer under `--inventory daily`).
    public struct DashboardVault: Sendable {
        public let vault: VaultRef
        public let creationDate: Milliseconds
        /// Live: the archives the vault holds now.
        public let numberOfArchives: Int64
        public let sizeInBytes: Int64
        /// When its last inventory was taken; nil: none yet.
        public let lastInventoryDate: Milliseconds?
        /// What the last inventory counted.
        public let inventoryArchives: Int64
        public let inventorySize: Int64
        /// Archives added or deleted since the last inventory.
        public let writesSinceInventory: Int64

        init(_ row: VaultRow) {
            vault = VaultRef(caller: Caller(accountID: row.key.accountID, region: row.key.region), name: row.key.name)
            creationDate = row.creationDate
            numberOfArchives = row.numberOfArchives
            sizeInBytes = row.sizeInBytes
            lastInventoryDate = row.lastInventoryDate
            inventoryArchives = row.inventoryArchives
            inventorySize = row.inventorySize
            writesSinceInventory = row.writesSinceInventory
        }
    }

    /// Every vault of every account and region, by account, region and name.
    public func allVaults() async throws -> [DashboardVault] {
        try await store.allVaults().map(DashboardVault.init)
    }

    /// One vault by its key, or nil.
    public func vaultDescription(_ key: VaultKey) async throws -> DashboardVault? {
        try await store.vault(key).map(DashboardVault.init)
    }

    /// `--inventory`: daily snapshots (Glacier's behaviour) or live counts.
    public var inventoryMode: InventoryMode { options.inventory }

    /// A page of a vault's archives: `pageSize` of them from `page` × `pageSize` on, by date or
    /// size, newest or largest first when `descending`.
    public func archivePage(
        _ vault: VaultKey, order: MetadataStore.ArchiveOrder, descending: Bool, page: Int, pageSize: Int
    ) async throws -> [ArchiveRow] {
        let (offset, overflow) = page.multipliedReportingOverflow(by: pageSize)
        guard !overflow, page >= 0, pageSize > 0 else { return [] }
        return try await store.archivePage(in: vault, order: order, descending: descending, offset: offset, limit: pageSize)
    }

    /// An in-progress multipart upload with the parts that arrived, by range.
    public struct UploadProgress: Sendable {
        public let upload: UploadRow
        /// Ordered by range start.
        public let parts: [PartRow]
    }

    /// The vault's in-progress uploads (at most `limit`, oldest first) with their parts, and how
    /// many there are in all.
    public func uploadsInProgress(_ vault: VaultKey, limit: Int) async throws -> (uploads: [UploadProgress], total: Int) {
        let uploads = try await store.inProgressUploads(in: vault, limit: limit)
        var result: [UploadProgress] = []
        for upload in uploads {
            // At most 10,000 parts per upload (Rules.maxParts), so one read holds them all.
            result.append(UploadProgress(upload: upload, parts: try await store.parts(uploadID: upload.id, fromStart: 0, limit: Int(Rules.maxParts))))
        }
        return (result, try await store.inProgressUploadCount(in: vault))
    }

    /// A job as the dashboard shows it.
    public struct JobSummary: Sendable {
        public let id: String
        /// ArchiveRetrieval or InventoryRetrieval.
        public let action: String
        public let tier: String?
        /// InProgress, Succeeded or Failed.
        public let statusCode: String
        public let completed: Bool
        public let description: String?
        public let archiveID: String?
        public let retrievalByteRange: String?
        public let creationDate: Milliseconds
        /// When a job in progress is due to complete (its tier's --job-delay after creation).
        public let completesAt: Milliseconds
        public let completedAt: Milliseconds?
        /// When a completed job's output goes (--job-expiry after completion).
        public let expiresAt: Milliseconds?
        /// Bytes of output: the retrieved range, or the inventory document.
        public let outputSize: Int64?
        public let snsTopic: String?
    }

    /// The vault's jobs, oldest first, without those whose output has expired.
    public func jobSummaries(_ vault: VaultKey) async throws -> [JobSummary] {
        let now = self.now()
        guard let rows = try await store.jobs(in: vault, fromID: nil, now: now) else { return [] }
        return rows.filter { !isExpired($0, now: now) }.compactMap { row in
            guard let doc = try? JobDocument.decode(row.document) else { return nil }
            let size: Int64? = doc.Action == JobDocument.inventoryRetrieval ? doc.InventorySizeInBytes : doc.range?.length
            return JobSummary(
                id: row.id, action: doc.Action, tier: doc.Tier, statusCode: doc.StatusCode, completed: doc.Completed,
                description: doc.JobDescription, archiveID: doc.ArchiveId, retrievalByteRange: doc.RetrievalByteRange,
                creationDate: Timestamp.parseISO8601(doc.CreationDate) ?? row.completesAt, completesAt: row.completesAt,
                completedAt: row.completedAt, expiresAt: row.completedAt.map { $0 + options.jobExpiry },
                outputSize: size, snsTopic: doc.SNSTopic)
        }
    }

    /// The output of a completed, unexpired job of the vault (the dashboard's download link),
    /// without completing due jobs first.
    public func completedJobOutput(_ vault: VaultKey, jobID: String) async throws -> JobOutput {
        let arn = VaultRef(caller: Caller(accountID: vault.accountID, region: vault.region), name: vault.name).arn
        guard let row = try await store.job(id: jobID, in: vault), !isExpired(row, now: self.now()) else {
            throw GlacierError(.resourceNotFound, "Job not found for ID: \(jobID.prefix(200)) in vault \(arn) (unknown, or expired)")
        }
        return try await output(of: row, try JobDocument.decode(row.document), range: nil)
    }

    /// A vault's lock policy as stored.
    public struct LockSummary: Sendable {
        public let state: String
        public let policy: String
        public let creationDate: Milliseconds
        public let expirationDate: Milliseconds?
    }

    /// A vault's tags, access policy, lock and notification configuration.
    public struct VaultConfiguration: Sendable {
        public let tags: [(key: String, value: String)]
        public let accessPolicy: String?
        public let lock: LockSummary?
        public let notificationTopic: String?
        public let notificationEvents: [String]
    }

    public func vaultConfiguration(_ vault: VaultKey) async throws -> VaultConfiguration {
        let tagText = try await store.vaultSetting(vault, kind: SettingKind.tags)
        let tags = ((tagText.flatMap(JSONInput.parse) as? [String: String]) ?? [:]).sorted { $0.key < $1.key }
        var lock: LockSummary?
        if let text = try await store.vaultSetting(vault, kind: SettingKind.lock),
            let stored = try? JSONDecoder().decode(Lock.self, from: Data(text.utf8))
        {
            // An InProgress lock past its 24 hours is gone for GetVaultLock; shown so too.
            if !(stored.State == "InProgress" && stored.ExpirationDate.map { self.now() >= $0 } == true) {
                lock = LockSummary(state: stored.State, policy: stored.Policy, creationDate: stored.CreationDate, expirationDate: stored.ExpirationDate)
            }
        }
        var topic: String?
        var events: [String] = []
        if let text = try await store.vaultSetting(vault, kind: SettingKind.notifications),
            let config = JSONInput.parse(text) as? [String: Any]
        {
            topic = config["SNSTopic"] as? String
            events = config["Events"] as? [String] ?? []
        }
        return VaultConfiguration(
            tags: tags.map { (key: $0.key, value: $0.value) }, accessPolicy: try await store.vaultSetting(vault, kind: SettingKind.accessPolicy),
            lock: lock, notificationTopic: topic, notificationEvents: events)
    }

    /// The newest `limit` recorded job-completion notifications, newest first, and how many
    /// were recorded in all.
    public func newestNotifications(limit: Int) async throws -> (rows: [MetadataStore.NotificationRow], total: Int) {
        try await store.newestNotifications(limit: limit)
    }

    /// `--job-delay`, per tier (absent: jobs complete at once).
    public var jobDelays: [Tier: Milliseconds] { options.jobDelay }
    /// `--job-expiry`.
    public var jobExpiry: Milliseconds { options.jobExpiry }

    /// Changing write transactions since start: moves when anything stored may have changed.
    public var changeCount: UInt64 { store.changeCount }
}
