import Foundation

/// Evaluates the `Deny` statements of an IAM-style policy document (a vault lock policy or
/// a vault access policy) for one request. glacier-mock enforces denials only: the caller
/// owns the account, and AWS grants an account everything its policies do not deny.
///
/// Supported: `Effect: Deny`, `Action`/`NotAction` and `Resource`/`NotResource` with `*` and
/// `?` wildcards, and `Condition` with the numeric operators (and their `IfExists` forms)
/// on `glacier:ArchiveAgeInDays`. A condition on a key the request does not have is false.
enum PolicyEvaluator {
    /// The statement (its Sid, or its position) that denies `action` on `resource`, if any.
    static func denyingStatement(policy: String, action: String, resource: String, context: [String: Int64]) -> String? {
        guard let document = JSONInput.parse(policy) as? [String: Any] else { return nil }
        let statements: [[String: Any]]
        switch document["Statement"] {
        case let one as [String: Any]: statements = [one]
        case let many as [Any]: statements = many.compactMap { $0 as? [String: Any] }
        default: return nil
        }
        for (index, statement) in statements.enumerated() {
            guard (statement["Effect"] as? String) == "Deny" else { continue }
            guard matches(statement, "Action", "NotAction", value: action, caseInsensitive: true) else { continue }
            guard matches(statement, "Resource", "NotResource", value: resource, caseInsensitive: false) else { continue }
            guard conditionsHold(statement["Condition"], context: context) else { continue }
            return (statement["Sid"] as? String).map { "statement \"\($0)\"" } ?? "statement \(index + 1)"
        }
        return nil
    }

    private static func strings(_ value: Any?) -> [String]? {
        switch value {
        case let s as String: return [s]
        case let list as [Any]: return list.compactMap { $0 as? String }
        default: return nil
        }
    }

    private static func matches(_ statement: [String: Any], _ key: String, _ notKey: String, value: String, caseInsensitive: Bool) -> Bool {
        if let patterns = strings(statement[key]) {
            return patterns.contains { wildcard($0, value, caseInsensitive: caseInsensitive) }
        }
        if let patterns = strings(statement[notKey]) {
            return !patterns.contains { wildcard($0, value, caseInsensitive: caseInsensitive) }
        }
        // No Action at all matches nothing; no Resource means every resource.
        return key == "Resource"
    }

    private static func conditionsHold(_ condition: Any?, context: [String: Int64]) -> Bool {
        guard let condition = condition as? [String: Any] else { return true }
        for (op, body) in condition {
            guard let keys = body as? [String: Any] else { return false }
            let ifExists = op.hasSuffix("IfExists")
            let name = ifExists ? String(op.dropLast("IfExists".count)) : op
            for (key, expected) in keys {
                let actual = context.first { $0.key.lowercased() == key.lowercased() }?.value
                guard let actual else {
                    if ifExists { continue }
                    return false
                }
                let values = (strings(expected) ?? []).compactMap { Int64($0) }
                    + ((expected as? NSNumber).map { [$0.int64Value] } ?? [])
                guard !values.isEmpty, values.contains(where: { compare(name, actual, $0) }) else { return false }
            }
        }
        return true
    }

    private static func compare(_ op: String, _ a: Int64, _ b: Int64) -> Bool {
        switch op {
        case "NumericEquals": return a == b
        case "NumericNotEquals": return a != b
        case "NumericLessThan": return a < b
        case "NumericLessThanEquals": return a <= b
        case "NumericGreaterThan": return a > b
        case "NumericGreaterThanEquals": return a >= b
        default: return false
        }
    }

    /// `*` matches any run of characters, `?` any one character.
    static func wildcard(_ pattern: String, _ value: String, caseInsensitive: Bool) -> Bool {
        let p = Array((caseInsensitive ? pattern.lowercased() : pattern).utf8)
        let v = Array((caseInsensitive ? value.lowercased() : value).utf8)
        var pi = 0, vi = 0, star = -1, mark = 0
        while vi < v.count {
            if pi < p.count && (p[pi] == UInt8(ascii: "?") || p[pi] == v[vi]) {
                pi += 1; vi += 1
            } else if pi < p.count && p[pi] == UInt8(ascii: "*") {
                star = pi; mark = vi; pi += 1
            } else if star >= 0 {
                pi = star + 1; mark += 1; vi = mark
            } else {
                return false
            }
        }
        while pi < p.count && p[pi] == UInt8(ascii: "*") { pi += 1 }
        return pi == p.count
    }
}
