import Dispatch

/// Glacier's SHA-256 tree hash.
///
/// The data is cut into 1 MiB leaves; each leaf is SHA-256'd; then adjacent pairs of
/// digests are hashed together level by level, an odd digest at the end of a level
/// carried up unchanged, until one digest remains. Empty data hashes to SHA-256("").
/// (Developer Guide: "Computing Checksums".)
public enum TreeHash {
    /// Leaf size: 1 MiB.
    public static let leafSize = 1 << 20

    /// Combines a level of digests into its root, carrying odd digests up.
    ///
    /// Because Glacier part sizes are 1 MiB × 2^n, a full part's tree hash is the root of a
    /// perfect subtree aligned to the part boundary, so an archive's tree hash is
    /// `combine(partTreeHashes)` — no byte needs to be read again (Developer Guide,
    /// "Computing Checksums": tree hash of an archive from part tree hashes).
    public static func combine(_ digests: [SHA256Digest]) -> SHA256Digest {
        precondition(!digests.isEmpty, "a tree hash combines at least one digest")
        var level = digests
        var pair = [UInt8](repeating: 0, count: 2 * SHA256Digest.byteCount)
        while level.count > 1 {
            var next = [SHA256Digest]()
            next.reserveCapacity((level.count + 1) / 2)
            var i = 0
            while i + 1 < level.count {
                pair.replaceSubrange(0..<32, with: level[i].bytes)
                pair.replaceSubrange(32..<64, with: level[i + 1].bytes)
                next.append(SHA256Hasher.hash(pair))
                i += 2
            }
            if i < level.count { next.append(level[i]) }
            level = next
        }
        return level[0]
    }

    /// Tree hash of bytes held in memory (tests, small inputs).
    public static func of(_ bytes: [UInt8]) -> SHA256Digest {
        let hasher = TreeHasher()
        bytes.withUnsafeBytes { hasher.update($0) }
        return hasher.finalize()
    }
}

/// Computes a tree hash incrementally as bytes arrive in buffers of any size.
///
/// Keeps one digest per completed 1 MiB leaf (32 bytes per MiB: 128 KiB for a 4 GiB part)
/// and a running hasher for the leaf being filled; never holds the data itself.
public final class TreeHasher {
    private let leaf = SHA256Hasher()
    private var bytesInLeaf = 0
    private var leaves: [SHA256Digest] = []
    /// Total bytes fed so far.
    public private(set) var byteCount: Int = 0

    public init() {}

    public func update(_ bytes: UnsafeRawBufferPointer) {
        var rest = bytes
        byteCount += bytes.count
        while !rest.isEmpty {
            // A whole leaf inside the buffer: hash it in one call, no running state.
            if bytesInLeaf == 0 && rest.count >= TreeHash.leafSize {
                leaves.append(SHA256Hasher.hash(UnsafeRawBufferPointer(rebasing: rest[..<TreeHash.leafSize])))
                rest = UnsafeRawBufferPointer(rebasing: rest[TreeHash.leafSize...])
                continue
            }
            let take = min(TreeHash.leafSize - bytesInLeaf, rest.count)
            leaf.update(UnsafeRawBufferPointer(rebasing: rest[..<take]))
            bytesInLeaf += take
            rest = UnsafeRawBufferPointer(rebasing: rest[take...])
            if bytesInLeaf == TreeHash.leafSize {
                leaves.append(leaf.finalize())
                bytesInLeaf = 0
            }
        }
    }

    /// The tree hash of everything fed so far.
    public func finalize() -> SHA256Digest {
        var all = leaves
        if bytesInLeaf > 0 || all.isEmpty {
            all.append(leaf.finalize())
            bytesInLeaf = 0
        }
        return TreeHash.combine(all)
    }
}

/// Hands values to `concurrentPerform`'s two iterations, which touch disjoint state (one the
/// tree hasher, the other the linear hasher), only read `bytes`, and finish before it returns.
private struct UncheckedBox<T>: @unchecked Sendable {
    let value: T
    init(_ value: T) { self.value = value }
}

/// Feeds each incoming buffer once to both hashes Glacier checks on an upload:
/// the tree hash (`x-amz-sha256-tree-hash`) and the linear hash (`x-amz-content-sha256`).
///
/// A payload of at most one leaf (1 MiB) has a tree hash equal to its SHA-256, so when the
/// expected length says so it is hashed once, not twice (half the work for 1 MiB parts and
/// small archives).
public final class PayloadHasher {
    private let linear = SHA256Hasher()
    private let tree: TreeHasher?
    public private(set) var byteCount = 0

    /// `expectedLength`: the payload's declared size, when known; callers reject bodies
    /// longer than declared before feeding them here.
    public init(expectedLength: Int64? = nil) {
        tree = (expectedLength.map { $0 <= Int64(TreeHash.leafSize) } ?? false) ? nil : TreeHasher()
    }

    public func update(_ bytes: UnsafeRawBufferPointer) {
        byteCount += bytes.count
        linear.update(bytes)
        tree?.update(bytes)
    }

    /// Buffers at least this large are hashed on two threads (see `update(_:alongside:)`).
    public static let parallelThreshold = 128 * 1024

    /// Feeds `bytes` to both hashes, then runs `work` (the file write). For a large buffer of
    /// a multi-leaf payload the two hashes run on two threads at once, so one upload can use
    /// two cores: SHA-256 is the cost of an upload, and the two hashes are independent.
    public func update(_ bytes: UnsafeRawBufferPointer, alongside work: () throws -> Void) throws {
        if let tree, bytes.count >= Self.parallelThreshold {
            byteCount += bytes.count
            let box = UncheckedBox((tree, linear, bytes))
            DispatchQueue.concurrentPerform(iterations: 2) { i in
                let (tree, linear, bytes) = box.value
                if i == 0 { tree.update(bytes) } else { linear.update(bytes) }
            }
        } else {
            update(bytes)
        }
        try work()
    }

    public func finalize() -> (treeHash: SHA256Digest, linearHash: SHA256Digest) {
        let linearHash = linear.finalize()
        if let tree { return (tree.finalize(), linearHash) }
        precondition(byteCount <= TreeHash.leafSize, "PayloadHasher fed more than the one leaf it was told to expect")
        return (linearHash, linearHash)
    }
}
