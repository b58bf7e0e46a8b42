/// A small JSON value and writer for Glacier's response documents (and the documents
/// glacier-mock writes itself: inventories, notifications). Glacier's JSON is flat and small;
/// writing it directly keeps field names exactly as the model spells them, keeps `null`
/// where Glacier sends `null`, and avoids Codable's overhead on every request.
public indirect enum JSONValue: Sendable, Equatable {
    case string(String)
    case int(Int64)
    case bool(Bool)
    case null
    case array([JSONValue])
    case object([(String, JSONValue)])

    public static func == (a: JSONValue, b: JSONValue) -> Bool { JSONWriter.write(a) == JSONWriter.write(b) }

    /// `.string(s)` or `.null` when nil.
    public static func optional(_ s: String?) -> JSONValue { s.map(JSONValue.string) ?? .null }
    /// `.int(n)` or `.null` when nil.
    public static func optional(_ n: Int64?) -> JSONValue { n.map(JSONValue.int) ?? .null }
}

public enum JSONWriter {
    public static func object(_ members: [(String, JSONValue)]) -> String {
        write(.object(members))
    }

    public static func write(_ value: JSONValue) -> String {
        var out = ""
        append(value, to: &out)
        return out
    }

    private static func append(_ value: JSONValue, to out: inout String) {
        switch value {
        case .string(let s): appendString(s, to: &out)
        case .int(let n): out += String(n)
        case .bool(let b): out += b ? "true" : "false"
        case .null: out += "null"
        case .array(let items):
            out += "["
            for (i, item) in items.enumerated() {
                if i > 0 { out += "," }
                append(item, to: &out)
            }
            out += "]"
        case .object(let members):
            out += "{"
            for (i, (key, item)) in members.enumerated() {
                if i > 0 { out += "," }
                appendString(key, to: &out)
                out += ":"
                append(item, to: &out)
            }
            out += "}"
        }
    }

    private static func appendString(_ s: String, to out: inout String) {
        out += "\""
        for scalar in s.unicodeScalars {
            switch scalar {
            case "\"": out += "\\\""
            case "\\": out += "\\\\"
            case "\n": out += "\\n"
            case "\r": out += "\\r"
            case "\t": out += "\\t"
            case _ where scalar.value < 0x20:
                let hex = String(scalar.value, radix: 16)
                out += "\\u" + String(repeating: "0", count: 4 - hex.count) + hex
            default: out.unicodeScalars.append(scalar)
            }
        }
        out += "\""
    }
}
