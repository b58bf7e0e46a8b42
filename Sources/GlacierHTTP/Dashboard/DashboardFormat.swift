import GlacierDomain
import GlacierStorage

/// How the dashboard writes sizes, dates and durations.
enum DashboardFormat {
    /// `1.5 MiB`; exact below 1 KiB.
    static func bytes(_ n: Int64) -> String {
        if n < 1024 { return "\(n) B" }
        let units = ["KiB", "MiB", "GiB", "TiB", "PiB"]
        var value = Double(n) / 1024
        var unit = 0
        while value >= 1024, unit < units.count - 1 {
            value /= 1024
            unit += 1
        }
        let rounded = (value * 10).rounded() / 10
        let text = rounded == rounded.rounded() ? String(Int64(rounded)) : String(rounded)
        return "\(text) \(units[unit])"
    }

    /// `1,234,567`
    static func count(_ n: Int64) -> String {
        let digits = String(n.magnitude)
        var out = ""
        for (i, c) in digits.enumerated() {
            if i > 0, (digits.count - i) % 3 == 0 { out.append(",") }
            out.append(c)
        }
        return (n < 0 ? "-" : "") + out
    }

    static func count(_ n: Int) -> String { count(Int64(n)) }

    /// `2026-12-06 12:34:56 UTC`
    static func date(_ ms: Milliseconds) -> String {
        let iso = Timestamp.iso8601(ms)  // 2026-12-06T12:34:56.789Z
        return String(iso.prefix(10)) + " " + String(iso.dropFirst(11).prefix(8)) + " UTC"
    }

    /// `5 s`, `3 min`, `2 h 5 min`, `3 d`.
    static func duration(_ ms: Milliseconds) -> String {
        let s = ms / 1000
        if ms < 1000 { return "\(ms) ms" }
        if s < 60 { return "\(s) s" }
        if s < 3600 { return "\(s / 60) min" }
        if s < 86_400 { return s % 3600 >= 60 ? "\(s / 3600) h \(s % 3600 / 60) min" : "\(s / 3600) h" }
        return s % 86_400 >= 3600 ? "\(s / 86_400) d \(s % 86_400 / 3600) h" : "\(s / 86_400) d"
    }

    /// `3 min ago`, `in 5 s`, relative to the server's clock.
    static func relative(_ ms: Milliseconds, now: Milliseconds) -> String {
        let d = ms - now
        if abs(d) < 1000 { return "now" }
        return d < 0 ? "\(duration(-d)) ago" : "in \(duration(d))"
    }

    /// A `<time>` element: the date, with the relative time after it.
    static func time(_ ms: Milliseconds, now: Milliseconds) -> String {
        "<time datetime=\"\(Timestamp.iso8601(ms))\">\(date(ms))</time> <span class=\"muted\">(\(relative(ms, now: now)))</span>"
    }

    /// A size with its exact byte count in a tooltip.
    static func size(_ n: Int64) -> String {
        "<span title=\"\(count(n)) bytes\">\(bytes(n))</span>"
    }

    /// A long identifier shortened to its first and last characters, the whole in a tooltip.
    static func shortID(_ id: String, keep: Int = 10) -> String {
        guard id.count > 2 * keep + 1 else { return "<code>\(HTML.escape(id))</code>" }
        return "<code title=\"\(HTML.escape(id))\">\(HTML.escape(String(id.prefix(keep))))…\(HTML.escape(String(id.suffix(keep))))</code>"
    }
}
