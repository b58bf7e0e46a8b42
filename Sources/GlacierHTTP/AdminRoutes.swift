import Foundation
import GlacierDomain
import HTTPTypes
import Hummingbird

/// Endpoints outside Glacier's path space, for test suites: health, reset, jobs, notifications,
/// injected faults, the request journal, the server's clock, vault inventories and the dashboard (`/_mock/ui`). The moto alias lets suites written for moto's server mode reset
/// glacier-mock unchanged.
struct AdminRoutes: Sendable {
    let service: GlacierService
    let faults: FaultInjector
    let journal: RequestJournal
    /// The pages under `/_mock/ui`.
    let dashboard: Dashboard

    /// True for the paths these endpoints own; the authentication and the operation
    /// dispatcher let them through untouched.
    static func owns(_ path: String) -> Bool {
        path.hasPrefix("/_mock/") || path.hasPrefix("/moto-api/")
    }

    func respond(to request: Request) async throws -> Response {
        if Dashboard.owns(request.uri.path) {
            return try await dashboard.respond(to: request)
        }
        switch (request.method, request.uri.path) {
        case (.get, "/_mock/health"):
            return Self.ok()
        case (.post, "/_mock/reset"), (.post, "/moto-api/reset"):
            let dropSnapshots = try await Self.resetDropsSnapshots(request)
            faults.clear()
            journal.clear()
            try await service.reset(snapshots: dropSnapshots)
            return Self.ok()
        case (.post, "/_mock/jobs/complete"):
            // Completes every pending retrieval or inventory job now, whatever --job-delay says.
            let n = try await service.completeAllPendingJobs()
            return Self.json(.object([("status", .string("ok")), ("completed", .int(Int64(n)))]))
        case (.get, "/_mock/notifications"):
            // Job-completion notifications the server sent (or would have sent) to SNS topics.
            return Self.json(.object([("Notifications", try await service.notifications())]))
        case (.post, "/_mock/faults"):
            // Arms an error for the next requests that match (docs/admin-api.md, "Injected faults").
            let rule = try Self.faultRule(try await OperationInput.smallBody(of: request, named: "POST /_mock/faults"))
            guard faults.arm(rule) else {
                throw GlacierError(.limitExceeded, "At most \(FaultInjector.maxRules) fault rules may be armed at once; DELETE /_mock/faults disarms them")
            }
            return Self.faultList(faults.armed, status: "ok")
        case (.get, "/_mock/faults"):
            return Self.faultList(faults.armed, status: nil)
        case (.delete, "/_mock/faults"):
            let n = faults.clear()
            return Self.json(.object([("status", .string("ok")), ("cleared", .int(Int64(n)))]))
        case (.post, "/_mock/clock"):
            // Moves the server's clock forward (docs/admin-api.md, "The server's clock").
            let object = try JSONInput.object(
                try await OperationInput.smallBody(of: request, named: "POST /_mock/clock"), what: "{\"AdvanceSeconds\": N}")
            if let unknown = object.keys.sorted().first(where: { $0 != "AdvanceSeconds" }) {
                throw GlacierError.invalid("Unknown member '\(unknown.prefix(100))' of POST /_mock/clock; the only member is AdvanceSeconds")
            }
            guard let seconds = try Self.wholeNumber(object, "AdvanceSeconds", in: 1...Int(GlacierService.maxClockAdvanceSeconds)) else {
                throw GlacierError.missingHeader("AdvanceSeconds")
            }
            try await service.advanceClock(seconds: Int64(seconds))
            return clock(status: "ok")
        case (.get, "/_mock/clock"):
            return clock(status: nil)
        case (.post, "/_mock/inventory"):
            // Takes vault inventories now, as the daily schedule would (docs/inventory.md).
            let body = try await OperationInput.smallBody(of: request, named: "POST /_mock/inventory")
            var vaultName: String?
            if !body.isEmpty {
                let object = try JSONInput.object(body, what: "{\"VaultName\": NAME} or an empty body")
                if let unknown = object.keys.sorted().first(where: { $0 != "VaultName" }) {
                    throw GlacierError.invalid("Unknown member '\(unknown.prefix(100))' of POST /_mock/inventory; the only member is VaultName")
                }
                vaultName = try JSONInput.string(object, "VaultName")
            }
            let states = try await service.takeInventories(vaultName: vaultName)
            return Self.json(.object([("status", .string("ok")), ("Inventories", .array(states.map { Self.inventory($0, taken: true) }))]))
        case (.get, "/_mock/inventory"):
            let query = request.uri.queryParameters
            if let unknown = query.map(\.key).first(where: { $0 != "vault" }) {
                throw GlacierError.invalid("Unknown query parameter '\(unknown.prefix(100))' of GET /_mock/inventory; the only parameter is vault")
            }
            let states = try await service.inventories(vaultName: query["vault"].map(String.init))
            return Self.json(.object([("Inventories", .array(states.map { Self.inventory($0, taken: false) }))]))
        case (.get, "/_mock/requests"):
            return try requestList(request)
        case (.delete, "/_mock/requests"):
            let n = journal.clear()
            return Self.json(.object([("status", .string("ok")), ("cleared", .int(Int64(n)))]))
        default:
            if let answer = try await snapshotResponse(to: request) { return answer }
            throw GlacierError(
                .unknownOperation,
                "No glacier-mock endpoint matches \(request.method.rawValue) \(request.uri.path.prefix(300)); the admin endpoints are GET /_mock/health, POST /_mock/reset (or /moto-api/reset), POST /_mock/jobs/complete, GET /_mock/notifications, POST, GET or DELETE /_mock/faults, GET or DELETE /_mock/requests, POST or GET /_mock/clock, POST or GET /_mock/inventory, the dashboard at GET /_mock/ui, and \(Self.snapshotEndpoints)")
        }
    }

    /// A fault rule from `{"Operation", "Code"?, "DelayMilliseconds"?, "Count"?, "VaultName"?, "Message"?}`
    /// (Code or DelayMilliseconds or both).
    static func faultRule(_ body: [UInt8]) throws -> FaultInjector.Rule {
        let object = try JSONInput.object(
            body, what: "a fault rule: Operation, Code and/or DelayMilliseconds, and optionally Count, VaultName, Message")
        let known = ["Operation", "Code", "DelayMilliseconds", "Count", "VaultName", "Message"]
        if let unknown = object.keys.sorted().first(where: { !known.contains($0) }) {
            throw GlacierError.invalid(
                "Unknown fault rule member '\(unknown.prefix(100))'; the members are \(known.joined(separator: ", "))")
        }
        guard let operationName = try JSONInput.string(object, "Operation") else {
            throw GlacierError.missingHeader("Operation (an operation name such as UploadArchive, or * for every operation)")
        }
        var operation: OperationName?
        if operationName != "*" {
            guard let named = OperationName(rawValue: operationName) else {
                throw GlacierError.invalid("Operation '\(operationName.prefix(100))' is not one of Glacier's 33 operations (e.g. UploadArchive, DescribeVault) or *")
            }
            operation = named
        }
        var code: GlacierError.Code?
        if let codeName = try JSONInput.string(object, "Code") {
            guard let armable = FaultInjector.armableCodes.first(where: { $0.rawValue == codeName }) else {
                throw GlacierError.invalid(
                    "Code '\(codeName.prefix(100))' is not a Glacier error code; one of \(FaultInjector.armableCodes.map(\.rawValue).joined(separator: ", "))")
            }
            code = armable
        }
        let delay = try wholeNumber(object, "DelayMilliseconds", in: 1...FaultInjector.maxDelayMilliseconds) ?? 0
        guard code != nil || delay > 0 else {
            throw GlacierError.missingHeader("Code or DelayMilliseconds (a Glacier error code such as ThrottlingException, a delay, or both)")
        }
        let count = try wholeNumber(object, "Count", in: 1...FaultInjector.maxCount) ?? 1
        let vaultName = try JSONInput.string(object, "VaultName")
        if let vaultName { try Rules.checkVaultName(vaultName) }
        let message = try JSONInput.string(object, "Message")
            ?? "Injected by glacier-mock: \(code?.rawValue ?? "delay") for \(operationName) (armed with POST /_mock/faults)"
        guard !message.isEmpty, message.utf8.count <= 1024 else {
            throw GlacierError.invalid("Message must be 1 to 1024 bytes")
        }
        return FaultInjector.Rule(
            operation: operation, vaultName: vaultName, code: code, message: message, delayMilliseconds: delay, count: count)
    }

    /// A whole-number member within `range`; nil when absent.
    static func wholeNumber(_ object: [String: Any], _ key: String, in range: ClosedRange<Int>) throws -> Int? {
        switch object[key] {
        case nil: return nil
        case let n as Int where range.contains(n): return n
        default: throw GlacierError.invalid("\(key) must be a whole number from \(range.lowerBound) to \(range.upperBound)")
        }
    }

    /// One vault's last inventory: when it was taken and what it counted, beside what the
    /// vault holds now and how many archives were added or deleted since; `Taken` (POST only)
    /// says whether this call took a new one.
    static func inventory(_ v: VaultInventory, taken: Bool) -> JSONValue {
        var members: [(String, JSONValue)] = [
            ("AccountId", .string(v.accountID)), ("Region", .string(v.region)),
            ("VaultName", .string(v.vault.name)), ("VaultARN", .string(v.vault.arn)),
            ("LastInventoryDate", .optional(v.lastInventoryDate.map(Timestamp.iso8601))),
            ("NumberOfArchives", .int(v.numberOfArchives)), ("SizeInBytes", .int(v.sizeInBytes)),
            ("WritesSinceInventory", .int(v.writesSinceInventory)),
            ("LiveNumberOfArchives", .int(v.liveNumberOfArchives)), ("LiveSizeInBytes", .int(v.liveSizeInBytes)),
        ]
        if taken { members.append(("Taken", .bool(v.taken))) }
        return .object(members)
    }

    /// `{"status"?, "Now", "OffsetSeconds"}`: the server's clock and how far ahead it is.
    func clock(status: String?) -> Response {
        var members: [(String, JSONValue)] = []
        if let status { members.append(("status", .string(status))) }
        members.append(("Now", .string(Timestamp.iso8601(service.now()))))
        members.append(("OffsetSeconds", .int(service.clockOffsetMilliseconds / 1000)))
        return Self.json(.object(members))
    }

    /// `{"Requests": [...], "Dropped": N, "Capacity": N}`: the journal, oldest first, filtered
    /// by the query's `operation`, `vault` and `after` (a sequence number).
    func requestList(_ request: Request) throws -> Response {
        let query = request.uri.queryParameters
        let known: Set<Substring> = ["operation", "vault", "after"]
        if let unknown = query.map(\.key).first(where: { !known.contains($0) }) {
            throw GlacierError.invalid("Unknown query parameter '\(unknown.prefix(100))' of GET /_mock/requests; the parameters are operation, vault and after")
        }
        var operation: OperationName?
        if let name = query["operation"] {
            guard let named = OperationName(rawValue: String(name)) else {
                throw GlacierError.invalid("operation '\(name.prefix(100))' is not one of Glacier's 33 operations")
            }
            operation = named
        }
        let vault = query["vault"].map(String.init)
        var after: Int64 = 0
        if let text = query["after"] {
            guard let n = Int64(text), n >= 0 else {
                throw GlacierError.invalid("after must be a sequence number (0 or more); it is '\(text.prefix(40))'")
            }
            after = n
        }
        let (entries, dropped) = journal.snapshot()
        let list = entries.filter {
            $0.sequence > after && (operation == nil || $0.operation == operation) && (vault == nil || $0.vaultName == vault)
        }.map { e -> JSONValue in
            .object([
                ("Sequence", .int(e.sequence)), ("Time", .string(Timestamp.iso8601(e.time))), ("RequestId", .string(e.requestID)),
                ("Method", .string(e.method)), ("Path", .string(e.path)), ("Operation", .optional(e.operation?.rawValue)),
                ("AccountId", .optional(e.accountID)), ("Region", .optional(e.region)), ("VaultName", .optional(e.vaultName)),
                ("Status", .int(Int64(e.status))), ("ErrorCode", .optional(e.errorCode)),
            ])
        }
        return Self.json(.object([("Requests", .array(list)), ("Dropped", .int(dropped)), ("Capacity", .int(Int64(journal.capacity)))]))
    }

    /// `{"status"?, "Faults": [...]}`: the armed rules with their remaining counts.
    static func faultList(_ rules: [FaultInjector.Rule], status: String?) -> Response {
        let list = rules.map { rule -> JSONValue in
            .object([
                ("Operation", .string(rule.operation?.rawValue ?? "*")), ("VaultName", .optional(rule.vaultName)),
                ("Code", .optional(rule.code?.rawValue)), ("DelayMilliseconds", .int(Int64(rule.delayMilliseconds))),
                ("Message", .string(rule.message)), ("Remaining", .int(Int64(rule.remaining))),
            ])
        }
        var members: [(String, JSONValue)] = []
        if let status { members.append(("status", .string(status))) }
        members.append(("Faults", .array(list)))
        return json(.object(members))
    }

    static func json(_ value: JSONValue) -> Response {
        Response(
            status: .ok, headers: [.contentType: "application/json"],
            body: .init(byteBuffer: ByteBuffer(string: JSONWriter.write(value))))
    }

    static func ok() -> Response {
        json(.object([("status", .string("ok"))]))
    }
}
