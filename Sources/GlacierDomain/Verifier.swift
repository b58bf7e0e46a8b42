import GlacierStorage
import TreeHash

/// `glacier-mock verify`: re-hashes every stored part and archive from disk and compares
/// it with the tree hash recorded when it was acknowledged.
public enum Verifier {
    public struct Report: Sendable {
        public var checked = 0
        /// Vaults whose counters and last inventory were checked against their archives.
        public var vaults = 0
        public var problems: [String] = []
    }

    public static func verify(dataDirectory: String) async throws -> Report {
        let blobs = try BlobStore(dataDirectory: dataDirectory)
        let store = try MetadataStore(path: dataDirectory + "/glacier.sqlite")
        var report = Report()
        for part in try await store.allParts() {
            report.checked += 1
            let what = "part \(part.rangeStart)-\(part.rangeStart + part.length - 1) of upload \(part.uploadID)"
            if let problem = check(blobs, [OutputSegment(blobID: part.blobID, length: part.length, treeHash: part.treeHash)], expected: part.treeHash) {
                report.problems.append("\(what): \(problem)")
            }
        }
        for archive in try await store.allArchives() {
            report.checked += 1
            let segments = try await store.segments(ofArchive: archive.id).map {
                OutputSegment(blobID: $0.blobID, length: $0.length, treeHash: $0.treeHash)
            }
            let total = segments.reduce(0) { $0 + $1.length }
            if total != archive.size {
                report.problems.append("archive \(archive.id): segments hold \(total) bytes, the archive has \(archive.size)")
            } else if let problem = check(blobs, segments, expected: archive.treeHash) {
                report.problems.append("archive \(archive.id): \(problem)")
            }
        }
        // Each vault's live counters and last inventory against the archives they count.
        for problem in try await store.inventoryProblems() {
            report.problems.append(problem)
        }
        report.vaults = try await store.inventories(named: nil).count
        return report
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
