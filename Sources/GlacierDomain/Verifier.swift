import GlacierStorage
import TreeHash

/// `glacier-mock verify`: re-hashes every stored part and archive from disk and compares
/// it with the tree hash recorded when it was acknowledged.
public enum Verifier {
    public struct Report: Sendable {
        public var checked = 0
        /// Snapshots whose files were checked too.
        public var snapshots = 0
        /// Vaults whose counters and last inventory were checked against their archives.
        public var vaults = 0
        public var problems: [String] = []
    }

    /// Checks the live state, then every saved snapshot (`DATA/snapshots/NAME.sqlite`): each
    /// names blob files shared with the live state or other snapshots, and each such file must
    /// still hold the bytes recorded. A part or archive whose files were all checked already
    /// (same blob IDs and hash) is not hashed twice.
    public static func verify(dataDirectory: String) async throws -> Report {
        let blobs = try BlobStore(dataDirectory: dataDirectory)
        var report = Report()
        var checked: Set<String> = []
        try await verify(
            store: try MetadataStore(path: dataDirectory + "/glacier.sqlite"), blobs: blobs, label: "", into: &report, checked: &checked)
        let directory = dataDirectory + "/snapshots"
        let names = GlacierService.listDirectory(directory).filter { $0.hasSuffix(".sqlite") && !$0.hasPrefix(".") }.sorted()
        for file in names {
            let name = String(file.dropLast(".sqlite".count))
            try await verify(
                store: try MetadataStore(path: directory + "/" + file), blobs: blobs, label: "snapshot \(name): ",
                into: &report, checked: &checked)
            report.snapshots += 1
        }
        return report
    }

    private static func verify(
        store: MetadataStore, blobs: BlobStore, label: String, into report: inout Report, checked: inout Set<String>
    ) async throws {
        for part in try await store.allParts() {
            report.checked += 1
            let key = part.blobID + "/" + part.treeHash
            guard checked.insert(key).inserted else { continue }
            let what = label + "part \(part.rangeStart)-\(part.rangeStart + part.length - 1) of upload \(part.uploadID)"
            if let problem = check(blobs, [OutputSegment(blobID: part.blobID, length: part.length, treeHash: part.treeHash)], expected: part.treeHash) {
                report.problems.append("\(what): \(problem)")
            }
        }
        for archive in try await store.allArchives() {
            report.checked += 1
            let segments = try await store.segments(ofArchive: archive.id).map {
                OutputSegment(blobID: $0.blobID, length: $0.length, treeHash: $0.treeHash)
            }
            let key = segments.map(\.blobID).joined(separator: ",") + "/" + archive.treeHash
            guard checked.insert(key).inserted else { continue }
            let total = segments.reduce(0) { $0 + $1.length }
            if total != archive.size {
                report.problems.append("\(label)archive \(archive.id): segments hold \(total) bytes, the archive has \(archive.size)")
            } else if let problem = check(blobs, segments, expected: archive.treeHash) {
                report.problems.append("\(label)archive \(archive.id): \(problem)")
            }
        }
        // Each vault's live counters and last inventory against the archives they count.
        for problem in try await store.inventoryProblems() {
            report.problems.append(label + problem)
        }
        if label.isEmpty { report.vaults = try await store.inventories(named: nil).count }
    }

    /// Hashes the segments' files in order; nil when the tree hash matches.
    private static func check(_ blobs: BlobStore, _ segments: [OutputSegment], expected: String) -> String? {
        let hasher = TreeHasher()
        do {
            for s in segments {
                try blobs.read(s.blobID, offset: 0, length: s.length) { hasher.update($0) }
            }
        } catch {
            return "cannot read its bytes (\(error))"
        }
        let actual = hasher.finalize().hex
        return actual == expected ? nil : "tree hash on disk is \(actual), recorded \(expected)"
    }
}
