import Foundation
import GlacierDomain
@testable import GlacierHTTP
@testable import GlacierStorage
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import Logging
import NIOCore
import Testing
import TreeHash

/// The dashboard (`/_mock/ui`): escaping, the parts map, the pages' content, and that reading
/// a page changes nothing.
@Suite struct DashboardRenderingTests {
    @Test func escapeCoversMarkupAndAttributeCharacters() {
        #expect(HTML.escape("<script>alert('x')</script> & \"q\"") == "&lt;script&gt;alert(&#39;x&#39;)&lt;/script&gt; &amp; &quot;q&quot;")
        #expect(HTML.escape("plain é ✓") == "plain é ✓")
        #expect(HTML.queryValue("a b&c=d/é") == "a%20b%26c%3Dd%2F%C3%A9")
        #expect(HTML.link("/x", [("a", "1&2"), ("b", nil), ("c", "<")]) == "/x?a=1%262&amp;c=%3C")
    }

    @Test func partsMapMarksArrivedAndMissingParts() {
        let mib: Int64 = 1 << 20
        func part(_ start: Int64, _ length: Int64) -> PartRow {
            PartRow(uploadID: "u", rangeStart: start, length: length, treeHash: "h", blobID: "b")
        }
        // Parts 1, 3 and 5 (the last one short); 2 and 4 missing.
        let map = DashboardPages.partsMap(partSize: mib, parts: [part(4 * mib, 100), part(0, mib), part(2 * mib, mib)])
        #expect(map.slots.map(\.arrived) == [true, false, true, false, true])
        #expect(map.slots.map(\.start) == [0, mib, 2 * mib, 3 * mib, 4 * mib])
        #expect(map.slots.last?.length == 100)
        #expect(map.arrived == 3 && map.missing == 2)
        #expect(map.end == 4 * mib + 100)
        let svg = DashboardPages.partsMapSVG(map, uploadID: "u<1>")
        #expect(svg.components(separatedBy: "data-state=\"arrived\"").count - 1 == 3)
        #expect(svg.components(separatedBy: "data-state=\"missing\"").count - 1 == 2)
        #expect(svg.contains("data-part=\"2\" data-state=\"missing\""))
        #expect(svg.contains("Part 5: bytes 4194304–4194403 (100 B), arrived"))
        #expect(svg.contains("data-upload=\"u&lt;1&gt;\""))
        #expect(DashboardPages.partsMap(partSize: mib, parts: []).slots.isEmpty)
    }

    @Test func partsMapMergesRunsOfManyParts() {
        let parts = (0..<300).filter { $0 != 150 }.map {
            PartRow(uploadID: "u", rangeStart: Int64($0) << 20, length: 1 << 20, treeHash: "h", blobID: "b")
        }
        let map = DashboardPages.partsMap(partSize: 1 << 20, parts: parts)
        #expect(map.slots.count == 300 && map.missing == 1)
        let svg = DashboardPages.partsMapSVG(map, uploadID: "u")
        #expect(svg.contains("data-parts=\"1-150\" data-state=\"arrived\""))
        #expect(svg.contains("data-parts=\"151-151\" data-state=\"missing\""))
        #expect(svg.contains("data-parts=\"152-300\" data-state=\"arrived\""))
    }

    @Test func formats() {
        #expect(DashboardFormat.bytes(1023) == "1023 B")
        #expect(DashboardFormat.bytes(1536) == "1.5 KiB")
        #expect(DashboardFormat.bytes(5 << 20) == "5 MiB")
        #expect(DashboardFormat.count(1_234_567) == "1,234,567")
        #expect(DashboardFormat.date(0) == "1970-01-01 00:00:00 UTC")
        #expect(DashboardFormat.relative(10_000, now: 0) == "in 10 s")
        #expect(DashboardFormat.relative(0, now: 7_200_000) == "2 h ago")
        #expect(DashboardPages.statusMatches("error", 404) && !DashboardPages.statusMatches("error", 200))
        #expect(DashboardPages.statusMatches("5xx", 503) && !DashboardPages.statusMatches("4xx", 503))
    }

    @Test func faultsPageShowsTheNewestNotificationsAndEscapesThem() {
        let rows = (1...3).reversed().map {
            MetadataStore.NotificationRow(
                seq: Int64($0), topic: "arn:aws:sns:us-east-1:123456789012:<t\($0)>",
                message: "{\"Action\":\"ArchiveRetrieval\",\"StatusCode\":\"Succeeded\",\"JobDescription\":\"<b>x</b>\"}",
                created: 0, delivery: "recorded")
        }
        let page = DashboardPages.faults(.init(faults: [], notifications: rows, notificationCount: 250, now: 0, offsetSeconds: 0))
        #expect(page.contains("<h2>Notifications <span class=\"muted\">250</span></h2>"))
        #expect(page.contains("The newest 3 of 250 are shown"))
        #expect(page.contains("<code>arn:aws:sns:us-east-1:123456789012:&lt;t3&gt;</code>"))
        #expect(!page.contains("<b>x</b>") && page.contains("&lt;b&gt;x&lt;/b&gt;"))
        // Newest first.
        let t3 = page.range(of: "&lt;t3&gt;")!.lowerBound
        let t1 = page.range(of: "&lt;t1&gt;")!.lowerBound
        #expect(t3 < t1)
    }

    @Test func journalPagesNewestFirstWithoutCopyingTheRing() {
        let journal = RequestJournal(capacity: 5)
        for i in 0..<8 {
            journal.record(RequestJournal.Entry(
                time: Int64(i), requestID: "r\(i)", method: "GET", path: "/", operation: .listVaults, accountID: nil, region: nil,
                vaultName: i % 2 == 0 ? "even" : "odd", status: i == 7 ? 404 : 200, errorCode: i == 7 ? "ResourceNotFoundException" : nil,
                errorMessage: i == 7 ? "gone" : nil))
        }
        // Sequences 4...8 are held (1...3 dropped); newest first.
        let first = journal.newest(before: nil, limit: 2) { _ in true }
        #expect(first.entries.map(\.sequence) == [8, 7] && first.more)
        #expect(first.entries[0].errorMessage == "gone")
        let next = journal.newest(before: 7, limit: 2) { _ in true }
        #expect(next.entries.map(\.sequence) == [6, 5] && next.more)
        let last = journal.newest(before: 5, limit: 2) { _ in true }
        #expect(last.entries.map(\.sequence) == [4] && !last.more)
        #expect(journal.newest(before: nil, limit: 10) { $0.vaultName == "odd" }.entries.map(\.sequence) == [8, 6, 4])
        #expect(journal.lastSequence == 8)
    }
}

@Suite struct DashboardHTTPTests {
    static let hostile = "<script>window.pwned=1</script><img src=x onerror=alert(1)>"

    func html(_ client: any TestClientProtocol, _ uri: String, status: Int = 200, sourceLocation: SourceLocation = #_sourceLocation) async throws -> String {
        try await client.execute(uri: uri, method: .get, headers: [.accept: "text/html"]) { r in
            #expect(r.status.code == status, "\(uri): \(text(r))", sourceLocation: sourceLocation)
            #expect(r.headers[.contentType] == "text/html; charset=utf-8", sourceLocation: sourceLocation)
            #expect(r.headers[.contentSecurityPolicy] == Dashboard.contentSecurityPolicy, sourceLocation: sourceLocation)
            return text(r)
        }
    }

    /// Every `<script` in a page: only the dashboard's own file.
    func scripts(_ page: String) -> [String] {
        page.components(separatedBy: "<script").dropFirst().map { String($0.prefix(60)) }
    }

    @Test func hostileDescriptionIsEscapedOnEveryPage() async throws {
        try await withServer { client in
            try await client.execute(uri: "/-/vaults/v1", method: .put) { #expect($0.status.code == 201) }
            let body = Array("hello".utf8)
            try await client.execute(
                uri: "/-/vaults/v1/archives", method: .post,
                headers: [.archiveDescription: Self.hostile, .treeHash: TreeHash.of(body).hex, .contentSHA256: SHA256Hasher.hash(body).hex],
                body: ByteBuffer(bytes: body)
            ) { #expect($0.status.code == 201, "\(text($0))") }
            try await client.execute(
                uri: "/-/vaults/v1/multipart-uploads", method: .post, headers: [.partSize: "1048576", .archiveDescription: Self.hostile]
            ) { #expect($0.status.code == 201) }
            let page = try await html(client, "/_mock/ui/vault?account=123456789012&region=us-east-1&name=v1")
            #expect(!page.contains(Self.hostile))
            #expect(!page.contains("<img src=x"))
            #expect(page.contains("&lt;script&gt;window.pwned=1&lt;/script&gt;&lt;img src=x onerror=alert(1)&gt;"))
            #expect(scripts(page).count == 1)
            #expect(scripts(page).first?.hasPrefix(" src=\"/_mock/ui/app.js\" defer></script>") == true)
            // The part-size upload shows with an empty parts map.
            #expect(page.contains("No part has arrived yet."))
            for uri in ["/_mock/ui", "/_mock/ui/requests", "/_mock/ui/faults"] {
                let other = try await html(client, uri)
                #expect(!other.contains("<script>"), "\(uri)")
                #expect(scripts(other).count == 1, "\(uri)")
            }
        }
    }

    @Test func overviewListsVaultsWithCountsTotalsAndOptions() async throws {
        var options = ServerOptions()
        options.temporaryDataDirectory = true
        try await withServer(options: options) { client in
            for name in ["alpha", "beta"] {
                try await client.execute(uri: "/-/vaults/\(name)", method: .put) { #expect($0.status.code == 201) }
            }
            for _ in 0..<3 {
                let body = Array(repeating: UInt8(7), count: 2048)
                try await client.execute(
                    uri: "/-/vaults/beta/archives", method: .post,
                    headers: [.treeHash: TreeHash.of(body).hex, .contentSHA256: SHA256Hasher.hash(body).hex], body: ByteBuffer(bytes: body)
                ) { #expect($0.status.code == 201) }
            }
            let page = try await html(client, "/_mock/ui")
            #expect(page.contains("href=\"/_mock/ui/vault?account=123456789012&amp;region=us-east-1&amp;name=beta\">beta</a>"))
            #expect(page.contains("<div class=\"value\" id=\"total-vaults\">2</div>"))
            #expect(page.contains("<div class=\"value\" id=\"total-archives\">3</div>"))
            #expect(page.contains("6 KiB"))
            #expect(page.contains("<dd id=\"opt-job-delay\">none"))
            #expect(page.contains("<dd id=\"opt-auth\">none"))
            #expect(page.contains("<dd id=\"opt-data-dir\">temporary"))
            #expect(page.contains("<dd id=\"version\">\(glacierMockVersion)</dd>"))
            // One account and region: no Account column.
            #expect(!page.contains("<th>Account</th>"))
            // A second region: each row names its account and region.
            try await client.execute(uri: "/-/vaults/gamma", method: .put, headers: sigV4(region: "eu-west-1")) { #expect($0.status.code == 201) }
            let several = try await html(client, "/_mock/ui")
            #expect(several.contains("<th>Account</th><th>Region</th>"))
            #expect(several.contains("<td>eu-west-1</td>"))
        }
    }

    @Test func vaultPagePagesAndSortsArchives() async throws {
        try await withServer { client in
            try await client.execute(uri: "/-/vaults/big", method: .put) { #expect($0.status.code == 201) }
            // 55 archives of 1...55 bytes: two pages of 50.
            for n in 1...55 {
                let body = Array(repeating: UInt8(n), count: n)
                try await client.execute(
                    uri: "/-/vaults/big/archives", method: .post,
                    headers: [.archiveDescription: "a\(n)", .treeHash: TreeHash.of(body).hex, .contentSHA256: SHA256Hasher.hash(body).hex],
                    body: ByteBuffer(bytes: body)
                ) { #expect($0.status.code == 201) }
            }
            let base = "/_mock/ui/vault?account=123456789012&region=us-east-1&name=big"
            func descriptions(_ page: String) -> [String] {
                page.components(separatedBy: "<td class=\"desc\">").dropFirst().map { String($0.prefix { $0 != "<" }) }
            }
            let bySizeDesc = try await html(client, base + "&sort=size&dir=desc")
            #expect(Array(descriptions(bySizeDesc).prefix(3)) == ["a55", "a54", "a53"])
            #expect(descriptions(bySizeDesc).count == 50)
            #expect(bySizeDesc.contains("Page 1 of 2"))
            let second = try await html(client, base + "&sort=size&dir=desc&page=2")
            #expect(descriptions(second) == ["a5", "a4", "a3", "a2", "a1"])
            let bySizeAsc = try await html(client, base + "&sort=size&dir=asc")
            #expect(Array(descriptions(bySizeAsc).prefix(2)) == ["a1", "a2"])
            // Past the last page: the last page.
            #expect(descriptions(try await html(client, base + "&sort=size&dir=desc&page=99")) == ["a5", "a4", "a3", "a2", "a1"])
            // By date, newest first (equal dates keep upload order, reversed).
            let byDate = try await html(client, base)
            #expect(descriptions(byDate).first == "a55")
        }
    }

    @Test func requestsPageShowsErrorsWithCodeAndMessageAndFilters() async throws {
        try await withServer { client in
            try await client.execute(uri: "/-/vaults/nope", method: .get) { #expect($0.status.code == 404) }
            try await client.execute(uri: "/-/vaults/yes", method: .put) { #expect($0.status.code == 201) }
            let page = try await html(client, "/_mock/ui/requests")
            #expect(page.contains("<strong class=\"code\">ResourceNotFoundException</strong>"))
            #expect(page.contains("<div class=\"message\">Vault not found for ARN: arn:aws:glacier:us-east-1:123456789012:vaults/nope</div>"))
            // Newest first.
            let create = try #require(page.range(of: "<strong>CreateVault</strong>"))
            let describe = try #require(page.range(of: "<strong>DescribeVault</strong>"))
            #expect(create.lowerBound < describe.lowerBound)
            let errors = try await html(client, "/_mock/ui/requests?status=error")
            #expect(errors.contains("DescribeVault") && !errors.contains("<strong>CreateVault</strong>"))
            let byVault = try await html(client, "/_mock/ui/requests?vault=yes")
            #expect(byVault.contains("<strong>CreateVault</strong>") && !byVault.contains("<strong>DescribeVault</strong>"))
            let byOperation = try await html(client, "/_mock/ui/requests?operation=DescribeVault")
            #expect(byOperation.contains("<strong>DescribeVault</strong>") && !byOperation.contains("<strong>CreateVault</strong>"))
        }
    }

    @Test func readingPagesChangesNothing() async throws {
        try await withServer { client in
            try await client.execute(uri: "/-/vaults/v", method: .put) { #expect($0.status.code == 201) }
            func state() async throws -> [String: Any] {
                try await client.execute(uri: "/_mock/ui/state", method: .get) { try json($0) }
            }
            let before = try await state()
            for uri in ["/_mock/ui", "/_mock/ui/vault?account=123456789012&region=us-east-1&name=v", "/_mock/ui/requests", "/_mock/ui/faults"] {
                _ = try await html(client, uri)
            }
            let after = try await state()
            #expect(before["Changes"] as? Int == after["Changes"] as? Int)
            #expect(before["LastRequest"] as? Int == after["LastRequest"] as? Int)
            // A Glacier write moves Changes; a request moves LastRequest.
            try await client.execute(uri: "/-/vaults/w", method: .put) { #expect($0.status.code == 201) }
            let moved = try await state()
            #expect((moved["Changes"] as? Int ?? 0) > (after["Changes"] as? Int ?? 0))
            #expect((moved["LastRequest"] as? Int ?? 0) == (after["LastRequest"] as? Int ?? 0) + 1)
            // Only GET: a POST to a page is refused and does nothing.
            try await client.execute(uri: "/_mock/ui", method: .post) { r in
                _ = try expectError(r, 404, "UnknownOperationException", "Client", messageContains: "only read")
            }
        }
    }

    @Test func browserAtTheRootIsSentToTheDashboardButClientsAreNot() async throws {
        try await withServer { sdkLike in
            // A browser sends no x-amz-glacier-version.
            let client = GlacierTestClient(try #require(sdkLike as? GlacierTestClient).base, omitVersion: true)
            try await client.execute(uri: "/", method: .get, headers: [.accept: "text/html,application/xhtml+xml,*/*;q=0.8"]) { r in
                #expect(r.status.code == 303)
                #expect(r.headers[.location] == "/_mock/ui")
            }
            // curl (Accept: */*) and an SDK (signed, with the API version) get Glacier's error.
            try await client.execute(uri: "/", method: .get, headers: [.accept: "*/*"]) { r in
                _ = try expectError(r, 404, "UnknownOperationException", "Client")
            }
            var signed = sigV4(region: "us-east-1")
            signed[.accept] = "text/html"
            try await client.execute(uri: "/", method: .get, headers: signed) { r in
                _ = try expectError(r, 404, "UnknownOperationException", "Client")
            }
            try await sdkLike.execute(uri: "/", method: .get, headers: [.accept: "text/html"]) { r in
                _ = try expectError(r, 404, "UnknownOperationException", "Client")
            }
            // Not recorded in the journal: it is not a Glacier request.
            let journal = try await client.execute(uri: "/_mock/requests", method: .get) { try json($0) }
            #expect((journal["Requests"] as? [Any])?.count == 3)
        }
    }

    @Test func unknownVaultAndPageAreNotFoundPages() async throws {
        try await withServer { client in
            let page = try await html(client, "/_mock/ui/vault?account=123456789012&region=us-east-1&name=%3Cb%3E", status: 404)
            #expect(page.contains("No vault &lt;b&gt; in account 123456789012"))
            _ = try await html(client, "/_mock/ui/nothing", status: 404)
            try await client.execute(uri: "/_mock/ui/app.js", method: .get) { r in
                #expect(r.status.code == 200)
                #expect(r.headers[.contentType] == "text/javascript; charset=utf-8")
                #expect(text(r).contains("document.body.getAttribute('data-state')"))
            }
        }
    }

    /// The real server on a socket: job output goes out through sendfile, which only the
    /// server's channel pipeline does.
    func withLiveServer(_ test: @Sendable (any TestClientProtocol) async throws -> Void) async throws {
        let dir = try TempDirectory()
        defer { dir.remove() }
        let logger = Logger(label: "glacier-dashboard-tests")
        let service = try await GlacierService(dataDirectory: dir.path, logger: logger)
        var options = ServerOptions()
        options.port = 0
        let app = GlacierServer.application(service: service, options: options, logger: logger) { _, _ in }
        try await app.test(.live) { try await test(GlacierTestClient($0)) }
    }

    @Test func completedJobOutputDownloads() async throws {
        try await withLiveServer { client in
            try await client.execute(uri: "/-/vaults/j", method: .put) { #expect($0.status.code == 201) }
            let body = Array("job output bytes".utf8)
            let archiveID = try await client.execute(
                uri: "/-/vaults/j/archives", method: .post,
                headers: [.treeHash: TreeHash.of(body).hex, .contentSHA256: SHA256Hasher.hash(body).hex], body: ByteBuffer(bytes: body)
            ) { try #require($0.headers[.archiveID]) }
            let jobID = try await client.execute(
                uri: "/-/vaults/j/jobs", method: .post,
                body: ByteBuffer(string: "{\"Type\":\"archive-retrieval\",\"ArchiveId\":\"\(archiveID)\"}")
            ) { r in try #require(r.headers[HTTPField.Name("x-amz-job-id")!]) }
            let page = try await html(client, "/_mock/ui/vault?account=123456789012&region=us-east-1&name=j")
            let link = "/_mock/ui/job-output?account=123456789012&amp;region=us-east-1&amp;vault=j&amp;job=\(jobID)"
            #expect(page.contains("href=\"\(link)\" download>Download</a>"))
            try await client.execute(uri: link.replacingOccurrences(of: "&amp;", with: "&"), method: .get) { r in
                #expect(r.status.code == 200)
                #expect(r.headers[.contentDisposition] == "attachment; filename=\"job-\(jobID).bin\"")
                #expect(Array(r.body.readableBytesView) == body)
            }
        }
    }
}
