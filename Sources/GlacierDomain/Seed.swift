import Foundation
import GlacierStorage
import TreeHash

/// Seed documents (`--seed FILE`, docs/seeds-and-snapshots.md): a known state to start from.
///
/// Loading has three stages, and the live state changes only in the last:
/// 1. every document is read and checked for shape (members, types, dates, files, names);
/// 2. all of them are applied, in order, to a staging service in a directory of its own, through
///    the same operations a client would call — so every Glacier rule (vault names, tags,
///    policies, part ranges, retrieval policies…) is checked by the code that checks it for
///    clients — plus the few writes no operation makes (dates in the past, pending jobs);
/// 3. the staging blob files are moved into `blobs/` and the staging metadata replaces the
///    live metadata in one SQLite transaction (the same step as a snapshot restore).
/// A problem at stage 1 or 2 names the file, the JSON path and the rule, and leaves the live
/// state as it was.
public enum Seed {
    /// What `--seed-mode` says to do with a data directory that already holds state.
    public enum Mode: String, Sendable, CaseIterable {
        /// Refuse to start (the default).
        case refuse
        /// Replace the state by the seed's (saved snapshots stay).
        case replace
        /// Keep the state and skip the seed (seed once, then keep what the tests did).
        case ifEmpty = "if-empty"
    }

    /// A seed that cannot be applied: the file, the JSON path, and the rule it breaks.
    public struct Problem: Error, CustomStringConvertible, Sendable {
        public let file: String
        public let path: String
        public let rule: String
        public var description: String { "\(file): \(path): \(rule)" }
    }

    /// What happened to the seeds.
    public enum Outcome: Sendable, Equatable {
        case applied(vaults: Int, archives: Int)
        /// `if-empty` and the data directory held state.
        case skipped
    }

    /// Checks and applies `files` to `service` (see the type's comment). Throws `Problem`.
    public static func apply(files: [String], mode: Mode, to service: GlacierService) async throws -> Outcome {
        var documents: [Document] = []
        for file in files { documents.append(try Document.read(file)) }
        var seen: [String: String] = [:]  // vault → the file that defined it
        for doc in documents {
            for region in doc.regions {
                for vault in region.vaults {
                    let key = "\(region.account)/\(region.region)/\(vault.name)"
                    if let other = seen[key] {
                        throw Problem(
                            file: doc.file, path: vault.path,
                            rule: "vault \(vault.name) of account \(region.account) in \(region.region) is already defined by \(other)")
                    }
                    seen[key] = doc.file
                }
            }
        }
        if try await service.store.holdsState() {
            switch mode {
            case .refuse:
                throw Problem(
                    file: files.joined(separator: ", "), path: "$",
                    rule: "the data directory \(service.dataDirectory) already holds state (vaults or account settings); "
                        + "start with --seed-mode replace to replace it by the seed, or --seed-mode if-empty to keep it and skip the seed")
            case .ifEmpty: return .skipped
            case .replace: break
            }
        }
        let staging = service.dataDirectory + "/seed-staging-" + RandomID.make(length: 12)
        defer { try? FileManager.default.removeItem(atPath: staging) }
        let counts = try await build(documents, in: staging, like: service)
        try await service.adoptStaging(staging)
        return .applied(vaults: counts.vaults, archives: counts.archives)
    }

    /// Removes staging directories a crash left behind (start-up).
    static func removeLeftovers(in dataDirectory: String) {
        for name in GlacierService.listDirectory(dataDirectory) where name.hasPrefix("seed-staging-") {
            try? FileManager.default.removeItem(atPath: dataDirectory + "/" + name)
        }
    }

    // MARK: Stage 2: the staging state

    private static func build(_ documents: [Document], in directory: String, like live: GlacierService) async throws -> (vaults: Int, archives: Int) {
        var options = ServiceOptions()
        options.fsync = live.options.fsync
        options.inventory = live.options.inventory
        options.spareFiles = 0
        // Every job starts pending; the seed completes those it says are done.
        for tier in Tier.allCases { options.jobDelay[tier] = neverMilliseconds }
        let staging = try await GlacierService(dataDirectory: directory, logger: live.logger, options: options)
        var vaults = 0, archives = 0
        for doc in documents {
            for region in doc.regions {
                let caller = Caller(accountID: region.account, region: region.region)
                try await doc.attempt(region.path + ".DataRetrievalPolicy") {
                    if let policy = region.retrievalPolicy {
                        try await staging.setDataRetrievalPolicy(caller, body: try json(["Policy": policy]))
                    }
                }
                try await doc.attempt(region.path + ".ProvisionedCapacityUnits") {
                    for _ in 0..<region.capacityUnits { _ = try await staging.purchaseProvisionedCapacity(caller) }
                }
                for vault in region.vaults {
                    try await apply(vault, caller: caller, doc: doc, to: staging)
                    vaults += 1
                    archives += vault.archives.count
                }
            }
        }
        return (vaults, archives)
    }

    private static func apply(_ vault: Vault, caller: Caller, doc: Document, to staging: GlacierService) async throws {
        let name = vault.name
        let key = VaultKey(accountID: caller.accountID, region: caller.region, name: name)
        try await doc.attempt(vault.path + ".VaultName") { _ = try await staging.createVault(caller, name: name) }
        if let date = vault.creationDate {
            try await staging.store.setSeedDate(.vaultCreation(key), date)
        }
        if let tags = vault.tags {
            try await doc.attempt(vault.path + ".Tags") {
                guard tags.count <= GlacierService.maxTags else {
                    throw GlacierError(.limitExceeded, "A vault can have at most \(GlacierService.maxTags) tags; this one lists \(tags.count)")
                }
                // AddTagsToVault takes at most 10 tags per request.
                let sorted = tags.sorted { $0.key < $1.key }
                for start in stride(from: 0, to: sorted.count, by: 10) {
                    let batch = Dictionary(uniqueKeysWithValues: sorted[start..<min(start + 10, sorted.count)].map { ($0.key, $0.value) })
                    try await staging.addTags(caller, vaultName: name, body: try json(["Tags": batch]))
                }
            }
        }
        if let policy = vault.accessPolicy {
            try await doc.attempt(vault.path + ".AccessPolicy") {
                try await staging.setAccessPolicy(caller, vaultName: name, body: try json(["Policy": policy]))
            }
        }
        if let notifications = vault.notifications {
            try await doc.attempt(vault.path + ".Notifications") {
                try await staging.setNotifications(caller, vaultName: name, body: try json(notifications))
            }
        }
        var archiveIDs: [String: String] = [:]
        var rows: [(ArchiveRow, blobID: String)] = []
        for archive in vault.archives {
            let row = try await doc.attempt(archive.path) {
                try Rules.checkArchiveDescription(archive.description)
                let blob = try staging.importBlob(archive.content)
                return ArchiveRow(
                    id: RandomID.make(length: 138), vault: key, description: archive.description,
                    creationDate: archive.creationDate ?? staging.now(), size: blob.length, treeHash: blob.treeHash)
                    .with(blob.id)
            }
            rows.append(row)
            if let label = archive.name { archiveIDs[label] = row.0.id }
        }
        // One transaction for the vault's archives (1,000 commits cost more than their files).
        try await doc.attempt(vault.path + ".Archives") {
            guard try await staging.store.insertSeedArchives(rows) else { throw GlacierError(.resourceNotFound, "no vault \(name)") }
        }
        for upload in vault.uploads {
            try await doc.attempt(upload.path) {
                let (_, uploadID) = try await staging.initiateMultipartUpload(
                    caller, vaultName: name, partSize: String(upload.partSize), description: upload.description)
                if let date = upload.creationDate { try await staging.store.setSeedDate(.uploadCreation(uploadID: uploadID), date) }
                for part in upload.parts {
                    try await doc.attempt(part.path) {
                        let blob = try staging.importBlob(part.content)
                        do {
                            let range = try ContentRange.parse("bytes \(part.rangeStart)-\(part.rangeStart + blob.length - 1)/*")
                            try range.check(partSize: upload.partSize)
                            let row = PartRow(uploadID: uploadID, rangeStart: part.rangeStart, length: blob.length, treeHash: blob.treeHash, blobID: blob.id)
                            switch try await staging.store.putPart(row, vault: key, maxParts: Int(Rules.maxParts)) {
                            case .stored: break
                            case .uploadGone: throw GlacierError(.resourceNotFound, "the upload is gone")
                            case .tooManyParts: throw GlacierError.invalid("an upload has at most \(Rules.maxParts) parts")
                            }
                        } catch {
                            staging.blobs.remove(blob.id)
                            throw error
                        }
                    }
                }
            }
        }
        // The inventory before the jobs: an inventory job lists the vault's last inventory.
        if let taken = vault.inventoryDate {
            let date = taken ?? staging.now()
            _ = try await staging.store.takeInventories(of: key, now: date)
            // A vault no archive was ever added to gets none from the operation; the seed says
            // one was taken (of no archives), so it gets that date.
            if try await staging.store.vault(key)?.lastInventoryDate == nil {
                try await staging.store.setSeedDate(.lastInventory(key), date)
            }
        }
        for job in vault.jobs {
            try await doc.attempt(job.path) {
                var params = job.parameters
                if let label = job.archive {
                    params["ArchiveId"] = archiveIDs[label]
                }
                let (_, jobID) = try await staging.initiateJob(caller, vaultName: name, body: try json(params))
                if job.completed {
                    try await staging.completeSeededJob(id: jobID)
                } else if let seconds = job.completesInSeconds {
                    try await staging.store.setSeedDate(.jobCompletesAt(jobID: jobID), staging.now() + seconds * 1000)
                }
            }
        }
        // The vault lock last: its Deny statements would refuse the staging operations above.
        if let lock = vault.lock {
            try await doc.attempt(vault.path + ".VaultLock") {
                let lockID = try await staging.initiateVaultLock(caller, vaultName: name, body: try json(["Policy": lock.policy]))
                if lock.locked { try await staging.completeVaultLock(caller, vaultName: name, lockID: lockID) }
            }
        }
    }

    /// A pending seeded job with no `CompletesInSeconds` waits for `POST /_mock/jobs/complete`
    /// (a hundred years, in effect forever).
    static let neverMilliseconds: Milliseconds = 100 * 365 * 86_400_000

    static func json(_ value: Any) throws -> [UInt8] {
        Array(try JSONSerialization.data(withJSONObject: value, options: [.sortedKeys, .withoutEscapingSlashes]))
    }

    // MARK: Stage 1: the documents

    /// Where an archive's or a part's bytes come from.
    public enum Content: Sendable {
        case file(String)
        case text(String)
        case generated(size: Int64, seed: UInt64)
    }

    struct Document {
        let file: String
        var regions: [Region] = []

        /// Runs a stage-2 step; a Glacier rule it breaks becomes a `Problem` at `path`.
        func attempt<T>(_ path: String, _ body: () async throws -> T) async throws -> T {
            do {
                return try await body()
            } catch let e as GlacierError {
                throw Problem(file: file, path: path, rule: "\(e.code.rawValue): \(e.message)")
            } catch let e as BlobStoreError {
                throw Problem(file: file, path: path, rule: e.description)
            }
        }

        static func read(_ file: String) throws -> Document {
            guard let data = FileManager.default.contents(atPath: file) else {
                throw Problem(file: file, path: "$", rule: "cannot read the file")
            }
            let root: Any
            do {
                root = try JSONSerialization.jsonObject(with: data, options: [.fragmentsAllowed])
            } catch {
                throw Problem(file: file, path: "$", rule: "not valid JSON (\((error as NSError).userInfo["NSDebugDescription"] ?? error))")
            }
            var reader = Reader(file: file, base: (file as NSString).deletingLastPathComponent)
            return Document(file: file, regions: try reader.document(root))
        }
    }

    struct Region {
        let path: String
        let account: String
        let region: String
        var retrievalPolicy: Any?
        var capacityUnits = 0
        var vaults: [Vault] = []
    }

    struct Vault {
        let path: String
        let name: String
        var creationDate: Milliseconds?
        var tags: [String: String]?
        var accessPolicy: String?
        var lock: (policy: String, locked: Bool)?
        var notifications: [String: Any]?
        /// Present when the inventory was taken: nil inside for "now".
        var inventoryDate: Milliseconds??
        var archives: [Archive] = []
        var uploads: [Upload] = []
        var jobs: [Job] = []
    }

    struct Archive {
        let path: String
        let name: String?
        let content: Content
        let description: String?
        let creationDate: Milliseconds?
    }

    struct Upload {
        let path: String
        let partSize: Int64
        let description: String?
        let creationDate: Milliseconds?
        var parts: [Part]
    }

    struct Part {
        let path: String
        let rangeStart: Int64
        let content: Content
    }

    struct Job {
        let path: String
        var parameters: [String: Any]
        let archive: String?
        let completed: Bool
        let completesInSeconds: Int64?
    }

    /// Walks a document, checking the shape of each member and naming its JSON path.
    struct Reader {
        let file: String
        let base: String

        func problem(_ path: String, _ rule: String) -> Problem { Problem(file: file, path: path, rule: rule) }

        func object(_ value: Any?, _ path: String, members: [String], required: [String] = []) throws -> [String: Any] {
            guard let object = value as? [String: Any] else { throw problem(path, "must be a JSON object") }
            if let unknown = object.keys.sorted().first(where: { !members.contains($0) }) {
                throw problem(path, "unknown member '\(unknown)'; the members are \(members.joined(separator: ", "))")
            }
            for name in required where object[name] == nil || object[name] is NSNull {
                throw problem(path, "the member \(name) is required")
            }
            return object
        }

        func array(_ value: Any?, _ path: String) throws -> [Any] {
            guard let value, !(value is NSNull) else { return [] }
            guard let list = value as? [Any] else { throw problem(path, "must be a JSON array") }
            return list
        }

        func string(_ value: Any?, _ path: String) throws -> String? {
            guard let value, !(value is NSNull) else { return nil }
            guard let s = value as? String else { throw problem(path, "must be a string") }
            return s
        }

        func integer(_ value: Any?, _ path: String, in range: ClosedRange<Int64>) throws -> Int64? {
            guard let value, !(value is NSNull) else { return nil }
            guard let n = value as? NSNumber, !isJSONBoolean(value), let i = Int64(exactly: n.doubleValue),
                range.contains(i)
            else {
                throw problem(path, "must be a whole number from \(range.lowerBound) to \(range.upperBound)")
            }
            return i
        }

        /// JSON's true and false (Foundation gives numbers and booleans both as NSNumber).
        func isJSONBoolean(_ value: Any) -> Bool {
            String(describing: type(of: value)).contains("Boolean") || type(of: value) == Bool.self
        }

        func date(_ value: Any?, _ path: String) throws -> Milliseconds? {
            guard let text = try string(value, path) else { return nil }
            guard let ms = Timestamp.parseISO8601(text) else {
                throw problem(path, "'\(text.prefix(60))' is not an ISO 8601 UTC date such as 2024-01-31T12:00:00Z")
            }
            return ms
        }

        /// A policy: a JSON object, or a string holding one (as the API's Policy member).
        func policy(_ value: Any?, _ path: String) throws -> String? {
            guard let value, !(value is NSNull) else { return nil }
            if let text = value as? String { return text }
            guard value is [String: Any] else { throw problem(path, "must be a policy document: a JSON object, or a string holding one") }
            return String(decoding: try Seed.json(value), as: UTF8.self)
        }

        mutating func document(_ root: Any) throws -> [Region] {
            let top = try object(root, "$", members: ["Accounts", "Comment"], required: ["Accounts"])
            var regions: [Region] = []
            for (i, a) in try array(top["Accounts"], "$.Accounts").enumerated() {
                let path = "$.Accounts[\(i)]"
                let account = try object(a, path, members: ["AccountId", "Regions"], required: ["AccountId", "Regions"])
                let id = try string(account["AccountId"], path + ".AccountId")!
                guard id.count == 12, id.allSatisfy({ $0.isASCII && $0.isNumber }) else {
                    throw problem(path + ".AccountId", "an account ID is 12 digits; '\(id.prefix(40))' is not")
                }
                for (j, r) in try array(account["Regions"], path + ".Regions").enumerated() {
                    regions.append(try region(r, "\(path).Regions[\(j)]", account: id))
                }
            }
            return regions
        }

        func region(_ value: Any, _ path: String, account: String) throws -> Region {
            let o = try object(
                value, path, members: ["Region", "DataRetrievalPolicy", "ProvisionedCapacityUnits", "Vaults"], required: ["Region"])
            let name = try string(o["Region"], path + ".Region")!
            guard !name.isEmpty, name.count <= 32, name.allSatisfy({ $0.isASCII && ($0.isLowercase || $0.isNumber || $0 == "-") }) else {
                throw problem(path + ".Region", "a region is lower-case letters, digits and '-', such as us-east-1; '\(name.prefix(40))' is not")
            }
            var region = Region(path: path, account: account, region: name)
            if let policy = o["DataRetrievalPolicy"], !(policy is NSNull) {
                guard policy is [String: Any] else {
                    throw problem(path + ".DataRetrievalPolicy", "must be a policy object such as {\"Rules\": [{\"Strategy\": \"BytesPerHour\", \"BytesPerHour\": 10737418240}]}")
                }
                region.retrievalPolicy = policy
            }
            region.capacityUnits = Int(try integer(o["ProvisionedCapacityUnits"], path + ".ProvisionedCapacityUnits", in: 0...Int64(GlacierService.maxCapacityUnits)) ?? 0)
            var names: Set<String> = []
            for (k, v) in try array(o["Vaults"], path + ".Vaults").enumerated() {
                let vault = try self.vault(v, "\(path).Vaults[\(k)]")
                guard names.insert(vault.name).inserted else {
                    throw problem("\(path).Vaults[\(k)].VaultName", "vault \(vault.name) is listed twice in this region")
                }
                region.vaults.append(vault)
            }
            return region
        }

        func vault(_ value: Any, _ path: String) throws -> Vault {
            let o = try object(
                value, path,
                members: ["VaultName", "CreationDate", "Tags", "AccessPolicy", "VaultLock", "Notifications", "InventoryTaken",
                          "Archives", "MultipartUploads", "Jobs"],
                required: ["VaultName"])
            var vault = Vault(path: path, name: try string(o["VaultName"], path + ".VaultName")!)
            vault.creationDate = try date(o["CreationDate"], path + ".CreationDate")
            if let t = o["Tags"], !(t is NSNull) {
                guard let tags = t as? [String: Any] else { throw problem(path + ".Tags", "must be an object of tag keys to string values") }
                var result: [String: String] = [:]
                for (key, value) in tags {
                    guard let s = value as? String else { throw problem("\(path).Tags.\(key)", "a tag value must be a string") }
                    result[key] = s
                }
                vault.tags = result
            }
            vault.accessPolicy = try policy(o["AccessPolicy"], path + ".AccessPolicy")
            if let l = o["VaultLock"], !(l is NSNull) {
                let lock = try object(l, path + ".VaultLock", members: ["Policy", "State"], required: ["Policy", "State"])
                let state = try string(lock["State"], path + ".VaultLock.State")!
                guard state == "InProgress" || state == "Locked" else {
                    throw problem(path + ".VaultLock.State", "must be InProgress or Locked; it is '\(state.prefix(40))'")
                }
                vault.lock = (try policy(lock["Policy"], path + ".VaultLock.Policy")!, state == "Locked")
            }
            if let n = o["Notifications"], !(n is NSNull) {
                vault.notifications = try object(n, path + ".Notifications", members: ["SNSTopic", "Events"], required: ["SNSTopic", "Events"])
            }
            switch o["InventoryTaken"] {
            case nil, is NSNull: break
            case let flag as Bool where isJSONBoolean(o["InventoryTaken"]!):
                if flag { vault.inventoryDate = .some(nil) }
            default:
                vault.inventoryDate = .some(try date(o["InventoryTaken"], path + ".InventoryTaken"))
            }
            var labels: Set<String> = []
            for (i, a) in try array(o["Archives"], path + ".Archives").enumerated() {
                let archive = try self.archive(a, "\(path).Archives[\(i)]")
                if let name = archive.name, !labels.insert(name).inserted {
                    throw problem("\(path).Archives[\(i)].Name", "archive name '\(name)' is used twice in this vault")
                }
                vault.archives.append(archive)
            }
            for (i, u) in try array(o["MultipartUploads"], path + ".MultipartUploads").enumerated() {
                vault.uploads.append(try upload(u, "\(path).MultipartUploads[\(i)]"))
            }
            for (i, j) in try array(o["Jobs"], path + ".Jobs").enumerated() {
                vault.jobs.append(try job(j, "\(path).Jobs[\(i)]", archives: labels))
            }
            return vault
        }

        func content(_ o: [String: Any], _ path: String) throws -> Content {
            let given = ["File", "Text", "Generated"].filter { o[$0] != nil && !(o[$0] is NSNull) }
            guard given.count == 1 else {
                throw problem(path, "give the bytes in exactly one of File (a path relative to the seed file), Text, or Generated {\"Size\": N, \"Seed\": S}")
            }
            switch given[0] {
            case "File":
                let name = try string(o["File"], path + ".File")!
                let full = name.hasPrefix("/") ? name : (base.isEmpty ? name : base + "/" + name)
                var isDirectory: ObjCBool = false
                guard FileManager.default.fileExists(atPath: full, isDirectory: &isDirectory), !isDirectory.boolValue,
                    FileManager.default.isReadableFile(atPath: full)
                else { throw problem(path + ".File", "cannot read the file \(full)") }
                let size = (try? FileManager.default.attributesOfItem(atPath: full)[.size] as? NSNumber)?.int64Value ?? 0
                guard size > 0 else { throw problem(path + ".File", "the file \(full) is empty; an archive or part holds at least 1 byte") }
                return .file(full)
            case "Text":
                let text = try string(o["Text"], path + ".Text")!
                guard !text.isEmpty else { throw problem(path + ".Text", "must not be empty; an archive or part holds at least 1 byte") }
                return .text(text)
            default:
                let g = try object(o["Generated"], path + ".Generated", members: ["Size", "Seed"], required: ["Size"])
                let size = try integer(g["Size"], path + ".Generated.Size", in: 1...(Rules.maxParts * Rules.maxPartSize))!
                let seed = try integer(g["Seed"], path + ".Generated.Seed", in: 0...Int64.max) ?? 0
                return .generated(size: size, seed: UInt64(seed))
            }
        }

        func archive(_ value: Any, _ path: String) throws -> Archive {
            let o = try object(value, path, members: ["Name", "File", "Text", "Generated", "Description", "CreationDate"])
            return Archive(
                path: path, name: try string(o["Name"], path + ".Name"), content: try content(o, path),
                description: try string(o["Description"], path + ".Description"), creationDate: try date(o["CreationDate"], path + ".CreationDate"))
        }

        func upload(_ value: Any, _ path: String) throws -> Upload {
            let o = try object(value, path, members: ["PartSizeInBytes", "Description", "CreationDate", "Parts"])
            var upload = Upload(
                path: path, partSize: try integer(o["PartSizeInBytes"], path + ".PartSizeInBytes", in: 1...Rules.maxPartSize) ?? Rules.mebibyte,
                description: try string(o["Description"], path + ".Description"), creationDate: try date(o["CreationDate"], path + ".CreationDate"),
                parts: [])
            var starts: Set<Int64> = []
            for (i, p) in try array(o["Parts"], path + ".Parts").enumerated() {
                let pp = "\(path).Parts[\(i)]"
                let part = try object(p, pp, members: ["RangeStart", "File", "Text", "Generated"], required: ["RangeStart"])
                let start = try integer(part["RangeStart"], pp + ".RangeStart", in: 0...(Rules.maxParts * Rules.maxPartSize))!
                guard starts.insert(start).inserted else { throw problem(pp + ".RangeStart", "another part of this upload starts at \(start)") }
                upload.parts.append(Part(path: pp, rangeStart: start, content: try content(part, pp)))
            }
            return upload
        }

        func job(_ value: Any, _ path: String, archives: Set<String>) throws -> Job {
            let o = try object(
                value, path,
                members: ["Type", "Archive", "Tier", "RetrievalByteRange", "Description", "SNSTopic", "Format",
                          "InventoryRetrievalParameters", "Status", "CompletesInSeconds"],
                required: ["Type"])
            let type = try string(o["Type"], path + ".Type")!
            var archive: String?
            switch type {
            case "archive-retrieval":
                guard let label = try string(o["Archive"], path + ".Archive") else {
                    throw problem(path + ".Archive", "an archive-retrieval job names the Name of one of this vault's Archives")
                }
                guard archives.contains(label) else {
                    throw problem(path + ".Archive", "no archive of this vault is named '\(label.prefix(100))'")
                }
                archive = label
            case "inventory-retrieval":
                if o["Archive"] != nil { throw problem(path + ".Archive", "an inventory-retrieval job names no archive") }
            default:
                throw problem(path + ".Type", "must be archive-retrieval or inventory-retrieval; it is '\(type.prefix(40))'")
            }
            let status = try string(o["Status"], path + ".Status") ?? "Succeeded"
            guard status == "Succeeded" || status == "InProgress" else {
                throw problem(path + ".Status", "must be InProgress or Succeeded; it is '\(status.prefix(40))'")
            }
            let completesIn = try integer(o["CompletesInSeconds"], path + ".CompletesInSeconds", in: 1...(10 * 365 * 86_400))
            if completesIn != nil && status == "Succeeded" {
                throw problem(path + ".CompletesInSeconds", "applies to InProgress jobs only")
            }
            var parameters: [String: Any] = ["Type": type]
            for key in ["Tier", "RetrievalByteRange", "Description", "SNSTopic", "Format", "InventoryRetrievalParameters"] {
                if let v = o[key], !(v is NSNull) { parameters[key] = v }
            }
            return Job(path: path, parameters: parameters, archive: archive, completed: status == "Succeeded", completesInSeconds: completesIn)
        }
    }
}

extension GlacierService {
    /// Writes `content` to a new blob file, hashing it on the way (a seed's archive or part).
    func importBlob(_ content: Seed.Content) throws -> (id: String, length: Int64, treeHash: String) {
        let writer = try blobs.makeTemporary()
        defer { writer.discard() }
        let hasher = TreeHasher()
        func feed(_ bytes: UnsafeRawBufferPointer) throws {
            try writer.write(bytes)
            hasher.update(bytes)
        }
        switch content {
        case .text(let text):
            try Array(text.utf8).withUnsafeBytes(feed)
        case .file(let path):
            guard let handle = FileHandle(forReadingAtPath: path) else {
                throw BlobStoreError.io(operation: "open", path: path, errno: ENOENT)
            }
            defer { try? handle.close() }
            while let chunk = try handle.read(upToCount: 1 << 20), !chunk.isEmpty {
                try chunk.withUnsafeBytes(feed)
            }
        case .generated(let size, let seed):
            var generator = SeedBytes(seed: seed)
            var buffer = [UInt8](repeating: 0, count: 1 << 20)
            var left = size
            while left > 0 {
                let n = Int(min(Int64(buffer.count), left))
                generator.fill(&buffer, count: n)
                try buffer.withUnsafeBytes { try feed(UnsafeRawBufferPointer(rebasing: $0[..<n])) }
                left -= Int64(n)
            }
        }
        let length = writer.bytesWritten
        let treeHash = hasher.finalize().hex
        let id = try blobs.publish(writer)
        return (id, length, treeHash)
    }

    /// Moves a staging directory's blob files into `blobs/` and makes its metadata the live
    /// state in one transaction (a seed's last stage).
    func adoptStaging(_ staging: String) async throws {
        let moved = Self.listDirectory(staging + "/blobs")
        var adopted: [String] = []
        do {
            for id in moved {
                guard rename(staging + "/blobs/" + id, blobs.path(of: id)) == 0 else {
                    throw BlobStoreError.io(operation: "rename", path: staging + "/blobs/" + id, errno: errno)
                }
                adopted.append(id)
            }
            try await replaceState(from: staging + "/glacier.sqlite")
        } catch {
            adopted.forEach(blobs.remove)
            throw error
        }
    }
}

/// The bytes of `{"Generated": {"Size": N, "Seed": S}}`: SplitMix64 from state S, each output
/// written little-endian, cut at N bytes (docs/seeds-and-snapshots.md shows it in Python).
struct SeedBytes {
    var state: UInt64

    init(seed: UInt64) { state = seed }

    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }

    /// Fills the first `count` bytes of `buffer` with the next bytes of the stream
    /// (`count` a multiple of 8 except at the very end).
    mutating func fill(_ buffer: inout [UInt8], count: Int) {
        buffer.withUnsafeMutableBytes { out in
            var i = 0
            while i + 8 <= count {
                out.storeBytes(of: next().littleEndian, toByteOffset: i, as: UInt64.self)
                i += 8
            }
            if i < count {
                var last = next().littleEndian
                withUnsafeBytes(of: &last) { bytes in
                    for k in 0..<(count - i) { out[i + k] = bytes[k] }
                }
            }
        }
    }
}

extension ArchiveRow {
    fileprivate func with(_ blobID: String) -> (ArchiveRow, blobID: String) { (self, blobID) }
}
