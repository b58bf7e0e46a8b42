import Foundation
import GlacierStorage
import TreeHash

extension GlacierService {
    /// InitiateJob: `archive-retrieval` or `inventory-retrieval`; `select` is refused.
    /// With no job delay configured the job completes before this returns.
    public func initiateJob(_ caller: Caller, vaultName: String, body: [UInt8]) async throws -> (location: String, jobID: String) {
        let vault = try vaultRef(caller, vaultName)
        guard try await store.vault(vault.key) != nil else { throw GlacierError.vaultNotFound(vault) }
        let params = try JSONInput.object(body, what: "job parameters")
        guard let type = try JSONInput.string(params, "Type") else { throw GlacierError.missingHeader("Type") }
        let description = try JSONInput.string(params, "Description")
        try Rules.checkJobDescription(description)
        let topic = try JSONInput.string(params, "SNSTopic")
        let now = self.now()
        var doc = JobDocument(
            JobId: RandomID.make(length: 92), JobDescription: description, Action: "", VaultARN: vault.arn,
            CreationDate: Timestamp.iso8601(now), Completed: false, StatusCode: "InProgress", SNSTopic: topic)
        var pinned: [OutputSegment] = []
        let tier: Tier
        switch type {
        case "archive-retrieval":
            tier = try Self.tier(try JSONInput.string(params, "Tier"))
            guard let archiveID = try JSONInput.string(params, "ArchiveId") else { throw GlacierError.missingHeader("ArchiveId") }
            guard let archive = try await store.archive(id: archiveID, in: vault.key) else {
                throw GlacierError(.resourceNotFound, "Archive not found for ID: \(archiveID.prefix(200)) in vault \(vault.arn)")
            }
            let range = try RetrievalRange.parse(try JSONInput.string(params, "RetrievalByteRange"), archiveSize: archive.size)
            // "A data retrieval policy applies only to Standard retrievals": only their bytes
            // are checked against the hourly budget, and only theirs are counted toward it.
            let governed = tier == .standard
            if governed { try await enforceRetrievalPolicy(caller, bytes: range.length, now: now) }
            let segments = try await store.segments(ofArchive: archive.id)
            doc.Action = JobDocument.archiveRetrieval
            doc.ArchiveId = archive.id
            doc.ArchiveSizeInBytes = archive.size
            doc.ArchiveSHA256TreeHash = archive.treeHash
            doc.RetrievalByteRange = "\(range.start)-\(range.start + range.length - 1)"
            doc.Tier = tier.rawValue
            doc.archiveDescription = archive.description
            pinned = segments.map { OutputSegment(blobID: $0.blobID, length: $0.length, treeHash: $0.treeHash) }
            doc.SHA256TreeHash = try rangeTreeHash(segments: pinned, start: range.start, length: range.length, total: archive.size, wholeHash: archive.treeHash)
            if governed {
                try await store.recordRetrieval(accountID: caller.accountID, region: caller.region, at: now, bytes: range.length)
            }
        case "inventory-retrieval":
            // "An error occurs if you specify this field for an inventory retrieval job request"
            // (Job Parameters: ArchiveId, RetrievalByteRange).
            for field in ["ArchiveId", "RetrievalByteRange"] where params[field] != nil && !(params[field] is NSNull) {
                throw GlacierError.invalid("\(field) applies to archive-retrieval jobs only; an inventory-retrieval job may not specify it")
            }
            tier = .standard
            doc.Action = JobDocument.inventoryRetrieval
            doc.InventoryRetrievalParameters = try await inventoryParameters(params, vault: vault)
            // "A vault inventory must exist for you to be able to download it" (Working with
            // Vaults); Glacier creates the first one within about a day of the first archive
            // upload. AWS documents no error for this case: glacier-mock answers InitiateJob's
            // ResourceNotFoundException, "the specified resource ... doesn't exist"
            // (docs/inventory.md).
            if options.inventory == .daily, try await store.vault(vault.key)?.lastInventoryDate == nil {
                throw GlacierError(
                    .resourceNotFound,
                    "Inventory not found for vault \(vault.arn): Glacier creates a vault's first inventory about a day after its first archive upload, "
                        + "and this vault has none yet (POST /_mock/inventory takes it now, or move the clock past 00:00 UTC with POST /_mock/clock)")
            }
        case "select":
            throw GlacierError.invalid("Select jobs (Type \"select\") are not supported by glacier-mock; use archive-retrieval or inventory-retrieval")
        default:
            throw GlacierError.invalid("Invalid job type '\(type.prefix(60))': Type must be archive-retrieval, inventory-retrieval or select")
        }
        let delay = options.jobDelay[tier] ?? 0
        let row = JobRow(id: doc.JobId, vault: vault.key, document: doc.encoded(), completesAt: now + delay, completedAt: nil)
        switch try await store.createJob(row, segments: pinned, archiveID: doc.ArchiveId) {
        case .created: break
        case .vaultNotFound: throw GlacierError.vaultNotFound(vault)
        case .archiveNotFound:
            throw GlacierError(.resourceNotFound, "Archive not found for ID: \(doc.ArchiveId?.prefix(200) ?? "") in vault \(vault.arn)")
        }
        if delay == 0 { try await complete(row) }
        return ("\(vault.location)/jobs/\(doc.JobId)", doc.JobId)
    }

    static func tier(_ value: String?) throws -> Tier {
        guard let value else { return .standard }
        guard let tier = Tier(rawValue: value) else {
            throw GlacierError.invalid("Invalid Tier '\(value.prefix(40))': Tier must be Expedited, Standard or Bulk")
        }
        return tier
    }

    private func inventoryParameters(_ params: [String: Any], vault: VaultRef) async throws -> JobDocument.InventoryParameters {
        let format = try JSONInput.string(params, "Format") ?? "JSON"
        guard format == "JSON" || format == "CSV" else {
            throw GlacierError.invalid("Invalid inventory Format '\(format.prefix(40))': Format must be JSON or CSV")
        }
        var result = JobDocument.InventoryParameters(Format: format)
        guard let raw = params["InventoryRetrievalParameters"], !(raw is NSNull) else { return result }
        guard let p = raw as? [String: Any] else { throw GlacierError.invalid("InventoryRetrievalParameters must be an object") }
        result.StartDate = try JSONInput.string(p, "StartDate")
        result.EndDate = try JSONInput.string(p, "EndDate")
        for (name, value) in [("StartDate", result.StartDate), ("EndDate", result.EndDate)] {
            if let value, Timestamp.parseISO8601(value) == nil {
                throw GlacierError.invalid("\(name) '\(value.prefix(60))' is not an ISO 8601 UTC date such as 2026-11-21T10:00:00Z")
            }
        }
        if let s = result.StartDate.flatMap(Timestamp.parseISO8601), let e = result.EndDate.flatMap(Timestamp.parseISO8601), s >= e {
            throw GlacierError.invalid("StartDate must be earlier than EndDate")
        }
        result.Limit = try JSONInput.string(p, "Limit")
        if let limit = result.Limit {
            guard let n = Rules.parseDecimal(limit), n >= 1 else { throw GlacierError.invalid("Limit '\(limit.prefix(40))' must be a positive integer") }
        }
        result.Marker = try JSONInput.string(p, "Marker")
        // The archive the Marker names may have been deleted since the inventory that reported
        // it: the next one still starts where it stood (MetadataStore.inventoryPosition).
        if let marker = result.Marker, try await store.inventoryPosition(ofArchive: marker, in: vault.key) == nil {
            throw GlacierError.invalid(
                "Invalid inventory Marker '\(marker.prefix(200))': it names no archive of vault \(vault.arn), nor one deleted from it; "
                    + "use the Marker a previous inventory job reported")
        }
        return result
    }

    /// The tree hash of archive bytes [start, start+length) when that range is tree-hash
    /// aligned, else nil. The whole archive uses its recorded hash; a range that is exactly a
    /// run of segments is composed from theirs; any other aligned range is hashed from disk.
    func rangeTreeHash(segments: [OutputSegment], start: Int64, length: Int64, total: Int64, wholeHash: String?) throws -> String? {
        if start == 0 && length == total, let wholeHash { return wholeHash }
        guard TreeHashAlignment.isAligned(start: start, endInclusive: start + length - 1, total: total) else { return nil }
        // Whole segments inside the range: segments other than the last are whole parts
        // (1 MiB × 2^n), so when they fill the range their hashes compose.
        var offset: Int64 = 0
        var covered: [SHA256Digest] = []
        var coveredLength: Int64 = 0
        for s in segments {
            if offset >= start && offset + s.length <= start + length, let d = SHA256Digest(hex: s.treeHash) {
                covered.append(d)
                coveredLength += s.length
            }
            offset += s.length
        }
        if coveredLength == length && !covered.isEmpty { return TreeHash.combine(covered).hex }
        let hasher = TreeHasher()
        for piece in pieces(of: segments, from: start, length: length) {
            try blobs.read(piece.blobID, offset: piece.offset, length: piece.length) { hasher.update($0) }
        }
        return hasher.finalize().hex
    }

    /// Maps a byte range of concatenated segments to ranges of their blob files.
    func pieces(of segments: [OutputSegment], from start: Int64, length: Int64) -> [(blobID: String, offset: Int64, length: Int64)] {
        var result: [(String, Int64, Int64)] = []
        var segmentStart: Int64 = 0
        let end = start + length
        for s in segments {
            let segmentEnd = segmentStart + s.length
            let a = max(start, segmentStart), b = min(end, segmentEnd)
            if a < b { result.append((s.blobID, a - segmentStart, b - a)) }
            segmentStart = segmentEnd
            if segmentStart >= end { break }
        }
        return result
    }

    // MARK: Completion

    /// Completes every job whose delay has passed and deletes expired jobs with their
    /// output. Run by the server's ticker.
    public func completeDueJobs() async throws {
        let now = self.now()
        try await completeDue(now)
        try await store.deleteJobs(completedBefore: now - options.jobExpiry, now: now).forEach(blobs.remove)
    }

    /// Before a job read: completes jobs whose delay has passed (a read-only query when none
    /// is due). Expired jobs are hidden by `isExpired` until the ticker deletes them.
    private func completeDue(_ now: Milliseconds) async throws {
        for row in try await store.pendingJobs(dueBy: now) { try await complete(row) }
    }

    func isExpired(_ row: JobRow, now: Milliseconds) -> Bool {
        row.completedAt.map { $0 < now - options.jobExpiry } ?? false
    }

    /// `POST /_mock/jobs/complete`: completes every pending job now. Returns how many.
    public func completeAllPendingJobs() async throws -> Int {
        let rows = try await store.pendingJobs(dueBy: nil)
        for row in rows { try await complete(row) }
        return rows.count
    }

    /// Completes one pending job now (a seed's job marked Succeeded).
    func completeSeededJob(id: String) async throws {
        for row in try await store.pendingJobs(dueBy: nil) where row.id == id { try await complete(row) }
    }

    private func complete(_ row: JobRow) async throws {
        var doc = try JobDocument.decode(row.document)
        let now = self.now()
        doc.Completed = true
        doc.StatusCode = "Succeeded"
        doc.StatusMessage = "Succeeded"
        doc.CompletionDate = Timestamp.iso8601(now)
        var output: [OutputSegment]? = nil
        if doc.Action == JobDocument.inventoryRetrieval {
            do {
                output = [try await makeInventory(&doc, vault: row.vault, now: now)]
            } catch let e as BlobStoreError {
                // The output could not be written (a full disk): the job ends Failed, with no
                // output, instead of staying InProgress for ever.
                doc.StatusCode = "Failed"
                doc.StatusMessage = "The inventory could not be written: \(e.description)"
                doc.InventorySizeInBytes = nil
                output = []
                logger.error("inventory job \(row.id) failed: \(e)")
            }
        }
        guard try await store.completeJob(
            id: row.id, document: doc.encoded(), completedAt: now, output: output, failed: doc.StatusCode == "Failed")
        else {
            // Someone else completed it first; drop what we generated.
            output?.forEach { blobs.remove($0.blobID) }
            return
        }
        if doc.Action == JobDocument.inventoryRetrieval && options.inventory == .live && doc.StatusCode == "Succeeded" {
            // Live mode only: the job's listing is the vault's newest inventory.
            try await store.setLastInventoryDate(row.vault, now)
        }
        await notify(doc, vault: row.vault)
    }

    /// Writes the inventory document (JSON or CSV) to a blob and fills in the job's
    /// InventorySizeInBytes and, when `Limit` cut the list short, the next `Marker`.
    ///
    /// "When you initiate a job for a vault inventory, Glacier returns the last inventory it
    /// generated, which is a point-in-time snapshot and not real-time data" (Downloading a
    /// Vault Inventory): under `--inventory daily` the vault's last inventory, and its date
    /// is the document's InventoryDate; under `live` the archives now. The archives are
    /// streamed from one read transaction into the file through a 1 MiB buffer, hashed on
    /// the way, so memory does not grow with the vault.
    private func makeInventory(_ doc: inout JobDocument, vault: VaultKey, now: Milliseconds) async throws -> OutputSegment {
        var params = doc.InventoryRetrievalParameters ?? .init(Format: "JSON")
        let limit = Int(min(params.Limit.flatMap(Rules.parseDecimal) ?? Int64.max, Int64(Int.max)))
        let csv = params.Format == "CSV"
        let writer = try blobs.makeTemporary()
        defer { writer.discard() }
        let sink = InventorySink(writer: writer)
        let vaultARN = doc.VaultARN
        let read = try await store.readInventory(
            of: vault, live: options.inventory == .live, createdFrom: params.StartDate.flatMap(Timestamp.parseISO8601),
            createdBefore: params.EndDate.flatMap(Timestamp.parseISO8601), fromID: params.Marker, limit: limit,
            begin: { date in sink.begin(csv: csv, vaultARN: vaultARN, inventoryDate: date ?? now) },
            { item in try sink.add(item, csv: csv) })
        guard let read else { throw GlacierError(.resourceNotFound, "Vault not found for ARN: \(vaultARN)") }
        try sink.finish(csv: csv)
        // The next page starts at the first archive not listed; no marker when all fit.
        params.Marker = read.next
        doc.InventoryRetrievalParameters = params
        let blobID = try blobs.publish(writer)
        doc.InventorySizeInBytes = sink.length
        return OutputSegment(blobID: blobID, length: sink.length, treeHash: sink.treeHash)
    }

    // MARK: Reading jobs

    public func describeJob(_ caller: Caller, vaultName: String, jobID: String) async throws -> JobDescription {
        let (_, doc) = try await findJob(caller, vaultName: vaultName, jobID: jobID)
        return JobDescription(fields: doc.fields, jobID: doc.JobId)
    }

    func findJob(_ caller: Caller, vaultName: String, jobID: String) async throws -> (JobRow, JobDocument) {
        let vault = try vaultRef(caller, vaultName)
        let now = self.now()
        try await completeDue(now)
        guard let row = try await store.job(id: jobID, in: vault.key), !isExpired(row, now: now) else {
            if try await store.vault(vault.key) == nil { throw GlacierError.vaultNotFound(vault) }
            throw GlacierError(.resourceNotFound, "Job not found for ID: \(jobID.prefix(200)) in vault \(vault.arn) (unknown, or expired)")
        }
        return (row, try JobDocument.decode(row.document))
    }

    /// ListJobs: oldest first, filtered by `completed` and `statuscode`; the marker is the
    /// ID of the first job of the next page. The next page starts at that job's place in the
    /// vault's jobs, also when the job has since left the listing: expired (its place is kept
    /// for 24 hours after the ticker deleted it), or no longer matching the filters (an
    /// InProgress job that completed).
    public func listJobs(
        _ caller: Caller, vaultName: String, completed: String?, statusCode: String?, marker: String?, limit: String?
    ) async throws -> (jobs: [JobDescription], marker: String?) {
        let vault = try vaultRef(caller, vaultName)
        let limit = try Rules.checkLimit(limit, default: 50, max: 1_000)
        if let completed, completed != "true", completed != "false" {
            throw GlacierError.invalid("completed must be true or false; got '\(completed.prefix(40))'")
        }
        if let statusCode, !["InProgress", "Succeeded", "Failed"].contains(statusCode) {
            throw GlacierError.invalid("statuscode must be InProgress, Succeeded or Failed; got '\(statusCode.prefix(40))'")
        }
        guard try await store.vault(vault.key) != nil else { throw GlacierError.vaultNotFound(vault) }
        let now = self.now()
        try await completeDue(now)
        guard let rows = try await store.jobs(in: vault.key, fromID: marker, now: now) else {
            throw GlacierError.invalid(
                "Invalid marker '\(marker?.prefix(200) ?? "")': it names no job of vault \(vault.arn), nor one expired there in the last 24 hours; "
                    + "use the Marker a previous ListJobs returned")
        }
        // From the marker's job on (it is the first, when it is still listed).
        let all = rows.filter { !isExpired($0, now: now) }.compactMap { try? JobDocument.decode($0.document) }.filter { doc in
            (completed == nil || String(doc.Completed) == completed) && (statusCode == nil || doc.StatusCode == statusCode)
        }
        let page = all.prefix(limit)
        let next = limit < all.count ? all[limit].JobId : nil
        return (page.map { JobDescription(fields: $0.fields, jobID: $0.JobId) }, next)
    }

    /// GetJobOutput: the whole output, or the `Range: bytes=A-B` of it.
    public func jobOutput(_ caller: Caller, vaultName: String, jobID: String, range rangeHeader: String?) async throws -> JobOutput {
        let (row, doc) = try await findJob(caller, vaultName: vaultName, jobID: jobID)
        return try await output(of: row, doc, range: rangeHeader)
    }

    /// The output of a found job (GetJobOutput, and the dashboard's download link).
    func output(of row: JobRow, _ doc: JobDocument, range rangeHeader: String?) async throws -> JobOutput {
        let jobID = row.id
        guard doc.Completed else {
            throw GlacierError.invalid("The job \(jobID) is still InProgress; its output is available once DescribeJob reports Succeeded")
        }
        guard doc.StatusCode == "Succeeded" else {
            throw GlacierError.invalid("The job \(jobID) Failed (\(doc.StatusMessage ?? "no output")); a failed job has no output")
        }
        let segments = try await store.jobSegments(id: row.id)
        let base: Int64
        let total: Int64
        if let r = doc.range {
            (base, total) = r
        } else {
            (base, total) = (0, doc.InventorySizeInBytes ?? 0)
        }
        var start: Int64 = 0
        var length = total
        var contentRange: String? = nil
        if let rangeHeader {
            let (a, b) = try Self.parseOutputRange(rangeHeader, total: total)
            (start, length) = (a, b - a + 1)
            contentRange = "bytes \(a)-\(b)/\(total)"
        }
        var treeHash: String? = nil
        if doc.Action == JobDocument.archiveRetrieval, length > 0 {
            treeHash = start == 0 && length == total
                ? doc.SHA256TreeHash
                : try rangeTreeHash(segments: segments, start: base + start, length: length, total: doc.ArchiveSizeInBytes ?? 0, wholeHash: nil)
        }
        let pieces = pieces(of: segments, from: base + start, length: length).map {
            JobOutput.Piece(path: blobs.path(of: $0.blobID), offset: $0.offset, length: $0.length)
        }
        let contentType: String
        switch (doc.Action, doc.InventoryRetrievalParameters?.Format) {
        case (JobDocument.inventoryRetrieval, "CSV"): contentType = "text/csv"
        case (JobDocument.inventoryRetrieval, _): contentType = "application/json"
        default: contentType = "application/octet-stream"
        }
        return JobOutput(
            pieces: pieces, length: length, contentRange: contentRange, treeHash: treeHash, contentType: contentType,
            archiveDescription: doc.archiveDescription)
    }

    /// `bytes=A-B` (also `bytes=A-` and the suffix form `bytes=-N`) within the output.
    static func parseOutputRange(_ header: String, total: Int64) throws -> (Int64, Int64) {
        let bad = GlacierError.invalid("Invalid Range '\(header.prefix(100))': the form is bytes=FIRST-LAST within the job output of \(total) bytes")
        guard header.hasPrefix("bytes=") else { throw bad }
        let spec = header.dropFirst(6).split(separator: "-", maxSplits: 1, omittingEmptySubsequences: false)
        guard spec.count == 2 else { throw bad }
        let first = Rules.parseDecimal(String(spec[0]))
        let last = Rules.parseDecimal(String(spec[1]))
        switch (first, last, spec[0].isEmpty, spec[1].isEmpty) {
        case (let a?, let b?, _, _) where a <= b && a < total: return (a, min(b, total - 1))
        case (let a?, nil, _, true) where a < total: return (a, total - 1)
        case (nil, let n?, true, _) where n > 0 && total > 0: return (max(0, total - n), total - 1)
        default: throw bad
        }
    }
}

/// `RetrievalByteRange`: "StartByte-EndByte"; the start on a megabyte boundary, the end one
/// byte before a megabyte boundary or the archive's last byte (Initiate Job).
struct RetrievalRange {
    let start: Int64
    let length: Int64

    static func parse(_ value: String?, archiveSize: Int64) throws -> RetrievalRange {
        guard let value else { return RetrievalRange(start: 0, length: archiveSize) }
        let parts = value.split(separator: "-", omittingEmptySubsequences: false)
        guard parts.count == 2, let a = Rules.parseDecimal(String(parts[0])), let b = Rules.parseDecimal(String(parts[1])), a <= b else {
            throw GlacierError.invalid("Invalid RetrievalByteRange '\(value.prefix(60))': the form is StartByte-EndByte, for example 0-1048575")
        }
        guard b < archiveSize else {
            throw GlacierError.invalid("RetrievalByteRange \(value) ends beyond the archive's last byte \(archiveSize - 1)")
        }
        guard a % Rules.mebibyte == 0 else {
            throw GlacierError.invalid("RetrievalByteRange \(value) must start on a megabyte boundary (a multiple of 1048576)")
        }
        guard (b + 1) % Rules.mebibyte == 0 || b == archiveSize - 1 else {
            throw GlacierError.invalid(
                "RetrievalByteRange \(value) must end one byte before a megabyte boundary (EndByte+1 a multiple of 1048576) or at the archive's last byte \(archiveSize - 1)")
        }
        return RetrievalRange(start: a, length: b - a + 1)
    }
}
