import GlacierDomain
import TreeHash

/// AWS Signature Version 4 as a server recomputes it: the canonical request, the
/// string to sign, the signing key and the signature. Pure functions over strings and
/// bytes, no HTTP types, so the published test vectors can be checked directly.
///
/// The canonical request follows what botocore's `SigV4Auth` signs for services other
/// than S3, so boto3 and the AWS CLI verify byte for byte:
/// - path: the request path as sent (still percent-encoded), with `.`/`..` segments and
///   empty segments removed, then URI-encoded once more (`%` becomes `%25`);
/// - query: each `name=value` pair percent-decoded and re-encoded (RFC 3986 unreserved
///   characters kept, everything else `%XX`), sorted by name, then value;
/// - headers: the signed ones, lowercase, values trimmed with inner whitespace runs
///   collapsed to one space, repeated headers joined with `,`.
public enum SigV4 {
    public static let algorithm = "AWS4-HMAC-SHA256"
    public static let unsignedPayload = "UNSIGNED-PAYLOAD"
    /// SHA-256 of the empty string.
    public static let emptyPayloadHash = "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"

    // MARK: Canonical request

    /// RFC 3986 unreserved: `A-Z a-z 0-9 - . _ ~`.
    static func isUnreserved(_ c: UInt8) -> Bool {
        switch c {
        case UInt8(ascii: "A")...UInt8(ascii: "Z"), UInt8(ascii: "a")...UInt8(ascii: "z"),
            UInt8(ascii: "0")...UInt8(ascii: "9"), UInt8(ascii: "-"), UInt8(ascii: "."),
            UInt8(ascii: "_"), UInt8(ascii: "~"):
            return true
        default:
            return false
        }
    }

    /// Percent-encodes every byte except the unreserved ones (and `/` when `keepSlash`),
    /// with uppercase hex digits.
    public static func uriEncode(_ bytes: some Sequence<UInt8>, keepSlash: Bool = false) -> String {
        let hex = Array("0123456789ABCDEF".utf8)
        var out: [UInt8] = []
        for b in bytes {
            if isUnreserved(b) || (keepSlash && b == UInt8(ascii: "/")) {
                out.append(b)
            } else {
                out.append(UInt8(ascii: "%"))
                out.append(hex[Int(b >> 4)])
                out.append(hex[Int(b & 0x0f)])
            }
        }
        return String(decoding: out, as: UTF8.self)
    }

    /// Percent-decoding that keeps a malformed escape as it is (the signature then
    /// simply will not match, rather than the request failing differently).
    public static func percentDecode(_ s: some StringProtocol) -> [UInt8] {
        let bytes = Array(s.utf8)
        var out: [UInt8] = []
        out.reserveCapacity(bytes.count)
        var i = 0
        while i < bytes.count {
            if bytes[i] == UInt8(ascii: "%"), i + 2 < bytes.count,
                let hi = hexValue(bytes[i + 1]), let lo = hexValue(bytes[i + 2])
            {
                out.append(hi << 4 | lo)
                i += 3
            } else {
                out.append(bytes[i])
                i += 1
            }
        }
        return out
    }

    static func hexValue(_ c: UInt8) -> UInt8? {
        switch c {
        case UInt8(ascii: "0")...UInt8(ascii: "9"): return c - UInt8(ascii: "0")
        case UInt8(ascii: "a")...UInt8(ascii: "f"): return c - UInt8(ascii: "a") + 10
        case UInt8(ascii: "A")...UInt8(ascii: "F"): return c - UInt8(ascii: "A") + 10
        default: return nil
        }
    }

    /// RFC 3986 "remove dot segments", also dropping empty segments (`//`), keeping a
    /// leading and a trailing slash — botocore's `normalize_url_path`.
    public static func removeDotSegments(_ path: String) -> String {
        guard !path.isEmpty else { return "/" }
        var output: [Substring] = []
        for segment in path.split(separator: "/", omittingEmptySubsequences: true) where segment != "." {
            if segment == ".." {
                if !output.isEmpty { output.removeLast() }
            } else {
                output.append(segment)
            }
        }
        let first = path.hasPrefix("/") ? "/" : ""
        let last = path.hasSuffix("/") && !output.isEmpty ? "/" : ""
        return first + output.joined(separator: "/") + last
    }

    /// The canonical URI of a raw (percent-encoded, as received) request path.
    public static func canonicalURI(rawPath: String) -> String {
        uriEncode(removeDotSegments(rawPath).utf8, keepSlash: true)
    }

    /// The query string as decoded `(name, value)` pairs, in the order sent; empty
    /// `&&` segments are skipped, `name` without `=` has an empty value.
    public static func queryPairs(rawQuery: String?) -> [(name: [UInt8], value: [UInt8])] {
        guard let rawQuery, !rawQuery.isEmpty else { return [] }
        return rawQuery.split(separator: "&", omittingEmptySubsequences: true).map { pair in
            if let eq = pair.firstIndex(of: "=") {
                return (percentDecode(pair[..<eq]), percentDecode(pair[pair.index(after: eq)...]))
            }
            return (percentDecode(pair), [])
        }
    }

    /// The canonical query string: pairs re-encoded, sorted by encoded name then value.
    /// `excluding` names a parameter left out (`X-Amz-Signature` of a presigned URL).
    public static func canonicalQuery(_ pairs: [(name: [UInt8], value: [UInt8])], excluding: String? = nil) -> String {
        let excluded = excluding.map { Array($0.utf8) }
        let encoded = pairs.compactMap { pair -> (String, String)? in
            if let excluded, pair.name == excluded { return nil }
            return (uriEncode(pair.name), uriEncode(pair.value))
        }
        return encoded.sorted { a, b in
            a.0 != b.0 ? a.0.utf8.lexicographicallyPrecedes(b.0.utf8) : a.1.utf8.lexicographicallyPrecedes(b.1.utf8)
        }
        .map { "\($0.0)=\($0.1)" }
        .joined(separator: "&")
    }

    /// Trims leading and trailing whitespace and collapses inner runs to one space.
    public static func trimAll(_ value: some StringProtocol) -> String {
        value.utf8.split(whereSeparator: { $0 == 0x20 || (0x09...0x0d).contains($0) })
            .map { String(decoding: $0, as: UTF8.self) }
            .joined(separator: " ")
    }

    /// `name:value\n` for each signed header, in the order of `signedHeaders`; `values`
    /// returns every value the request carries for a lowercase name.
    public static func canonicalHeaders(signedHeaders: [String], values: (String) -> [String]) -> String {
        signedHeaders.map { name in
            "\(name):\(values(name).map { trimAll($0) }.joined(separator: ","))\n"
        }.joined()
    }

    public static func canonicalRequest(
        method: String, canonicalURI: String, canonicalQuery: String, canonicalHeaders: String,
        signedHeaders: [String], payloadHash: String
    ) -> String {
        [method, canonicalURI, canonicalQuery, canonicalHeaders, signedHeaders.joined(separator: ";"), payloadHash]
            .joined(separator: "\n")
    }

    // MARK: Signing

    /// `20150830/us-east-1/service/aws4_request`
    public static func credentialScope(date: String, region: String, service: String) -> String {
        "\(date)/\(region)/\(service)/aws4_request"
    }

    public static func stringToSign(timestamp: String, scope: String, canonicalRequest: String) -> String {
        [algorithm, timestamp, scope, SHA256Hasher.hash(Array(canonicalRequest.utf8)).hex].joined(separator: "\n")
    }

    /// kSigning = HMAC(HMAC(HMAC(HMAC("AWS4" + secret, date), region), service), "aws4_request")
    public static func signingKey(secret: String, date: String, region: String, service: String) -> [UInt8] {
        var key = HMACSHA256.mac(key: Array("AWS4\(secret)".utf8), message: date)
        key = HMACSHA256.mac(key: key, message: region)
        key = HMACSHA256.mac(key: key, message: service)
        return HMACSHA256.mac(key: key, message: "aws4_request")
    }

    /// The signature: lowercase hex of HMAC(signingKey, stringToSign).
    public static func signature(signingKey: [UInt8], stringToSign: String) -> String {
        SHA256Digest(bytes: HMACSHA256.mac(key: signingKey, message: stringToSign)).hex
    }

    /// Compares in time that depends only on the lengths: every byte pair is XORed into
    /// one accumulator, no early exit at the first difference.
    public static func constantTimeEquals(_ a: some StringProtocol, _ b: some StringProtocol) -> Bool {
        let x = Array(a.utf8), y = Array(b.utf8)
        guard x.count == y.count else { return false }
        var difference: UInt8 = 0
        for i in 0..<x.count { difference |= x[i] ^ y[i] }
        return difference == 0
    }

    // MARK: Time

    /// `20150830T123600Z` → seconds since the epoch (UTC), or nil if malformed.
    public static func parseAmzDate(_ s: some StringProtocol) -> Int64? {
        let b = Array(s.utf8)
        guard b.count == 16, b[8] == UInt8(ascii: "T"), b[15] == UInt8(ascii: "Z") else { return nil }
        func number(_ range: Range<Int>) -> Int64? {
            var n: Int64 = 0
            for i in range {
                guard (48...57).contains(b[i]) else { return nil }
                n = n * 10 + Int64(b[i] - 48)
            }
            return n
        }
        guard let year = number(0..<4), let month = number(4..<6), let day = number(6..<8),
            let hour = number(9..<11), let minute = number(11..<13), let second = number(13..<15)
        else { return nil }
        return epochSeconds(year: year, month: month, day: day, hour: hour, minute: minute, second: second)
    }

    /// A `Date` header: `Sun, 06 Nov 1994 08:49:37 GMT` (HTTP), or with a numeric zone
    /// such as `-0000` (RFC 5322, as Python's `email.utils.formatdate` writes it).
    public static func parseHTTPDate(_ s: some StringProtocol) -> Int64? {
        let parts = s.split(separator: " ")
        guard parts.count == 6, parts[0].hasSuffix(","),
            let day = Int64(parts[1]), let year = Int64(parts[3]), parts[3].count == 4
        else { return nil }
        let months = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"]
        guard let m = months.firstIndex(of: String(parts[2])) else { return nil }
        let time = parts[4].split(separator: ":")
        guard time.count == 3, time.allSatisfy({ $0.count == 2 }),
            let hour = Int64(time[0]), let minute = Int64(time[1]), let second = Int64(time[2])
        else { return nil }
        let zone = parts[5]
        var offset: Int64 = 0
        if zone != "GMT" && zone != "UT" && zone != "UTC" {
            let digits = zone.dropFirst()
            guard zone.count == 5, let sign = zone.first, sign == "+" || sign == "-",
                digits.utf8.allSatisfy({ $0 >= 48 && $0 <= 57 }), let hhmm = Int64(digits), hhmm % 100 < 60
            else { return nil }
            offset = (hhmm / 100 * 3600 + hhmm % 100 * 60) * (sign == "-" ? -1 : 1)
        }
        return epochSeconds(year: year, month: Int64(m + 1), day: day, hour: hour, minute: minute, second: second)
            .map { $0 - offset }
    }

    static func epochSeconds(year: Int64, month: Int64, day: Int64, hour: Int64, minute: Int64, second: Int64) -> Int64? {
        guard (1...12).contains(month), (1...31).contains(day), (0...23).contains(hour),
            (0...59).contains(minute), (0...60).contains(second)
        else { return nil }
        return Timestamp.epochSeconds(year: year, month: month, day: day, hour: hour, minute: minute, second: second)
    }

    /// Seconds since the epoch → `20150830T123600Z`.
    public static func amzDate(_ epoch: Int64) -> String {
        let days = epoch >= 0 ? epoch / 86400 : (epoch - 86399) / 86400
        let secondsOfDay = epoch - days * 86400
        let (year, month, day) = Timestamp.civilDate(daysSinceEpoch: days)
        func pad(_ v: Int64, _ width: Int) -> String {
            let s = String(v)
            return String(repeating: "0", count: max(0, width - s.count)) + s
        }
        return "\(pad(year, 4))\(pad(month, 2))\(pad(day, 2))T\(pad(secondsOfDay / 3600, 2))\(pad(secondsOfDay / 60 % 60, 2))\(pad(secondsOfDay % 60, 2))Z"
    }
}
