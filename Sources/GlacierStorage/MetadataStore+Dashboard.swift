import GRDB

/// Read-only queries for the dashboard (`/_mock/ui`): every vault of every account and
/// region, a page of a vault's archives in a chosen order, a vault's in-progress uploads.
/// None of them writes.
extension MetadataStore {
    /// Every vault, by account, region and name.
    public func allVaults() async throws -> [VaultRow] {
        try await database.read { db in
            try Row.fetchAll(db.cachedStatement(sql: "SELECT * FROM vaults ORDER BY account_id, region, name")).map(Self.vaultRow)
        }
    }

    /// The orders a page of archives can be in: by creation date or size, then by the
    /// archive's place in the vault (its rowid), so that equal keys keep a stable order.
    public enum ArchiveOrder: String, Sendable, CaseIterable {
        case date, size
    }

    static func archivePageSQL(_ order: ArchiveOrder, descending: Bool) -> String {
        let column = order == .date ? "creation_date" : "size"
        let direction = descending ? "DESC" : "ASC"
        return """
            SELECT * FROM archives WHERE account_id = ? AND region = ? AND vault_name = ?
            ORDER BY \(column) \(direction), rowid \(direction) LIMIT ? OFFSET ?
            """
    }

    /// `limit` archives of the vault from `offset` on, in `order`. Both orders are read from
    /// an index (archives_by_vault, archives_by_vault_size), so a page costs the rows it
    /// skips in the index and the rows it returns, never a sort of the whole vault.
    public func archivePage(in vault: VaultKey, order: ArchiveOrder, descending: Bool, offset: Int, limit: Int) async throws -> [ArchiveRow] {
        try await database.read { db in
            try Row.fetchAll(
                db.cachedStatement(sql: Self.archivePageSQL(order, descending: descending)),
                arguments: [vault.accountID, vault.region, vault.name, limit, offset]
            ).map(Self.archiveRow)
        }
    }

    /// The vault's in-progress uploads, oldest first, at most `limit`.
    public func inProgressUploads(in vault: VaultKey, limit: Int) async throws -> [UploadRow] {
        try await database.read { db in
            try Row.fetchAll(
                db.cachedStatement(sql: """
                    SELECT * FROM uploads WHERE account_id = ? AND region = ? AND vault_name = ? ORDER BY seq LIMIT ?
                    """),
                arguments: [vault.accountID, vault.region, vault.name, limit]
            ).map(Self.uploadRow)
        }
    }

    /// How many uploads are in progress in the vault.
    public func inProgressUploadCount(in vault: VaultKey) async throws -> Int {
        try await database.read { db in
            try Int.fetchOne(
                db.cachedStatement(sql: "SELECT count(*) FROM uploads WHERE account_id = ? AND region = ? AND vault_name = ?"),
                arguments: [vault.accountID, vault.region, vault.name]) ?? 0
        }
    }

    /// The newest `limit` recorded notifications, newest first, and how many there are.
    public func newestNotifications(limit: Int) async throws -> (rows: [NotificationRow], total: Int) {
        try await database.read { db in
            let rows = try Row.fetchAll(
                db.cachedStatement(sql: "SELECT * FROM notifications ORDER BY seq DESC LIMIT ?"), arguments: [limit]
            ).map {
                NotificationRow(seq: $0["seq"], topic: $0["topic"], message: $0["message"], created: $0["created"], delivery: $0["delivery"])
            }
            let total = try Int.fetchOne(db.cachedStatement(sql: "SELECT count(*) FROM notifications")) ?? 0
            return (rows, total)
        }
    }
}
