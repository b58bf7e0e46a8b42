import GlacierStorage
import Logging
import Synchronization
import TreeHash

/// A chunk of a request body. NIO's `ByteBuffer` conforms in the HTTP layer, so the
/// domain streams bodies without knowing about NIO.
/// (It is `TreeHash.HashableChunk`, so the linear hash can read it after the loop moves on.)
public typealias ByteChunk = HashableChunk

/// Glacier's operations over storage: each method checks the operation's rules, then
/// reads or changes state. Inputs arrive as the raw strings the request carried, so each
/// rule is checked — and named — here, in one place.
public final class GlacierService: Sendable {
    public let dataDirectory: String
    let store: MetadataStore
    let blobs: BlobStore
    let logger: Logger
    let options: ServiceOptions
    /// How far this server's clock is ahead of the wall clock (`advanceClock`), in ms.
    private let clockOffset = Atomic<Int64>(0)
    /// The last day (days since the epoch, UTC, on this server's clock) whose scheduled
    /// inventories were taken (`takeScheduledInventories`).
    let inventoryDay = Atomic<Int64>(0)

    /// Opens (or creates) the data directory: `glacier.sqlite` and `blobs/`.
    /// Temporary files of requests that never finished are removed here. Blob files no
    /// metadata refers to can only be left by a crash between rename and commit (a failed
    /// commit removes its blob), so the scan for them — a directory listing and a query over
    /// every blob — runs only when the last run did not end with `markCleanShutdown()`.
    public init(dataDirectory: String, logger: Logger, options: ServiceOptions = ServiceOptions()) async throws {
        self.dataDirectory = dataDirectory
        self.logger = logger
        self.options = options
        blobs = try BlobStore(dataDirectory: dataDirectory, durable: options.fsync, spareFiles: options.spareFiles)
        store = try MetadataStore(
            path: dataDirectory + "/glacier.sqlite", durable: options.fsync,
            reclaimSpace: { [blobs] in blobs.dropSpares() }, releaseReserve: { [blobs] in blobs.releaseReserve() })
        blobs.removeTemporaries()
        if let offset = try await store.accountSetting(accountID: "", region: "", kind: Self.clockOffsetSetting).flatMap({ Int64($0) }) {
            clockOffset.store(offset, ordering: .relaxed)
        }
        // A day that passed while the server was stopped still gets its inventories, at the
        // first tick; a new data directory starts its schedule today.
        let storedDay = try await store.accountSetting(accountID: "", region: "", kind: Self.inventoryDaySetting).flatMap { Int64($0) }
        inventoryDay.store(storedDay ?? Self.day(of: now()), ordering: .relaxed)
        if !blobs.consumeCleanShutdownMarker() {
            let referenced = try await store.referencedBlobIDs()
            for id in blobs.listBlobIDs() where !referenced.contains(id) {
                blobs.removeOrphan(id)
            }
        }
    }

    // MARK: The server's clock

    /// Now on this server's clock, in ms since the epoch: the wall clock, plus however far
    /// `advanceClock` moved it. Every date the service stores or shows, and every time rule
    /// it applies (job delays and expiry, vault lock expiry, the 24-hour windows, the
    /// retrieval policy's hour), reads this clock. Signatures are checked against the wall
    /// clock, since clients sign with theirs.
    public func now() -> Milliseconds {
        Timestamp.now() + clockOffset.load(ordering: .relaxed)
    }

    /// How far the clock is ahead of the wall clock, in ms.
    public var clockOffsetMilliseconds: Int64 { clockOffset.load(ordering: .relaxed) }

    /// Longest single move of `advanceClock`: ten years.
    public static let maxClockAdvanceSeconds: Int64 = 10 * 365 * 86_400
    /// Farthest the clock may be ahead in all: a hundred years (dates stay four-digit years,
    /// which clients parse).
    public static let maxClockOffsetSeconds: Int64 = 100 * 365 * 86_400

    /// The setting (account "", region "") that keeps the offset across restarts.
    static let clockOffsetSetting = "mock-clock-offset-ms"

    /// Moves this server's clock forward by `seconds` (never back: stored dates stay in
    /// order), for tests of what happens with time: jobs completing and expiring, an
    /// InProgress vault lock expiring, the 24-hour windows of repeated requests. Kept in the
    /// metadata, so it survives a restart; `reset` sets it back to the wall clock.
    public func advanceClock(seconds: Int64) async throws {
        guard (1...Self.maxClockAdvanceSeconds).contains(seconds) else {
            throw GlacierError.invalid("AdvanceSeconds must be a whole number from 1 to \(Self.maxClockAdvanceSeconds) (ten years)")
        }
        let offset = clockOffset.load(ordering: .relaxed) + seconds * 1000
        guard offset <= Self.maxClockOffsetSeconds * 1000 else {
            throw GlacierError.invalid(
                "The clock may be at most \(Self.maxClockOffsetSeconds) seconds (a hundred years) ahead of the wall clock; it is \(clockOffset.load(ordering: .relaxed) / 1000) ahead now")
        }
        // A write: the cached read-only responses go, as some depend on the time.
        try await store.updateAccountSetting(accountID: "", region: "", kind: Self.clockOffsetSetting) { _ in .set(String(offset)) }
        clockOffset.store(offset, ordering: .relaxed)
        // A move past 00:00 UTC takes that day's inventories before POST /_mock/clock answers.
        try await takeScheduledInventories()
    }

    /// Records that this run ended cleanly (no request in flight), so the next start can
    /// skip the orphan scan. Call after the server has stopped.
    public func markCleanShutdown() {
        blobs.dropSpares()
        blobs.writeCleanShutdownMarker()
    }

    // MARK: Vaults

    public struct VaultDescription: Sendable, Equatable {
        public let vault: VaultRef
        public let creationDate: Milliseconds
        public let lastInventoryDate: Milliseconds?
        public let numberOfArchives: Int64
        public let sizeInBytes: Int64
    }

    public func vaultRef(_ caller: Caller, _ name: String) throws -> VaultRef {
        try Rules.checkVaultName(name)
        return VaultRef(caller: caller, name: name)
    }

    /// CreateVault: idempotent; returns the vault's location.
    /// Vaults an account may have in one region (Create Vault: "You can create up to 1,000
    /// vaults per account"; AWS's quota is per region).
    public static let maxVaultsPerAccount = 1_000

    public func createVault(_ caller: Caller, name: String) async throws -> VaultRef {
        let vault = try vaultRef(caller, name)
        guard try await store.createVault(vault.key, now: self.now(), limit: Self.maxVaultsPerAccount) else {
            throw GlacierError(
                .limitExceeded,
                "Vault limit exceeded: account \(caller.accountID) already has \(Self.maxVaultsPerAccount) vaults in \(caller.region), the most one account may create in a region")
        }
        return vault
    }

    /// DescribeVault: "The NumberOfArchives, SizeInBytes, and LastInventoryDate values are
    /// as of the last inventory" (`--inventory daily`; `live` counts the archives now).
    public func describeVault(_ caller: Caller, name: String) async throws -> VaultDescription {
        let vault = try vaultRef(caller, name)
        guard let row = try await store.vault(vault.key) else { throw GlacierError.vaultNotFound(vault) }
        return describe(row)
    }

    /// ListVaults: ordered by name; the marker is the ARN of the first vault not yet returned.
    public func listVaults(_ caller: Caller, marker: String?, limit: String?) async throws -> (vaults: [VaultDescription], marker: String?) {
        let limit = try Rules.checkLimit(limit, default: 10, max: 1_000)
        var startName: String? = nil
        // An empty marker starts from the first vault (List Vaults, marker).
        if let marker, !marker.isEmpty {
            let prefix = "arn:aws:glacier:\(caller.region):\(caller.accountID):vaults/"
            guard marker.hasPrefix(prefix), (try? Rules.checkVaultName(String(marker.dropFirst(prefix.count)))) != nil else {
                throw GlacierError.invalid("Invalid marker '\(marker.prefix(300))': a ListVaults marker is the ARN of a vault of this account and region, as returned by a previous ListVaults")
            }
            startName = String(marker.dropFirst(prefix.count))
        }
        // The marker names the first vault of the next page.
        let rows = try await store.vaults(accountID: caller.accountID, region: caller.region, fromName: startName, limit: limit + 1)
        let page = rows.prefix(limit).map(describe)
        let next = rows.count > limit ? VaultRef(caller: caller, name: rows[limit].key.name).arn : nil
        return (Array(page), next)
    }

    /// DeleteVault: only an empty vault; its in-progress uploads go with it. Under
    /// `--inventory daily`, Glacier's rule (Deleting a Vault): "You can delete a vault only if
    /// there are no archives in the vault as of the last inventory and there have been no
    /// writes to the vault since the last inventory." A vault never written to has neither.
    public func deleteVault(_ caller: Caller, name: String) async throws {
        let vault = try vaultRef(caller, name)
        switch try await store.deleteVault(vault.key, byInventory: options.inventory == .daily) {
        case .notFound:
            throw GlacierError.vaultNotFound(vault)
        case .notEmpty(let n):
            throw GlacierError.invalid("Vault not empty or recently written to: \(vault.arn) holds \(n) archive(s); delete them first")
        case .notEmptyOrRecentlyWritten(let n, let writes, let date):
            let asOf = date.map { "its last inventory (\(Timestamp.iso8601($0))) lists \(n) archive(s)" } ?? "it has no inventory yet"
            throw GlacierError.invalid(
                "Vault not empty or recently written to: \(vault.arn): \(asOf), and \(writes) archive(s) were added or deleted since; "
                    + "a vault can be deleted once an inventory taken after its last write lists no archives "
                    + "(Glacier takes one about once a day; POST /_mock/inventory takes it now)")
        case .deleted(let orphaned):
            orphaned.forEach(blobs.remove)
        }
    }

    // MARK: Multipart uploads

    /// InitiateMultipartUpload: returns the new upload ID.
    public func initiateMultipartUpload(_ caller: Caller, vaultName: String, partSize: String?, description: String?) async throws -> (vault: VaultRef, uploadID: String) {
        let vault = try vaultRef(caller, vaultName)
        let size = try Rules.checkPartSize(partSize)
        try Rules.checkArchiveDescription(description)
        let upload = UploadRow(id: RandomID.make(length: 92), vault: vault.key, description: description, partSize: size, creationDate: self.now())
        guard try await store.createUpload(upload) else { throw GlacierError.vaultNotFound(vault) }
        return (vault, upload.id)
    }

    /// The headers of an Upload Part request that carry its rules.
    public struct PartHeaders: Sendable {
        public var contentRange: String?
        public var treeHash: String?
        public var contentSHA256: String?
        /// Content-Length when the request declared one (absent for chunked bodies).
        public var contentLength: Int64?

        public init(contentRange: String?, treeHash: String?, contentSHA256: String?, contentLength: Int64?) {
            self.contentRange = contentRange
            self.treeHash = treeHash
            self.contentSHA256 = contentSHA256
            self.contentLength = contentLength
        }
    }

    /// UploadMultipartPart. Every check that needs no body runs before the body is read;
    /// the body is then streamed — hashed and written to a temporary file buffer by buffer —
    /// and the part becomes visible only after the length and both hashes match.
    /// A failed re-upload of a range leaves the earlier part untouched.
    public func uploadPart<Body: AsyncSequence>(
        _ caller: Caller, vaultName: String, uploadID: String, headers: PartHeaders, body: Body
    ) async throws -> SHA256Digest where Body.Element: ByteChunk {
        let vault = try vaultRef(caller, vaultName)
        let expectedTree = try Rules.checkSHA256Header(headers.treeHash, name: "x-amz-sha256-tree-hash")
        let expectedLinear = try Rules.checkSHA256Header(headers.contentSHA256, name: "x-amz-content-sha256")
        let range = try ContentRange.parse(headers.contentRange)
        guard let upload = try await store.upload(id: uploadID, in: vault.key) else {
            throw GlacierError.uploadNotFound(uploadID, vault)
        }
        try range.check(partSize: upload.partSize)
        if let declared = headers.contentLength, declared != range.length {
            throw GlacierError.invalid(
                "Content-Length \(declared) does not match the \(range.length) bytes of Content-Range bytes \(range.first)-\(range.last)")
        }

        let (treeHash, _) = try await receive(body, length: range.length, expectedTree: expectedTree, expectedLinear: expectedLinear) { blobID in
            let part = PartRow(uploadID: uploadID, rangeStart: range.first, length: range.length, treeHash: expectedTree.hex, blobID: blobID)
            switch try await store.putPart(part, vault: vault.key, maxParts: Int(Rules.maxParts)) {
            case .stored(let replaced):
                if let replaced { blobs.remove(replaced) }
            case .uploadGone:
                throw GlacierError.uploadNotFound(uploadID, vault)
            case .tooManyParts:
                throw GlacierError.invalid("Multipart upload \(uploadID) already has \(Rules.maxParts) parts, the most an upload may have")
            }
        }
        return treeHash
    }

    /// Streams a body to a temporary file while hashing it, checks its length and both
    /// hashes, publishes the file under a new blob ID and hands that to `commit`. On any
    /// failure, `commit`'s included, the file is removed.
    func receive<Body: AsyncSequence>(
        _ body: Body, length: Int64, expectedTree: SHA256Digest, expectedLinear: SHA256Digest,
        commit: (_ blobID: String) async throws -> Void
    ) async throws -> (SHA256Digest, SHA256Digest) where Body.Element: ByteChunk {
        let writer: BlobWriter
        do { writer = try blobs.makeTemporary() } catch let e as BlobStoreError { throw Self.storageError(e) }
        defer { writer.discard() }
        let hasher = PayloadHasher(expectedLength: length)
        do {
            for try await chunk in body {
                let count = chunk.withUnsafeReadableBytes { $0.count }
                if Int64(hasher.byteCount + count) > length {
                    throw GlacierError.invalid(
                        "The request body is longer than the \(length) bytes its Content-Range declares")
                }
                try hasher.update(chunk) { try writer.write($0) }
            }
        } catch let e as BlobStoreError {
            throw Self.storageError(e)
        }
        guard Int64(hasher.byteCount) == length else {
            throw GlacierError.invalid(
                "The request body has \(hasher.byteCount) bytes but its Content-Range declares \(length)")
        }
        let (tree, linear) = hasher.finalize()
        guard linear == expectedLinear else {
            throw GlacierError.contentSHA256Mismatch(claimed: expectedLinear.hex, received: linear.hex)
        }
        guard tree == expectedTree else {
            throw GlacierError.invalid(
                "Checksum mismatch: x-amz-sha256-tree-hash is \(expectedTree.hex) but the tree hash of the received data is \(tree.hex)")
        }
        // Renamed into blobs/, then made visible by `commit`'s transaction. If the commit
        // fails the file is removed, so only a crash in between can leave an orphan.
        let blobID: String
        do { blobID = try blobs.publish(writer) } catch let e as BlobStoreError { throw Self.storageError(e) }
        do {
            try await commit(blobID)
        } catch {
            blobs.remove(blobID)
            if let e = error as? BlobStoreError { throw Self.storageError(e) }
            throw error
        }
        return (tree, linear)
    }

    static func storageError(_ e: BlobStoreError) -> GlacierError {
        GlacierError.storageFull(e.description)
    }

    /// CompleteMultipartUpload: checks the parts against the declared size and tree hash and
    /// turns them into an archive in one transaction. The archive's tree hash is composed
    /// from the stored part tree hashes; no byte is read again. On failure the upload stays.
    ///
    /// "Complete Multipart Upload is an idempotent operation. After your first successful
    /// complete multipart upload, if you call the operation again within a short period, the
    /// operation will succeed and return the same archive ID." So a Complete of an upload
    /// completed within `MetadataStore.repeatWindow` (24 h) that declares the same archive
    /// size and tree hash gets the first one's archive again, and creates nothing — whether
    /// it is a retry or lost a race with the first. Declaring another size or tree hash is
    /// not a repeat of that operation: it gets what any Complete of an upload no longer in
    /// progress gets, 404 (the message says why).
    public func completeMultipartUpload(
        _ caller: Caller, vaultName: String, uploadID: String, archiveSize: String?, treeHash: String?
    ) async throws -> (vault: VaultRef, archive: ArchiveRow) {
        let vault = try vaultRef(caller, vaultName)
        let size = try Rules.checkByteCount(archiveSize, name: "x-amz-archive-size")
        let expected = try Rules.checkSHA256Header(treeHash, name: "x-amz-sha256-tree-hash")
        let archiveID = RandomID.make(length: 138)
        let result = try await store.completeUpload(id: uploadID, in: vault.key, archiveID: archiveID, now: self.now()) { upload, parts in
            try Self.checkPartsForCompletion(upload: upload, parts: parts, archiveSize: size, treeHash: expected)
            return (size, expected.hex)
        }
        switch result {
        case .uploadNotFound: throw GlacierError.uploadNotFound(uploadID, vault)
        case .completed(let archive): return (vault, archive)
        case .alreadyCompleted(let done):
            guard done.size == size, done.treeHash == expected.hex else {
                throw GlacierError(
                    .resourceNotFound,
                    "Multipart upload not found for upload ID: \(uploadID) in vault \(vault.arn): it was completed, "
                        + "with x-amz-archive-size \(done.size) and x-amz-sha256-tree-hash \(done.treeHash); "
                        + "only a Complete that declares the same succeeds again")
            }
            // What the first Complete answered: its archive's ID, location and tree hash.
            return (vault, ArchiveRow(
                id: done.archiveID, vault: vault.key, description: nil, creationDate: done.completedAt,
                size: done.size, treeHash: done.treeHash))
        }
    }

    /// Complete Multipart Upload's rules: parts contiguous from byte 0, every part but the
    /// last exactly the part size, sizes adding up to x-amz-archive-size, and the tree hash
    /// composed from the parts' tree hashes equal to x-amz-sha256-tree-hash.
    static func checkPartsForCompletion(upload: UploadRow, parts: [PartRow], archiveSize: Int64, treeHash: SHA256Digest) throws {
        guard !parts.isEmpty else {
            throw GlacierError.invalid("Multipart upload \(upload.id) has no parts; upload at least one part before completing it")
        }
        var expectedStart: Int64 = 0
        for (i, part) in parts.enumerated() {
            guard part.rangeStart == expectedStart else {
                throw GlacierError.invalid(
                    "Multipart upload \(upload.id) is missing the range \(expectedStart)-\(part.rangeStart - 1); parts must cover the archive contiguously from byte 0")
            }
            if i < parts.count - 1 && part.length != upload.partSize {
                throw GlacierError.invalid(
                    "Part \(part.rangeStart)-\(part.rangeStart + part.length - 1) is \(part.length) bytes; every part but the last must be exactly the part size \(upload.partSize)")
            }
            expectedStart += part.length
        }
        guard expectedStart == archiveSize else {
            throw GlacierError.invalid(
                "x-amz-archive-size \(archiveSize) does not match the \(expectedStart) bytes of the uploaded parts")
        }
        let composed = TreeHash.combine(parts.map { SHA256Digest(hex: $0.treeHash)! })
        guard composed == treeHash else {
            throw GlacierError.invalid(
                "x-amz-sha256-tree-hash \(treeHash.hex) does not match the tree hash of the uploaded parts, \(composed.hex)")
        }
    }

    /// AbortMultipartUpload: the upload and its parts are gone. "Aborting a completed upload
    /// fails. However, aborting an already-aborted upload will succeed, for a short time.":
    /// 204 again within `MetadataStore.repeatWindow` (24 h) of the abort; a completed upload
    /// is 404.
    public func abortMultipartUpload(_ caller: Caller, vaultName: String, uploadID: String) async throws {
        let vault = try vaultRef(caller, vaultName)
        switch try await store.abortUpload(id: uploadID, in: vault.key, now: self.now()) {
        case .aborted(let orphaned): orphaned.forEach(blobs.remove)
        case .alreadyAborted: return
        case .notFound: throw GlacierError.uploadNotFound(uploadID, vault)
        }
    }

    public struct PartList: Sendable {
        public let vault: VaultRef
        public let upload: UploadRow
        public let parts: [PartRow]
        public let marker: String?
    }

    /// ListParts: ordered by range. The marker is the first byte of the next part, in decimal.
    public func listParts(_ caller: Caller, vaultName: String, uploadID: String, marker: String?, limit: String?) async throws -> PartList {
        let vault = try vaultRef(caller, vaultName)
        let limit = try Rules.checkLimit(limit, default: 50, max: 1_000)
        var from: Int64 = 0
        if let marker {
            guard let n = Rules.parseDecimal(marker) else {
                throw GlacierError.invalid("Invalid marker '\(marker.prefix(100))': use the Marker a previous ListParts returned")
            }
            from = n
        }
        guard let upload = try await store.upload(id: uploadID, in: vault.key) else {
            throw GlacierError.uploadNotFound(uploadID, vault)
        }
        let rows = try await store.parts(uploadID: uploadID, fromStart: from, limit: limit + 1)
        let next = rows.count > limit ? String(rows[limit].rangeStart) : nil
        return PartList(vault: vault, upload: upload, parts: Array(rows.prefix(limit)), marker: next)
    }

    /// ListMultipartUploads: in creation order. The marker is the ID of the next upload.
    /// An upload completed or aborted since that marker was returned still marks the place
    /// where the next page starts, for 24 hours (`MetadataStore.repeatWindow`). (The HTTP
    /// layer reuses a rendered page until the next write, so an answer given within those
    /// 24 hours is given again after them if nothing at all was written in between.)
    public func listMultipartUploads(_ caller: Caller, vaultName: String, marker: String?, limit: String?) async throws -> (vault: VaultRef, uploads: [UploadRow], marker: String?) {
        let vault = try vaultRef(caller, vaultName)
        let limit = try Rules.checkLimit(limit, default: 50, max: 1_000)
        guard try await store.vault(vault.key) != nil else { throw GlacierError.vaultNotFound(vault) }
        // The marker is the ID of the first upload of the next page.
        guard let rows = try await store.uploads(in: vault.key, fromID: marker, limit: limit + 1, now: self.now()) else {
            throw GlacierError.invalid(
                "Invalid marker '\(marker?.prefix(200) ?? "")': it names no in-progress upload of vault \(vault.arn), "
                    + "nor one completed or aborted there in the last 24 hours")
        }
        let next = rows.count > limit ? rows[limit].id : nil
        return (vault, Array(rows.prefix(limit)), next)
    }

    /// A value derived only from stored metadata (the HTTP layer's rendered responses of
    /// read-only operations), computed once and reused until the next write of any kind.
    public func untilNextWrite<T: Sendable>(_ key: String, _ make: () async throws -> T) async throws -> T {
        try await store.untilNextWrite(key, make)
    }

    // MARK: Admin

    /// Drops every vault, upload, part and archive (POST /_mock/reset), inventories included.
    public func reset() async throws {
        let blobIDs = try await store.reset()  // the clock's setting included
        clockOffset.store(0, ordering: .relaxed)
        inventoryDay.store(Self.day(of: now()), ordering: .relaxed)
        blobIDs.forEach(blobs.remove)
    }

    // MARK: Helpers

    /// A vault as DescribeVault and ListVaults show it: its last inventory's counts, or with
    /// `--inventory live` its live counters.
    func describe(_ row: VaultRow) -> VaultDescription {
        let live = options.inventory == .live
        return VaultDescription(
            vault: VaultRef(caller: Caller(accountID: row.key.accountID, region: row.key.region), name: row.key.name),
            creationDate: row.creationDate, lastInventoryDate: row.lastInventoryDate,
            numberOfArchives: live ? row.numberOfArchives : row.inventoryArchives,
            sizeInBytes: live ? row.sizeInBytes : row.inventorySize)
    }
}
