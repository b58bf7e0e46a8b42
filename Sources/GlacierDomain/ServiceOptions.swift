import GlacierStorage

/// Glacier's retrieval tiers.
public enum Tier: String, Sendable, CaseIterable {
    case expedited = "Expedited"
    case standard = "Standard"
    case bulk = "Bulk"
}

/// `--inventory`: what DescribeVault, ListVaults, inventory jobs and DeleteVault read.
public enum InventoryMode: String, Sendable, CaseIterable {
    /// Glacier's behaviour: the vault's last inventory, taken daily and on demand (docs/inventory.md).
    case daily
    /// The archives as they are now, at every request (glacier-mock before issue 20).
    case live
}

/// Behaviour of the test double that AWS does not let you choose.
public struct ServiceOptions: Sendable {
    /// How long a job stays InProgress, per tier. Zero (the default) completes jobs at once,
    /// so tests are deterministic; `--job-delay` sets these.
    public var jobDelay: [Tier: Milliseconds] = [:]
    /// How long a completed job's output stays available (Glacier: 24 hours).
    public var jobExpiry: Milliseconds = 24 * 3600 * 1000
    /// Publishes a job-completion notification to an SNS topic; returns a short delivery
    /// status for `GET /_mock/notifications` ("recorded", "published", "failed: …").
    public var publish: (@Sendable (_ topic: String, _ message: String) async -> String)?

    /// `--fsync`: part and archive files, their directory entries and SQLite commits are
    /// synced to disk before a request is acknowledged (survives power loss; slower).
    public var fsync = false

    /// `--spare-files`: how many files of deleted or replaced blobs are kept to be
    /// overwritten by later uploads (see `BlobStore`); 0 unlinks them at once.
    public var spareFiles = SpareFiles.defaultCount

    /// `--inventory`: daily snapshots (the default, as Glacier) or live counts.
    public var inventory = InventoryMode.daily

    public init() {}

    /// Parses `expedited=2s,standard=5s,bulk=10ms` (units ms, s, m, h; a bare number is seconds).
    public static func parseJobDelays(_ spec: String) throws -> [Tier: Milliseconds] {
        var result: [Tier: Milliseconds] = [:]
        for item in spec.split(separator: ",") {
            let kv = item.split(separator: "=", maxSplits: 1)
            guard kv.count == 2, let tier = Tier.allCases.first(where: { $0.rawValue.lowercased() == kv[0].lowercased() }),
                let ms = parseDuration(String(kv[1]))
            else {
                throw GlacierError.invalid("job delay '\(item)' must look like expedited=2s, standard=5s or bulk=10s")
            }
            result[tier] = ms
        }
        return result
    }

    /// `250ms`, `5s`, `2m`, `24h`, or a bare number of seconds.
    public static func parseDuration(_ s: String) -> Milliseconds? {
        let units: [(String, Milliseconds)] = [("ms", 1), ("s", 1000), ("m", 60_000), ("h", 3_600_000)]
        for (suffix, factor) in units where s.hasSuffix(suffix) {
            if let n = Rules.parseDecimal(String(s.dropLast(suffix.count))) { return n * factor }
            if suffix == "ms" { return nil }
        }
        return Rules.parseDecimal(s).map { $0 * 1000 }
    }
}
