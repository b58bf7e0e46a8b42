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

/// Bytes that can be hashed after the call that produced them returns: the chunk keeps its
/// storage alive (NIO's `ByteBuffer` conforms in the HTTP layer).
public protocol HashableChunk: Sendable {
    func withUnsafeReadableBytes<T>(_ body: (UnsafeRawBufferPointer) throws -> T) rethrows -> T
}

extension Array: HashableChunk where Element == UInt8 {
    public func withUnsafeReadableBytes<T>(_ body: (UnsafeRawBufferPointer) throws -> T) rethrows -> T {
        try withUnsafeBytes(body)
    }
}

/// Hands the linear hasher to its lane, which alone touches it until `finalize` has waited
/// for the lane (the dispatch group orders the two).
private struct UncheckedBox<T>: @unchecked Sendable {
    let value: T
    init(_ value: T) { self.value = value }
}

/// Feeds each incoming buffer once to both hashes Glacier checks on an upload:
/// the tree hash (`x-amz-sha256-tree-hash`) and the linear hash (`x-amz-content-sha256`).
///
/// For a payload of more than one leaf, the linear hash runs on a lane (a serial queue) up
/// to `maxBuffersBehind` buffers behind the caller, while the caller hashes the tree, runs
/// its own work (the file write) and reads on: one upload uses two cores, and the caller
/// never waits for the lane to wake up — only when the lane is that far behind, and in
/// `finalize`. Measured on the 2-vCPU bench VM (interleaved runs, bench/GAPS.md):
/// - `DispatchQueue.concurrentPerform` per buffer left most hashing on the calling thread,
///   because the second thread woke too late to take its share;
/// - the file write on the lane too made the lane the bottleneck (slower again).
///
/// A payload of at most one leaf (1 MiB) has a tree hash equal to its SHA-256, so when the
/// expected length says so it is hashed once, on the caller's thread.
public final class PayloadHasher {
    private let linear = SHA256Hasher()
    private let tree: TreeHasher?
    public private(set) var byteCount = 0
    private lazy var lane = DispatchQueue(label: "glacier-mock.linear-hash")
    private let laneBusy = DispatchGroup()
    private let laneSlots = DispatchSemaphore(value: PayloadHasher.maxBuffersBehind)

    /// How many buffers the linear hash may lag behind (memory: at most this many buffers,
    /// each at most the largest socket read, 1 MiB).
    public static let maxBuffersBehind = 4

    /// `expectedLength`: the payload's declared size, when known; callers reject bodies
    /// longer than declared before feeding them here.
    public init(expectedLength: Int64? = nil) {
        tree = (expectedLength.map { $0 <= Int64(TreeHash.leafSize) } ?? false) ? nil : TreeHasher()
    }

    /// Feeds bytes to both hashes on the calling thread.
    public func update(_ bytes: UnsafeRawBufferPointer) {
        laneBusy.wait()
        byteCount += bytes.count
        linear.update(bytes)
        tree?.update(bytes)
    }

    /// Feeds `chunk` to both hashes and runs `work` on its bytes (the file write) while the
    /// linear hash of a multi-leaf payload proceeds on the lane. `work`'s error is passed on.
    public func update<Chunk: HashableChunk>(_ chunk: Chunk, alongside work: (UnsafeRawBufferPointer) throws -> Void) throws {
        guard let tree else {
            try chunk.withUnsafeReadableBytes { bytes in
                update(bytes)
                try work(bytes)
            }
            return
        }
        laneSlots.wait()
        laneBusy.enter()
        let linear = UncheckedBox(linear)
        lane.async { [laneSlots, laneBusy] in
            chunk.withUnsafeReadableBytes { linear.value.update($0) }
            laneSlots.signal()
            laneBusy.leave()
        }
        try chunk.withUnsafeReadableBytes { bytes in
            byteCount += bytes.count
            try work(bytes)
            tree.update(bytes)
        }
    }

    /// Both digests, once the lane has caught up.
    public func finalize() -> (treeHash: SHA256Digest, linearHash: SHA256Digest) {
        laneBusy.wait()
        let linearHash = linear.finalize()
        if let tree { return (tree.finalize(), linearHash) }
        precondition(byteCount <= TreeHash.leafSize, "PayloadHasher fed more than the one leaf it was told to expect")
        return (linearHash, linearHash)
    }
}
