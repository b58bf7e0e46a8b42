import Foundation
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

    // MARK: Tags

    /// AddTagsToVault: "Tags ... Minimum length of 1. Maximum length 10"; RemoveTagsFromVault:
    /// "TagKeys ... Minimum of 1 item in the list. Maximum of 10 items in the list".
    public static let maxTagsPerRequest = 10
    /// "Tag keys must be from 1 to 128 Unicode characters in length."
    public static let maxTagKeyLength = 128
    /// "Tag values must be from 0 to 255 Unicode characters in length."
    public static let maxTagValueLength = 255
    static let tagCharacterRule = "Unicode letters, digits, spaces and _ . / = + - @"

    /// AddTagsToVault's `Tags`: 1 to 10 tags; keys 1–128 characters, values 0–255, both of
    /// "Unicode letters, digits, spaces, and the following special characters: _ . / = + - @"
    /// (Tagging Amazon S3 Glacier Resources, Tag Restrictions); keys may not start with the
    /// reserved `aws:`. The tags are checked in key order, so the error is the same each time.
    public static func checkTags(_ value: Any?) throws -> [String: String] {
        guard let value, !(value is NSNull) else { throw GlacierError.missingHeader("Tags") }
        guard let tags = value as? [String: Any] else {
            throw GlacierError.invalid("Tags must be a JSON object mapping tag keys to string values")
        }
        guard !tags.isEmpty else { throw GlacierError.invalid("Tags: at least 1 tag per AddTagsToVault request; Tags is empty") }
        guard tags.count <= maxTagsPerRequest else {
            throw GlacierError.invalid("Tags: at most \(maxTagsPerRequest) tags per AddTagsToVault request; this one has \(tags.count)")
        }
        var checked: [String: String] = [:]
        for key in tags.keys.sorted() {
            guard let tagValue = tags[key] as? String else {
                throw GlacierError.invalid("Tag \(key.prefix(maxTagKeyLength)) must have a string value")
            }
            guard (1...maxTagKeyLength).contains(key.count) else {
                throw GlacierError.invalid("Tag keys must be 1 to \(maxTagKeyLength) Unicode characters long; got a key of \(key.count)")
            }
            guard !key.lowercased().hasPrefix("aws:") else {
                throw GlacierError.invalid("Tag keys may not start with the reserved prefix aws:")
            }
            if let bad = key.first(where: { !isTagCharacter($0) }) {
                throw GlacierError.invalid("Tag key '\(key)' contains \(describe(bad)): tag keys may contain only \(tagCharacterRule)")
            }
            guard tagValue.count <= maxTagValueLength else {
                throw GlacierError.invalid(
                    "Tag values must be 0 to \(maxTagValueLength) Unicode characters long; the value of tag \(key) has \(tagValue.count)")
            }
            if let bad = tagValue.first(where: { !isTagCharacter($0) }) {
                throw GlacierError.invalid("The value of tag \(key) contains \(describe(bad)): tag values may contain only \(tagCharacterRule)")
            }
            checked[key] = tagValue
        }
        return checked
    }

    /// RemoveTagsFromVault's `TagKeys`: a list of 1 to 10 strings.
    public static func checkTagKeys(_ value: Any?) throws -> [String] {
        guard let value, !(value is NSNull) else { throw GlacierError.missingHeader("TagKeys") }
        guard let list = value as? [Any] else { throw GlacierError.invalid("TagKeys must be a JSON list of tag keys") }
        guard !list.isEmpty else {
            throw GlacierError.invalid("TagKeys: at least 1 key per RemoveTagsFromVault request; TagKeys is empty")
        }
        guard list.count <= maxTagsPerRequest else {
            throw GlacierError.invalid("TagKeys: at most \(maxTagsPerRequest) keys per RemoveTagsFromVault request; this one has \(list.count)")
        }
        let keys = list.compactMap { $0 as? String }
        guard keys.count == list.count else { throw GlacierError.invalid("TagKeys must hold only strings (tag keys)") }
        return keys
    }

    /// One character a tag key or value may hold: a Unicode letter (general category L), a
    /// decimal digit (Nd), a space (Zs), or one of `_ . / = + - @`. A letter may carry
    /// combining marks (a decomposed "é" is one character, as in a precomposed one).
    public static func isTagCharacter(_ c: Character) -> Bool {
        let scalars = c.unicodeScalars
        guard let first = scalars.first else { return false }
        for mark in scalars.dropFirst() {
            switch mark.properties.generalCategory {
            case .nonspacingMark, .spacingMark, .enclosingMark: continue
            default: return false
            }
        }
        switch first.properties.generalCategory {
        case .uppercaseLetter, .lowercaseLetter, .titlecaseLetter, .modifierLetter, .otherLetter,
            .decimalNumber, .spaceSeparator:
            return true
        default:
            return scalars.count == 1 && "_./=+-@".unicodeScalars.contains(first)
        }
    }

    /// A character for an error message: itself, or its code point when it is not printable.
    private static func describe(_ c: Character) -> String {
        let scalar = c.unicodeScalars.first!
        switch scalar.properties.generalCategory {
        case .control, .format, .lineSeparator, .paragraphSeparator, .surrogate, .privateUse, .unassigned:
            return "U+" + String(scalar.value, radix: 16, uppercase: true).leftPadded(to: 4)
        default:
            return "'\(c)'"
        }
    }

    // MARK: Data retrieval policy

    /// The one rule of a data retrieval policy, as SetDataRetrievalPolicy accepts it.
    public struct DataRetrievalRule: Equatable, Sendable {
        public var strategy: String
        public var bytesPerHour: Int64?

        public init(strategy: String, bytesPerHour: Int64? = nil) {
            self.strategy = strategy
            self.bytesPerHour = bytesPerHour
        }
    }

    /// Set Data Retrieval Policy: the `Policy` member holds `Rules`, one rule ("Although this
    /// is a list type, currently there must be only one rule"). "Rules ... Required: Yes",
    /// "Strategy ... Required: Yes", "BytesPerHour ... Required: Yes, if the Strategy field is
    /// set to BytesPerHour": a missing one (absent or JSON null) is MissingParameterValueException.
    /// BytesPerHour: "Minimum integer value of 1. Maximum integer value of 2^63 - 1 inclusive".
    public static func checkDataRetrievalPolicy(_ policy: Any?) throws -> DataRetrievalRule {
        let members: [String: Any]
        switch policy {
        case nil, is NSNull: members = [:]
        case let object as [String: Any]: members = object
        default: throw GlacierError.invalid("Policy must be a JSON object holding Rules")
        }
        guard let rulesValue = present(members["Rules"]) else { throw GlacierError.missingHeader("Policy.Rules") }
        guard let rules = rulesValue as? [Any], rules.count == 1 else {
            throw GlacierError.invalid("Policy.Rules must hold exactly one rule")
        }
        guard let rule = rules[0] as? [String: Any] else {
            throw GlacierError.invalid("The rule in Policy.Rules must be a JSON object with Strategy and, for Strategy BytesPerHour, BytesPerHour")
        }
        guard let strategyValue = present(rule["Strategy"]) else { throw GlacierError.missingHeader("Strategy") }
        guard let strategy = strategyValue as? String else {
            throw GlacierError.invalid("Strategy must be a string: BytesPerHour, FreeTier or None")
        }
        let bytesValue = present(rule["BytesPerHour"])
        switch strategy {
        case "BytesPerHour":
            guard let bytesValue else {
                throw GlacierError(.missingParameterValue, "Required parameter BytesPerHour is missing: it is required when Strategy is BytesPerHour")
            }
            guard let bytes = jsonInt64(bytesValue), bytes >= 1 else {
                throw GlacierError.invalid(
                    "BytesPerHour must be an integer from 1 to 2^63-1 (9223372036854775807), written without fraction or exponent; got \(String(describing: bytesValue).prefix(40))")
            }
            return DataRetrievalRule(strategy: strategy, bytesPerHour: bytes)
        case "FreeTier", "None":
            guard bytesValue == nil else {
                throw GlacierError.invalid("BytesPerHour may be set only when Strategy is BytesPerHour")
            }
            return DataRetrievalRule(strategy: strategy)
        default:
            throw GlacierError.invalid("Invalid Strategy '\(strategy.prefix(40))': Strategy must be BytesPerHour, FreeTier or None")
        }
    }

    /// A JSON member's value, nil when absent or JSON null.
    private static func present(_ value: Any?) -> Any? {
        value is NSNull ? nil : value
    }

    /// The exact value of a JSON integer literal that fits in Int64, else nil. Foundation's
    /// JSONSerialization reads such a literal straight into a signed integer NSNumber; a
    /// fraction or exponent (1.0, 1e3) gives a Double, digits beyond Int64 an unsigned or
    /// decimal number, `true` and `false` a boolean: none of those is taken, so no value goes
    /// through a Double (which cannot hold every integer above 2^53, and once refused
    /// everything from about 9.2e18 up to 2^63-1).
    static func jsonInt64(_ value: Any) -> Int64? {
        guard let number = value as? NSNumber, !(number is NSDecimalNumber) else { return nil }
        switch String(cString: number.objCType) {
        case "s", "i", "l", "q", "S", "I": return number.int64Value
        case "L", "Q": return number.uint64Value <= UInt64(Int64.max) ? Int64(number.uint64Value) : nil
        default: return nil  // "c": a boolean; "f", "d": floating point
        }
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

extension String {
    fileprivate func leftPadded(to width: Int) -> String {
        count >= width ? self : String(repeating: "0", count: width - count) + self
    }
}
