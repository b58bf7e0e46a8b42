import Foundation
import GlacierStorage

/// Request bodies that carry JSON (InitiateJob, policies, tags, notification configuration).
/// A body that is not a JSON object is a SerializationException, as in Glacier.
public enum JSONInput {
    public static func object(_ bytes: [UInt8], what: String) throws -> [String: Any] {
        guard !bytes.isEmpty else {
            throw GlacierError(.serialization, "The request body must be a JSON object (\(what)); it is empty")
        }
        guard let value = try? JSONSerialization.jsonObject(with: Data(bytes), options: [.fragmentsAllowed]),
            let object = value as? [String: Any]
        else {
            throw GlacierError(.serialization, "The request body is not a valid JSON object (\(what))")
        }
        return object
    }

    /// A string member; nil when absent or JSON null; 400 when of another type.
    public static func string(_ object: [String: Any], _ key: String) throws -> String? {
        switch object[key] {
        case nil, is NSNull: return nil
        case let s as String: return s
        default: throw GlacierError.invalid("\(key) must be a string")
        }
    }

    /// Serialises a Foundation JSON value compactly with sorted keys (stable storage form).
    public static func text(_ value: Any) -> String {
        let data = (try? JSONSerialization.data(withJSONObject: value, options: [.sortedKeys, .fragmentsAllowed])) ?? Data("null".utf8)
        return String(decoding: data, as: UTF8.self)
    }

    public static func parse(_ text: String) -> Any? {
        try? JSONSerialization.jsonObject(with: Data(text.utf8), options: [.fragmentsAllowed])
    }
}

extension Timestamp {
    /// Parses ISO 8601 UTC timestamps as Glacier accepts them: `2026-11-21T10:00:00Z` or
    /// with milliseconds `2026-11-21T10:00:00.000Z`.
    public static func parseISO8601(_ s: String) -> Milliseconds? {
        let b = Array(s.utf8)
        func num(_ from: Int, _ count: Int) -> Int? {
            guard from + count <= b.count else { return nil }
            var v = 0
            for c in b[from..<(from + count)] {
                guard c >= 48 && c <= 57 else { return nil }
                v = v * 10 + Int(c - 48)
            }
            return v
        }
        guard b.count >= 20, b[4] == 45, b[7] == 45, b[10] == 84, b[13] == 58, b[16] == 58, b.last == 90,
            let year = num(0, 4), let month = num(5, 2), let day = num(8, 2),
            let hour = num(11, 2), let minute = num(14, 2), let second = num(17, 2),
            (1...12).contains(month), (1...31).contains(day), hour < 24, minute < 60, second < 61
        else { return nil }
        var millis = 0
        if b.count != 20 {
            guard b[19] == 46, b.count >= 22 else { return nil }
            // Milliseconds straight from the first three fraction digits (padded with zeros);
            // going through a Double loses a millisecond for values such as .007.
            let digits = b.count - 21
            guard (1...9).contains(digits), num(20, digits) != nil else { return nil }
            millis = 0
            for i in 0..<3 { millis = millis * 10 + (i < digits ? Int(b[20 + i] - 48) : 0) }
        }
        let seconds = Timestamp.epochSeconds(
            year: Int64(year), month: Int64(month), day: Int64(day), hour: Int64(hour), minute: Int64(minute), second: Int64(second))
        return Milliseconds(seconds) * 1000 + Milliseconds(millis)
    }
}
