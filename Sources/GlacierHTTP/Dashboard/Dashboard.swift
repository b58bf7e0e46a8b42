import Foundation
import GlacierDomain
import GlacierStorage
import HTTPTypes
import Hummingbird

/// The dashboard: server-rendered pages under `/_mock/ui` over the domain's read-only
/// queries, on the same listener as the other admin endpoints and on the same terms (open
/// under every `--auth`, as `/_mock/` is: whoever reaches the port reaches it).
///
/// Pages only read. Their actions are forms that the page's script sends to the existing admin
/// endpoints (POST /_mock/reset, /_mock/jobs/complete, /_mock/clock, /_mock/faults, ...).
/// `GET /_mock/ui/state` is the small JSON document the script polls to learn that something
/// changed, then it fetches the page again and swaps its content: live without reloading.
/// Every page carries a Content-Security-Policy that lets only `/_mock/ui/app.js` run.
struct Dashboard: Sendable {
    let service: GlacierService
    let faults: FaultInjector
    let journal: RequestJournal
    let info: DashboardServerInfo

    static let base = DashboardPages.base
    /// Archives per page of the vault view.
    static let archivePageSize = 50
    /// In-progress uploads shown (each with its parts map).
    static let uploadsShown = 20

    static func owns(_ path: String) -> Bool {
        path == base || path.hasPrefix(base + "/")
    }

    /// A browser opening the server's root: `GET /` without a query, accepting `text/html`,
    /// and with nothing of a Glacier request (no SigV4 `Authorization` or `X-Amz-Credential`,
    /// no `x-amz-glacier-version`). SDKs and curl get Glacier's JSON error there, as before.
    static func isBrowserRoot(_ request: Request) -> Bool {
        guard request.method == .get, request.uri.path == "/", request.uri.query == nil || request.uri.query == "",
            request.headers[.authorization] == nil, request.headers[.amzGlacierVersion] == nil,
            let accept = request.headers[.accept]
        else { return false }
        return accept.lowercased().contains("text/html")
    }

    static func redirectToDashboard() -> Response {
        Response(status: .seeOther, headers: [.location: base, .cacheControl: "no-store"])
    }

    /// Only the dashboard's own script and style sheet; no inline script or style, no other origin.
    static let contentSecurityPolicy =
        "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self'; connect-src 'self'; form-action 'self'; base-uri 'none'; frame-ancestors 'none'"

    func respond(to request: Request) async throws -> Response {
        let path = request.uri.path
        guard request.method == .get else {
            throw GlacierError(
                .unknownOperation,
                "The dashboard's pages are only read (GET \(path.prefix(100))); its actions call the admin endpoints such as POST /_mock/reset")
        }
        let query = request.uri.queryParameters
        func value(_ name: String) -> String? {
            query[Substring(name)].map(String.init).flatMap { $0.isEmpty ? nil : $0 }
        }
        switch path {
        case Self.base, Self.base + "/":
            return Self.html(try await overview())
        case Self.base + "/vault":
            return try await vaultPage(account: value("account"), region: value("region"), name: value("name"),
                                       sort: value("sort"), dir: value("dir"), page: value("page"))
        case Self.base + "/requests":
            return Self.html(requestsPage(operation: value("operation"), vault: value("vault"), status: value("status"), before: value("before")))
        case Self.base + "/faults":
            return Self.html(try await faultsPage())
        case Self.base + "/state":
            return state()
        case Self.base + "/job-output":
            return try await jobOutput(account: value("account"), region: value("region"), vault: value("vault"), job: value("job"))
        case Self.base + "/app.js":
            return Self.asset(DashboardAssets.script, type: "text/javascript; charset=utf-8")
        case Self.base + "/app.css":
            return Self.asset(DashboardAssets.styleSheet, type: "text/css; charset=utf-8")
        case Self.base + "/favicon.svg":
            return Self.asset(DashboardAssets.icon, type: "image/svg+xml")
        default:
            return Self.html(
                DashboardPages.notFound(what: "The dashboard has no page \(path.prefix(200)).", now: service.now(), offsetSeconds: offsetSeconds),
                status: .notFound)
        }
    }

    var offsetSeconds: Int64 { service.clockOffsetMilliseconds / 1000 }

    func overview() async throws -> String {
        let (entries, _) = journal.snapshotCount()
        return DashboardPages.overview(.init(
            vaults: try await service.allVaults(), info: info, now: service.now(), offsetSeconds: offsetSeconds,
            armedFaults: faults.armed.count, journalEntries: entries, notifications: try await service.newestNotifications(limit: 0).total))
    }

    func vaultPage(account: String?, region: String?, name: String?, sort: String?, dir: String?, page: String?) async throws -> Response {
        let now = service.now()
        guard let account, let region, let name else {
            return Self.html(
                DashboardPages.notFound(what: "A vault page names its vault: ?account=…&region=…&name=…", now: now, offsetSeconds: offsetSeconds),
                status: .notFound)
        }
        let key = VaultKey(accountID: account, region: region, name: name)
        guard let vault = try await service.vaultDescription(key) else {
            return Self.html(
                DashboardPages.notFound(
                    what: "No vault \(name) in account \(account), region \(region) (deleted, or the server was reset).", now: now,
                    offsetSeconds: offsetSeconds),
                status: .notFound)
        }
        let order = sort.flatMap(MetadataStore.ArchiveOrder.init(rawValue:)) ?? .date
        let descending = dir != "asc"
        let pages = max(1, (Int(vault.numberOfArchives) + Self.archivePageSize - 1) / Self.archivePageSize)
        let pageIndex = min(max((page.flatMap { Int($0) } ?? 1) - 1, 0), pages - 1)
        let archives = try await service.archivePage(key, order: order, descending: descending, page: pageIndex, pageSize: Self.archivePageSize)
        let uploads = try await service.uploadsInProgress(key, limit: Self.uploadsShown)
        let all = try await service.allVaults()
        return Self.html(DashboardPages.vault(.init(
            vault: vault, archives: archives, order: order, descending: descending, page: pageIndex, pageSize: Self.archivePageSize,
            uploads: uploads.uploads, uploadCount: uploads.total, jobs: try await service.jobSummaries(key),
            configuration: try await service.vaultConfiguration(key), now: now, offsetSeconds: offsetSeconds,
            showScope: DashboardPages.severalScopes(all.map(\.vault.key)), inventories: service.inventoryMode == .daily)))
    }

    func requestsPage(operation: String?, vault: String?, status: String?, before: String?) -> String {
        let op = operation.flatMap(OperationName.init(rawValue:))
        let statusFilter = status.flatMap { s in DashboardPages.statusFilters.contains { $0.0 == s } ? s : nil }
        let beforeSeq = before.flatMap { Int64($0) }
        let (entries, more) = journal.newest(before: beforeSeq, limit: DashboardPages.RequestsPage.pageSize) { entry in
            (op == nil || entry.operation == op) && (vault == nil || entry.vaultName == vault)
                && DashboardPages.statusMatches(statusFilter, entry.status)
        }
        return DashboardPages.requests(.init(
            entries: entries, more: more, operation: op, vault: vault, status: statusFilter, before: beforeSeq,
            capacity: journal.capacity, dropped: journal.droppedCount, now: service.now(), offsetSeconds: offsetSeconds))
    }

    /// Notifications shown (the newest).
    static let notificationsShown = 100

    func faultsPage() async throws -> String {
        let notes = try await service.newestNotifications(limit: Self.notificationsShown)
        return DashboardPages.faults(.init(
            faults: faults.armed, notifications: notes.rows, notificationCount: notes.total, now: service.now(), offsetSeconds: offsetSeconds))
    }

    /// `{"Changes", "LastRequest", "Faults", "Now", "OffsetSeconds"}`: what the script polls.
    /// Changes counts the write transactions that changed something, LastRequest is the
    /// journal's newest sequence number: when either moves, the page is fetched again.
    func state() -> Response {
        let now = service.now()
        let body = JSONWriter.object([
            ("Changes", .int(Int64(truncatingIfNeeded: service.changeCount))), ("LastRequest", .int(journal.lastSequence)),
            ("Faults", .int(Int64(faults.armed.reduce(0) { $0 + $1.remaining }))), ("Now", .string(Timestamp.iso8601(now))),
            ("OffsetSeconds", .int(offsetSeconds)),
            ("Clock", .string(DashboardPages.clockText(now: now, offsetSeconds: offsetSeconds))),
        ])
        return Response(
            status: .ok, headers: [.contentType: "application/json", .cacheControl: "no-store"],
            body: .init(byteBuffer: ByteBuffer(string: body)))
    }

    /// A completed job's output as a download (`Content-Disposition: attachment`).
    func jobOutput(account: String?, region: String?, vault: String?, job: String?) async throws -> Response {
        guard let account, let region, let vault, let job else {
            throw GlacierError.missingHeader("account, region, vault and job (query parameters of GET /_mock/ui/job-output)")
        }
        let output = try await service.completedJobOutput(VaultKey(accountID: account, region: region, name: vault), jobID: job)
        let ext = output.contentType == "text/csv" ? "csv" : output.contentType == "application/json" ? "json" : "bin"
        let safeName = String(job.unicodeScalars.filter { CharacterSet.alphanumerics.contains($0) || $0 == "-" || $0 == "_" }.prefix(200))
        var headers: HTTPFields = [
            .contentType: output.contentType, .contentDisposition: "attachment; filename=\"job-\(safeName).\(ext)\"",
            .cacheControl: "no-store", .xContentTypeOptions: "nosniff",
        ]
        if let hash = output.treeHash { headers[.amzTreeHash] = hash }
        return Response(status: .ok, headers: headers, body: FileStreaming.body(output.pieces, length: output.length))
    }

    static func html(_ page: String, status: HTTPResponse.Status = .ok) -> Response {
        Response(
            status: status,
            headers: [
                .contentType: "text/html; charset=utf-8", .contentSecurityPolicy: contentSecurityPolicy,
                .xContentTypeOptions: "nosniff", .referrerPolicy: "no-referrer", .cacheControl: "no-store",
                .xFrameOptions: "DENY",
            ],
            body: .init(byteBuffer: ByteBuffer(string: page)))
    }

    static func asset(_ text: String, type: String) -> Response {
        Response(
            status: .ok,
            headers: [.contentType: type, .xContentTypeOptions: "nosniff", .cacheControl: "no-cache"],
            body: .init(byteBuffer: ByteBuffer(string: text)))
    }
}

extension HTTPField.Name {
    static let xContentTypeOptions = Self("X-Content-Type-Options")!
    static let referrerPolicy = Self("Referrer-Policy")!
    static let xFrameOptions = Self("X-Frame-Options")!
    static let amzTreeHash = Self("x-amz-sha256-tree-hash")!
}
