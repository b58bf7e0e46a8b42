#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Server-generated identifiers. Files on disk are named only by these, never by
/// anything a client sends.
public enum RandomID {
    /// URL-safe alphabet, as in Glacier's own upload and archive IDs.
    private static let alphabet = Array("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_".utf8)

    /// `count` bytes from the system's CSPRNG in one call (`arc4random_buf`, a single
    /// getrandom on Linux). One call per ID rather than one per character: request IDs are
    /// made for every request, and 47 getrandom calls took 13 % of DescribeVault's time.
    private static func randomBytes(_ count: Int) -> [UInt8] {
        [UInt8](unsafeUninitializedCapacity: count) { buffer, initialized in
            arc4random_buf(buffer.baseAddress!, count)
            initialized = count
        }
    }

    /// A random string of `length` characters from `[A-Za-z0-9_-]` (6 bits of entropy each).
    public static func make(length: Int) -> String {
        String(unsafeUninitializedCapacity: length) { out in
            for (i, byte) in randomBytes(length).enumerated() { out[i] = alphabet[Int(byte & 63)] }
            return length
        }
    }

    /// A name for a blob file: 32 characters of `[A-Za-z0-9]` (no leading `-`). Bytes of 248
    /// or more are redrawn, so each character is uniform over the 62.
    public static func blobID() -> String {
        var out: [UInt8] = []
        out.reserveCapacity(32)
        while out.count < 32 {
            for byte in randomBytes(40) where byte < 248 && out.count < 32 { out.append(alphabet[Int(byte % 62)]) }
        }
        return String(decoding: out, as: UTF8.self)
    }
}
