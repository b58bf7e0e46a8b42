import Foundation
import GlacierStorage

/// `glacier-mock export --data-dir DIR --to SEED_DIR`: writes the state of a data directory as
/// a seed document (`SEED_DIR/seed.json`) and the bytes of its archives and parts
/// (`SEED_DIR/archives/N.bin`, `SEED_DIR/parts/U-N.bin`), which `--seed SEED_DIR/seed.json`
/// loads back. IDs are not kept (a seed cannot choose them); archives get `Name`s, and
/// archive-retrieval jobs refer to them. Jobs whose archive was deleted, and expired jobs,
/// cannot be re-made and are left out (listed in `skipped`).
public enum SeedExport {
    public struct Result: Sendable {
        public var vaults = 0
        public var archives = 0
        public var uploads = 0
        public var jobs = 0
        public var skipped: [String] = []
    }

    public static func export(dataDirectory: String, to target: String) async throws -> Result {
        let store = try MetadataStore(path: dataDirectory + "/glacier.sqlite")
        let rows = try await store.exportRows()
        let blobDir = dataDirectory + "/blobs/"
        let fm = FileManager.default
        try fm.createDirectory(atPath: target + "/archives", withIntermediateDirectories: true)
        try fm.createDirectory(atPath: target + "/parts", withIntermediateDirectories: true)
        var result = Result()
        let offset = rows.accountSettings.first { $0.0 == "" && $0.2 == GlacierService.clockOffsetSetting }.flatMap { Int64($0.3) } ?? 0
        let now = Timestamp.now() + offset

        /// Concatenates blob files (an archive's segments) into one file.
        func write(_ blobIDs: [(String, Int64)], to file: String) throws {
            guard fm.createFile(atPath: target + "/" + file, contents: nil),
                let out = FileHandle(forWritingAtPath: target + "/" + file)
            else { throw CocoaError(.fileWriteUnknown, userInfo: [NSFilePathErrorKey: target + "/" + file]) }
            defer { try? out.close() }
            for (id, length) in blobIDs {
                guard let input = FileHandle(forReadingAtPath: blobDir + id) else {
                    throw CocoaError(.fileReadNoSuchFile, userInfo: [NSFilePathErrorKey: blobDir + id])
                }
                defer { try? input.close() }
                var left = length
                while left > 0, let chunk = try input.read(upToCount: Int(min(left, 1 << 20))), !chunk.isEmpty {
                    try out.write(contentsOf: chunk)
                    left -= Int64(chunk.count)
                }
            }
        }

        // account → region → vaults
        var regions: [String: [String: [String: Any]]] = [:]
        func regionEntry(_ account: String, _ region: String) -> [String: Any] {
            regions[account, default: [:]][region] ?? ["Region": region]
        }
        for (account, region, kind, value) in rows.accountSettings where account != "" {
            var entry = regionEntry(account, region)
            switch kind {
            case GlacierService.SettingKind.retrievalPolicy:
                if let rules = JSONInput.parse(value) as? [[String: Any]] { entry["DataRetrievalPolicy"] = ["Rules": rules] }
            case GlacierService.SettingKind.capacity:
                let active = ((JSONInput.parse(value) as? [[String: Any]]) ?? []).filter {
                    (($0["ExpirationDate"] as? NSNumber)?.int64Value ?? 0) > now
                }
                if !active.isEmpty { entry["ProvisionedCapacityUnits"] = active.count }
            default: break
            }
            regions[account, default: [:]][region] = entry
        }
        var archiveNames: [String: String] = [:]
        var vaultsByKey: [VaultKey: [String: Any]] = [:]
        var order: [VaultKey] = []
        for v in rows.vaults {
            var vault: [String: Any] = ["VaultName": v.key.name, "CreationDate": Timestamp.iso8601(v.creationDate)]
            if let inventory = v.lastInventoryDate { vault["InventoryTaken"] = Timestamp.iso8601(inventory) }
            vaultsByKey[v.key] = vault
            order.append(v.key)
            result.vaults += 1
        }
        for (key, kind, value) in rows.vaultSettings {
            guard var vault = vaultsByKey[key] else { continue }
            switch kind {
            case GlacierService.SettingKind.tags:
                vault["Tags"] = JSONInput.parse(value) as? [String: String] ?? [:]
            case GlacierService.SettingKind.accessPolicy:
                vault["AccessPolicy"] = value  // the stored text, so the policy comes back byte for byte
            case GlacierService.SettingKind.notifications:
                vault["Notifications"] = JSONInput.parse(value)
            case GlacierService.SettingKind.lock:
                if let lock = try? JSONDecoder().decode(GlacierService.Lock.self, from: Data(value.utf8)),
                    lock.State == "Locked" || (lock.ExpirationDate ?? 0) > now
                {
                    vault["VaultLock"] = ["Policy": lock.Policy, "State": lock.State]
                }
            default: break
            }
            vaultsByKey[key] = vault
        }
        for (i, a) in rows.archives.enumerated() {
            guard var vault = vaultsByKey[a.vault] else { continue }
            let name = "archive-\(i + 1)"
            let file = "archives/\(i + 1).bin"
            try write((rows.segments[a.id] ?? []).map { ($0.blobID, $0.length) }, to: file)
            var entry: [String: Any] = ["Name": name, "File": file, "CreationDate": Timestamp.iso8601(a.creationDate)]
            if let d = a.description { entry["Description"] = d }
            vault["Archives", default: [Any]()] = ((vault["Archives"] as? [Any]) ?? []) + [entry]
            vaultsByKey[a.vault] = vault
            archiveNames[a.id] = name
            result.archives += 1
        }
        for (i, u) in rows.uploads.enumerated() {
            guard var vault = vaultsByKey[u.vault] else { continue }
            var parts: [Any] = []
            for (j, p) in (rows.parts[u.id] ?? []).enumerated() {
                let file = "parts/\(i + 1)-\(j + 1).bin"
                try write([(p.blobID, p.length)], to: file)
                parts.append(["RangeStart": p.rangeStart, "File": file])
            }
            var entry: [String: Any] = ["PartSizeInBytes": u.partSize, "CreationDate": Timestamp.iso8601(u.creationDate), "Parts": parts]
            if let d = u.description { entry["Description"] = d }
            vault["MultipartUploads"] = ((vault["MultipartUploads"] as? [Any]) ?? []) + [entry]
            vaultsByKey[u.vault] = vault
            result.uploads += 1
        }
        for job in rows.jobs {
            guard var vault = vaultsByKey[job.vault], let doc = try? JobDocument.decode(job.document) else { continue }
            if let done = job.completedAt, done < now - 24 * 3_600_000 {
                result.skipped.append("job \(job.id): expired")
                continue
            }
            var entry: [String: Any] = ["Status": job.completedAt == nil ? "InProgress" : "Succeeded"]
            if job.completedAt == nil, job.completesAt - now < Seed.neverMilliseconds / 2 {
                entry["CompletesInSeconds"] = max(1, (job.completesAt - now + 999) / 1000)
            }
            if let d = doc.JobDescription { entry["Description"] = d }
            if let t = doc.SNSTopic { entry["SNSTopic"] = t }
            if doc.Action == JobDocument.archiveRetrieval {
                guard let archive = doc.ArchiveId, let name = archiveNames[archive] else {
                    result.skipped.append("job \(job.id): its archive was deleted")
                    continue
                }
                entry["Type"] = "archive-retrieval"
                entry["Archive"] = name
                if let tier = doc.Tier { entry["Tier"] = tier }
                if let range = doc.RetrievalByteRange { entry["RetrievalByteRange"] = range }
            } else {
                entry["Type"] = "inventory-retrieval"
                if let p = doc.InventoryRetrievalParameters {
                    entry["Format"] = p.Format
                    var params: [String: Any] = [:]
                    if let v = p.StartDate { params["StartDate"] = v }
                    if let v = p.EndDate { params["EndDate"] = v }
                    if let v = p.Limit { params["Limit"] = v }
                    if !params.isEmpty { entry["InventoryRetrievalParameters"] = params }
                }
            }
            vault["Jobs"] = ((vault["Jobs"] as? [Any]) ?? []) + [entry]
            vaultsByKey[job.vault] = vault
            result.jobs += 1
        }
        for key in order {
            var entry = regionEntry(key.accountID, key.region)
            entry["Vaults"] = ((entry["Vaults"] as? [Any]) ?? []) + [vaultsByKey[key]!]
            regions[key.accountID, default: [:]][key.region] = entry
        }
        let accounts: [Any] = regions.keys.sorted().map { account in
            ["AccountId": account, "Regions": regions[account]!.keys.sorted().map { regions[account]![$0]! }] as [String: Any]
        }
        let document: [String: Any] = [
            "Comment": "Exported by glacier-mock export from \(dataDirectory) at \(Timestamp.iso8601(now))",
            "Accounts": accounts,
        ]
        let data = try JSONSerialization.data(withJSONObject: document, options: [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes])
        guard fm.createFile(atPath: target + "/seed.json", contents: data + Data("\n".utf8)) else {
            throw CocoaError(.fileWriteUnknown, userInfo: [NSFilePathErrorKey: target + "/seed.json"])
        }
        return result
    }
}
