import TreeHash

/// Glacier's input rules, one function per rule, each naming the rule in its error.
public enum Rules {
    public static let mebibyte: Int64 = 1 << 20
    /// Largest part size: 4 GiB (Initiate Multipart Upload).
    public static let maxPartSize: Int64 = 4 << 30
    /// At most 10,000 parts per multipart upload (Upload Part).
    public static let maxParts: Int64 = 10_000
    public static let maxDescriptionLength = 1_024

    /// Vault names: 1–255 characters of a–z, A–Z, 0–9, '_', '-', '.' (Create Vault).
    public static func checkVaultName(_ name: String) throws {
        guard !name.isEmpty, name.utf8.count <= 255 else {
            throw GlacierError.invalid("Vault name must be 1 to 255 characters long; got \(name.utf8.count)")
        }
        for c in name.utf8 {
            switch c {
            case UInt8(ascii: "a")...UInt8(ascii: "z"), UInt8(ascii: "A")...UInt8(ascii: "Z"),
                UInt8(ascii: "0")...UInt8(ascii: "9"), UInt8(ascii: "_"), UInt8(ascii: "-"), UInt8(ascii: "."):
                continue
            default:
                throw GlacierError.invalid(
                    "Vault name may contain only a-z, A-Z, 0-9, '_' (underscore), '-' (hyphen) and '.' (period)")
            }
        }
    }

    /// Part size: a mebibyte multiplied by a power of two, from 1 MiB to 4 GiB (Initiate Multipart Upload).
    public static func checkPartSize(_ header: String?) throws -> Int64 {
        guard let header else { throw GlacierError.missingHeader("x-amz-part-size") }
        guard let size = parseDecimal(header) else {
            throw GlacierError.invalid("Invalid part size: \(header). x-amz-part-size must be a decimal number of bytes")
        }
        guard size >= mebibyte, size <= maxPartSize, size % mebibyte == 0, (size / mebibyte).nonzeroBitCount == 1 else {
            throw GlacierError.invalid(
                "Invalid part size: \(size). Part size must be 1 MiB (1048576 bytes) multiplied by a power of 2, at most 4 GiB (4294967296 bytes)")
        }
        return size
    }

    /// Archive description: printable ASCII (32–126), at most 1,024 characters.
    public static func checkArchiveDescription(_ description: String?) throws {
        guard let description else { return }
        guard description.utf8.count <= maxDescriptionLength else {
            throw GlacierError.invalid(
                "Archive description is \(description.utf8.count) characters long; at most \(maxDescriptionLength) are allowed")
        }
        guard description.utf8.allSatisfy({ $0 >= 32 && $0 <= 126 }) else {
            throw GlacierError.invalid("Archive description may contain only printable ASCII characters (32-126)")
        }
    }

    /// Job description: printable ASCII (32–126), at most 1,024 characters (Initiate Job).
    public static func checkJobDescription(_ description: String?) throws {
        guard let description else { return }
        guard description.utf8.count <= maxDescriptionLength, description.utf8.allSatisfy({ $0 >= 32 && $0 <= 126 }) else {
            throw GlacierError.invalid("Job Description must be printable ASCII (32-126), at most \(maxDescriptionLength) characters")
        }
    }

    /// A 64-hex-character SHA-256 value from a required header.
    public static func checkSHA256Header(_ value: String?, name: String) throws -> SHA256Digest {
        guard let value else { throw GlacierError.missingHeader(name) }
        guard let digest = SHA256Digest(hex: value) else {
            throw GlacierError.invalid("\(name) must be a SHA-256 value of 64 hexadecimal characters; got '\(value.prefix(80))'")
        }
        return digest
    }

    /// A required non-negative byte count header (x-amz-archive-size).
    public static func checkByteCount(_ value: String?, name: String) throws -> Int64 {
        guard let value else { throw GlacierError.missingHeader(name) }
        guard let n = parseDecimal(value) else {
            throw GlacierError.invalid("\(name) must be a non-negative decimal number of bytes; got '\(value.prefix(80))'")
        }
        return n
    }

    /// Strict decimal: digits only, no sign, no spaces, fits in Int64.
    public static func parseDecimal(_ s: String) -> Int64? {
        guard !s.isEmpty, s.utf8.count <= 19, s.utf8.allSatisfy({ $0 >= 48 && $0 <= 57 }) else { return nil }
        return Int64(s)
    }

    /// A list request's `limit`: a positive integer; values above `max` are lowered to `max`.
    public static func checkLimit(_ value: String?, default defaultLimit: Int, max: Int) throws -> Int {
        guard let value else { return defaultLimit }
        guard let n = parseDecimal(value), n >= 1 else {
            throw GlacierError.invalid("limit must be a positive integer; got '\(value.prefix(40))'")
        }
        return Int(Swift.min(n, Int64(max)))
    }
}
