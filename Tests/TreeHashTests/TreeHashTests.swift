import Foundation
import Testing
import TreeHash
import CSHA256Pair

// MARK: Fixture

/// One entry of `fixtures/treehash-vectors.json` (computed by an independent Python
/// implementation, cross-checked against botocore).
struct Vector: Sendable, CustomStringConvertible {
    let size: Int
    let treeHash: String
    let linearHash: String
    var description: String { "size \(size)" }
}

enum Fixture {
    static let path: String = URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent()  // TreeHashTests
        .deletingLastPathComponent()  // Tests
        .deletingLastPathComponent()  // repository root
        .appendingPathComponent("fixtures/treehash-vectors.json").path

    static func load() throws -> (content: String, vectors: [Vector]) {
        let data = try Data(contentsOf: URL(fileURLWithPath: path))
        let doc = try #require(try JSONSerialization.jsonObject(with: data) as? [String: Any], "\(path) is not a JSON object")
        let content = try #require(doc["content"] as? String, "no \"content\" in \(path)")
        let list = try #require(doc["vectors"] as? [[String: Any]], "no \"vectors\" in \(path)")
        let vectors = try list.map { v in
            Vector(
                size: try #require(v["size"] as? Int),
                treeHash: try #require(v["tree_hash"] as? String),
                linearHash: try #require(v["linear_hash"] as? String))
        }
        return (content, vectors)
    }

    /// The content of size `n`: byte i = (i*7 + (i >> 20)) mod 256.
    static func content(_ n: Int) -> [UInt8] {
        var out = [UInt8](repeating: 0, count: n)
        out.withUnsafeMutableBufferPointer { p in
            for i in 0..<n { p[i] = UInt8(truncatingIfNeeded: i &* 7 &+ (i >> 20)) }
        }
        return out
    }
}

/// Feeds `bytes` to `update` in chunks whose sizes cycle through `sizes`.
func feed(_ bytes: [UInt8], chunkSizes sizes: [Int], _ update: (UnsafeRawBufferPointer) -> Void) {
    feedThrowing(bytes, chunkSizes: sizes, update)
}

func feedThrowing(_ bytes: [UInt8], chunkSizes sizes: [Int], _ update: (UnsafeRawBufferPointer) throws -> Void) rethrows {
    try bytes.withUnsafeBytes { all in
        var offset = 0
        var k = 0
        while offset < all.count {
            let n = min(sizes[k % sizes.count], all.count - offset)
            try update(UnsafeRawBufferPointer(rebasing: all[offset..<offset + n]))
            offset += n
            k += 1
        }
    }
}

let mib = 1 << 20

// MARK: Vectors

@Suite struct TreeHashVectorTests {
    @Test func fixtureDescribesTheContentFormula() throws {
        let (content, vectors) = try Fixture.load()
        #expect(content == "byte i = (i*7 + (i >> 20)) mod 256")
        #expect(!vectors.isEmpty)
        // The fixture covers the edge sizes the tree hash cares about.
        let sizes = Set(vectors.map(\.size))
        for size in [0, 1, mib - 1, mib, mib + 1, 5 * mib + 1] {
            #expect(sizes.contains(size), "fixture lacks size \(size)")
        }
        // Single-leaf inputs: tree hash == linear hash; multi-leaf: they differ.
        for v in vectors {
            if v.size <= mib {
                #expect(v.treeHash == v.linearHash, "\(v)")
            } else {
                #expect(v.treeHash != v.linearHash, "\(v)")
            }
        }
    }

    @Test func contentGeneratorMatchesDefinition() {
        let c = Fixture.content(3 * mib + 2)
        #expect(c[0] == 0)
        #expect(c[1] == 7)
        #expect(c[37] == UInt8((37 * 7) % 256))
        #expect(c[mib] == 1)  // (mib*7 + 1) mod 256
        #expect(c[mib + 1] == 8)
        #expect(c[3 * mib + 1] == 10)
    }

    @Test func treeHashOfBytesMatchesEveryVector() throws {
        for v in try Fixture.load().vectors {
            let data = Fixture.content(v.size)
            #expect(TreeHash.of(data).hex == v.treeHash, "\(v)")
            #expect(SHA256Hasher.hash(data).hex == v.linearHash, "\(v)")
        }
    }

    @Test(arguments: [[1], [7], [65536 + 3], [mib + 1], [1, 7, 65536 + 3, mib + 1, 3]])
    func treeHasherInOddChunksMatchesEveryVector(chunkSizes: [Int]) throws {
        for v in try Fixture.load().vectors {
            // Byte-at-a-time over the largest inputs adds minutes in a debug build without
            // covering anything new: 4 MiB already crosses several leaf boundaries.
            if chunkSizes == [1] && v.size > 4 * mib { continue }
            let data = Fixture.content(v.size)
            let hasher = TreeHasher()
            feed(data, chunkSizes: chunkSizes) { hasher.update($0) }
            #expect(hasher.byteCount == v.size, "\(v), chunks \(chunkSizes)")
            #expect(hasher.finalize().hex == v.treeHash, "\(v), chunks \(chunkSizes)")
        }
    }

    /// With and without the declared length (which lets a one-leaf payload be hashed once),
    /// paired (one pass for both hashes) and split (libcrypto twice, no SHA-NI).
    @Test(arguments: [false, true], [false, true])
    func payloadHasherGivesBothHashesForEveryVector(declared: Bool, paired: Bool) throws {
        for v in try Fixture.load().vectors {
            let data = Fixture.content(v.size)
            let hasher = PayloadHasher(expectedLength: declared ? Int64(v.size) : nil, paired: paired)
            feed(data, chunkSizes: [65536 + 3, 7, mib + 1]) { hasher.update($0) }
            #expect(hasher.byteCount == v.size, "\(v)")
            let (tree, linear) = hasher.finalize()
            #expect(tree.hex == v.treeHash, "\(v)")
            #expect(linear.hex == v.linearHash, "\(v)")
        }
    }

    /// The two-thread path (the hashes of a multi-leaf payload on its lane) gives the same
    /// hashes, runs the caller's work on every byte in order, and passes its error on.
    @Test(arguments: [false, true])
    func payloadHasherAlongsideWorkMatchesEveryVector(paired: Bool) throws {
        for v in try Fixture.load().vectors {
            let data = Fixture.content(v.size)
            let hasher = PayloadHasher(expectedLength: Int64(v.size), paired: paired)
            var written: [UInt8] = []
            try feedThrowing(data, chunkSizes: [mib + 5, 200_000, 131_072, 7]) { bytes in
                try hasher.update(Array(bytes)) { owned in written.append(contentsOf: owned) }
            }
            #expect(written == data, "\(v)")
            let (tree, linear) = hasher.finalize()
            #expect(tree.hex == v.treeHash, "\(v)")
            #expect(linear.hex == v.linearHash, "\(v)")
        }
        struct DiskFull: Error {}
        let hasher = PayloadHasher(expectedLength: 4 * Int64(mib), paired: paired)
        let big = [UInt8](repeating: 1, count: mib)
        #expect(throws: DiskFull.self) {
            try hasher.update(big) { _ in throw DiskFull() }
        }
    }

    /// Two multi-leaf payloads hashed at the same time: the later one takes the one-pass
    /// paired hasher when the CPU has SHA-NI (whatever other tests run meanwhile, the first
    /// is in flight). A one-leaf payload is never counted.
    @Test func concurrentMultiLeafPayloadsArePaired() {
        let first = PayloadHasher(expectedLength: 4 * Int64(mib))
        let second = PayloadHasher(expectedLength: 4 * Int64(mib))
        #expect(second.isPaired == TreeAndLinearHasher.isAccelerated)
        #expect(!PayloadHasher(expectedLength: Int64(mib)).isPaired)
        withExtendedLifetime(first) {}
    }

    /// A multi-leaf payload that finishes while another is in flight marks the moment, and a
    /// payload starting within the window after it counts as competing even when it is alone
    /// in flight (two connections between requests).
    @Test func payloadFinishingBesideAnotherMarksContention() {
        let first = PayloadHasher(expectedLength: 4 * Int64(mib))
        let before = DispatchTime.now().uptimeNanoseconds
        do {
            let second = PayloadHasher(expectedLength: 4 * Int64(mib))
            withExtendedLifetime(second) {}
        }  // `second` finishes here, with `first` still in flight
        #expect(PayloadHasher.lastContendedFinishNanoseconds >= before)
        withExtendedLifetime(first) {}

        let w = PayloadHasher.contentionWindowNanoseconds
        let t: UInt64 = 1_000_000_000
        #expect(PayloadHasher.competes(othersInFlight: 1, lastContendedFinish: 0, now: t))
        #expect(!PayloadHasher.competes(othersInFlight: 0, lastContendedFinish: 0, now: t))
        #expect(PayloadHasher.competes(othersInFlight: 0, lastContendedFinish: t - w + 1, now: t))
        #expect(!PayloadHasher.competes(othersInFlight: 0, lastContendedFinish: t - w, now: t))
    }

    /// The one-pass hasher alone, over chunk sizes that end inside a block, on a block
    /// boundary and across leaf boundaries.
    @Test(arguments: [[1, 63, 64, 65], [mib - 1, 2], [mib + 64], [4 * mib + 17], [131_072, 7]])
    func treeAndLinearHasherMatchesEveryVector(chunkSizes: [Int]) throws {
        for v in try Fixture.load().vectors {
            if chunkSizes.max()! < 64 * 1024 && v.size > 4 * mib { continue }  // slow in debug, nothing new
            let data = Fixture.content(v.size)
            let hasher = TreeAndLinearHasher()
            feed(data, chunkSizes: chunkSizes) { hasher.update($0) }
            #expect(hasher.byteCount == v.size, "\(v), chunks \(chunkSizes)")
            let (tree, linear) = hasher.finalize()
            #expect(tree.hex == v.treeHash, "\(v), chunks \(chunkSizes)")
            #expect(linear.hex == v.linearHash, "\(v), chunks \(chunkSizes)")
        }
    }

    /// Random lengths and splits, checked against libcrypto (both hashes) and the
    /// incremental tree hasher: every length mod 64, and the padding that needs two blocks.
    @Test func treeAndLinearHasherMatchesLibcryptoOnRandomInput() {
        var rng = SystemRandomNumberGenerator()
        let pool = (0..<(3 * mib + 200)).map { _ in UInt8.random(in: 0...255, using: &rng) }
        var lengths = Array(0...130) + [mib - 9, mib - 8, mib - 1, mib, mib + 55, mib + 56, 2 * mib + 63, 3 * mib + 200]
        lengths += (0..<20).map { _ in Int.random(in: 0...(3 * mib + 200), using: &rng) }
        for n in lengths {
            let data = Array(pool[0..<n])
            let split = n == 0 ? 0 : Int.random(in: 0...n, using: &rng)
            let hasher = TreeAndLinearHasher()
            data.withUnsafeBytes { all in
                hasher.update(UnsafeRawBufferPointer(rebasing: all[0..<split]))
                hasher.update(UnsafeRawBufferPointer(rebasing: all[split...]))
            }
            let (tree, linear) = hasher.finalize()
            #expect(linear == SHA256Hasher.hash(data), "length \(n), split at \(split)")
            #expect(tree == TreeHash.of(data), "length \(n), split at \(split)")
        }
    }

    @Test func treeHashOfFileMatchesEveryVector() throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("treehash-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: dir) }
        for v in try Fixture.load().vectors {
            let file = dir.appendingPathComponent("content-\(v.size)")
            try Data(Fixture.content(v.size)).write(to: file)
            #expect(try TreeHash.ofFile(atPath: file.path).hex == v.treeHash, "\(v)")
        }
    }
}

// MARK: Composition and primitives

@Suite struct TreeHashCompositionTests {
    /// A 4 MiB-part archive's tree hash is the combination of its parts' tree hashes; the
    /// same holds for 1 MiB and 2 MiB parts (all powers of two).
    @Test(arguments: [1, 2, 4])
    func combineOfPartHashesEqualsWholeHash(partMiB: Int) throws {
        let size = 5 * mib + 1
        let data = Fixture.content(size)
        let partSize = partMiB * mib
        let parts = stride(from: 0, to: size, by: partSize).map { start in
            TreeHash.of(Array(data[start..<min(start + partSize, size)]))
        }
        #expect(parts.count == (size + partSize - 1) / partSize)
        let whole = TreeHash.of(data)
        #expect(TreeHash.combine(parts) == whole)
        // Same value as the independent fixture.
        let vector = try #require(try Fixture.load().vectors.first { $0.size == size })
        #expect(whole.hex == vector.treeHash)
    }

    @Test func combineNeedsPowerOfTwoParts() {
        // 3 MiB parts are not aligned subtrees: combining them gives a different value.
        let data = Fixture.content(6 * mib)
        let parts = [TreeHash.of(Array(data[0..<3 * mib])), TreeHash.of(Array(data[(3 * mib)...]))]
        #expect(TreeHash.combine(parts) != TreeHash.of(data))
    }

    @Test func combineOfOneDigestIsThatDigest() {
        let d = SHA256Hasher.hash(Array("abc".utf8))
        #expect(TreeHash.combine([d]) == d)
    }

    @Test func combineOfTwoIsHashOfConcatenation() {
        let a = SHA256Hasher.hash(Array("a".utf8))
        let b = SHA256Hasher.hash(Array("b".utf8))
        #expect(TreeHash.combine([a, b]) == SHA256Hasher.hash(a.bytes + b.bytes))
        // Odd digest is carried up unchanged: combine([a, b, c]) = H(H(a‖b) ‖ c).
        let c = SHA256Hasher.hash(Array("c".utf8))
        #expect(TreeHash.combine([a, b, c]) == SHA256Hasher.hash(SHA256Hasher.hash(a.bytes + b.bytes).bytes + c.bytes))
    }

    @Test func emptyInputHashesToSHA256OfNothing() {
        #expect(TreeHash.of([]).hex == "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855")
        #expect(TreeHasher().finalize().hex == "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855")
    }

    @Test func sha256KnownAnswerAndReuseAfterFinalize() {
        let abc = "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
        #expect(SHA256Hasher.hash(Array("abc".utf8)).hex == abc)
        let hasher = SHA256Hasher()
        hasher.update(Array("a".utf8))
        hasher.update(Array("bc".utf8))
        #expect(hasher.finalize().hex == abc)
        // finalize() starts over.
        hasher.update(Array("abc".utf8))
        #expect(hasher.finalize().hex == abc)
    }

    @Test func ofFileOnMissingPathThrows() {
        #expect(throws: FileHashError.self) {
            _ = try TreeHash.ofFile(atPath: "/nonexistent/glacier-mock/\(UUID().uuidString)")
        }
    }
}

@Suite struct SHA256DigestTests {
    static let lower = "6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d"

    @Test func parsesLowercaseHex() throws {
        let d = try #require(SHA256Digest(hex: Self.lower))
        #expect(d.bytes.count == 32)
        #expect(d.bytes[0] == 0x6e)
        #expect(d.bytes[31] == 0x1d)
        #expect(d.hex == Self.lower)
        #expect(d.description == Self.lower)
    }

    @Test func acceptsUppercaseAndPrintsLowercase() throws {
        let d = try #require(SHA256Digest(hex: Self.lower.uppercased()))
        #expect(d == SHA256Digest(hex: Self.lower))
        #expect(d.hex == Self.lower)
    }

    static let malformed: [String] = {
        var list: [String] = []
        list.append(String(lower.dropLast()))  // 63 characters
        list.append(lower + "0")  // 65 characters
        list.append("")
        list.append("g" + String(lower.dropFirst()))  // non-hex letter
        list.append(String(lower.dropLast()) + " ")  // space
        list.append(String(lower.dropLast(2)) + "é")  // 63 characters, 64 UTF-8 bytes
        list.append("0x" + String(lower.dropLast(2)))
        return list
    }()

    @Test(arguments: malformed)
    func rejectsMalformedHex(_ text: String) {
        #expect(SHA256Digest(hex: text) == nil, "accepted '\(text)'")
    }
}

// MARK: The block functions under the paired hasher

@Suite struct PairedBlockFunctionTests {
    static let initialState: [UInt32] = [
        0x6a09_e667, 0xbb67_ae85, 0x3c6e_f372, 0xa54f_f53a, 0x510e_527f, 0x9b05_688c, 0x1f83_d9ab, 0x5be0_cd19,
    ]

    /// FIPS 180-4's one-block example: SHA-256("abc"), padded by hand, through each path.
    @Test func oneBlockExampleThroughEveryPath() {
        var block = [UInt8](repeating: 0, count: 64)
        block[0] = 0x61; block[1] = 0x62; block[2] = 0x63; block[3] = 0x80; block[63] = 24
        let expected: [UInt32] = [
            0xba78_16bf, 0x8f01_cfea, 0x4141_40de, 0x5dae_2223, 0xb003_61a3, 0x9617_7a9c, 0xb410_ff61, 0xf200_15ad,
        ]
        var portable = Self.initialState, dispatched = Self.initialState
        var first = Self.initialState, second = Self.initialState
        gm_sha256_blocks_portable(&portable, block, 1)
        gm_sha256_blocks(&dispatched, block, 1)
        gm_sha256_blocks_pair(&first, &second, block, 1)
        #expect(portable == expected)
        #expect(dispatched == expected)
        #expect(first == expected && second == expected)
    }

    /// The accelerated paths (when this CPU has SHA-NI) and the portable one agree on many
    /// blocks, and the pair's two states stay independent when they start apart.
    @Test func acceleratedAndPortablePathsAgree() {
        var rng = SystemRandomNumberGenerator()
        let blocks = 1000
        let data = (0..<(64 * blocks)).map { _ in UInt8.random(in: 0...255, using: &rng) }
        var portable = Self.initialState
        gm_sha256_blocks_portable(&portable, data, blocks)
        var dispatched = Self.initialState
        gm_sha256_blocks(&dispatched, data, blocks)
        #expect(dispatched == portable)
        // The second state starts from the first block's result: after the same blocks it
        // must equal a single stream over block 0 followed by all blocks.
        var first = Self.initialState
        var second = Self.initialState
        gm_sha256_blocks_portable(&second, data, 1)
        var expectedSecond = second
        gm_sha256_blocks_portable(&expectedSecond, data, blocks)
        gm_sha256_blocks_pair(&first, &second, data, blocks)
        #expect(first == portable)
        #expect(second == expectedSecond)
        #expect(first != second)
    }
}
