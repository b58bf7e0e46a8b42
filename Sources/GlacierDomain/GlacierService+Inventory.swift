import GlacierStorage

/// Vault inventories (docs/inventory.md; storage: MetadataStore+Inventory.swift).
///
/// The schedule (AWS: "Glacier prepares an inventory for each vault periodically, every 24
/// hours"; the hour is not documented, so glacier-mock chooses one): once a day, when this
/// server's clock passes 00:00 UTC, every vault with archives added or deleted since its
/// last inventory gets a new one, dated when it is taken. The ticker of `serve` looks five
/// times a second; `POST /_mock/clock` takes them before it answers, so a test that moves
/// the clock past midnight sees them at once. A day the server was stopped over is caught
/// up at the first tick after it starts. Nothing is taken under `--inventory live`.
extension GlacierService {
    static let dayMilliseconds: Int64 = 86_400_000
    /// The setting (account "", region "") that keeps the last day done across restarts.
    static let inventoryDaySetting = "mock-inventory-day"

    /// Days since the epoch of `ms` (UTC).
    static func day(of ms: Milliseconds) -> Int64 {
        ms >= 0 ? ms / dayMilliseconds : (ms - dayMilliseconds + 1) / dayMilliseconds
    }

    /// Takes the day's inventories when the clock has passed 00:00 UTC since the last time
    /// (an atomic load when it has not). Returns how many vaults got a new one.
    @discardableResult
    public func takeScheduledInventories() async throws -> Int {
        guard options.inventory == .daily else { return 0 }
        let now = self.now()
        let today = Self.day(of: now)
        let done = inventoryDay.load(ordering: .relaxed)
        guard today > done else { return 0 }
        let states = try await store.takeInventories(of: nil, now: now, scheduleDay: (Self.inventoryDaySetting, today)) ?? []
        // A racing caller (the ticker and a clock move) may have done the day meanwhile: the
        // second run finds no vault written since, and takes nothing.
        _ = inventoryDay.compareExchange(expected: done, desired: today, ordering: .relaxed)
        let taken = states.filter(\.taken).count
        if taken > 0 { logger.info("scheduled inventory of \(Timestamp.iso8601(now)): \(taken) vault(s)") }
        return taken
    }

    /// `POST /_mock/inventory`: takes the inventory now, of the vaults named `vaultName` (in
    /// every account and region) or of every vault, as the daily schedule would. A vault
    /// with no archive added or deleted since its last inventory keeps that one, date and
    /// all; a vault never written to still has none.
    public func takeInventories(vaultName: String?) async throws -> [VaultInventory] {
        let now = self.now()
        guard let vaultName else { return (try await store.takeInventories(of: nil, now: now) ?? []).map(VaultInventory.init) }
        try Rules.checkVaultName(vaultName)
        let keys = try await store.inventories(named: vaultName).map(\.vault.key)
        guard !keys.isEmpty else {
            throw GlacierError(.resourceNotFound, "No vault named \(vaultName) in any account or region; POST /_mock/inventory takes the inventory of existing vaults")
        }
        var states: [VaultInventory] = []
        for key in keys { states += (try await store.takeInventories(of: key, now: now) ?? []).map(VaultInventory.init) }
        return states
    }

    /// `GET /_mock/inventory`: every vault's (or the vaults named `vaultName`'s) last inventory.
    public func inventories(vaultName: String?) async throws -> [VaultInventory] {
        if let vaultName { try Rules.checkVaultName(vaultName) }
        return try await store.inventories(named: vaultName).map(VaultInventory.init)
    }
}

/// One vault's last inventory, as `POST` and `GET /_mock/inventory` show it.
public struct VaultInventory: Sendable {
    public let vault: VaultRef
    public let accountID: String
    public let region: String
    /// When the last inventory was taken; nil: none yet.
    public let lastInventoryDate: Milliseconds?
    /// What it counted.
    public let numberOfArchives: Int64
    public let sizeInBytes: Int64
    /// Archives added or deleted since.
    public let writesSinceInventory: Int64
    /// What the vault holds now.
    public let liveNumberOfArchives: Int64
    public let liveSizeInBytes: Int64
    /// True when the call that returned it took a new inventory of the vault.
    public let taken: Bool

    init(_ state: InventoryState) {
        let v = state.vault
        vault = VaultRef(caller: Caller(accountID: v.key.accountID, region: v.key.region), name: v.key.name)
        accountID = v.key.accountID
        region = v.key.region
        lastInventoryDate = v.lastInventoryDate
        numberOfArchives = v.inventoryArchives
        sizeInBytes = v.inventorySize
        writesSinceInventory = v.writesSinceInventory
        liveNumberOfArchives = v.numberOfArchives
        liveSizeInBytes = v.sizeInBytes
        taken = state.taken
    }
}
