import Foundation
import GlacierStorage

/// Tags, access policy, vault lock, notification configuration, data retrieval policy and
/// provisioned capacity, plus the enforcement of lock and access policies.
extension GlacierService {
    enum SettingKind {
        static let tags = "tags"
        static let accessPolicy = "access-policy"
        static let lock = "lock"
        static let notifications = "notifications"
        static let retrievalPolicy = "data-retrieval-policy"
        static let capacity = "provisioned-capacity"
    }

    private func updateVault(_ vault: VaultRef, _ kind: String, _ change: @escaping @Sendable (String?) throws -> MetadataStore.SettingUpdate) async throws {
        guard try await store.updateVaultSetting(vault.key, kind: kind, change) else { throw GlacierError.vaultNotFound(vault) }
    }

    private func existingVault(_ caller: Caller, _ name: String) async throws -> VaultRef {
        let vault = try vaultRef(caller, name)
        guard try await store.vault(vault.key) != nil else { throw GlacierError.vaultNotFound(vault) }
        return vault
    }

    // MARK: Tags

    /// At most 50 tags per vault (a request that would exceed it: LimitExceededException).
    public static let maxTags = 50

    /// AddTagsToVault: 1 to 10 tags per request (`Rules.checkTags`: lengths, characters, no
    /// `aws:` prefix), merged into the vault's tags; at most 50 tags per vault.
    public func addTags(_ caller: Caller, vaultName: String, body: [UInt8]) async throws {
        let vault = try vaultRef(caller, vaultName)
        let object = try JSONInput.object(body, what: "AddTagsToVault")
        let add = try Rules.checkTags(object["Tags"])
        try await updateVault(vault, SettingKind.tags) { current in
            var merged = (current.flatMap(JSONInput.parse) as? [String: String]) ?? [:]
            merged.merge(add) { _, b in b }
            guard merged.count <= Self.maxTags else {
                throw GlacierError(.limitExceeded, "A vault can have at most \(Self.maxTags) tags; this request would give \(vault.arn) \(merged.count)")
            }
            return .set(JSONInput.text(merged))
        }
    }

    /// RemoveTagsFromVault: 1 to 10 keys per request (`Rules.checkTagKeys`); keys the vault
    /// does not have are ignored.
    public func removeTags(_ caller: Caller, vaultName: String, body: [UInt8]) async throws {
        let vault = try vaultRef(caller, vaultName)
        let object = try JSONInput.object(body, what: "RemoveTagsFromVault")
        let remove = Set(try Rules.checkTagKeys(object["TagKeys"]))
        try await updateVault(vault, SettingKind.tags) { current in
            var tags = (current.flatMap(JSONInput.parse) as? [String: String]) ?? [:]
            for key in remove { tags[key] = nil }
            return tags.isEmpty ? .remove : .set(JSONInput.text(tags))
        }
    }

    public func listTags(_ caller: Caller, vaultName: String) async throws -> [(String, String)] {
        let vault = try await existingVault(caller, vaultName)
        let text = try await store.vaultSetting(vault.key, kind: SettingKind.tags)
        let tags = (text.flatMap(JSONInput.parse) as? [String: String]) ?? [:]
        return tags.sorted { $0.key < $1.key }
    }

    // MARK: Access policy

    /// The `Policy` member of a policy body: a string holding a JSON object.
    private static func policyText(_ body: [UInt8], what: String) throws -> String {
        let object = try JSONInput.object(body, what: what)
        guard let policy = try JSONInput.string(object, "Policy") else { throw GlacierError.missingHeader("Policy") }
        guard policy.utf8.count <= 20 * 1024 else { throw GlacierError.invalid("The policy is \(policy.utf8.count) bytes; at most 20 KB are allowed") }
        guard JSONInput.parse(policy) is [String: Any] else {
            throw GlacierError.invalid("Policy is not valid JSON: it must be a JSON object such as {\"Version\":\"2012-10-17\",\"Statement\":[...]}")
        }
        return policy
    }

    public func setAccessPolicy(_ caller: Caller, vaultName: String, body: [UInt8]) async throws {
        let vault = try vaultRef(caller, vaultName)
        let policy = try Self.policyText(body, what: "SetVaultAccessPolicy")
        try await updateVault(vault, SettingKind.accessPolicy) { _ in .set(policy) }
    }

    public func getAccessPolicy(_ caller: Caller, vaultName: String) async throws -> String {
        try await storedSetting(caller, vaultName, SettingKind.accessPolicy, missing: "access policy")
    }

    public func deleteAccessPolicy(_ caller: Caller, vaultName: String) async throws {
        try await removeSetting(caller, vaultName, SettingKind.accessPolicy)
    }

    /// A vault setting that must exist (Get* operations): 404 naming what is missing.
    private func storedSetting(_ caller: Caller, _ vaultName: String, _ kind: String, missing what: String) async throws -> String {
        let vault = try await existingVault(caller, vaultName)
        guard let text = try await store.vaultSetting(vault.key, kind: kind) else {
            throw GlacierError(.resourceNotFound, "No \(what) is set for vault \(vault.arn)")
        }
        return text
    }

    /// Delete* operations: removing a setting that is not there succeeds too.
    private func removeSetting(_ caller: Caller, _ vaultName: String, _ kind: String) async throws {
        try await updateVault(try vaultRef(caller, vaultName), kind) { _ in .remove }
    }

    // MARK: Vault lock

    struct Lock: Codable {
        var Policy: String
        var State: String
        var LockId: String
        var CreationDate: Int64
        var ExpirationDate: Int64?
    }

    static let lockValidity: Milliseconds = 24 * 3600 * 1000

    /// The vault's lock, dropping an InProgress lock whose 24 hours have passed.
    private static func currentLock(_ text: String?, now: Milliseconds) -> Lock? {
        guard let text, let lock = try? JSONDecoder().decode(Lock.self, from: Data(text.utf8)) else { return nil }
        if lock.State == "InProgress", let expiry = lock.ExpirationDate, now >= expiry { return nil }
        return lock
    }

    private static func encode(_ lock: Lock) -> String {
        String(decoding: (try? JSONEncoder().encode(lock)) ?? Data(), as: UTF8.self)
    }

    /// InitiateVaultLock: attaches the policy in state InProgress for 24 hours. "If this
    /// operation is called when the vault lock is in the InProgress state, the operation returns
    /// an AccessDeniedException error"; a Locked vault's lock cannot be replaced either ("After
    /// a vault lock is in the Locked state, you cannot initiate a new vault lock", no code named).
    public func initiateVaultLock(_ caller: Caller, vaultName: String, body: [UInt8]) async throws -> String {
        let vault = try vaultRef(caller, vaultName)
        let policy = try Self.policyText(body, what: "InitiateVaultLock")
        let now = self.now()
        let lockID = RandomID.make(length: 32)
        try await updateVault(vault, SettingKind.lock) { current in
            switch Self.currentLock(current, now: now)?.State {
            case "Locked":
                throw GlacierError.invalid("Vault \(vault.arn) is already locked; a Locked vault lock cannot be replaced")
            case "InProgress":
                throw GlacierError(
                    .accessDenied,
                    "Vault \(vault.arn) has a vault lock in the InProgress state, so InitiateVaultLock is denied; abort it with AbortVaultLock before initiating another")
            default:
                return .set(Self.encode(Lock(Policy: policy, State: "InProgress", LockId: lockID, CreationDate: now, ExpirationDate: now + Self.lockValidity)))
            }
        }
        return lockID
    }

    /// CompleteVaultLock: the lock ID must be the one InitiateVaultLock returned. Idempotent
    /// once Locked with that ID; "If an invalid lock ID is passed in the request when the vault
    /// lock is in the Locked state, the operation returns an AccessDeniedException error. If an
    /// invalid lock ID is passed in the request when the vault lock is in the InProgress state,
    /// the operation throws an InvalidParameter error."
    public func completeVaultLock(_ caller: Caller, vaultName: String, lockID: String) async throws {
        let vault = try vaultRef(caller, vaultName)
        let now = self.now()
        try await updateVault(vault, SettingKind.lock) { current in
            guard var lock = Self.currentLock(current, now: now) else {
                throw GlacierError.invalid("Vault \(vault.arn) has no vault lock in progress (none was initiated, or it expired after 24 hours)")
            }
            if lock.State == "Locked" {
                guard lock.LockId == lockID else {
                    throw GlacierError(
                        .accessDenied,
                        "Lock ID \(lockID.prefix(100)) is not the lock ID that locked \(vault.arn); the vault lock is in the Locked state and cannot be changed")
                }
                return .keep
            }
            guard lock.LockId == lockID else {
                throw GlacierError.invalid("Lock ID \(lockID.prefix(100)) does not match the vault lock in progress for \(vault.arn)")
            }
            lock.State = "Locked"
            lock.ExpirationDate = nil
            return .set(Self.encode(lock))
        }
    }

    /// AbortVaultLock: only while InProgress; a Locked vault's lock cannot be removed.
    public func abortVaultLock(_ caller: Caller, vaultName: String) async throws {
        let vault = try vaultRef(caller, vaultName)
        let now = self.now()
        try await updateVault(vault, SettingKind.lock) { current in
            if Self.currentLock(current, now: now)?.State == "Locked" {
                throw GlacierError(.accessDenied, "Vault \(vault.arn) is locked: a Locked vault lock policy cannot be aborted or changed")
            }
            return .remove
        }
    }

    public func getVaultLock(_ caller: Caller, vaultName: String) async throws -> JSONValue {
        let vault = try await existingVault(caller, vaultName)
        guard let lock = Self.currentLock(try await store.vaultSetting(vault.key, kind: SettingKind.lock), now: self.now()) else {
            throw GlacierError(.resourceNotFound, "No vault lock policy is set for vault \(vault.arn)")
        }
        return .object([
            ("CreationDate", .string(Timestamp.iso8601(lock.CreationDate))),
            ("ExpirationDate", .optional(lock.ExpirationDate.map(Timestamp.iso8601))),
            ("Policy", .string(lock.Policy)),
            ("State", .string(lock.State)),
        ])
    }

    // MARK: Enforcement

    /// Denies `glacier:<action>` when a `Deny` statement of the vault lock policy (InProgress or
    /// Locked) or of the access policy matches it; `glacier:ArchiveAgeInDays` is known for
    /// requests about one archive.
    public func enforcePolicies(_ caller: Caller, vault: VaultRef, action: String, archive: ArchiveRow? = nil) async throws {
        let now = self.now()
        var context: [String: Int64] = [:]
        if let archive { context["glacier:ArchiveAgeInDays"] = max(0, now - archive.creationDate) / 86_400_000 }
        let lock = Self.currentLock(try await store.vaultSetting(vault.key, kind: SettingKind.lock), now: now)
        let access = try await store.vaultSetting(vault.key, kind: SettingKind.accessPolicy)
        for (name, policy) in [("vault lock policy", lock?.Policy), ("vault access policy", access)] {
            guard let policy else { continue }
            if let statement = PolicyEvaluator.denyingStatement(policy: policy, action: "glacier:\(action)", resource: vault.arn, context: context) {
                throw GlacierError(.accessDenied, "Access denied: glacier:\(action) on \(vault.arn) is denied by \(statement) of the \(name)")
            }
        }
    }

    /// True when the vault has a lock policy (in progress or locked) or an access policy.
    func hasPolicies(_ vault: VaultRef) async throws -> Bool {
        let lock = try await store.vaultSetting(vault.key, kind: SettingKind.lock)
        let access = try await store.vaultSetting(vault.key, kind: SettingKind.accessPolicy)
        return lock != nil || access != nil
    }

    /// The same, for a request that names a vault by name (the HTTP dispatcher's hook).
    public func enforcePolicies(_ caller: Caller, vaultName: String, action: String) async throws {
        let vault = try vaultRef(caller, vaultName)
        try await enforcePolicies(caller, vault: vault, action: action)
    }

    // MARK: Notification configuration

    static let notificationEvents: Set<String> = ["ArchiveRetrievalCompleted", "InventoryRetrievalCompleted"]

    public func setNotifications(_ caller: Caller, vaultName: String, body: [UInt8]) async throws {
        let vault = try vaultRef(caller, vaultName)
        let object = try JSONInput.object(body, what: "SetVaultNotifications")
        guard let topic = try JSONInput.string(object, "SNSTopic") else { throw GlacierError.missingHeader("SNSTopic") }
        guard let events = object["Events"] as? [Any] else { throw GlacierError.missingHeader("Events") }
        let names = events.compactMap { $0 as? String }
        guard names.count == events.count, !names.isEmpty, names.allSatisfy(Self.notificationEvents.contains) else {
            throw GlacierError.invalid("Events must list ArchiveRetrievalCompleted and/or InventoryRetrievalCompleted")
        }
        let text = JSONWriter.object([("Events", .array(names.map(JSONValue.string))), ("SNSTopic", .string(topic))])
        try await updateVault(vault, SettingKind.notifications) { _ in .set(text) }
    }

    public func getNotifications(_ caller: Caller, vaultName: String) async throws -> String {
        try await storedSetting(caller, vaultName, SettingKind.notifications, missing: "notification configuration")
    }

    public func deleteNotifications(_ caller: Caller, vaultName: String) async throws {
        try await removeSetting(caller, vaultName, SettingKind.notifications)
    }

    /// On job completion: the job's own SNSTopic, else the vault's configured topic for the
    /// event. The message is the job's description (Glacier's notification document).
    func notify(_ doc: JobDocument, vault: VaultKey) async {
        let event = doc.Action == JobDocument.archiveRetrieval ? "ArchiveRetrievalCompleted" : "InventoryRetrievalCompleted"
        var topic = doc.SNSTopic
        if topic == nil, let text = try? await store.vaultSetting(vault, kind: SettingKind.notifications),
            let config = JSONInput.parse(text) as? [String: Any],
            let events = config["Events"] as? [String], events.contains(event)
        {
            topic = config["SNSTopic"] as? String
        }
        guard let topic else { return }
        let message = JSONWriter.object([("Action", .string(doc.Action))] + doc.fields.filter { $0.0 != "Action" })
        do {
            let seq = try await store.recordNotification(topic: topic, message: message, created: self.now(), delivery: "recorded")
            if let publish = options.publish {
                let status = await publish(topic, message)
                try await store.updateNotificationDelivery(seq: seq, delivery: status)
            }
        } catch {
            logger.error("could not record a notification", metadata: ["topic": .string(topic), "error": .string("\(error)")])
        }
    }

    /// Recorded notifications, oldest first (`GET /_mock/notifications`).
    public func notifications() async throws -> JSONValue {
        .array(try await store.notifications().map { n in
            .object([
                ("Topic", .string(n.topic)), ("Message", .string(n.message)),
                ("Created", .string(Timestamp.iso8601(n.created))), ("Delivery", .string(n.delivery)),
            ])
        })
    }

    // MARK: Data retrieval policy

    /// The account's policy; `None` (no retrieval limit) until one is set.
    public func getDataRetrievalPolicy(_ caller: Caller) async throws -> JSONValue {
        let text = try await store.accountSetting(accountID: caller.accountID, region: caller.region, kind: SettingKind.retrievalPolicy)
        guard let text, let rules = JSONInput.parse(text) as? [[String: Any]] else {
            return .object([("Rules", .array([.object([("Strategy", .string("None"))])]))])
        }
        return .object([("Rules", .array(rules.map { rule in
            var members: [(String, JSONValue)] = []
            if let n = rule["BytesPerHour"] as? NSNumber { members.append(("BytesPerHour", .int(n.int64Value))) }
            members.append(("Strategy", .string(rule["Strategy"] as? String ?? "None")))
            return .object(members)
        }))])
    }

    /// SetDataRetrievalPolicy: one rule; Strategy BytesPerHour (with BytesPerHour), FreeTier or
    /// None (`Rules.checkDataRetrievalPolicy`).
    public func setDataRetrievalPolicy(_ caller: Caller, body: [UInt8]) async throws {
        let object = try JSONInput.object(body, what: "SetDataRetrievalPolicy")
        let rule = try Rules.checkDataRetrievalPolicy(object["Policy"])
        var stored: [String: Any] = ["Strategy": rule.strategy]
        if let bytes = rule.bytesPerHour { stored["BytesPerHour"] = bytes }
        let text = JSONInput.text([stored])
        try await store.updateAccountSetting(accountID: caller.accountID, region: caller.region, kind: SettingKind.retrievalPolicy) { _ in .set(text) }
    }

    /// With a BytesPerHour policy, a Standard retrieval that would take the last hour's
    /// Standard retrieved bytes over the budget is refused (PolicyEnforcedException). Expedited
    /// and Bulk retrievals are neither checked nor counted: "A data retrieval policy applies
    /// only to Standard retrievals" (InitiateJob calls this for Standard ones only).
    func enforceRetrievalPolicy(_ caller: Caller, bytes: Int64, now: Milliseconds) async throws {
        guard let text = try await store.accountSetting(accountID: caller.accountID, region: caller.region, kind: SettingKind.retrievalPolicy),
            let rules = JSONInput.parse(text) as? [[String: Any]],
            let rule = rules.first, rule["Strategy"] as? String == "BytesPerHour",
            let budget = (rule["BytesPerHour"] as? NSNumber)?.int64Value
        else { return }
        let used = try await store.retrievedBytes(accountID: caller.accountID, region: caller.region, since: now - 3_600_000)
        guard used + bytes <= budget else {
            throw GlacierError(
                .policyEnforced,
                "Retrieval of \(bytes) bytes would exceed the data retrieval policy's budget of \(budget) bytes per hour (\(used) bytes retrieved in the last hour)")
        }
    }

    // MARK: Provisioned capacity

    public static let maxCapacityUnits = 2

    /// PurchaseProvisionedCapacity: a unit starts now and expires a month later; an account
    /// holds at most two units at a time.
    public func purchaseProvisionedCapacity(_ caller: Caller) async throws -> String {
        let now = self.now()
        let id = RandomID.make(length: 24)
        try await store.updateAccountSetting(accountID: caller.accountID, region: caller.region, kind: SettingKind.capacity) { current in
            var units = Self.activeUnits(current, now: now)
            guard units.count < Self.maxCapacityUnits else {
                throw GlacierError(.limitExceeded, "Account \(caller.accountID) already has \(Self.maxCapacityUnits) provisioned capacity units, the most it may hold")
            }
            units.append(["CapacityId": id, "StartDate": now, "ExpirationDate": Self.addOneMonth(now)])
            return .set(JSONInput.text(units))
        }
        return id
    }

    public func listProvisionedCapacity(_ caller: Caller) async throws -> JSONValue {
        let text = try await store.accountSetting(accountID: caller.accountID, region: caller.region, kind: SettingKind.capacity)
        return .object([("ProvisionedCapacityList", .array(Self.activeUnits(text, now: self.now()).map { unit in
            .object([
                ("CapacityId", .string(unit["CapacityId"] as? String ?? "")),
                ("ExpirationDate", .string(Timestamp.iso8601((unit["ExpirationDate"] as? NSNumber)?.int64Value ?? 0))),
                ("StartDate", .string(Timestamp.iso8601((unit["StartDate"] as? NSNumber)?.int64Value ?? 0))),
            ])
        }))])
    }

    private static func activeUnits(_ text: String?, now: Milliseconds) -> [[String: Any]] {
        ((text.flatMap(JSONInput.parse) as? [[String: Any]]) ?? []).filter {
            (($0["ExpirationDate"] as? NSNumber)?.int64Value ?? 0) > now
        }
    }

    /// The same day and time one calendar month later (clamped to the month's last day).
    static func addOneMonth(_ ms: Milliseconds) -> Milliseconds {
        let iso = Timestamp.iso8601(ms)
        guard var year = Int(iso.prefix(4)), var month = Int(iso.dropFirst(5).prefix(2)), let day = Int(iso.dropFirst(8).prefix(2)) else { return ms }
        month += 1
        if month == 13 { month = 1; year += 1 }
        let leap = (year % 4 == 0 && year % 100 != 0) || year % 400 == 0
        let lengths = [31, leap ? 29 : 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31]
        let d = min(day, lengths[month - 1])
        func pad(_ v: Int, _ w: Int) -> String { String(repeating: "0", count: max(0, w - String(v).count)) + String(v) }
        return Timestamp.parseISO8601("\(pad(year, 4))-\(pad(month, 2))-\(pad(d, 2))" + iso.dropFirst(10)) ?? ms
    }
}
