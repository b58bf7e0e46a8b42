/// Escaping for the dashboard's server-rendered pages. Everything a client sent (vault
/// names, archive descriptions, tags, policies, paths, error messages) goes through `text` or
/// `attribute` before it is written into a page: it shows as text and never becomes markup.
enum HTML {
    /// Text content or a double-quoted attribute value: `&`, `<`, `>`, `"` and `'` escaped.
    static func escape(_ s: String) -> String {
        var out = ""
        out.reserveCapacity(s.utf8.count)
        for c in s.unicodeScalars {
            switch c {
            case "&": out += "&amp;"
            case "<": out += "&lt;"
            case ">": out += "&gt;"
            case "\"": out += "&quot;"
            case "'": out += "&#39;"
            default: out.unicodeScalars.append(c)
            }
        }
        return out
    }

    /// A query-string value: everything but unreserved characters (RFC 3986) percent-encoded.
    static func queryValue(_ s: String) -> String {
        var out = ""
        for byte in s.utf8 {
            switch byte {
            case UInt8(ascii: "a")...UInt8(ascii: "z"), UInt8(ascii: "A")...UInt8(ascii: "Z"),
                UInt8(ascii: "0")...UInt8(ascii: "9"), UInt8(ascii: "-"), UInt8(ascii: "_"), UInt8(ascii: "."), UInt8(ascii: "~"):
                out.unicodeScalars.append(Unicode.Scalar(byte))
            default:
                let hex = Array("0123456789ABCDEF".utf8)
                out += "%" + String(decoding: [hex[Int(byte >> 4)], hex[Int(byte & 15)]], as: UTF8.self)
            }
        }
        return out
    }

    /// `path?k=v&…` with the values encoded and nil values left out, escaped for an attribute.
    static func link(_ path: String, _ query: [(String, String?)]) -> String {
        let parts = query.compactMap { k, v in v.map { "\(k)=\(queryValue($0))" } }
        return escape(parts.isEmpty ? path : path + "?" + parts.joined(separator: "&"))
    }
}
