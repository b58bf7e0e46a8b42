/// The byte range of one part, from `Content-Range: bytes FIRST-LAST/*` (RFC 2616 form,
/// as the Upload Part reference requires; the total is always `*`).
public struct ContentRange: Sendable, Equatable {
    public let first: Int64
    public let last: Int64

    public var length: Int64 { last - first + 1 }

    public init(first: Int64, last: Int64) {
        self.first = first
        self.last = last
    }

    /// Strict parse: exactly `bytes FIRST-LAST/*`, decimal numbers, FIRST ≤ LAST.
    public static func parse(_ header: String?) throws -> ContentRange {
        guard let header else { throw GlacierError.missingHeader("Content-Range") }
        let malformed = GlacierError.invalid(
            "Content-Range '\(header.prefix(100))' is malformed; the form is 'bytes FIRST-LAST/*', for example 'bytes 0-1048575/*'")
        guard header.hasPrefix("bytes "), header.hasSuffix("/*") else { throw malformed }
        let inner = header.dropFirst("bytes ".count).dropLast(2)
        let bounds = inner.split(separator: "-", omittingEmptySubsequences: false)
        guard bounds.count == 2,
            let first = Rules.parseDecimal(String(bounds[0])),
            let last = Rules.parseDecimal(String(bounds[1]))
        else { throw malformed }
        // No archive reaches 10,000 parts of 4 GiB; this also keeps `length` from overflowing.
        guard last < Rules.maxParts * Rules.maxPartSize else {
            throw GlacierError.invalid("Content-Range '\(header.prefix(100))' lies beyond the largest possible archive (10,000 parts of 4 GiB)")
        }
        guard first <= last else {
            throw GlacierError.invalid("Content-Range '\(header)' is empty: its last byte \(last) comes before its first byte \(first)")
        }
        return ContentRange(first: first, last: last)
    }

    /// Upload Part's range rules for an upload with part size `partSize`: the range starts
    /// on a part boundary, is no longer than a part, and its part index is below 10,000.
    public func check(partSize: Int64) throws {
        let mib = Double(partSize) / Double(Rules.mebibyte)
        guard first % partSize == 0 else {
            throw GlacierError.invalid(
                "Content-Range bytes \(first)-\(last) does not align with the part size \(partSize) (\(formatMiB(mib)) MiB): a part must start at a multiple of the part size")
        }
        guard length <= partSize else {
            throw GlacierError.invalid(
                "Content-Range bytes \(first)-\(last) is \(length) bytes long, more than the upload's part size \(partSize)")
        }
        guard first / partSize < Int64(Rules.maxParts) else {
            throw GlacierError.invalid(
                "Content-Range bytes \(first)-\(last) would be part number \(first / partSize + 1); a multipart upload has at most \(Rules.maxParts) parts")
        }
    }

    private func formatMiB(_ v: Double) -> String {
        v == v.rounded() ? String(Int64(v)) : String(v)
    }
}
