import Foundation
import GlacierDomain
import GlacierStorage
import Logging
import Testing
import TreeHash

/// ListMultipartUploads', ListJobs' and inventories' markers name the first item of the next
/// page; when that item has gone in between, the next page starts where it stood.
@Suite struct MarkerServiceTests {
    func makeService(_ dir: TempDirectory, _ options: ServiceOptions) async throws -> GlacierService {
        try await GlacierService(dataDirectory: dir.path, logger: Logger(label: "glacier-domain-tests"), options: options)
    }

    func json(_ text: String) -> [UInt8] { Array(text.utf8) }

    func uploadArchive(_ service: GlacierService, seed: Int) async throws -> String {
        let data = bytes(100 + seed, seed: seed)
        let headers = GlacierService.ArchiveHeaders(
            description: nil, treeHash: TreeHash.of(data).hex, contentSHA256: SHA256Hasher.hash(data).hex, contentLength: Int64(data.count))
        return try await service.uploadArchive(caller, vaultName: "v", headers: headers, body: body(data)).archive.id
    }

    /// A job's DescribeJob document, parsed.
    func document(_ service: GlacierService, _ jobID: String) async throws -> [String: Any] {
        let fields = try await service.describeJob(caller, vaultName: "v", jobID: jobID).fields
        return try JSONSerialization.jsonObject(with: Data(JSONWriter.write(.object(fields)).utf8)) as! [String: Any]
    }

    /// The archive IDs an inventory job listed, and the Marker it reported.
    func inventory(_ service: GlacierService, _ jobID: String) async throws -> (ids: [String], marker: String?) {
        let output = try await service.jobOutput(caller, vaultName: "v", jobID: jobID, range: nil)
        var text = Data()
        for piece in output.pieces {
            let file = try #require(FileHandle(forReadingAtPath: piece.path))
            try file.seek(toOffset: UInt64(piece.offset))
            text.append(try file.read(upToCount: Int(piece.length)) ?? Data())
            try file.close()
        }
        let doc = try JSONSerialization.jsonObject(with: text) as! [String: Any]
        let ids = (doc["ArchiveList"] as! [[String: Any]]).map { $0["ArchiveId"] as! String }
        let params = try await document(service, jobID)["InventoryRetrievalParameters"] as! [String: Any]
        return (ids, params["Marker"] as? String)
    }

    @Test func uploadsMarkerOfAnUploadCompletedOrAbortedSince() async throws {
        let dir = try TempDirectory()
        defer { dir.remove() }
        let service = try await makeService(dir, ServiceOptions())
        _ = try await service.createVault(caller, name: "v")
        var ids: [String] = []
        for _ in 0..<5 {
            ids.append(try await service.initiateMultipartUpload(caller, vaultName: "v", partSize: "1048576", description: nil).uploadID)
        }
        func page(_ marker: String?) async throws -> (ids: [String], marker: String?) {
            let p = try await service.listMultipartUploads(caller, vaultName: "v", marker: marker, limit: "2")
            return (p.uploads.map(\.id), p.marker)
        }
        let first = try await page(nil)
        #expect(first.ids == Array(ids[0..<2]) && first.marker == ids[2])
        try await service.abortMultipartUpload(caller, vaultName: "v", uploadID: ids[2])
        let second = try await page(first.marker)
        #expect(second.ids == Array(ids[3..<5]) && second.marker == nil)

        let data = bytes(1000)
        try await service.put("v", ids[3], first: 0, data)
        _ = try await service.completeMultipartUpload(
            caller, vaultName: "v", uploadID: ids[3], archiveSize: "1000", treeHash: TreeHash.of(data).hex)
        let again = try await page(ids[3])
        #expect(again.ids == [ids[4]] && again.marker == nil)
        // A marker this server never issued is still refused.
        await expectGlacierError(.invalidParameterValue, "Invalid marker") {
            try await service.listMultipartUploads(caller, vaultName: "v", marker: "bogus", limit: nil)
        }
    }

    /// j1, j2, j4 and j5 stay InProgress (Standard: an hour); j3 (Expedited) completes after
    /// a second, then expires two seconds later. Its marker keeps its place throughout: while
    /// the `statuscode=InProgress` listing no longer has it, once expired (hidden, not yet
    /// deleted — no ticker runs here) and once deleted.
    @Test func jobsMarkerOfAJobThatLeftTheListing() async throws {
        let dir = try TempDirectory()
        defer { dir.remove() }
        var options = ServiceOptions()
        options.jobDelay = [.standard: 3_600_000, .expedited: 1_000]
        options.jobExpiry = 2_000
        let service = try await makeService(dir, options)
        _ = try await service.createVault(caller, name: "v")
        let archive = try await uploadArchive(service, seed: 1)
        _ = try await service.takeInventories(vaultName: "v")  // an inventory job needs one
        func inventoryJob() async throws -> String {
            try await service.initiateJob(caller, vaultName: "v", body: json(#"{"Type":"inventory-retrieval"}"#)).jobID
        }
        var ids = [try await inventoryJob(), try await inventoryJob()]
        ids.append(try await service.initiateJob(
            caller, vaultName: "v", body: json(#"{"Type":"archive-retrieval","Tier":"Expedited","ArchiveId":""# + archive + #""}"#)).jobID)
        ids += [try await inventoryJob(), try await inventoryJob()]
        func page(_ marker: String?, status: String? = nil, limit: String = "2") async throws -> (ids: [String], marker: String?) {
            let p = try await service.listJobs(caller, vaultName: "v", completed: nil, statusCode: status, marker: marker, limit: limit)
            return (p.jobs.map(\.jobID), p.marker)
        }
        let inProgress = try await page(nil, status: "InProgress")
        #expect(inProgress.ids == Array(ids[0..<2]) && inProgress.marker == ids[2])
        #expect(try await page(nil).marker == ids[2])

        // j3 completes: no longer InProgress.
        let deadline = Date().addingTimeInterval(10)
        while try await document(service, ids[2])["Completed"] as? Bool != true {
            #expect(Date() < deadline, "the Expedited job did not complete")
            try await Task.sleep(nanoseconds: 50_000_000)
        }
        let rest = try await page(inProgress.marker, status: "InProgress")
        #expect(rest.ids == Array(ids[3..<5]) && rest.marker == nil)
        #expect(try await page(inProgress.marker).ids == Array(ids[2..<4]))

        // j3 expires: hidden from every read, but its row is still there.
        try await Task.sleep(nanoseconds: 2_300_000_000)
        await expectGlacierError(.resourceNotFound) { try await service.describeJob(caller, vaultName: "v", jobID: ids[2]) }
        let hidden = try await page(ids[2])
        #expect(hidden.ids == Array(ids[3..<5]) && hidden.marker == nil)

        // The ticker's work: j3 is deleted, and its place recorded.
        try await service.completeDueJobs()
        let deleted = try await page(ids[2], limit: "1")
        #expect(deleted.ids == [ids[3]] && deleted.marker == ids[4])
        #expect(try await page(ids[2], status: "InProgress").ids == Array(ids[3..<5]))
        #expect(try await page(nil).ids == [ids[0], ids[1]])
        await expectGlacierError(.invalidParameterValue, "Invalid marker") { try await page("no-such-job") }
    }

    @Test func inventoryMarkerOfAnArchiveDeletedSince() async throws {
        let dir = try TempDirectory()
        defer { dir.remove() }
        var options = ServiceOptions()
        options.jobDelay = [.standard: 3_600_000]  // inventories complete when forced
        let service = try await makeService(dir, options)
        _ = try await service.createVault(caller, name: "v")
        var ids: [String] = []
        for seed in 0..<5 { ids.append(try await uploadArchive(service, seed: seed)) }
        _ = try await service.takeInventories(vaultName: "v")
        func inventoryJob(marker: String?) async throws -> String {
            let params = marker.map { #","InventoryRetrievalParameters":{"Limit":"2","Marker":""# + $0 + #""}"# }
                ?? #","InventoryRetrievalParameters":{"Limit":"2"}"#
            return try await service.initiateJob(caller, vaultName: "v", body: json(#"{"Type":"inventory-retrieval""# + params + "}")).jobID
        }
        let first = try await inventoryJob(marker: nil)
        #expect(try await service.completeAllPendingJobs() == 1)
        let page1 = try await inventory(service, first)
        #expect(page1.ids == Array(ids[0..<2]) && page1.marker == ids[2])

        // The marker's archive deleted, and an inventory taken since, before the next
        // inventory job is initiated: the archive is in neither the vault nor its inventory.
        try await service.deleteArchive(caller, vaultName: "v", archiveID: ids[2])
        _ = try await service.takeInventories(vaultName: "v")
        let second = try await inventoryJob(marker: page1.marker)
        #expect(try await service.completeAllPendingJobs() == 1)
        let page2 = try await inventory(service, second)
        #expect(page2.ids == Array(ids[3..<5]) && page2.marker == nil)

        // A marker's archive deleted while its inventory job is in progress (this listed
        // nothing before: the place was looked up among live archives only).
        let third = try await inventoryJob(marker: ids[3])
        try await service.deleteArchive(caller, vaultName: "v", archiveID: ids[3])
        _ = try await service.takeInventories(vaultName: "v")
        #expect(try await service.completeAllPendingJobs() == 1)
        let page3 = try await inventory(service, third)
        #expect(page3.ids == [ids[4]] && page3.marker == nil)

        await expectGlacierError(.invalidParameterValue, "Invalid inventory Marker") { try await inventoryJob(marker: "no-such-archive") }
    }
}
