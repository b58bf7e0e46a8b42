import Foundation
@testable import GlacierDomain
import GlacierStorage
import Testing
import TreeHash

/// The inventory document writer: its bytes are what JSONWriter and Timestamp.iso8601 (the
/// formats of every other response) make of the same archives.
@Suite struct InventoryDocumentTests {
    /// An archive as the tests describe it; `InventoryItem` holds its bytes during one call.
    struct Archive {
        let id: String
        let description: String?
        let creationDate: Milliseconds
        let size: Int64
        let treeHash: String

        func withItem(_ body: (InventoryItem) throws -> Void) rethrows {
            let id = Array(self.id.utf8), hash = Array(treeHash.utf8), d = description.map { Array($0.utf8) }
            try id.withUnsafeBytes { id in
                try hash.withUnsafeBytes { hash in
                    if let d {
                        try d.withUnsafeBytes { d in
                            try body(InventoryItem(position: 0, id: id, description: d, creationDate: creationDate, size: size, treeHash: hash))
                        }
                    } else {
                        try body(InventoryItem(position: 0, id: id, description: nil, creationDate: creationDate, size: size, treeHash: hash))
                    }
                }
            }
        }
    }

    func written(csv: Bool, _ items: [Archive], date: Milliseconds) throws -> (text: String, treeHash: String, length: Int64) {
        let dir = try TempDirectory()
        defer { dir.remove() }
        let blobs = try BlobStore(dataDirectory: dir.path)
        let writer = try blobs.makeTemporary()
        let sink = InventorySink(writer: writer)
        sink.begin(csv: csv, vaultARN: "arn:aws:glacier:us-east-1:123456789012:vaults/v", inventoryDate: date)
        for item in items { try item.withItem { try sink.add($0, csv: csv) } }
        try sink.finish(csv: csv)
        let id = try blobs.publish(writer)
        var bytes: [UInt8] = []
        try blobs.read(id, offset: 0, length: sink.length) { bytes.append(contentsOf: $0) }
        #expect(sink.treeHash == TreeHash.of(bytes).hex)
        return (String(decoding: bytes, as: UTF8.self), sink.treeHash, sink.length)
    }

    let dates: [Milliseconds] = [0, 1, 999, 1_000, 86_399_999, 86_400_000, 951_782_400_000 /* 2000-02-29 */,
                                 1_709_164_799_123 /* 2024-02-28T23:59:59.123 */, 4_102_444_799_999, 1_780_000_000_007]

    func item(_ i: Int, description: String?) -> Archive {
        Archive(id: "ID-\(i)_" + String(repeating: "x", count: 130), description: description,
                      creationDate: dates[i % dates.count], size: Int64(i) * 1_000_003, treeHash: String(repeating: "ab", count: 32))
    }

    @Test func jsonIsWhatJSONWriterWrites() throws {
        let descriptions: [String?] = [nil, "", "plain", #"quote " and backslash \"#, String(repeating: "d", count: 1024)]
        let items = (0..<25).map { item($0, description: descriptions[$0 % descriptions.count]) }
        let date: Milliseconds = 1_780_000_123_456
        let expected = JSONWriter.object([
            ("VaultARN", .string("arn:aws:glacier:us-east-1:123456789012:vaults/v")),
            ("InventoryDate", .string(Timestamp.iso8601(date))),
            ("ArchiveList", .array(items.map { a in
                .object([
                    ("ArchiveId", .string(a.id)), ("ArchiveDescription", .string(a.description ?? "")),
                    ("CreationDate", .string(Timestamp.iso8601(a.creationDate))), ("Size", .int(a.size)),
                    ("SHA256TreeHash", .string(a.treeHash)),
                ])
            })),
        ])
        let got = try written(csv: false, items, date: date)
        #expect(got.text == expected)
        #expect(got.length == Int64(expected.utf8.count))
        #expect(try written(csv: false, [], date: date).text
            == #"{"VaultARN":"arn:aws:glacier:us-east-1:123456789012:vaults/v","InventoryDate":""# + Timestamp.iso8601(date) + #"","ArchiveList":[]}"#)
    }

    @Test func csvDoublesQuotes() throws {
        let items = [item(0, description: #"say "hi", twice"#), item(1, description: nil)]
        let got = try written(csv: true, items, date: 0)
        #expect(got.text == "ArchiveId,ArchiveDescription,CreationDate,Size,SHA256TreeHash\n"
            + "\(items[0].id),\"say \"\"hi\"\", twice\",\(Timestamp.iso8601(items[0].creationDate)),0,\(items[0].treeHash)\n"
            + "\(items[1].id),\"\",\(Timestamp.iso8601(items[1].creationDate)),1000003,\(items[1].treeHash)\n")
    }

    @Test func datesMatchTimestampEverywhere() throws {
        // Many flushes (more than 1 MiB), and every date form.
        let items = (0..<6_000).map { item($0, description: "d") }
        let got = try written(csv: true, items, date: 0)
        let lines = got.text.split(separator: "\n").dropFirst()
        #expect(lines.count == items.count)
        for (line, a) in zip(lines, items) {
            #expect(line.split(separator: ",")[2] == Timestamp.iso8601(a.creationDate)[...])
        }
        #expect(got.length > 1 << 20)
    }
}
