import Dispatch
import Synchronization

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

/// Hands a hasher to the lane, which alone touches it until `finalize` has waited for the
/// lane (the dispatch group orders the two).
private struct UncheckedBox<T>: @unchecked Sendable {
    let value: T
    init(_ value: T) { self.value = value }
}

/// Feeds each incoming buffer once to both hashes Glacier checks on an upload:
/// the tree hash (`x-amz-sha256-tree-hash`) and the linear hash (`x-amz-content-sha256`).
///
/// The hashing of a payload of more than one leaf is chosen per payload:
/// - split: a lane (a serial queue) computes the linear hash up to `maxBuffersBehind` buffers
///   behind the caller, while the caller writes the file, computes the tree hash and reads on;
///   the caller waits only when the lane is that far behind, and in `finalize`. Two passes
///   over the bytes, spread over two threads: the shortest request when cores are free.
/// - paired: the caller computes both in one pass (`TreeAndLinearHasher`, SHA-NI) right after
///   writing each buffer, while its bytes are still in this core's cache; about 0.6× the CPU
///   of two passes, and no hand-off. Chosen when another multi-leaf payload is being hashed
///   at the same time, or one finished while another was being hashed less than 50 ms ago —
///   i.e. when uploads compete for the cores, and the CPU saved is throughput gained.
/// Measured on the 2-vCPU bench VM (interleaved runs; figures in ARCHITECTURE.md and the
/// commit messages): paired on the lane gave +16 % with two connections and −10 % with one;
/// paired on the caller instead of the lane a further +19 % with two connections.
///
/// A payload of at most one leaf (1 MiB) has a tree hash equal to its SHA-256, so when the
/// expected length says so it is hashed once, on the caller's thread.
public final class PayloadHasher {
    private enum Mode {
        /// At most one leaf: one SHA-256 is both hashes.
        case single(SHA256Hasher)
        /// Both hashes in one pass, on the caller's thread.
        case paired(TreeAndLinearHasher)
        /// Linear hash on the lane, tree hash on the caller: two passes on two threads.
        case split(linear: SHA256Hasher, tree: TreeHasher)
    }

    private let mode: Mode
    public private(set) var byteCount = 0
    private lazy var lane = DispatchQueue(label: "glacier-mock.payload-hash")
    private let laneBusy = DispatchGroup()
    private let laneSlots = DispatchSemaphore(value: PayloadHasher.maxBuffersBehind)

    /// How many buffers the lane may lag behind (memory: at most this many buffers,
    /// each at most the largest socket read, 1 MiB).
    public static let maxBuffersBehind = 4

    /// Multi-leaf payloads being hashed right now, across all requests.
    private static let multiLeafInFlight = Atomic<Int>(0)
    private var countedInFlight = false

    /// `expectedLength`: the payload's declared size, when known; callers reject bodies
    /// longer than declared before feeding them here. `paired`: force one way (tests);
    /// by default paired when this CPU has SHA-NI and another multi-leaf payload is in flight.
    public init(expectedLength: Int64? = nil, paired: Bool? = nil) {
        if let expectedLength, expectedLength <= Int64(TreeHash.leafSize) {
            mode = .single(SHA256Hasher())
            return
        }
        let others = Self.multiLeafInFlight.add(1, ordering: .relaxed).oldValue
        countedInFlight = true
        let competing = Self.competes(othersInFlight: others, lastContendedFinish: Self.lastContendedFinishNanoseconds,
                                      now: DispatchTime.now().uptimeNanoseconds)
        if paired ?? (TreeAndLinearHasher.isAccelerated && competing) {
            mode = .paired(TreeAndLinearHasher())
        } else {
            mode = .split(linear: SHA256Hasher(), tree: TreeHasher())
        }
    }

    deinit {
        // The lane's blocks hold the hashers, not `self`; nothing is queued past this point
        // that reads `self`.
        guard countedInFlight else { return }
        if Self.multiLeafInFlight.subtract(1, ordering: .relaxed).oldValue > 1 {
            Self.lastContendedFinish.store(DispatchTime.now().uptimeNanoseconds, ordering: .relaxed)
        }
    }

    /// When a multi-leaf payload last finished while another was still being hashed
    /// (`DispatchTime` nanoseconds; 0: never). Uploads on several connections take turns
    /// between requests, so a payload that starts while the others are between requests
    /// still counts as competing if one finished that way within `contentionWindowNanoseconds`.
    private static let lastContendedFinish = Atomic<UInt64>(0)
    public static let contentionWindowNanoseconds: UInt64 = 50_000_000

    /// The last time a multi-leaf payload finished while another was being hashed (0: never).
    public static var lastContendedFinishNanoseconds: UInt64 { lastContendedFinish.load(ordering: .relaxed) }

    /// The rule for pairing: another multi-leaf payload in flight, or one that finished while
    /// another was in flight less than `contentionWindowNanoseconds` before `now`.
    public static func competes(othersInFlight: Int, lastContendedFinish: UInt64, now: UInt64) -> Bool {
        othersInFlight > 0 || (lastContendedFinish != 0 && now &- lastContendedFinish < contentionWindowNanoseconds)
    }

    /// True when this payload is hashed in one pass (for tests and logs).
    public var isPaired: Bool {
        if case .paired = mode { return true }
        return false
    }

    /// Feeds bytes to both hashes on the calling thread.
    public func update(_ bytes: UnsafeRawBufferPointer) {
        laneBusy.wait()
        byteCount += bytes.count
        switch mode {
        case .single(let linear): linear.update(bytes)
        case .paired(let both): both.update(bytes)
        case .split(let linear, let tree):
            linear.update(bytes)
            tree.update(bytes)
        }
    }

    /// Feeds `chunk` to both hashes and runs `work` on its bytes (the file write); a split
    /// payload's linear hash proceeds on the lane meanwhile. `work`'s error is passed on.
    public func update<Chunk: HashableChunk>(_ chunk: Chunk, alongside work: (UnsafeRawBufferPointer) throws -> Void) rethrows {
        switch mode {
        case .single(let linear):
            try chunk.withUnsafeReadableBytes { bytes in
                byteCount += bytes.count
                linear.update(bytes)
                try work(bytes)
            }
        case .paired(let both):
            try chunk.withUnsafeReadableBytes { bytes in
                byteCount += bytes.count
                try work(bytes)
                both.update(bytes)
            }
        case .split(let linear, let tree):
            onLane(chunk) { linear.update($0) }
            try chunk.withUnsafeReadableBytes { bytes in
                byteCount += bytes.count
                try work(bytes)
                tree.update(bytes)
            }
        }
    }

    /// Runs `hash` over `chunk` on the lane, after the buffers queued before it.
    private func onLane<Chunk: HashableChunk>(_ chunk: Chunk, _ hash: @escaping (UnsafeRawBufferPointer) -> Void) {
        laneSlots.wait()
        laneBusy.enter()
        let hash = UncheckedBox(hash)
        lane.async { [laneSlots, laneBusy] in
            chunk.withUnsafeReadableBytes { hash.value($0) }
            laneSlots.signal()
            laneBusy.leave()
        }
    }

    /// Both digests, once the lane has caught up.
    public func finalize() -> (treeHash: SHA256Digest, linearHash: SHA256Digest) {
        laneBusy.wait()
        switch mode {
        case .single(let linear):
            precondition(byteCount <= TreeHash.leafSize, "PayloadHasher fed more than the one leaf it was told to expect")
            let digest = linear.finalize()
            return (digest, digest)
        case .paired(let both):
            return both.finalize()
        case .split(let linear, let tree):
            return (tree.finalize(), linear.finalize())
        }
    }
}
