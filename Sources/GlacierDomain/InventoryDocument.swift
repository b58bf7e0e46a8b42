import GlacierStorage
import TreeHash

/// Writes an inventory job's document (Developer Guide, Get Job Output: the JSON
/// `{"VaultARN", "InventoryDate", "ArchiveList": [...]}` or the CSV with the columns
/// ArchiveId, ArchiveDescription, CreationDate, Size, SHA256TreeHash) to a blob file through a
/// 1 MiB buffer, tree-hashing the bytes on the way: memory stays the same for any vault size.
/// Used by one task at a time (inside one read transaction).
///
/// A vault of a million archives makes a 330 MB document, so the per-archive work is kept
/// small (profiled with `perf`): bytes are stored into a raw buffer without Array's checks,
/// strings are copied whole unless they hold a byte JSON must escape, and a date's day part is
/// formatted once per day.
final class InventorySink: @unchecked Sendable {
    private let writer: BlobWriter
    private let hasher = TreeHasher()
    static let flushSize = 1 << 20
    /// Room for the largest archive entry after `flushSize`: a 1,024-byte description escaped
    /// (at most 6 bytes each), a 138-byte ID, a 64-byte hash, a date, a size and the names.
    static let slack = 16 << 10
    private let storage: UnsafeMutablePointer<UInt8>
    private var used = 0
    private(set) var count = 0
    private(set) var length: Int64 = 0
    private var cachedDay = Int64.min
    private var dayPrefix: [UInt8] = []

    init(writer: BlobWriter) {
        self.writer = writer
        storage = .allocate(capacity: Self.flushSize + Self.slack)
    }

    deinit { storage.deallocate() }

    func begin(csv: Bool, vaultARN: String, inventoryDate: Milliseconds) {
        if csv {
            put("ArchiveId,ArchiveDescription,CreationDate,Size,SHA256TreeHash\n")
        } else {
            put("{\"VaultARN\":")
            putJSONString(vaultARN)
            put(",\"InventoryDate\":\"")
            putDate(inventoryDate)
            put("\",\"ArchiveList\":[")
        }
    }

    func add(_ item: InventoryItem, csv: Bool) throws {
        let description = item.description ?? UnsafeRawBufferPointer(start: nil, count: 0)
        if csv {
            putBytes(item.id)
            put(",\"")
            // Descriptions are printable ASCII (Rules.checkArchiveDescription); CSV doubles quotes.
            for byte in description {
                if byte == UInt8(ascii: "\"") { putByte(byte) }
                putByte(byte)
            }
            put("\",")
            putDate(item.creationDate)
            putByte(UInt8(ascii: ","))
            putInt(item.size)
            putByte(UInt8(ascii: ","))
            putBytes(item.treeHash)
            putByte(UInt8(ascii: "\n"))
        } else {
            put(count == 0 ? "{\"ArchiveId\":\"" : ",{\"ArchiveId\":\"")
            putBytes(item.id)  // the server's ID alphabet (RandomID): nothing to escape
            put("\",\"ArchiveDescription\":")
            putJSONString(description)
            put(",\"CreationDate\":\"")
            putDate(item.creationDate)
            put("\",\"Size\":")
            putInt(item.size)
            put(",\"SHA256TreeHash\":\"")
            putBytes(item.treeHash)  // checked lowercase hex (Rules.checkSHA256Header)
            put("\"}")
        }
        count += 1
        if used >= Self.flushSize { try flush() }
    }

    func finish(csv: Bool) throws {
        if !csv { put("]}") }
        try flush()
    }

    var treeHash: String { hasher.finalize().hex }

    private func flush() throws {
        guard used > 0 else { return }
        let bytes = UnsafeRawBufferPointer(start: storage, count: used)
        hasher.update(bytes)
        try writer.write(bytes)
        length += Int64(used)
        used = 0
    }

    // MARK: Bytes

    @inline(__always) private func putByte(_ byte: UInt8) {
        storage[used] = byte
        used += 1
    }

    @inline(__always) private func put(_ s: StaticString) {
        putBytes(UnsafeBufferPointer(start: s.utf8Start, count: s.utf8CodeUnitCount))
    }

    @inline(__always) private func putBytes(_ bytes: UnsafeBufferPointer<UInt8>) {
        guard let base = bytes.baseAddress, !bytes.isEmpty else { return }
        (storage + used).update(from: base, count: bytes.count)
        used += bytes.count
    }

    @inline(__always) private func putBytes(_ bytes: UnsafeRawBufferPointer) {
        guard let base = bytes.baseAddress, !bytes.isEmpty else { return }
        UnsafeMutableRawPointer(storage + used).copyMemory(from: base, byteCount: bytes.count)
        used += bytes.count
    }

    private func putRaw(_ s: String) {
        var s = s
        s.withUTF8 { putBytes($0) }
    }

    private func putJSONString(_ s: String) {
        var s = s
        s.withUTF8 { putJSONString(UnsafeRawBufferPointer($0)) }
    }

    /// A JSON string: copied whole when no byte needs escaping (nearly every description),
    /// else through `JSONWriter`'s escaping.
    private func putJSONString(_ bytes: UnsafeRawBufferPointer) {
        for byte in bytes where byte < 0x20 || byte == UInt8(ascii: "\"") || byte == UInt8(ascii: "\\") {
            var escaped: [UInt8] = []
            JSONWriter.appendString(String(decoding: bytes, as: UTF8.self), to: &escaped)
            escaped.withUnsafeBufferPointer { putBytes($0) }
            return
        }
        putByte(UInt8(ascii: "\""))
        putBytes(bytes)
        putByte(UInt8(ascii: "\""))
    }

    private func putInt(_ n: Int64) {
        guard n >= 0 else { return putRaw(String(n)) }
        var digits: (UInt64, UInt64, UInt64) = (0, 0, 0)  // 24 bytes: room for 20 digits
        let written = withUnsafeMutableBytes(of: &digits) { buffer -> Int in
            var rest = UInt64(n)
            var i = 24
            repeat {
                i -= 1
                buffer[i] = UInt8(ascii: "0") + UInt8(rest % 10)
                rest /= 10
            } while rest > 0
            putBytes(UnsafeBufferPointer(start: buffer.baseAddress!.assumingMemoryBound(to: UInt8.self) + i, count: 24 - i))
            return 24 - i
        }
        _ = written
    }

    /// `Timestamp.iso8601` without the C library or a `String`: `2026-11-21T10:00:00.000Z`.
    func putDate(_ ms: Milliseconds) {
        let seconds = ms >= 0 ? ms / 1000 : (ms - 999) / 1000
        let millis = ms - seconds * 1000
        let day = seconds >= 0 ? seconds / 86_400 : (seconds - 86_399) / 86_400
        if day != cachedDay {
            cachedDay = day
            dayPrefix = Self.dayPrefix(day)
        }
        dayPrefix.withUnsafeBufferPointer { putBytes($0) }
        let secondOfDay = seconds - day * 86_400
        putTwo(secondOfDay / 3600)
        putByte(UInt8(ascii: ":"))
        putTwo(secondOfDay / 60 % 60)
        putByte(UInt8(ascii: ":"))
        putTwo(secondOfDay % 60)
        putByte(UInt8(ascii: "."))
        putByte(UInt8(ascii: "0") + UInt8(millis / 100))
        putTwo(millis % 100)
        putByte(UInt8(ascii: "Z"))
    }

    @inline(__always) private func putTwo(_ n: Int64) {
        putByte(UInt8(ascii: "0") + UInt8(n / 10))
        putByte(UInt8(ascii: "0") + UInt8(n % 10))
    }

    /// `YYYY-MM-DDT` of a day since the epoch.
    static func dayPrefix(_ daysSinceEpoch: Int64) -> [UInt8] {
        let (year, month, day) = Timestamp.civilDate(daysSinceEpoch: daysSinceEpoch)
        var out: [UInt8] = []
        func digits(_ v: Int64, _ width: Int) {
            var divisor: Int64 = 1
            for _ in 1..<width { divisor *= 10 }
            var v = v
            while divisor > 0 {
                out.append(UInt8(ascii: "0") + UInt8((v / divisor) % 10))
                v %= divisor
                divisor /= 10
            }
        }
        digits(year, 4); out.append(UInt8(ascii: "-")); digits(month, 2); out.append(UInt8(ascii: "-")); digits(day, 2)
        out.append(UInt8(ascii: "T"))
        return out
    }
}
