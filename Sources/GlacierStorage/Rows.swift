/// Identifies a vault: vaults belong to an (account, region) pair.
public struct VaultKey: Hashable, Sendable {
    public let accountID: String
    public let region: String
    public let name: String

    public init(accountID: String, region: String, name: String) {
        self.accountID = accountID
        self.region = region
        self.name = name
    }
}

/// Dates are stored as integer milliseconds since the Unix epoch (UTC).
public typealias Milliseconds = Int64

public struct VaultRow: Sendable, Equatable {
    public let key: VaultKey
    public let creationDate: Milliseconds
    /// When the last inventory was taken (nil: none yet).
    public let lastInventoryDate: Milliseconds?
    /// Live counters: the archives the vault holds now.
    public let numberOfArchives: Int64
    public let sizeInBytes: Int64
    /// What the last inventory counted (see MetadataStore+Inventory.swift).
    public let inventoryArchives: Int64
    public let inventorySize: Int64
    /// The largest archive place the last inventory covers.
    public let inventoryRowID: Int64
    /// Archives added or deleted since the last inventory.
    public let writesSinceInventory: Int64
}

public struct UploadRow: Sendable, Equatable {
    public let id: String
    public let vault: VaultKey
    public let description: String?
    public let partSize: Int64
    public let creationDate: Milliseconds

    public init(id: String, vault: VaultKey, description: String?, partSize: Int64, creationDate: Milliseconds) {
        self.id = id
        self.vault = vault
        self.description = description
        self.partSize = partSize
        self.creationDate = creationDate
    }
}

/// One stored part of a multipart upload; its bytes are the blob file `blobID`.
public struct PartRow: Sendable, Equatable {
    public let uploadID: String
    public let rangeStart: Int64
    public let length: Int64
    public let treeHash: String
    public let blobID: String

    public init(uploadID: String, rangeStart: Int64, length: Int64, treeHash: String, blobID: String) {
        self.uploadID = uploadID
        self.rangeStart = rangeStart
        self.length = length
        self.treeHash = treeHash
        self.blobID = blobID
    }
}

public struct ArchiveRow: Sendable, Equatable {
    public let id: String
    public let vault: VaultKey
    public let description: String?
    public let creationDate: Milliseconds
    public let size: Int64
    public let treeHash: String

    public init(id: String, vault: VaultKey, description: String?, creationDate: Milliseconds, size: Int64, treeHash: String) {
        self.id = id
        self.vault = vault
        self.description = description
        self.creationDate = creationDate
        self.size = size
        self.treeHash = treeHash
    }
}

/// An archive's bytes are its segments' blob files, concatenated in `seq` order.
/// A multipart archive keeps its parts' files as segments, so completing an upload
/// moves metadata only and never copies or re-reads bytes.
public struct ArchiveSegmentRow: Sendable, Equatable {
    public let archiveID: String
    public let seq: Int64
    public let blobID: String
    public let length: Int64
    public let treeHash: String
}
