import Foundation
import GlacierStorage

/// A job's DescribeJob document, stored as JSON. Property names are Glacier's field names
/// (botocore `GlacierJobDescription`), so the stored form and the wire form are one.
struct JobDocument: Codable, Sendable {
    var JobId: String
    var JobDescription: String?
    var Action: String
    var ArchiveId: String?
    var VaultARN: String
    var CreationDate: String
    var Completed: Bool
    var StatusCode: String
    var StatusMessage: String?
    var ArchiveSizeInBytes: Int64?
    var InventorySizeInBytes: Int64?
    var SNSTopic: String?
    var CompletionDate: String?
    var SHA256TreeHash: String?
    var ArchiveSHA256TreeHash: String?
    var RetrievalByteRange: String?
    var Tier: String?
    var InventoryRetrievalParameters: InventoryParameters?
    /// Not a Glacier field: the archive description, for GetJobOutput's header.
    var archiveDescription: String?

    struct InventoryParameters: Codable, Sendable {
        var Format: String
        var StartDate: String?
        var EndDate: String?
        var Limit: String?
        var Marker: String?
    }

    static let archiveRetrieval = "ArchiveRetrieval"
    static let inventoryRetrieval = "InventoryRetrieval"

    /// The byte range of the archive this job returns.
    var range: (start: Int64, length: Int64)? {
        guard Action == Self.archiveRetrieval, let size = ArchiveSizeInBytes else { return nil }
        guard let r = RetrievalByteRange else { return (0, size) }
        let bounds = r.split(separator: "-")
        guard bounds.count == 2, let a = Int64(bounds[0]), let b = Int64(bounds[1]) else { return (0, size) }
        return (a, b - a + 1)
    }

    func encoded() -> String {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        return String(decoding: (try? encoder.encode(self)) ?? Data(), as: UTF8.self)
    }

    static func decode(_ text: String) throws -> JobDocument {
        try JSONDecoder().decode(JobDocument.self, from: Data(text.utf8))
    }

    /// The DescribeJob response fields, with Glacier's explicit nulls.
    ///
    /// While a job is in progress Glacier says so in StatusMessage ("Operation in progress.",
    /// Developer Guide, Describe Job examples) and leaves SHA256TreeHash null when the
    /// retrieval covers the whole archive (the model's and the Guide's SHA256TreeHash
    /// documentation); the stored document keeps the hash for GetJobOutput.
    var fields: [(String, JSONValue)] {
        let statusMessage = StatusMessage ?? (Completed ? nil : "Operation in progress.")
        var treeHash = SHA256TreeHash
        if !Completed, let size = ArchiveSizeInBytes, RetrievalByteRange == "0-\(size - 1)" { treeHash = nil }
        var inventory: JSONValue = .null
        if let p = InventoryRetrievalParameters {
            inventory = .object([
                ("EndDate", .optional(p.EndDate)), ("Format", .string(p.Format)), ("Limit", .optional(p.Limit)),
                ("Marker", .optional(p.Marker)), ("StartDate", .optional(p.StartDate)),
            ])
        }
        return [
            ("Action", .string(Action)), ("ArchiveId", .optional(ArchiveId)),
            ("ArchiveSHA256TreeHash", .optional(ArchiveSHA256TreeHash)), ("ArchiveSizeInBytes", .optional(ArchiveSizeInBytes)),
            ("Completed", .bool(Completed)), ("CompletionDate", .optional(CompletionDate)), ("CreationDate", .string(CreationDate)),
            ("InventoryRetrievalParameters", inventory), ("InventorySizeInBytes", .optional(InventorySizeInBytes)),
            ("JobDescription", .optional(JobDescription)), ("JobId", .string(JobId)),
            ("RetrievalByteRange", .optional(RetrievalByteRange)), ("SHA256TreeHash", .optional(treeHash)),
            ("SNSTopic", .optional(SNSTopic)), ("StatusCode", .string(StatusCode)), ("StatusMessage", .optional(statusMessage)),
            ("Tier", .optional(Tier)), ("VaultARN", .string(VaultARN)),
        ]
    }
}

/// A job as the HTTP layer sees it.
public struct JobDescription: Sendable {
    public let fields: [(String, JSONValue)]
    public let jobID: String
}

/// What GetJobOutput sends: pieces of blob files, in order, and the response headers.
public struct JobOutput: Sendable {
    public struct Piece: Sendable {
        public let path: String
        public let offset: Int64
        public let length: Int64
    }
    public let pieces: [Piece]
    public let length: Int64
    /// Set for a `Range` request: `bytes A-B/TOTAL`.
    public let contentRange: String?
    public let treeHash: String?
    public let contentType: String
    public let archiveDescription: String?
}

/// Glacier's rule for when a byte range has a tree hash of its own: the range must be
/// exactly the span of one node of the archive's tree (Developer Guide, "Receiving
/// Checksums When Downloading Data": tree-hash aligned ranges).
enum TreeHashAlignment {
    static func isAligned(start: Int64, endInclusive end: Int64, total: Int64) -> Bool {
        let mib = Rules.mebibyte
        guard start % mib == 0, start <= end, end < total else { return false }
        let leaves = (total + mib - 1) / mib
        let s = start / mib
        let e: Int64
        if end == total - 1 {
            e = leaves
        } else {
            guard (end + 1) % mib == 0 else { return false }
            e = (end + 1) / mib
        }
        var span: Int64 = 1
        while span <= 2 * leaves {
            if s % span == 0 && min(s + span, leaves) == e { return true }
            span *= 2
        }
        return false
    }
}
