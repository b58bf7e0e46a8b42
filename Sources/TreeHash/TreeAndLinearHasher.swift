import CSHA256Pair

/// The linear SHA-256 and the tree hash of the same bytes, in one pass over them.
///
/// Every block of an upload goes into two SHA-256 streams: the whole payload's (the linear
/// hash) and the current 1 MiB leaf's. A leaf is a whole number of 64-byte blocks, so both
/// streams are always at the same block offset, and `gm_sha256_blocks_pair` compresses each
/// block into both states at once: one message schedule, two interleaved chains of rounds.
/// With SHA-NI that costs about 1.1 × one hash instead of 2 × (ARCHITECTURE.md, "Two hashes,
/// one pass"). Holds one 64-byte partial block and one digest per finished leaf.
///
/// Not thread-safe; `finalize` is called once.
public final class TreeAndLinearHasher {
    /// 16 words: the linear hash's state, then the current leaf's.
    private let states: UnsafeMutablePointer<UInt32>
    private var linearState: UnsafeMutablePointer<UInt32> { states }
    private var leafState: UnsafeMutablePointer<UInt32> { states + 8 }
    /// Bytes not yet compressed (fewer than one block); they belong to both streams.
    private let pending: UnsafeMutableRawPointer
    private var pendingCount = 0
    /// Bytes of the current leaf already compressed.
    private var leafCompressed = 0
    private var leaves: [SHA256Digest] = []
    public private(set) var byteCount = 0

    static let blockSize = 64
    static let initialState: [UInt32] = [
        0x6a09_e667, 0xbb67_ae85, 0x3c6e_f372, 0xa54f_f53a, 0x510e_527f, 0x9b05_688c, 0x1f83_d9ab, 0x5be0_cd19,
    ]

    /// True when this CPU has the SHA extensions that make the paired pass pay off.
    public static let isAccelerated = gm_sha256_accelerated() != 0

    public init() {
        states = .allocate(capacity: 16)
        pending = .allocate(byteCount: Self.blockSize, alignment: 16)
        Self.reset(linearState)
        Self.reset(leafState)
    }

    deinit {
        states.deallocate()
        pending.deallocate()
    }

    private static func reset(_ state: UnsafeMutablePointer<UInt32>) {
        for i in 0..<8 { state[i] = initialState[i] }
    }

    public func update(_ bytes: UnsafeRawBufferPointer) {
        guard var p = bytes.baseAddress, bytes.count > 0 else { return }
        var n = bytes.count
        byteCount += n
        if pendingCount > 0 {
            let take = min(Self.blockSize - pendingCount, n)
            (pending + pendingCount).copyMemory(from: p, byteCount: take)
            pendingCount += take
            p += take
            n -= take
            guard pendingCount == Self.blockSize else { return }
            compress(UnsafeRawPointer(pending), blocks: 1)
            pendingCount = 0
        }
        while n >= Self.blockSize {
            // Never past the end of the current leaf: it is finished there.
            let blocks = min(n / Self.blockSize, (TreeHash.leafSize - leafCompressed) / Self.blockSize)
            compress(p, blocks: blocks)
            p += blocks * Self.blockSize
            n -= blocks * Self.blockSize
        }
        if n > 0 {
            pending.copyMemory(from: p, byteCount: n)
            pendingCount = n
        }
    }

    private func compress(_ p: UnsafeRawPointer, blocks: Int) {
        gm_sha256_blocks_pair(linearState, leafState, p.assumingMemoryBound(to: UInt8.self), blocks)
        leafCompressed += blocks * Self.blockSize
        if leafCompressed == TreeHash.leafSize {
            leaves.append(Self.finish(leafState, length: TreeHash.leafSize, tail: UnsafeRawBufferPointer(start: nil, count: 0)))
            Self.reset(leafState)
            leafCompressed = 0
        }
    }

    /// The tree hash and the linear hash of everything fed.
    public func finalize() -> (treeHash: SHA256Digest, linearHash: SHA256Digest) {
        let tail = UnsafeRawBufferPointer(start: pending, count: pendingCount)
        let linear = Self.finish(linearState, length: byteCount, tail: tail)
        if leafCompressed + pendingCount > 0 || leaves.isEmpty {
            leaves.append(Self.finish(leafState, length: leafCompressed + pendingCount, tail: tail))
        }
        return (TreeHash.combine(leaves), linear)
    }

    /// Pads `tail` (the last, partial block of a message of `length` bytes) and compresses it
    /// into a copy of `state` (FIPS 180-4, 5.1.1): the message's digest.
    private static func finish(_ state: UnsafeMutablePointer<UInt32>, length: Int, tail: UnsafeRawBufferPointer) -> SHA256Digest {
        var words = (0..<8).map { state[$0] }
        var block = [UInt8](repeating: 0, count: 2 * blockSize)
        let r = tail.count
        block.withUnsafeMutableBytes { $0.copyMemory(from: tail) }
        block[r] = 0x80
        let blocks = r < blockSize - 8 ? 1 : 2
        let bits = UInt64(length) &* 8
        for i in 0..<8 { block[blocks * blockSize - 1 - i] = UInt8(truncatingIfNeeded: bits >> (8 * UInt64(i))) }
        words.withUnsafeMutableBufferPointer { w in
            block.withUnsafeBufferPointer { gm_sha256_blocks(w.baseAddress!, $0.baseAddress!, blocks) }
        }
        var out = [UInt8]()
        out.reserveCapacity(SHA256Digest.byteCount)
        for w in words { out += [UInt8(w >> 24), UInt8(truncatingIfNeeded: w >> 16), UInt8(truncatingIfNeeded: w >> 8), UInt8(truncatingIfNeeded: w)] }
        return SHA256Digest(bytes: out)
    }
}
