import GRDB

/// Vault configuration (tags, access policy, notification configuration, vault lock) and
/// account configuration (data retrieval policy, provisioned capacity), each stored as one
/// JSON document per (owner, kind). The domain owns the documents' shape and rules.
extension MetadataStore {
    public func vaultSetting(_ vault: VaultKey, kind: String) async throws -> String? {
        try cache.value(.setting(vault, kind)) {
            try readNow { db in
                try String.fetchOne(
                    db.cachedStatement(sql: "SELECT value FROM vault_settings WHERE account_id = ? AND region = ? AND vault_name = ? AND kind = ?"),
                    arguments: [vault.accountID, vault.region, vault.name, kind])
            }
        }
    }

    public enum SettingUpdate: Sendable {
        /// Keep the current value.
        case keep
        /// Store this value.
        case set(String)
        /// Remove the setting.
        case remove
    }

    /// Reads a vault setting and writes its replacement in one transaction; `change` sees the
    /// current value and may throw to refuse. Returns false when the vault does not exist.
    public func updateVaultSetting(
        _ vault: VaultKey, kind: String, _ change: @escaping @Sendable (String?) throws -> SettingUpdate
    ) async throws -> Bool {
        try await write { db in
            guard try Self.fetchVault(db, vault) != nil else { return false }
            let current = try String.fetchOne(
                db.cachedStatement(sql: "SELECT value FROM vault_settings WHERE account_id = ? AND region = ? AND vault_name = ? AND kind = ?"),
                arguments: [vault.accountID, vault.region, vault.name, kind])
            switch try change(current) {
            case .keep: break
            case .set(let value):
                try db.cachedStatement(
                    sql: "INSERT OR REPLACE INTO vault_settings (account_id, region, vault_name, kind, value) VALUES (?, ?, ?, ?, ?)").execute(
                    arguments: [vault.accountID, vault.region, vault.name, kind, value])
            case .remove:
                try db.cachedStatement(
                    sql: "DELETE FROM vault_settings WHERE account_id = ? AND region = ? AND vault_name = ? AND kind = ?").execute(
                    arguments: [vault.accountID, vault.region, vault.name, kind])
            }
            return true
        }
    }

    public func accountSetting(accountID: String, region: String, kind: String) async throws -> String? {
        try await database.read { db in
            try String.fetchOne(
                db.cachedStatement(sql: "SELECT value FROM account_settings WHERE account_id = ? AND region = ? AND kind = ?"),
                arguments: [accountID, region, kind])
        }
    }

    /// Like `updateVaultSetting`, for account-wide settings.
    public func updateAccountSetting(
        accountID: String, region: String, kind: String, _ change: @escaping @Sendable (String?) throws -> SettingUpdate
    ) async throws {
        try await write { db in
            let current = try String.fetchOne(
                db.cachedStatement(sql: "SELECT value FROM account_settings WHERE account_id = ? AND region = ? AND kind = ?"),
                arguments: [accountID, region, kind])
            switch try change(current) {
            case .keep: break
            case .set(let value):
                try db.cachedStatement(
                    sql: "INSERT OR REPLACE INTO account_settings (account_id, region, kind, value) VALUES (?, ?, ?, ?)").execute(
                    arguments: [accountID, region, kind, value])
            case .remove:
                try db.cachedStatement(
                    sql: "DELETE FROM account_settings WHERE account_id = ? AND region = ? AND kind = ?").execute(
                    arguments: [accountID, region, kind])
            }
        }
    }
}
