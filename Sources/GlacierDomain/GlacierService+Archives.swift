import GlacierStorage
import TreeHash

extension GlacierService {
    /// The headers of an UploadArchive request that carry its rules.
    public struct ArchiveHeaders: Sendable {
        public var description: String?
        public var treeHash: String?
        public var contentSHA256: String?
        public var contentLength: Int64?

        public init(description: String?, treeHash: String?, contentSHA256: String?, contentLength: Int64?) {
            self.description = description
            self.treeHash = treeHash
            self.contentSHA256 = contentSHA256
            self.contentLength = contentLength
        }
    }

    /// Largest archive in a single UploadArchive request: 4 GiB (Upload Archive).
    public static let maxSingleUpload: Int64 = 4 << 30

    /// UploadArchive: streamed like a part; both hashes verified; at most 4 GiB.
    public func uploadArchive<Body: AsyncSequence>(
        _ caller: Caller, vaultName: String, headers: ArchiveHeaders, body: Body
    ) async throws -> (vault: VaultRef, archive: ArchiveRow) where Body.Element: ByteChunk {
        let vault = try vaultRef(caller, vaultName)
        try Rules.checkArchiveDescription(headers.description)
        guard let length = headers.contentLength else { throw GlacierError.missingHeader("Content-Length") }
        // Glacier stores no empty archive: it answers "Invalid Content-Length: 0" (checked
        // first, so an SDK that sends an empty body with empty hash headers hears the cause).
        guard length > 0 else {
            throw GlacierError.invalid("Invalid Content-Length: 0. An archive must hold at least 1 byte")
        }
        guard length <= Self.maxSingleUpload else {
            throw GlacierError.invalid(
                "Archive of \(length) bytes is larger than the 4 GiB (4294967296 bytes) one UploadArchive request may carry; use a multipart upload")
        }
        let expectedTree = try Rules.checkSHA256Header(headers.treeHash, name: "x-amz-sha256-tree-hash")
        let expectedLinear = try Rules.checkSHA256Header(headers.contentSHA256, name: "x-amz-content-sha256")
        guard try await store.vault(vault.key) != nil else { throw GlacierError.vaultNotFound(vault) }
        let archive = ArchiveRow(
            id: RandomID.make(length: 138), vault: vault.key, description: headers.description,
            creationDate: self.now(), size: length, treeHash: expectedTree.hex)
        _ = try await receive(body, length: length, expectedTree: expectedTree, expectedLinear: expectedLinear) { blobID in
            guard try await store.createArchive(archive, blobID: blobID) else {
                throw GlacierError.vaultNotFound(vault)
            }
        }
        return (vault, archive)
    }

    /// DeleteArchive: 204, also for an archive already deleted from this vault ("This
    /// operation is idempotent. Attempting to delete an already-deleted archive does not
    /// result in an error."); an archive ID this vault never held is 404. Vault lock and
    /// access policies are enforced before (see `enforcePolicies`).
    public func deleteArchive(_ caller: Caller, vaultName: String, archiveID: String) async throws {
        let vault = try vaultRef(caller, vaultName)
        let notFound = { GlacierError(.resourceNotFound, "Archive not found for ID: \(archiveID.prefix(200)) in vault \(vault.arn)") }
        // A policy may depend on the archive's age, so with one the archive is read (and a
        // missing one reported) before the check; without one the write transaction alone
        // finds and deletes it. An already-deleted archive has no age: only the statements
        // without an age condition (or with an IfExists one) can deny repeating its delete.
        if try await hasPolicies(vault) {
            let archive = try await store.archive(id: archiveID, in: vault.key)
            if archive == nil, try await !store.archiveWasDeleted(id: archiveID, in: vault.key) {
                if try await store.vault(vault.key) == nil { throw GlacierError.vaultNotFound(vault) }
                throw notFound()
            }
            try await enforcePolicies(caller, vault: vault, action: "DeleteArchive", archive: archive)
        }
        switch try await store.deleteArchive(id: archiveID, in: vault.key, now: self.now()) {
        case .deleted(let unreferenced):
            unreferenced.forEach(blobs.remove)
        case .alreadyDeleted:
            return
        case .notFound:
            if try await store.vault(vault.key) == nil { throw GlacierError.vaultNotFound(vault) }
            throw notFound()
        }
    }
}
