import Foundation
import GlacierDomain
import GlacierStorage

/// What the dashboard shows about the server itself (overview page).
struct DashboardServerInfo: Sendable {
    var version = glacierMockVersion
    /// `--auth`: `none`, or `sigv4` with the number of access keys.
    var authentication = "none"
    /// `--job-delay`, per tier; empty: jobs complete at once.
    var jobDelays: [Tier: Milliseconds] = [:]
    var jobExpiry: Milliseconds = 24 * 3_600_000
    var dataDirectory = ""
    /// No `--data-dir`: the directory is removed on exit.
    var temporary = false
    var journalCapacity = RequestJournal.defaultCapacity
    var defaultAccountID = "123456789012"
    var defaultRegion = "us-east-1"
    /// `--inventory`: daily snapshots (Glacier's behaviour) or live counts.
    var inventoryMode = InventoryMode.daily
}

/// The dashboard's pages, rendered from the domain's query results. Pure functions: they read
/// nothing themselves, so each page can be tested from values. Every string a client sent is
/// written through `HTML.escape` (`e`).
enum DashboardPages {
    static let base = "/_mock/ui"

    static func e(_ s: String) -> String { HTML.escape(s) }

    enum Section: String { case overview, vault, requests, faults }

    // MARK: Shell

    /// The page around `body`: header with navigation and the server's clock, a status area
    /// for the actions' answers, the footer. The only script is `/_mock/ui/app.js`.
    static func shell(title: String, section: Section, now: Milliseconds, offsetSeconds: Int64, body: String) -> String {
        func nav(_ s: Section, _ label: String, _ href: String) -> String {
            let current = s == section || (s == .overview && section == .vault)
            return "<a href=\"\(href)\"\(current ? " class=\"current\" aria-current=\"page\"" : "")>\(label)</a>"
        }
        return """
            <!doctype html>
            <html lang="en">
            <head>
            <meta charset="utf-8">
            <meta name="viewport" content="width=device-width, initial-scale=1">
            <title>\(e(title)) · glacier-mock</title>
            <link rel="icon" href="\(base)/favicon.svg" type="image/svg+xml">
            <link rel="stylesheet" href="\(base)/app.css">
            <script src="\(base)/app.js" defer></script>
            </head>
            <body data-state="\(base)/state">
            <header class="top">
            <a class="brand" href="\(base)"><img src="\(base)/favicon.svg" alt="" width="22" height="22">glacier-mock</a>
            <nav>\(nav(.overview, "Overview", base))\(nav(.requests, "Requests", base + "/requests"))\(nav(.faults, "Faults &amp; notifications", base + "/faults"))</nav>
            <div class="top-right">
            <span class="clock" id="clock" title="The server's clock (POST /_mock/clock moves it)">\(clockText(now: now, offsetSeconds: offsetSeconds))</span>
            <label class="live"><input type="checkbox" id="live" checked> live</label>
            </div>
            </header>
            <div id="flash" role="status" aria-live="polite"></div>
            <main id="main">
            \(body)
            </main>
            <footer>glacier-mock \(e(glacierMockVersion)) · served by the server itself on its own port, like every <code>/_mock/</code> endpoint: whoever can reach this port can see and reset this server.</footer>
            </body>
            </html>
            """
    }

    static func clockText(now: Milliseconds, offsetSeconds: Int64) -> String {
        let ahead = offsetSeconds > 0 ? " <span class=\"badge warn\">+\(DashboardFormat.duration(offsetSeconds * 1000))</span>" : ""
        return "<span class=\"muted\">server clock</span> <time datetime=\"\(Timestamp.iso8601(now))\">\(DashboardFormat.date(now))</time>\(ahead)"
    }

    /// A form the script sends to an admin endpoint as JSON (fields named `data-json`), after
    /// asking `confirm` when given.
    static func actionForm(
        endpoint: String, method: String = "POST", label: String, confirm: String? = nil, danger: Bool = false,
        id: String, fields: String = "", done: String? = nil
    ) -> String {
        """
        <form class="action" id="\(id)" data-endpoint="\(e(endpoint))" data-method="\(method)"\(confirm.map { " data-confirm=\"\(e($0))\"" } ?? "")\(done.map { " data-done=\"\(e($0))\"" } ?? "")>\(fields)<button type="submit" class="\(danger ? "btn danger" : "btn")">\(label)</button></form>
        """
    }

    // MARK: Overview

    struct Overview {
        var vaults: [GlacierService.DashboardVault]
        var info: DashboardServerInfo
        var now: Milliseconds
        var offsetSeconds: Int64
        var armedFaults: Int
        var journalEntries: Int
        var notifications: Int
    }

    /// More than one (account, region) pair among these: then each row names its own.
    static func severalScopes(_ keys: [VaultKey]) -> Bool {
        guard let first = keys.first else { return false }
        return keys.contains { $0.accountID != first.accountID || $0.region != first.region }
    }

    static func vaultLink(_ key: VaultKey, query extra: [(String, String?)] = []) -> String {
        HTML.link(base + "/vault", [("account", key.accountID), ("region", key.region), ("name", key.name)] + extra)
    }

    static func overview(_ o: Overview) -> String {
        let archives = o.vaults.reduce(Int64(0)) { $0 + $1.numberOfArchives }
        let bytes = o.vaults.reduce(Int64(0)) { $0 + $1.sizeInBytes }
        let several = severalScopes(o.vaults.map(\.vault.key))
        let scopes = Set(o.vaults.map { "\($0.vault.key.accountID) \($0.vault.key.region)" }).count
        var body = """
            <h1>Overview</h1>
            <section class="cards">
            <div class="card"><div class="label">Vaults</div><div class="value" id="total-vaults">\(DashboardFormat.count(o.vaults.count))</div>\(several ? "<div class=\"sub\">in \(scopes) account/region pairs</div>" : "")</div>
            <div class="card"><div class="label">Archives</div><div class="value" id="total-archives">\(DashboardFormat.count(archives))</div></div>
            <div class="card"><div class="label">Stored</div><div class="value" id="total-size">\(DashboardFormat.size(bytes))</div></div>
            <div class="card"><div class="label">Requests recorded</div><div class="value"><a href="\(base)/requests">\(DashboardFormat.count(o.journalEntries))</a></div></div>
            <div class="card"><div class="label">Armed faults</div><div class="value"><a href="\(base)/faults">\(o.armedFaults)</a></div>\(o.notifications > 0 ? "<div class=\"sub\">\(o.notifications) notification(s) sent</div>" : "")</div>
            </section>
            <section class="panel">
            <h2>Vaults</h2>
            """
        if o.vaults.isEmpty {
            body += """
                <p class="empty">No vaults yet. Create one with an SDK or the AWS CLI pointed at this server, e.g. <code>aws glacier create-vault --account-id - --vault-name my-vault --endpoint-url URL-OF-THIS-SERVER</code>; it shows here within two seconds.</p>
                """
        } else {
            let daily = o.info.inventoryMode == .daily
            body += "<table class=\"grid\" id=\"vaults\"><thead><tr><th>Name</th>"
            if several { body += "<th>Account</th><th>Region</th>" }
            body += "<th class=\"num\">Archives</th><th class=\"num\">Size</th>"
            body += daily ? "<th title=\"What DescribeVault and ListVaults answer: the counts of the vault's last inventory\">Last inventory</th>" : "<th>Last inventory</th>"
            body += "<th>Created</th></tr></thead><tbody>"
            for v in o.vaults {
                body += "<tr data-vault=\"\(e(v.vault.name))\"><td><a href=\"\(vaultLink(v.vault.key))\">\(e(v.vault.name))</a></td>"
                if several { body += "<td><code>\(e(v.vault.key.accountID))</code></td><td>\(e(v.vault.key.region))</td>" }
                body += "<td class=\"num\">\(DashboardFormat.count(v.numberOfArchives))</td><td class=\"num\">\(DashboardFormat.size(v.sizeInBytes))</td>"
                body += "<td class=\"inventory\">\(inventoryCell(v, daily: daily, now: o.now))</td>"
                body += "<td>\(DashboardFormat.time(v.creationDate, now: o.now))</td></tr>"
            }
            let invArchives = o.vaults.reduce(Int64(0)) { $0 + $1.inventoryArchives }
            let invBytes = o.vaults.reduce(Int64(0)) { $0 + $1.inventorySize }
            body += "</tbody><tfoot><tr><th>Total</th>\(several ? "<th></th><th></th>" : "")<th class=\"num\">\(DashboardFormat.count(archives))</th><th class=\"num\">\(DashboardFormat.size(bytes))</th>"
            body += "<th class=\"inventory\">\(daily ? "\(DashboardFormat.count(invArchives)) · \(DashboardFormat.size(invBytes))" : "")</th><th></th></tr></tfoot></table>"
            if daily {
                body += "<p class=\"muted note\">Archives and Size are what each vault holds now. DescribeVault, ListVaults and inventory jobs answer from the <em>last inventory</em>, taken when the server's clock passes 00:00 UTC or with <em>Take inventories</em> below (<code>--inventory daily</code>).</p>"
            }
        }
        body += "</section>"
        body += "<div class=\"columns\">"
        body += serverPanel(o)
        body += actionsPanel(inventories: o.info.inventoryMode == .daily)
        body += "</div>"
        return shell(title: "Overview", section: .overview, now: o.now, offsetSeconds: o.offsetSeconds, body: body)
    }

    /// The last inventory's counts, date and the writes since; or that there is none.
    static func inventoryCell(_ v: GlacierService.DashboardVault, daily: Bool, now: Milliseconds) -> String {
        guard let date = v.lastInventoryDate else { return "<span class=\"muted\">none yet</span>" }
        guard daily else { return DashboardFormat.time(date, now: now) }
        var cell = "<span class=\"inv-counts\">\(DashboardFormat.count(v.inventoryArchives)) · \(DashboardFormat.size(v.inventorySize))</span>"
        cell += " <span class=\"muted\">\(DashboardFormat.relative(date, now: now))</span>"
        if v.writesSinceInventory > 0 {
            cell += " <span class=\"badge warn inv-writes\">\(DashboardFormat.count(v.writesSinceInventory)) write\(v.writesSinceInventory == 1 ? "" : "s") since</span>"
        }
        return cell
    }

    static func serverPanel(_ o: Overview) -> String {
        let delays = Tier.allCases.compactMap { tier in o.info.jobDelays[tier].map { "\(tier.rawValue) \(DashboardFormat.duration($0))" } }
        let data = o.info.temporary
            ? "temporary <span class=\"muted\">(\(e(o.info.dataDirectory)), removed on exit)</span>"
            : "<code>\(e(o.info.dataDirectory))</code>"
        return """
            <section class="panel" id="server">
            <h2>Server</h2>
            <dl class="facts">
            <dt>Clock</dt><dd>\(DashboardFormat.date(o.now))\(o.offsetSeconds > 0 ? " <span class=\"badge warn\">\(DashboardFormat.duration(o.offsetSeconds * 1000)) ahead of the wall clock</span>" : " <span class=\"muted\">(wall clock)</span>")</dd>
            <dt><code>--auth</code></dt><dd id="opt-auth">\(e(o.info.authentication))</dd>
            <dt><code>--job-delay</code></dt><dd id="opt-job-delay">\(delays.isEmpty ? "none <span class=\"muted\">(jobs complete at once)</span>" : e(delays.joined(separator: ", ")))</dd>
            <dt><code>--job-expiry</code></dt><dd>\(DashboardFormat.duration(o.info.jobExpiry))</dd>
            <dt><code>--inventory</code></dt><dd id="opt-inventory">\(o.info.inventoryMode == .daily ? "daily <span class=\"muted\">(counts as of the last inventory, as Glacier)</span>" : "live <span class=\"muted\">(counts as they are now)</span>")</dd>
            <dt>Data directory</dt><dd id="opt-data-dir">\(data)</dd>
            <dt>Request journal</dt><dd>\(o.info.journalCapacity == 0 ? "off" : "last \(DashboardFormat.count(o.info.journalCapacity)) requests")</dd>
            <dt>Default account, region</dt><dd><code>\(e(o.info.defaultAccountID))</code>, \(e(o.info.defaultRegion))</dd>
            <dt>Version</dt><dd id="version">\(e(o.info.version))</dd>
            </dl>
            </section>
            """
    }

    static func actionsPanel(inventories: Bool) -> String {
        let inventory = inventories ? """
            <div class="action-row"><div><strong>Take inventories</strong><p class="muted">Every vault with archives added or deleted since its last inventory gets a new one now, as at 00:00 UTC.</p></div>\(actionForm(endpoint: "/_mock/inventory", label: "Take inventories", confirm: "Take a new inventory of every vault written since its last one? DescribeVault, ListVaults and inventory jobs will answer from it.", id: "take-inventory"))</div>
            """ : ""

        let clockFields = """
            <input type="number" name="amount" min="1" value="1" required aria-label="amount" class="narrow">\
            <select name="unit" aria-label="unit"><option value="1">seconds</option><option value="60">minutes</option><option value="3600" selected>hours</option><option value="86400">days</option></select>
            """
        return """
            <section class="panel" id="actions">
            <h2>Actions</h2>
            <div class="action-row"><div><strong>Complete pending jobs</strong><p class="muted">Every InProgress job completes now, whatever <code>--job-delay</code> says.</p></div>\(actionForm(endpoint: "/_mock/jobs/complete", label: "Complete jobs", id: "complete-jobs"))</div>
            \(inventory)<div class="action-row"><div><strong>Advance the clock</strong><p class="muted">Moves the server's clock forward: jobs complete and expire, locks expire.</p></div>\(actionForm(endpoint: "/_mock/clock", label: "Advance", confirm: "Move the server's clock forward? It cannot be moved back except by a reset.", id: "advance-clock", fields: clockFields))</div>
            <div class="action-row"><div><strong>Reset</strong><p class="muted">Deletes every vault, archive, upload, job and notification, disarms faults, clears the journal, sets the clock back.</p></div>\(actionForm(endpoint: "/_mock/reset", label: "Reset server", confirm: "Delete every vault, archive, upload and job on this server? This cannot be undone.", danger: true, id: "reset", done: "The server was reset: no vaults, no faults, an empty journal, the wall clock."))</div>
            </section>
            """
    }

    // MARK: Vault

    struct VaultPage {
        var vault: GlacierService.DashboardVault
        var archives: [ArchiveRow]
        var order: MetadataStore.ArchiveOrder
        var descending: Bool
        var page: Int
        var pageSize: Int
        var uploads: [GlacierService.UploadProgress]
        var uploadCount: Int
        var jobs: [GlacierService.JobSummary]
        var configuration: GlacierService.VaultConfiguration
        var now: Milliseconds
        var offsetSeconds: Int64
        var showScope: Bool
        /// `--inventory daily`: the last inventory's counts are shown, and can be taken.
        var inventories = false
    }

    static func vault(_ p: VaultPage) -> String {
        let key = p.vault.vault.key
        var body = """
            <p class="crumbs"><a href="\(base)">Overview</a> › vault</p>
            <h1>\(e(key.name))</h1>
            <p class="arn"><code>\(e(p.vault.vault.arn))</code></p>
            <section class="cards">
            <div class="card"><div class="label">Archives</div><div class="value" id="vault-archives">\(DashboardFormat.count(p.vault.numberOfArchives))</div>\(p.inventories ? "<div class=\"sub\">last inventory: <span id=\"vault-inventory\">\(p.vault.lastInventoryDate == nil ? "none yet" : "\(DashboardFormat.count(p.vault.inventoryArchives)) · \(DashboardFormat.bytes(p.vault.inventorySize))")</span>\(p.vault.lastInventoryDate.map { ", " + DashboardFormat.relative($0, now: p.now) } ?? "")</div>" : "<div class=\"sub\">last inventory: \(p.vault.lastInventoryDate.map { DashboardFormat.relative($0, now: p.now) } ?? "never")</div>")</div>
            <div class="card"><div class="label">Size</div><div class="value">\(DashboardFormat.size(p.vault.sizeInBytes))</div></div>
            <div class="card"><div class="label">Uploads in progress</div><div class="value">\(p.uploadCount)</div></div>
            <div class="card"><div class="label">Jobs</div><div class="value">\(p.jobs.count)</div><div class="sub">\(p.jobs.filter { !$0.completed }.count) in progress</div></div>
            <div class="card"><div class="label">Created</div><div class="value small">\(DashboardFormat.date(p.vault.creationDate))</div><div class="sub">\(DashboardFormat.relative(p.vault.creationDate, now: p.now))</div></div>
            </section>
            """
        if p.showScope { body += "<p>Account <code>\(e(key.accountID))</code>, region <strong>\(e(key.region))</strong></p>" }
        if p.inventories {
            let fields = "<input type=\"hidden\" name=\"VaultName\" data-json=\"VaultName\" value=\"\(e(key.name))\">"
            body += "<div class=\"toolbar\">"
            body += actionForm(
                endpoint: "/_mock/inventory", label: "Take inventory", confirm: "Take a new inventory of every vault named \(key.name)? DescribeVault, ListVaults and inventory jobs will answer from it.",
                id: "take-vault-inventory", fields: fields)
            body += "<span class=\"muted\">DescribeVault answers from the last inventory\(p.vault.writesSinceInventory > 0 ? "; \(p.vault.writesSinceInventory) archive(s) added or deleted since" : "").</span></div>"
        }
        body += archivesSection(p)
        body += uploadsSection(p)
        body += jobsSection(p)
        body += configurationSection(p.configuration, now: p.now)
        return shell(title: key.name, section: .vault, now: p.now, offsetSeconds: p.offsetSeconds, body: body)
    }

    static func archivesSection(_ p: VaultPage) -> String {
        let key = p.vault.vault.key
        let total = Int(p.vault.numberOfArchives)
        let pages = max(1, (total + p.pageSize - 1) / p.pageSize)
        func pageLink(_ n: Int, order: MetadataStore.ArchiveOrder? = nil, descending: Bool? = nil) -> String {
            vaultLink(key, query: [
                ("sort", (order ?? p.order).rawValue), ("dir", (descending ?? p.descending) ? "desc" : "asc"),
                ("page", n == 0 ? nil : String(n + 1)),
            ]) + "#archives"
        }
        func header(_ label: String, _ order: MetadataStore.ArchiveOrder) -> String {
            let active = p.order == order
            let next = active ? !p.descending : true
            let arrow = active ? (p.descending ? " ▼" : " ▲") : ""
            return "<a class=\"sort\(active ? " active" : "")\" id=\"sort-\(order.rawValue)\" href=\"\(pageLink(0, order: order, descending: next))\" title=\"Sort by \(label.lowercased())\">\(label)\(arrow)</a>"
        }
        var s = "<section class=\"panel\" id=\"archives\"><h2>Archives <span class=\"muted\">\(DashboardFormat.count(total))</span></h2>"
        if p.archives.isEmpty {
            s += "<p class=\"empty\">\(total == 0 ? "No archives in this vault." : "No archives on this page.")</p>"
        } else {
            s += "<table class=\"grid\" id=\"archive-table\"><thead><tr><th>Archive ID</th><th>Description</th><th class=\"num\">\(header("Size", .size))</th><th>Tree hash</th><th>\(header("Created", .date))</th></tr></thead><tbody>"
            for a in p.archives {
                s += "<tr data-archive=\"\(e(a.id))\"><td>\(DashboardFormat.shortID(a.id))</td>"
                s += "<td class=\"desc\">\(a.description.map { e($0) } ?? "<span class=\"muted\">none</span>")</td>"
                s += "<td class=\"num\">\(DashboardFormat.size(a.size))</td><td>\(DashboardFormat.shortID(a.treeHash, keep: 8))</td>"
                s += "<td>\(DashboardFormat.time(a.creationDate, now: p.now))</td></tr>"
            }
            s += "</tbody></table>"
        }
        if pages > 1 {
            s += "<nav class=\"pager\" aria-label=\"archive pages\">"
            s += p.page > 0 ? "<a href=\"\(pageLink(0))\">« First</a><a href=\"\(pageLink(p.page - 1))\" rel=\"prev\" id=\"prev-page\">‹ Previous</a>" : "<span>« First</span><span>‹ Previous</span>"
            s += "<span class=\"at\" id=\"page-at\">Page \(DashboardFormat.count(p.page + 1)) of \(DashboardFormat.count(pages))</span>"
            s += p.page + 1 < pages ? "<a href=\"\(pageLink(p.page + 1))\" rel=\"next\" id=\"next-page\">Next ›</a><a href=\"\(pageLink(pages - 1))\" id=\"last-page\">Last »</a>" : "<span>Next ›</span><span>Last »</span>"
            s += "</nav>"
        }
        return s + "</section>"
    }

    // MARK: Parts map

    /// An in-progress upload's parts by place: part `i` covers bytes `i × partSize` on.
    /// Glacier does not know the archive's size before CompleteMultipartUpload, so the map
    /// runs from byte 0 to the end of the furthest part that arrived; every part-sized range
    /// before it that has no part is missing.
    struct PartsMap: Equatable {
        struct Slot: Equatable {
            let index: Int64
            let start: Int64
            /// The arrived part's length, or the part size for a missing one.
            let length: Int64
            let arrived: Bool
        }
        let slots: [Slot]
        var arrived: Int { slots.filter(\.arrived).count }
        var missing: Int { slots.count - arrived }
        var end: Int64 { slots.last.map { $0.start + $0.length } ?? 0 }
    }

    static func partsMap(partSize: Int64, parts: [PartRow]) -> PartsMap {
        guard partSize > 0, let last = parts.map(\.rangeStart).max() else { return PartsMap(slots: []) }
        let byStart = Dictionary(parts.map { ($0.rangeStart, $0) }, uniquingKeysWith: { a, _ in a })
        let count = last / partSize + 1
        var slots: [PartsMap.Slot] = []
        slots.reserveCapacity(Int(count))
        for i in 0..<count {
            let start = i * partSize
            if let part = byStart[start] {
                slots.append(.init(index: i, start: start, length: part.length, arrived: true))
            } else {
                slots.append(.init(index: i, start: start, length: partSize, arrived: false))
            }
        }
        return PartsMap(slots: slots)
    }

    /// The map as an SVG picture: one cell per part (runs of like parts merged when there are
    /// more than 200), green arrived, hatched red missing; each with a tooltip.
    static func partsMapSVG(_ map: PartsMap, uploadID: String) -> String {
        guard !map.slots.isEmpty else { return "<p class=\"empty\">No part has arrived yet.</p>" }
        let width = 1000.0
        let height = 34.0
        var s = "<svg class=\"partsmap\" viewBox=\"0 0 \(Int(width)) \(Int(height))\" preserveAspectRatio=\"none\" role=\"img\" aria-label=\"parts map: \(map.arrived) arrived, \(map.missing) missing\" data-upload=\"\(e(uploadID))\">"
        func label(_ slot: PartsMap.Slot) -> String {
            "Part \(slot.index + 1): bytes \(slot.start)–\(slot.start + slot.length - 1) (\(DashboardFormat.bytes(slot.length))), \(slot.arrived ? "arrived" : "missing")"
        }
        if map.slots.count <= 200 {
            let cell = width / Double(map.slots.count)
            let gap = map.slots.count > 60 ? 0.0 : 2.0
            for slot in map.slots {
                let x = Double(slot.index) * cell
                s += "<g class=\"\(slot.arrived ? "p-ok" : "p-miss")\" data-part=\"\(slot.index + 1)\" data-state=\"\(slot.arrived ? "arrived" : "missing")\">"
                s += "<title>\(e(label(slot)))</title>"
                s += "<rect x=\"\(fmt(x + gap / 2))\" y=\"0\" width=\"\(fmt(max(cell - gap, 0.5)))\" height=\"\(Int(height))\" rx=\"\(gap > 0 ? 3 : 0)\"></rect>"
                if map.slots.count <= 24 {
                    s += "<text x=\"\(fmt(x + cell / 2))\" y=\"22\" text-anchor=\"middle\">\(slot.index + 1)</text>"
                }
                s += "</g>"
            }
        } else {
            var i = 0
            let cell = width / Double(map.slots.count)
            while i < map.slots.count {
                var j = i
                while j + 1 < map.slots.count, map.slots[j + 1].arrived == map.slots[i].arrived { j += 1 }
                let a = map.slots[i]
                let b = map.slots[j]
                let state = a.arrived ? "arrived" : "missing"
                s += "<g class=\"\(a.arrived ? "p-ok" : "p-miss")\" data-parts=\"\(a.index + 1)-\(b.index + 1)\" data-state=\"\(state)\">"
                s += "<title>Parts \(a.index + 1)–\(b.index + 1): bytes \(a.start)–\(b.start + b.length - 1), \(state)</title>"
                s += "<rect x=\"\(fmt(Double(i) * cell))\" y=\"0\" width=\"\(fmt(Double(j - i + 1) * cell))\" height=\"\(Int(height))\"></rect></g>"
                i = j + 1
            }
        }
        return s + "</svg>"
    }

    static func fmt(_ x: Double) -> String {
        let r = (x * 100).rounded() / 100
        return r == r.rounded() ? String(Int(r)) : String(r)
    }

    static func uploadsSection(_ p: VaultPage) -> String {
        var s = "<section class=\"panel\" id=\"uploads\"><h2>Multipart uploads in progress <span class=\"muted\">\(p.uploadCount)</span></h2>"
        if p.uploads.isEmpty {
            s += "<p class=\"empty\">No multipart upload in progress.</p>"
        }
        for u in p.uploads {
            let map = partsMap(partSize: u.upload.partSize, parts: u.parts)
            let received = u.parts.reduce(Int64(0)) { $0 + $1.length }
            s += "<article class=\"upload\" data-upload=\"\(e(u.upload.id))\">"
            s += "<div class=\"upload-head\"><div>\(DashboardFormat.shortID(u.upload.id, keep: 12))"
            s += " <span class=\"desc\">\(u.upload.description.map { e($0) } ?? "<span class=\"muted\">no description</span>")</span></div>"
            s += "<div class=\"muted\">part size \(DashboardFormat.bytes(u.upload.partSize)) · started \(DashboardFormat.relative(u.upload.creationDate, now: p.now))</div></div>"
            s += partsMapSVG(map, uploadID: u.upload.id)
            s += "<p class=\"legend\"><span class=\"key ok\"></span><span class=\"parts-arrived\">\(map.arrived)</span> arrived (\(DashboardFormat.bytes(received)))"
            s += " <span class=\"key miss\"></span><span class=\"parts-missing\">\(map.missing)</span> missing"
            s += map.slots.isEmpty ? "" : " <span class=\"muted\">· bytes 0–\(map.end - 1) known; the archive's size is known only at completion</span>"
            s += "</p>"
            let missing = map.slots.filter { !$0.arrived }
            if !missing.isEmpty {
                let shown = missing.prefix(20).map { "\($0.index + 1) (bytes \($0.start)–\($0.start + $0.length - 1))" }
                s += "<p class=\"missing-list\">Missing parts: \(shown.joined(separator: ", "))\(missing.count > 20 ? ", and \(missing.count - 20) more" : "")</p>"
            }
            if !u.parts.isEmpty {
                s += "<details><summary>\(u.parts.count) part(s) received</summary><table class=\"grid compact\"><thead><tr><th class=\"num\">Part</th><th>Range</th><th class=\"num\">Size</th><th>Tree hash</th></tr></thead><tbody>"
                for part in u.parts.prefix(200) {
                    s += "<tr><td class=\"num\">\(part.rangeStart / max(u.upload.partSize, 1) + 1)</td><td><code>\(part.rangeStart)–\(part.rangeStart + part.length - 1)</code></td><td class=\"num\">\(DashboardFormat.size(part.length))</td><td>\(DashboardFormat.shortID(part.treeHash, keep: 8))</td></tr>"
                }
                s += "</tbody></table>\(u.parts.count > 200 ? "<p class=\"muted\">The first 200 are listed.</p>" : "")</details>"
            }
            s += "</article>"
        }
        if p.uploadCount > p.uploads.count {
            s += "<p class=\"muted\">The \(p.uploads.count) oldest of \(p.uploadCount) are shown.</p>"
        }
        return s + "</section>"
    }

    static func jobsSection(_ p: VaultPage) -> String {
        let key = p.vault.vault.key
        var s = "<section class=\"panel\" id=\"jobs\"><h2>Jobs <span class=\"muted\">\(p.jobs.count)</span></h2>"
        guard !p.jobs.isEmpty else { return s + "<p class=\"empty\">No jobs (expired ones are gone).</p></section>" }
        s += "<table class=\"grid\" id=\"job-table\"><thead><tr><th>Job ID</th><th>Type</th><th>Tier</th><th>Status</th><th>Created</th><th>Completes / completed</th><th>Output expires</th><th class=\"num\">Output</th><th></th></tr></thead><tbody>"
        for j in p.jobs.reversed() {
            let type = j.action == "InventoryRetrieval" ? "Inventory" : "Archive retrieval"
            let status: String
            switch j.statusCode {
            case "Succeeded": status = "<span class=\"badge ok\">Succeeded</span>"
            case "Failed": status = "<span class=\"badge bad\">Failed</span>"
            default: status = "<span class=\"badge run\">InProgress</span>"
            }
            s += "<tr data-job=\"\(e(j.id))\" data-status=\"\(e(j.statusCode))\"><td>\(DashboardFormat.shortID(j.id))\(j.description.map { "<div class=\"desc small\">\(e($0))</div>" } ?? "")</td>"
            s += "<td>\(type)\(j.archiveID.map { "<div class=\"small\">archive \(DashboardFormat.shortID($0, keep: 6))</div>" } ?? "")\(j.retrievalByteRange.map { "<div class=\"small muted\">bytes \(e($0))</div>" } ?? "")</td>"
            s += "<td>\(e(j.tier ?? "Standard"))</td><td>\(status)</td><td>\(DashboardFormat.time(j.creationDate, now: p.now))</td>"
            s += "<td>\(j.completedAt.map { DashboardFormat.time($0, now: p.now) } ?? "due \(DashboardFormat.time(j.completesAt, now: p.now))")</td>"
            s += "<td>\(j.expiresAt.map { DashboardFormat.time($0, now: p.now) } ?? "<span class=\"muted\">—</span>")</td>"
            s += "<td class=\"num\">\(j.outputSize.map(DashboardFormat.size) ?? "<span class=\"muted\">—</span>")</td>"
            if j.completed && j.statusCode == "Succeeded" {
                let href = HTML.link(base + "/job-output", [("account", key.accountID), ("region", key.region), ("vault", key.name), ("job", j.id)])
                s += "<td><a class=\"btn small\" href=\"\(href)\" download>Download</a></td>"
            } else {
                s += "<td></td>"
            }
            s += "</tr>"
        }
        return s + "</tbody></table></section>"
    }

    static func configurationSection(_ c: GlacierService.VaultConfiguration, now: Milliseconds) -> String {
        var s = "<section class=\"panel\" id=\"configuration\"><h2>Configuration</h2><div class=\"columns\">"
        s += "<div><h3>Tags</h3>"
        if c.tags.isEmpty {
            s += "<p class=\"empty\">No tags.</p>"
        } else {
            s += "<table class=\"grid compact\" id=\"tags\"><thead><tr><th>Key</th><th>Value</th></tr></thead><tbody>"
            for t in c.tags { s += "<tr><td>\(e(t.key))</td><td>\(e(t.value))</td></tr>" }
            s += "</tbody></table>"
        }
        s += "<h3>Notifications</h3>"
        if let topic = c.notificationTopic {
            s += "<dl class=\"facts\" id=\"notification-config\"><dt>SNS topic</dt><dd><code>\(e(topic))</code></dd><dt>Events</dt><dd>\(e(c.notificationEvents.joined(separator: ", ")))</dd></dl>"
        } else {
            s += "<p class=\"empty\">No notification configuration.</p>"
        }
        s += "</div><div><h3>Access policy</h3>"
        s += c.accessPolicy.map { "<pre class=\"policy\" id=\"access-policy\">\(e(prettyJSON($0)))</pre>" } ?? "<p class=\"empty\">No access policy.</p>"
        s += "<h3>Vault lock</h3>"
        if let lock = c.lock {
            s += "<p><span class=\"badge \(lock.state == "Locked" ? "bad" : "run")\">\(e(lock.state))</span> since \(DashboardFormat.time(lock.creationDate, now: now))"
            s += lock.expirationDate.map { " · expires \(DashboardFormat.time($0, now: now)) unless completed" } ?? ""
            s += "</p><pre class=\"policy\" id=\"lock-policy\">\(e(prettyJSON(lock.policy)))</pre>"
        } else {
            s += "<p class=\"empty\">No vault lock.</p>"
        }
        return s + "</div></div></section>"
    }

    /// A policy as stored, indented for reading (it was checked to be a JSON object when set).
    static func prettyJSON(_ text: String) -> String {
        guard let value = JSONInput.parse(text), value is [String: Any] || value is [Any],
            let data = try? JSONSerialization.data(withJSONObject: value, options: [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes])
        else { return text }
        return String(decoding: data, as: UTF8.self)
    }

    static func notFound(what: String, now: Milliseconds, offsetSeconds: Int64) -> String {
        shell(title: "Not found", section: .overview, now: now, offsetSeconds: offsetSeconds, body: """
            <p class="crumbs"><a href="\(base)">Overview</a></p>
            <h1>Not found</h1>
            <p class="empty">\(e(what))</p>
            """)
    }

    // MARK: Requests

    struct RequestsPage {
        var entries: [RequestJournal.Entry]
        var more: Bool
        var operation: OperationName?
        var vault: String?
        var status: String?
        var before: Int64?
        var capacity: Int
        var dropped: Int64
        var now: Milliseconds
        var offsetSeconds: Int64
        static let pageSize = 50
    }

    static let statusFilters: [(String, String)] = [
        ("", "any status"), ("error", "errors (4xx, 5xx)"), ("ok", "successes (2xx)"), ("4xx", "4xx"), ("5xx", "5xx"),
    ]

    static func requests(_ r: RequestsPage) -> String {
        var body = "<h1>Requests</h1><p class=\"muted\">The request journal: the last \(DashboardFormat.count(r.capacity)) Glacier requests the server answered, newest first\(r.dropped > 0 ? " (\(DashboardFormat.count(r.dropped)) older ones dropped)" : ""). Admin and dashboard requests are not recorded.</p>"
        body += "<form class=\"filters\" method=\"get\" action=\"\(base)/requests\" id=\"request-filters\">"
        body += "<label>Operation <select name=\"operation\" id=\"filter-operation\"><option value=\"\">any</option>"
        for op in OperationName.allCases.map(\.rawValue).sorted() {
            body += "<option value=\"\(op)\"\(r.operation?.rawValue == op ? " selected" : "")>\(op)</option>"
        }
        body += "</select></label>"
        body += "<label>Vault <input type=\"text\" name=\"vault\" id=\"filter-vault\" value=\"\(e(r.vault ?? ""))\" placeholder=\"any\"></label>"
        body += "<label>Status <select name=\"status\" id=\"filter-status\">"
        for (value, label) in statusFilters {
            body += "<option value=\"\(value)\"\((r.status ?? "") == value ? " selected" : "")>\(label)</option>"
        }
        body += "</select></label><button type=\"submit\" class=\"btn\">Filter</button>"
        if r.operation != nil || r.vault != nil || r.status != nil { body += " <a href=\"\(base)/requests\">clear</a>" }
        body += "</form>"
        if r.entries.isEmpty {
            body += "<section class=\"panel\"><p class=\"empty\">No requests\(r.operation != nil || r.vault != nil || r.status != nil ? " match" : " recorded yet").</p></section>"
        } else {
            let several = Set(r.entries.map { "\($0.accountID ?? "") \($0.region ?? "")" }).count > 1
            body += "<section class=\"panel\"><table class=\"grid\" id=\"request-table\"><thead><tr><th class=\"num\">#</th><th>Time</th><th>Operation</th><th>Vault</th>"
            if several { body += "<th>Account</th><th>Region</th>" }
            body += "<th>Status</th><th>Error</th><th>Request ID</th></tr></thead><tbody>"
            for entry in r.entries {
                let error = entry.status >= 400
                body += "<tr class=\"\(error ? "err" : "")\" data-seq=\"\(entry.sequence)\" data-status=\"\(entry.status)\">"
                body += "<td class=\"num muted\">\(entry.sequence)</td><td>\(DashboardFormat.time(entry.time, now: r.now))</td>"
                body += "<td>\(entry.operation.map { "<strong>\($0.rawValue)</strong>" } ?? "<span class=\"muted\">\(e(entry.method)) \(e(entry.path))</span>")</td>"
                if let name = entry.vaultName, let account = entry.accountID, let region = entry.region {
                    body += "<td><a href=\"\(vaultLink(VaultKey(accountID: account, region: region, name: name)))\">\(e(name))</a></td>"
                } else {
                    body += "<td>\(entry.vaultName.map { e($0) } ?? "")</td>"
                }
                if several { body += "<td><code>\(e(entry.accountID ?? "?"))</code></td><td>\(e(entry.region ?? "?"))</td>" }
                body += "<td><span class=\"badge \(error ? (entry.status >= 500 ? "bad" : "warn") : "ok")\">\(entry.status)</span></td>"
                body += "<td>\(entry.errorCode.map { "<strong class=\"code\">\(e($0))</strong>" } ?? "")\(entry.errorMessage.map { "<div class=\"message\">\(e($0))</div>" } ?? "")</td>"
                body += "<td>\(DashboardFormat.shortID(entry.requestID, keep: 6))</td></tr>"
            }
            body += "</tbody></table>"
            if r.more || r.before != nil {
                body += "<nav class=\"pager\">"
                if r.before != nil {
                    body += "<a href=\"\(HTML.link(base + "/requests", [("operation", r.operation?.rawValue), ("vault", r.vault), ("status", r.status)]))\">« Newest</a>"
                }
                if r.more, let last = r.entries.last {
                    body += "<a id=\"older\" href=\"\(HTML.link(base + "/requests", [("operation", r.operation?.rawValue), ("vault", r.vault), ("status", r.status), ("before", String(last.sequence))]))\">Older ›</a>"
                }
                body += "</nav>"
            }
            body += "</section>"
        }
        return shell(title: "Requests", section: .requests, now: r.now, offsetSeconds: r.offsetSeconds, body: body)
    }

    /// Whether an entry passes the status filter (`error`, `ok`, `4xx`, `5xx` or a status).
    static func statusMatches(_ filter: String?, _ status: Int) -> Bool {
        switch filter {
        case nil, "": return true
        case "error": return status >= 400
        case "ok": return status < 400
        case "4xx": return (400..<500).contains(status)
        case "5xx": return status >= 500
        case let code?: return Int(code) == status
        }
    }

    // MARK: Faults and notifications

    struct FaultsPage {
        var faults: [FaultInjector.Rule]
        /// The newest, newest first.
        var notifications: [MetadataStore.NotificationRow]
        var notificationCount: Int
        var now: Milliseconds
        var offsetSeconds: Int64
    }

    static func faults(_ f: FaultsPage) -> String {
        var body = "<h1>Faults &amp; notifications</h1>"
        body += "<section class=\"panel\" id=\"faults\"><h2>Armed faults <span class=\"muted\">\(f.faults.count)</span></h2>"
        if f.faults.isEmpty {
            body += "<p class=\"empty\">No fault is armed: every request is served normally.</p>"
        } else {
            body += "<table class=\"grid\" id=\"fault-table\"><thead><tr><th>Operation</th><th>Vault</th><th>Error</th><th class=\"num\">Delay</th><th class=\"num\">Remaining</th><th>Message</th></tr></thead><tbody>"
            for rule in f.faults {
                body += "<tr><td><strong>\(e(rule.operation?.rawValue ?? "*"))</strong></td><td>\(rule.vaultName.map { e($0) } ?? "<span class=\"muted\">any</span>")</td>"
                body += "<td>\(rule.code.map { "<span class=\"code\">\($0.rawValue)</span> <span class=\"muted\">(\($0.status))</span>" } ?? "<span class=\"muted\">none (delay only)</span>")</td>"
                body += "<td class=\"num\">\(rule.delayMilliseconds > 0 ? "\(rule.delayMilliseconds) ms" : "—")</td><td class=\"num\">\(rule.remaining)</td>"
                body += "<td class=\"message\">\(e(rule.message))</td></tr>"
            }
            body += "</tbody></table>"
            body += actionForm(endpoint: "/_mock/faults", method: "DELETE", label: "Disarm all faults", confirm: "Disarm every armed fault?", danger: true, id: "clear-faults")
        }
        var armFields = "<label>Operation <select name=\"Operation\" data-json=\"Operation\"><option value=\"*\">* (every operation)</option>"
        for op in OperationName.allCases.map(\.rawValue).sorted() { armFields += "<option value=\"\(op)\">\(op)</option>" }
        armFields += "</select></label><label>Error <select name=\"Code\" data-json=\"Code\"><option value=\"\">none (delay only)</option>"
        for code in FaultInjector.armableCodes {
            armFields += "<option value=\"\(code.rawValue)\"\(code == .throttling ? " selected" : "")>\(code.rawValue) (\(code.status))</option>"
        }
        armFields += "</select></label>"
        armFields += "<label>Delay (ms) <input type=\"number\" name=\"DelayMilliseconds\" data-json=\"DelayMilliseconds\" data-type=\"int\" min=\"0\" max=\"\(FaultInjector.maxDelayMilliseconds)\" value=\"0\" class=\"narrow\"></label>"
        armFields += "<label>Count <input type=\"number\" name=\"Count\" data-json=\"Count\" data-type=\"int\" min=\"1\" max=\"\(FaultInjector.maxCount)\" value=\"1\" class=\"narrow\"></label>"
        armFields += "<label>Vault <input type=\"text\" name=\"VaultName\" data-json=\"VaultName\" placeholder=\"any\"></label>"
        armFields += "<label>Message <input type=\"text\" name=\"Message\" data-json=\"Message\" placeholder=\"default\"></label>"
        body += "<h3>Arm a fault</h3><p class=\"muted\">The next matching requests get this error (and/or wait this long) instead of being served.</p>"
        body += actionForm(endpoint: "/_mock/faults", label: "Arm fault", id: "arm-fault", fields: armFields)
        body += "</section>"
        body += "<section class=\"panel\" id=\"notifications\"><h2>Notifications <span class=\"muted\">\(f.notificationCount)</span></h2>"
        if f.notifications.isEmpty {
            body += "<p class=\"empty\">No job-completion notification has been sent. A job sends one when it has an SNS topic, or its vault has a notification configuration for its event.</p>"
        } else {
            body += "<table class=\"grid\" id=\"notification-table\"><thead><tr><th class=\"num\">#</th><th>Sent</th><th>Topic</th><th>Delivery</th><th>Message</th></tr></thead><tbody>"
            for n in f.notifications {
                let delivered = n.delivery == "published" ? "ok" : n.delivery.hasPrefix("failed") ? "bad" : "run"
                body += "<tr><td class=\"num muted\">\(n.seq)</td><td>\(DashboardFormat.time(n.created, now: f.now))</td><td><code>\(e(n.topic))</code></td>"
                body += "<td><span class=\"badge \(delivered)\">\(e(n.delivery))</span></td>"
                body += "<td><details><summary>\(e(summary(ofNotification: n.message)))</summary><pre class=\"policy\">\(e(prettyJSON(n.message)))</pre></details></td></tr>"
            }
            body += "</tbody></table>"
        }
        if f.notificationCount > f.notifications.count {
            body += "<p class=\"muted\">The newest \(f.notifications.count) of \(DashboardFormat.count(f.notificationCount)) are shown; <code>GET /_mock/notifications</code> lists them all.</p>"
        }
        body += "</section>"
        return shell(title: "Faults & notifications", section: .faults, now: f.now, offsetSeconds: f.offsetSeconds, body: body)
    }

    /// `InventoryRetrieval Succeeded` from a notification's JSON message.
    static func summary(ofNotification message: String) -> String {
        guard let object = JSONInput.parse(message) as? [String: Any] else { return "message" }
        return [object["Action"] as? String, object["StatusCode"] as? String].compactMap { $0 }.joined(separator: " ")
    }
}

