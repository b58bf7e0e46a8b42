import GlacierStorage
import TreeHash

/// Writes an inventory job's document (Developer Guide, Get Job Output: the JSON
/// `{"VaultARN", "InventoryDate", "ArchiveList": [...]}` or the CSV with the columns
/// ArchiveId, ArchiveDescription, CreationDate, Size, SHA256TreeHash) to a blob file through a
/// 1 MiB buffer, tree-hashing the bytes on the way: memory stays the same for any vault size.
/// Used by one task at a time (inside one read transaction).
final class InventorySink: @unchecked Sendable {
    private let writer: BlobWriter
    private let hasher = TreeHasher()
    private var buffer: [UInt8] = []
    private(set) var count = 0
    private(set) var length: Int64 = 0
    static let flushSize = 1 << 20

    init(writer: BlobWriter) {
        self.writer = writer
        buffer.reserveCapacity(Self.flushSize + 4096)
    }

    func begin(csv: Bool, vaultARN: String, inventoryDate: Milliseconds) {
        if csv {
            append("ArchiveId,ArchiveDescription,CreationDate,Size,SHA256TreeHash\n")
        } else {
            append("{\"VaultARN\":")
            JSONWriter.appendString(vaultARN, to: &buffer)
            append(",\"InventoryDate\":\"")
            Self.appendISO8601(inventoryDate, to: &buffer)
            append("\",\"ArchiveList\":[")
        }
    }

    func add(_ item: InventoryItem, csv: Bool) throws {
        if csv {
            buffer.append(contentsOf: item.id.utf8)
            append(",\"")
            // Descriptions are printable ASCII (Rules.checkArchiveDescription); CSV doubles quotes.
            for byte in (item.description ?? "").utf8 {
                if byte == UInt8(ascii: "\"") { buffer.append(byte) }
                buffer.append(byte)
            }
            append("\",")
            Self.appendISO8601(item.creationDate, to: &buffer)
            buffer.append(UInt8(ascii: ","))
            JSONWriter.appendInt(item.size, to: &buffer)
            buffer.append(UInt8(ascii: ","))
            buffer.append(contentsOf: item.treeHash.utf8)
            buffer.append(UInt8(ascii: "\n"))
        } else {
            append(count == 0 ? "{\"ArchiveId\":" : ",{\"ArchiveId\":")
            JSONWriter.appendString(item.id, to: &buffer)
            append(",\"ArchiveDescription\":")
            JSONWriter.appendString(item.description ?? "", to: &buffer)
            append(",\"CreationDate\":\"")
            Self.appendISO8601(item.creationDate, to: &buffer)
            append("\",\"Size\":")
            JSONWriter.appendInt(item.size, to: &buffer)
            append(",\"SHA256TreeHash\":")
            JSONWriter.appendString(item.treeHash, to: &buffer)
            buffer.append(UInt8(ascii: "}"))
        }
        count += 1
        if buffer.count >= Self.flushSize { try flush() }
    }

    func finish(csv: Bool) throws {
        if !csv { append("]}") }
        try flush()
    }

    var treeHash: String { hasher.finalize().hex }

    private func append(_ s: StaticString) {
        s.withUTF8Buffer { buffer.append(contentsOf: $0) }
    }

    private func flush() throws {
        guard !buffer.isEmpty else { return }
        try buffer.withUnsafeBytes { bytes in
            hasher.update(bytes)
            try writer.write(bytes)
        }
        length += Int64(buffer.count)
        buffer.removeAll(keepingCapacity: true)
    }

    /// `Timestamp.iso8601` without the C library or a `String`: `2026-11-21T10:00:00.000Z`.
    static func appendISO8601(_ ms: Milliseconds, to out: inout [UInt8]) {
        let seconds = ms >= 0 ? ms / 1000 : (ms - 999) / 1000
        let millis = ms - seconds * 1000
        var days = seconds >= 0 ? seconds / 86_400 : (seconds - 86_399) / 86_400
        let secondOfDay = seconds - days * 86_400
        // Civil from days (H. Hinnant), proleptic Gregorian.
        days += 719_468
        let era = (days >= 0 ? days : days - 146_096) / 146_097
        let doe = days - era * 146_097
        let yoe = (doe - doe / 1460 + doe / 36524 - doe / 146_096) / 365
        let doy = doe - (365 * yoe + yoe / 4 - yoe / 100)
        let mp = (5 * doy + 2) / 153
        let day = doy - (153 * mp + 2) / 5 + 1
        let month = mp < 10 ? mp + 3 : mp - 9
        let year = yoe + era * 400 + (month <= 2 ? 1 : 0)
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
        digits(secondOfDay / 3600, 2); out.append(UInt8(ascii: ":")); digits(secondOfDay / 60 % 60, 2)
        out.append(UInt8(ascii: ":")); digits(secondOfDay % 60, 2); out.append(UInt8(ascii: "."))
        digits(millis, 3); out.append(UInt8(ascii: "Z"))
    }
}
