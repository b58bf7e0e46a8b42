import ArgumentParser
import Foundation
import GlacierDomain
import GlacierHTTP
import Logging
import NIOPosix
import TreeHash

struct GlacierMock: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "glacier-mock",
        abstract: "A local server that speaks the Amazon Glacier REST API (2012-06-01).",
        version: glacierMockVersion,
        subcommands: [Serve.self, HealthCommand.self, TreeHashCommand.self, VerifyCommand.self, ExportCommand.self],
        defaultSubcommand: Serve.self)
}

/// Reads `GLACIER_MOCK_<NAME>` when the option was not given on the command line.
func environment(_ name: String) -> String? {
    ProcessInfo.processInfo.environment["GLACIER_MOCK_" + name].flatMap { $0.isEmpty ? nil : $0 }
}

struct Serve: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Run the server. Every option can also be set with GLACIER_MOCK_<OPTION> (e.g. GLACIER_MOCK_PORT).")

    @Option(help: "Address to listen on (GLACIER_MOCK_HOST). Default 127.0.0.1.")
    var host: String?

    @Option(help: "Port to listen on; 0 picks a free port (GLACIER_MOCK_PORT). Default 9901.")
    var port: Int?

    @Option(help: "Keep state in this directory across restarts (GLACIER_MOCK_DATA_DIR). Default: a fresh temporary directory, removed on exit.")
    var dataDir: String?

    @Option(help: "Region for requests without a SigV4 credential scope (GLACIER_MOCK_REGION). Default us-east-1.")
    var region: String?

    @Option(help: "Account for access keys that are not 12-digit account IDs (GLACIER_MOCK_ACCOUNT_ID). Default 123456789012.")
    var accountId: String?

    @Flag(help: "Sync part and archive files, directories and SQLite commits to disk before acknowledging (GLACIER_MOCK_FSYNC=1). Survives power loss; slower.")
    var fsync = false

    @Option(help: "Keep up to this many files of deleted or replaced parts and archives (256 MiB in all) to overwrite with later uploads, which costs the kernel far less than new files; 0 frees them at once (GLACIER_MOCK_SPARE_FILES). Default 4.")
    var spareFiles: Int?

    @Option(help: "daily (Glacier's behaviour: DescribeVault, ListVaults, inventory jobs and DeleteVault read the vault's last inventory, taken at 00:00 UTC of the server's clock and by POST /_mock/inventory) or live (they read the archives as they are now) (GLACIER_MOCK_INVENTORY). Default daily.")
    var inventory: String?

    @Option(help: "Most connections open at once; more get 500 ServiceUnavailableException (GLACIER_MOCK_MAX_CONNECTIONS). Default 512.")
    var maxConnections: Int?

    @Option(help: "Keep the last N answered Glacier requests for GET /_mock/requests; 0 records none (GLACIER_MOCK_REQUEST_JOURNAL). Default 1000.")
    var requestJournal: Int?

    @Option(help: "Close a connection idle (no request, or no progress) this long, e.g. 60s (GLACIER_MOCK_IDLE_TIMEOUT). Default 60s.")
    var idleTimeout: String?

    @Option(help: "Answer 408 RequestTimeoutException when a request body pauses this long, or averages under 1 KiB/s after it, e.g. 20s (GLACIER_MOCK_BODY_TIMEOUT). Default 20s.")
    var bodyTimeout: String?

    @Option(help: "trace, debug, info, notice, warning, error or critical (GLACIER_MOCK_LOG_LEVEL). Default info.")
    var logLevel: String?

    @Option(help: "How long jobs stay InProgress per tier, e.g. expedited=2s,standard=5s,bulk=10s (GLACIER_MOCK_JOB_DELAY). Default: jobs complete at once.")
    var jobDelay: String?

    @Option(help: "How long a completed job's output stays available, e.g. 24h, 30m, 90s (GLACIER_MOCK_JOB_EXPIRY). Default 24h.")
    var jobExpiry: String?

    @Option(help: "Publish job notifications to this SNS endpoint, e.g. http://127.0.0.1:5000 (GLACIER_MOCK_SNS_ENDPOINT). Default: record only.")
    var snsEndpoint: String?

    @Option(help: "none (any or no signature) or sigv4 (verify Signature Version 4 against --credentials) (GLACIER_MOCK_AUTH). Default none.")
    var auth: String?

    @Option(help: "For --auth sigv4: ACCESS_KEY:SECRET:ACCOUNT_ID[,...], or @FILE with one triple per line (GLACIER_MOCK_CREDENTIALS).")
    var credentials: String?

    @Option(name: .customLong("seed"), help: ArgumentHelp(
        "Start from the state this seed document describes; repeatable, applied in order in one transaction (GLACIER_MOCK_SEED: FILE[:FILE...]). See docs/seeds-and-snapshots.md.",
        valueName: "file"))
    var seeds: [String] = []

    @Option(help: "With --seed on a --data-dir that already holds state: refuse (stop, the default), replace (the seed's state replaces it; snapshots stay) or if-empty (keep it, skip the seed) (GLACIER_MOCK_SEED_MODE).")
    var seedMode: String?

    func run() async throws {
        let levelName = logLevel ?? environment("LOG_LEVEL") ?? "info"
        guard let level = Logger.Level(rawValue: levelName) else {
            throw ValidationError("--log-level must be one of trace, debug, info, notice, warning, error, critical; got \(levelName)")
        }
        LoggingSystem.bootstrap { label in LazyLogHandler(label: label, level: level) }
        let logger = Logger(label: "glacier-mock")

        var options = ServerOptions()
        options.host = host ?? environment("HOST") ?? options.host
        if let p = port ?? environment("PORT").map({ Int($0) ?? -1 }) {
            guard (0...65535).contains(p) else { throw ValidationError("--port must be 0...65535") }
            options.port = p
        }
        options.defaultRegion = region ?? environment("REGION") ?? options.defaultRegion
        options.defaultAccountID = accountId ?? environment("ACCOUNT_ID") ?? options.defaultAccountID
        guard options.defaultAccountID.count == 12, options.defaultAccountID.allSatisfy(\.isASCIIDigit) else {
            throw ValidationError("--account-id must be 12 digits; got \(options.defaultAccountID)")
        }

        if let n = maxConnections ?? environment("MAX_CONNECTIONS").map({ Int($0) ?? 0 }) {
            guard n >= 1 else { throw ValidationError("--max-connections must be a positive number") }
            options.limits.maxConnections = n
        }
        if let n = requestJournal ?? environment("REQUEST_JOURNAL").map({ Int($0) ?? -1 }) {
            guard (0...1_000_000).contains(n) else { throw ValidationError("--request-journal must be a whole number from 0 to 1000000") }
            options.requestJournalCapacity = n
        }
        if let ms = try Self.duration("--idle-timeout", idleTimeout ?? environment("IDLE_TIMEOUT")) {
            options.limits.idleTimeout = .milliseconds(ms)
        }
        if let ms = try Self.duration("--body-timeout", bodyTimeout ?? environment("BODY_TIMEOUT")) {
            options.limits.bodyTimeout = .milliseconds(ms)
        }
        options.authentication = try Self.authentication(
            mode: auth ?? environment("AUTH") ?? "none", credentials: credentials ?? environment("CREDENTIALS"))
        if case .sigV4(let accepted) = options.authentication {
            logger.info("authentication: sigv4 with \(accepted.byAccessKey.count) access key(s)")
        } else if (credentials ?? environment("CREDENTIALS")) != nil {
            logger.warning("--credentials is ignored: requests are not authenticated without --auth sigv4")
        }

        let requestedDataDir = dataDir ?? environment("DATA_DIR")
        let directory = try requestedDataDir ?? Self.makeTemporaryDirectory()
        defer {
            // Without --data-dir the state is throwaway, as AWS test doubles usually are.
            if requestedDataDir == nil { try? FileManager.default.removeItem(atPath: directory) }
        }
        logger.info("data directory: \(directory)\(requestedDataDir == nil ? " (temporary, removed on exit)" : "")")
        options.temporaryDataDirectory = requestedDataDir == nil

        var serviceOptions = ServiceOptions()
        serviceOptions.fsync = fsync || ["1", "true", "yes"].contains(environment("FSYNC")?.lowercased() ?? "")
        if let n = spareFiles ?? environment("SPARE_FILES").map({ Int($0) ?? -1 }) {
            guard n >= 0 else { throw ValidationError("--spare-files must be a whole number, 0 or more") }
            serviceOptions.spareFiles = n
        }
        let inventoryName = inventory ?? environment("INVENTORY") ?? InventoryMode.daily.rawValue
        guard let inventoryMode = InventoryMode(rawValue: inventoryName) else {
            throw ValidationError("--inventory must be daily or live; got \(inventoryName)")
        }
        serviceOptions.inventory = inventoryMode
        do {
            if let spec = jobDelay ?? environment("JOB_DELAY") { serviceOptions.jobDelay = try ServiceOptions.parseJobDelays(spec) }
        } catch let error as GlacierError {
            throw ValidationError("--job-delay: \(error.message)")
        }
        if let spec = jobExpiry ?? environment("JOB_EXPIRY") {
            guard let ms = ServiceOptions.parseDuration(spec), ms > 0 else {
                throw ValidationError("--job-expiry must be a duration such as 24h, 30m, 90s or 500ms; got \(spec)")
            }
            serviceOptions.jobExpiry = ms
        }
        if let url = snsEndpoint ?? environment("SNS_ENDPOINT") {
            guard let endpoint = URL(string: url).flatMap(PlainHTTPClient.Target.init) else {
                throw ValidationError(
                    "--sns-endpoint must be an http:// URL such as http://127.0.0.1:5000 (moto's or LocalStack's server; https is not supported); got \(url)")
            }
            let publisher = SNSPublisher(endpoint: endpoint)
            serviceOptions.publish = { topic, message in await publisher.publish(topic: topic, message: message) }
        }

        let seedFiles = seeds.isEmpty ? (environment("SEED")?.split(separator: ":").map(String.init) ?? []) : seeds
        let modeName = seedMode ?? environment("SEED_MODE") ?? Seed.Mode.refuse.rawValue
        guard let mode = Seed.Mode(rawValue: modeName) else {
            throw ValidationError("--seed-mode must be one of \(Seed.Mode.allCases.map(\.rawValue).joined(separator: ", ")); got \(modeName)")
        }

        let service = try await GlacierService(dataDirectory: directory, logger: logger, options: serviceOptions)
        if !seedFiles.isEmpty {
            do {
                switch try await Seed.apply(files: seedFiles, mode: mode, to: service) {
                case .applied(let vaults, let archives):
                    logger.info("seeded \(vaults) vault(s) and \(archives) archive(s) from \(seedFiles.joined(separator: ", "))")
                case .skipped:
                    logger.notice("--seed-mode if-empty: the data directory already holds state; the seed was not applied")
                }
            } catch let problem as Seed.Problem {
                // One line naming the file, the JSON path and the rule; nothing was applied.
                FileHandle.standardError.write(Data("glacier-mock: bad seed: \(problem)\n".utf8))
                service.markCleanShutdown()
                throw ExitCode(2)
            }
        }
        // Jobs with a delay complete on their own: every read completes due jobs, and this
        // ticker does it even when nobody asks, so notifications go out on time. It sleeps on
        // an event loop's timer rather than `Task.sleep`, whose wake-up comes from another
        // thread: NIO's executor hook would then pick a loop with the same round-robin counter
        // that hands new connections to the loops, and five ticks a second were enough to put
        // two connections opened one after the other on the same loop (bench/GAPS.md).
        let tickLoop = MultiThreadedEventLoopGroup.singleton.next()
        let ticker = Task {
            while !Task.isCancelled {
                try? await tickLoop.scheduleTask(in: .milliseconds(200)) {}.futureResult.get()
                do {
                    try await service.completeDueJobs()
                } catch is CancellationError {
                    break  // shutting down
                } catch {
                    logger.error("completing due jobs failed: \(error)")
                }
                // The daily inventories: an atomic load, unless the clock passed 00:00 UTC.
                do {
                    try await service.takeScheduledInventories()
                } catch is CancellationError {
                    break
                } catch {
                    logger.error("taking the scheduled inventories failed: \(error)")
                }
            }
        }
        defer { ticker.cancel() }
        let app = GlacierServer.application(service: service, options: options, logger: logger) { host, port in
            // One line on stdout once bound (tests and scripts wait for it), written directly
            // so it is never held back in a pipe buffer.
            FileHandle.standardOutput.write(Data("glacier-mock listening on http://\(host):\(port)\n".utf8))
        }
        try await app.runService()
        ticker.cancel()
        _ = await ticker.result
        service.markCleanShutdown()
        logger.info("stopped")
    }

    /// Parses an optional duration option such as 60s, 2m or 500ms into milliseconds.
    static func duration(_ name: String, _ spec: String?) throws -> Int64? {
        guard let spec else { return nil }
        guard let ms = ServiceOptions.parseDuration(spec), ms > 0 else {
            throw ValidationError("\(name) must be a duration such as 60s, 2m or 500ms; got \(spec)")
        }
        return ms
    }

    /// `--auth` and `--credentials` (a list, or `@FILE`), checked before anything starts.
    static func authentication(mode: String, credentials spec: String?) throws -> Authentication {
        switch mode {
        case "none":
            return .none
        case "sigv4":
            guard let spec, !spec.isEmpty else {
                throw ValidationError(
                    "--auth sigv4 needs --credentials ACCESS_KEY:SECRET:ACCOUNT_ID[,...] or --credentials @FILE (or GLACIER_MOCK_CREDENTIALS)")
            }
            var text = spec
            var source = "--credentials"
            if spec.hasPrefix("@") {
                let path = String(spec.dropFirst())
                guard let data = FileManager.default.contents(atPath: path) else {
                    throw ValidationError("--credentials @\(path): cannot read the file")
                }
                text = String(decoding: data, as: UTF8.self)
                source = "--credentials @\(path)"
            }
            do {
                return .sigV4(try Credentials.parse(text))
            } catch {
                throw ValidationError("\(source): \(error.description)")
            }
        default:
            throw ValidationError("--auth must be none or sigv4; got \(mode)")
        }
    }

    static func makeTemporaryDirectory() throws -> String {
        let base = ProcessInfo.processInfo.environment["TMPDIR"] ?? "/tmp"
        var template = Array((base + "/glacier-mock-XXXXXX").utf8CString)
        guard let result = mkdtemp(&template) else {
            throw ValidationError("cannot create a temporary data directory under \(base)")
        }
        return String(cString: result)
    }
}

struct HealthCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "health",
        abstract: "Exit 0 once GET /_mock/health answers ok; otherwise exit 1 with a one-line reason (for container health checks and CI scripts).")

    @Option(help: "The server to ask (GLACIER_MOCK_ENDPOINT). Default http://127.0.0.1:PORT with PORT from GLACIER_MOCK_PORT, else 9901.")
    var endpoint: String?

    @Option(help: "Ask again until it answers ok or this many seconds have passed, e.g. 30 or 2.5. Default 0: ask once.")
    var wait: Double = 0

    func run() async throws {
        guard wait.isFinite, (0...86_400).contains(wait) else { throw Self.failure("--wait must be 0 to 86400 seconds; got \(wait)") }
        let spec = endpoint ?? environment("ENDPOINT") ?? "http://127.0.0.1:\(environment("PORT") ?? "9901")"
        guard let base = URL(string: spec).flatMap(PlainHTTPClient.Target.init) else {
            throw Self.failure("--endpoint must be an http:// URL such as http://127.0.0.1:9901; got \(spec)")
        }
        let target = PlainHTTPClient.Target(host: base.host, port: base.port, pathAndQuery: "/_mock/health")
        let url = "http://\(target.hostHeader)/_mock/health"
        let start = ContinuousClock.now
        let deadline = start + .milliseconds(Int64(wait * 1000))
        while true {
            let reason: String
            do {
                // Each try gets at most 5 s, and never past the deadline by more than that.
                let answer = try await PlainHTTPClient.send(.GET, to: target, timeout: .seconds(5))
                if answer.status == 200, Self.saysOK(answer.body) {
                    print("ok: \(url) answered \(answer.body.trimmingCharacters(in: .whitespacesAndNewlines))")
                    return
                }
                reason = "\(url) answered HTTP \(answer.status): \(answer.body.prefix(200).split(whereSeparator: \.isNewline).joined(separator: " "))"
            } catch {
                reason = "\(url): \(error)"
            }
            if ContinuousClock.now >= deadline {
                throw Self.failure(wait > 0 ? "not healthy after \(Self.seconds(ContinuousClock.now - start)) s: \(reason)" : reason)
            }
            try await Task.sleep(for: .milliseconds(100))
        }
    }

    /// `{"status":"ok"}`, the answer of GET /_mock/health (docs/admin-api.md).
    static func saysOK(_ body: String) -> Bool {
        guard let object = try? JSONSerialization.jsonObject(with: Data(body.utf8)) as? [String: Any] else { return false }
        return object["status"] as? String == "ok"
    }

    static func seconds(_ d: Duration) -> String {
        String(format: "%.1f", Double(d.components.seconds) + Double(d.components.attoseconds) / 1e18)
    }

    /// Writes the one-line reason; the thrown ExitCode(1) exits without another message.
    static func failure(_ reason: String) -> ExitCode {
        FileHandle.standardError.write(Data("glacier-mock health: \(reason)\n".utf8))
        return ExitCode(1)
    }
}

struct TreeHashCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "treehash",
        abstract: "Print the SHA-256 tree hash of each file, as Glacier computes it (like sha256sum).")

    @Argument(help: "Files to hash.")
    var files: [String]

    func run() throws {
        var failed = false
        for file in files {
            do {
                print("\(try TreeHash.ofFile(atPath: file).hex)  \(file)")
            } catch {
                FileHandle.standardError.write(Data("glacier-mock treehash: \(error)\n".utf8))
                failed = true
            }
        }
        if failed { throw ExitCode(1) }
    }
}

struct VerifyCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "verify",
        abstract: "Re-hash every stored part and archive, of the live state and of every snapshot, and compare with its recorded tree hash, and check every vault's counters and last inventory against its archives. Exit 1 on any difference.")

    @Option(help: "The data directory to check (GLACIER_MOCK_DATA_DIR).")
    var dataDir: String?

    func run() async throws {
        guard let dir = dataDir ?? environment("DATA_DIR") else { throw ValidationError("--data-dir is required") }
        guard FileManager.default.fileExists(atPath: dir + "/glacier.sqlite") else {
            throw ValidationError("\(dir) holds no glacier-mock data (no glacier.sqlite)")
        }
        let report = try await Verifier.verify(dataDirectory: dir)
        for problem in report.problems { print("MISMATCH \(problem)") }
        let scope = report.snapshots > 0 ? " (live state and \(report.snapshots) snapshot(s))" : ""
        print("checked \(report.checked) parts and archives, and the counters and inventories of \(report.vaults) vaults\(scope): \(report.problems.isEmpty ? "all match" : "\(report.problems.count) differ")")
        if !report.problems.isEmpty { throw ExitCode(1) }
    }
}

struct ExportCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "export",
        abstract: "Write a data directory's state as a seed document (SEED_DIR/seed.json) with its archive and part files, for --seed.")

    @Option(help: "The data directory to export (GLACIER_MOCK_DATA_DIR); best with no server writing to it.")
    var dataDir: String?

    @Option(name: .customLong("to"), help: ArgumentHelp("The directory to write (created if missing).", valueName: "seed-dir"))
    var target: String

    func run() async throws {
        guard let dir = dataDir ?? environment("DATA_DIR") else { throw ValidationError("--data-dir is required") }
        guard FileManager.default.fileExists(atPath: dir + "/glacier.sqlite") else {
            throw ValidationError("\(dir) holds no glacier-mock data (no glacier.sqlite)")
        }
        let result = try await SeedExport.export(dataDirectory: dir, to: target)
        for note in result.skipped { print("skipped \(note)") }
        print("exported \(result.vaults) vaults, \(result.archives) archives, \(result.uploads) multipart uploads, \(result.jobs) jobs to \(target)/seed.json")
    }
}

extension Character {
    var isASCIIDigit: Bool { isASCII && isNumber }
}
