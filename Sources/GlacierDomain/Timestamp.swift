import GlacierStorage
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Time as Glacier shows it: ISO 8601 UTC with milliseconds, `2026-11-21T10:00:00.000Z`.
public enum Timestamp {
    /// Now, in milliseconds since the epoch.
    public static func now() -> Milliseconds {
        var ts = timespec()
        clock_gettime(CLOCK_REALTIME, &ts)
        return Milliseconds(ts.tv_sec) * 1000 + Milliseconds(ts.tv_nsec / 1_000_000)
    }

    public static func iso8601(_ ms: Milliseconds) -> String {
        var seconds = time_t(ms / 1000)
        var t = tm()
        gmtime_r(&seconds, &t)
        func pad(_ v: Int32, _ width: Int) -> String {
            let s = String(v)
            return String(repeating: "0", count: max(0, width - s.count)) + s
        }
        return "\(pad(t.tm_year + 1900, 4))-\(pad(t.tm_mon + 1, 2))-\(pad(t.tm_mday, 2))T"
            + "\(pad(t.tm_hour, 2)):\(pad(t.tm_min, 2)):\(pad(t.tm_sec, 2)).\(pad(Int32(ms % 1000), 3))Z"
    }
}
