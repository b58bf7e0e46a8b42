import Foundation
import GlacierStorage
import Testing

@Suite struct BlobStoreTests {
    @Test func initCreatesDirectories() throws {
        let dir = try TempDirectory()
        defer { dir.remove() }
        let data = dir.path + "/data"
        let store = try BlobStore(dataDirectory: data)
        #expect(store.blobsDirectory == data + "/blobs")
        #expect(store.temporaryDirectory == data + "/tmp")
        var isDir: ObjCBool = false
        #expect(FileManager.default.fileExists(atPath: data + "/blobs", isDirectory: &isDir) && isDir.boolValue)
        #expect(FileManager.default.fileExists(atPath: data + "/tmp", isDirectory: &isDir) && isDir.boolValue)
        // Opening again over existing directories works.
        _ = try BlobStore(dataDirectory: data)
        #expect(throws: BlobStoreError.self) { _ = try BlobStore(dataDirectory: "/nonexistent-\(UUID().uuidString)/data") }
    }

    @Test func spaceReserveIsKeptReleasedAndRemadeAfterARemoval() throws {
        let dir = try TempDirectory()
        defer { dir.remove() }
        let store = try BlobStore(dataDirectory: dir.path)
        let reserve = dir.path + "/space-reserve"
        func size() -> Int? { (try? FileManager.default.attributesOfItem(atPath: reserve))?[.size] as? Int }
        #expect(size() == 1 << 20)
        #expect(store.releaseReserve())
        #expect(size() == nil)
        #expect(!store.releaseReserve())
        let writer = try store.makeTemporary()
        try [UInt8](repeating: 7, count: 100).withUnsafeBytes { try writer.write($0) }
        store.remove(try store.publish(writer))
        #expect(size() == 1 << 20)
    }

    @Test func writeThenPublishRenamesIntoBlobs() throws {
        let dir = try TempDirectory()
        defer { dir.remove() }
        let store = try BlobStore(dataDirectory: dir.path)
        let writer = try store.makeTemporary()
        let temps = dir.files(in: store.temporaryDirectory)
        #expect(temps.count == 1)
        #expect(temps.first?.hasSuffix(".incoming") == true)
        #expect(dir.files(in: store.blobsDirectory).isEmpty)

        let first: [UInt8] = Array("hello, ".utf8)
        let second: [UInt8] = Array(repeating: 0xAB, count: 100_000)
        try first.withUnsafeBytes { try writer.write($0) }
        try second.withUnsafeBytes { try writer.write($0) }
        #expect(writer.bytesWritten == Int64(first.count + second.count))

        let id = try store.publish(writer)
        #expect(id.count == 32)
        #expect(id.utf8.allSatisfy { ($0 >= 48 && $0 <= 57) || ($0 >= 65 && $0 <= 90) || ($0 >= 97 && $0 <= 122) })
        #expect(store.path(of: id) == dir.path + "/blobs/" + id)
        #expect(dir.files(in: store.temporaryDirectory).isEmpty)
        #expect(dir.files(in: store.blobsDirectory) == [id])
        #expect(store.listBlobIDs() == [id])
        #expect(try Data(contentsOf: URL(fileURLWithPath: store.path(of: id))) == Data(first + second))

        // discard() after publish leaves the blob alone.
        writer.discard()
        #expect(FileManager.default.fileExists(atPath: store.path(of: id)))

        store.remove(id)
        #expect(dir.files(in: store.blobsDirectory).isEmpty)
        store.remove(id)  // missing: not an error
    }

    @Test func discardRemovesTheTemporaryFile() throws {
        let dir = try TempDirectory()
        defer { dir.remove() }
        let store = try BlobStore(dataDirectory: dir.path)
        let writer = try store.makeTemporary()
        try ([1, 2, 3] as [UInt8]).withUnsafeBytes { try writer.write($0) }
        #expect(dir.files(in: store.temporaryDirectory).count == 1)
        writer.discard()
        #expect(dir.files(in: store.temporaryDirectory).isEmpty)
        #expect(dir.files(in: store.blobsDirectory).isEmpty)
        writer.discard()  // twice is harmless
    }

    @Test func writerDeinitRemovesUnpublishedFile() throws {
        let dir = try TempDirectory()
        defer { dir.remove() }
        let store = try BlobStore(dataDirectory: dir.path)
        do {
            let writer = try store.makeTemporary()
            try ([9] as [UInt8]).withUnsafeBytes { try writer.write($0) }
            #expect(dir.files(in: store.temporaryDirectory).count == 1)
        }
        #expect(dir.files(in: store.temporaryDirectory).isEmpty)
    }

    @Test func temporariesAreDistinctAndRemovable() throws {
        let dir = try TempDirectory()
        defer { dir.remove() }
        let store = try BlobStore(dataDirectory: dir.path)
        let a = try store.makeTemporary()
        let b = try store.makeTemporary()
        #expect(dir.files(in: store.temporaryDirectory).count == 2)
        let idA = try store.publish(a)
        let idB = try store.publish(b)
        #expect(idA != idB)
        #expect(Set(store.listBlobIDs()) == [idA, idB])

        #expect(FileManager.default.createFile(atPath: store.temporaryDirectory + "/left.incoming", contents: Data([1])))
        #expect(FileManager.default.createFile(atPath: store.temporaryDirectory + "/other", contents: Data([2])))
        store.removeTemporaries()
        #expect(dir.files(in: store.temporaryDirectory).isEmpty)
        #expect(Set(store.listBlobIDs()) == [idA, idB])
    }

    /// Writes `bytes` to a new temporary file and publishes it.
    private func store(_ bytes: [UInt8], in store: BlobStore) throws -> String {
        let writer = try store.makeTemporary()
        try bytes.withUnsafeBytes { try writer.write($0) }
        return try store.publish(writer)
    }

    private func contents(_ path: String) throws -> [UInt8] {
        [UInt8](try Data(contentsOf: URL(fileURLWithPath: path)))
    }

    @Test func aRemovedBlobsFileIsOverwrittenByTheNextBodyAndCutToItsLength() throws {
        let dir = try TempDirectory()
        defer { dir.remove() }
        let blobs = try BlobStore(dataDirectory: dir.path)
        let old = try store(Array(repeating: 0x41, count: 100_000), in: blobs)
        blobs.remove(old)
        #expect(dir.files(in: blobs.blobsDirectory).isEmpty)
        #expect(dir.files(in: blobs.temporaryDirectory) == [old + ".spare"])

        // Shorter than the spare: the old tail is cut off.
        let writer = try blobs.makeTemporary()
        let temps = dir.files(in: blobs.temporaryDirectory)
        #expect(temps.count == 1 && temps[0].hasSuffix(".incoming"), "the spare is renamed, not copied: \(temps)")
        try Array("short".utf8).withUnsafeBytes { try writer.write($0) }
        let short = try blobs.publish(writer)
        #expect(try contents(blobs.path(of: short)) == Array("short".utf8))
        #expect(dir.files(in: blobs.temporaryDirectory).isEmpty)

        // Longer than the spare: the file grows.
        blobs.remove(short)
        let long = (0..<300_000).map { UInt8(truncatingIfNeeded: $0 &* 7) }
        let longID = try store(long, in: blobs)
        #expect(try contents(blobs.path(of: longID)) == long)
        #expect(dir.files(in: blobs.temporaryDirectory).isEmpty)
        #expect(blobs.listBlobIDs() == [longID])
    }

    #if os(Linux)
    @Test func aSpareStillOpenForReadingIsNotReused() throws {
        let dir = try TempDirectory()
        defer { dir.remove() }
        let blobs = try BlobStore(dataDirectory: dir.path)
        let old = Array(repeating: UInt8(0x61), count: 50_000)
        let id = try store(old, in: blobs)
        // A reader (a GetJobOutput in flight, say) opened the blob before it was removed.
        let reader = try FileHandle(forReadingFrom: URL(fileURLWithPath: blobs.path(of: id)))
        defer { try? reader.close() }
        blobs.remove(id)
        #expect(dir.files(in: blobs.temporaryDirectory) == [id + ".spare"])

        let newer = try store(Array(repeating: 0x62, count: 50_000), in: blobs)
        #expect(try contents(blobs.path(of: newer)) == Array(repeating: 0x62, count: 50_000))
        // The reader still sees the removed blob's bytes; the spare it held was unlinked.
        #expect([UInt8](try reader.readToEnd() ?? Data()) == old)
        #expect(dir.files(in: blobs.temporaryDirectory).isEmpty)
    }
    #endif

    @Test func theSparePoolIsBoundedAndDroppedOnRequest() throws {
        let dir = try TempDirectory()
        defer { dir.remove() }
        let blobs = try BlobStore(dataDirectory: dir.path)
        let ids = try (0..<6).map { try store(Array(repeating: UInt8($0), count: 1_000), in: blobs) }
        ids.forEach(blobs.remove)
        #expect(dir.files(in: blobs.blobsDirectory).isEmpty)
        #expect(dir.files(in: blobs.temporaryDirectory) == ids.prefix(SpareFiles.defaultCount).map { $0 + ".spare" }.sorted())

        // More than `maxBytes` is not kept (a sparse file: no real space used).
        blobs.dropSpares()
        #expect(dir.files(in: blobs.temporaryDirectory).isEmpty)
        let huge = blobs.path(of: "huge")
        #expect(FileManager.default.createFile(atPath: huge, contents: Data([1])))
        #expect(truncate(huge, off_t(SpareFiles.maxBytes + 1)) == 0)
        blobs.remove("huge")
        #expect(dir.files(in: blobs.temporaryDirectory).isEmpty)
        #expect(dir.files(in: blobs.blobsDirectory).isEmpty)

        // A restart's clean-up unlinks spares too.
        let kept = try store([1, 2, 3], in: blobs)
        blobs.remove(kept)
        #expect(dir.files(in: blobs.temporaryDirectory).count == 1)
        try BlobStore(dataDirectory: dir.path).removeTemporaries()
        #expect(dir.files(in: blobs.temporaryDirectory).isEmpty)
    }

    @Test func noSparesWhenTurnedOff() throws {
        let dir = try TempDirectory()
        defer { dir.remove() }
        let blobs = try BlobStore(dataDirectory: dir.path, spareFiles: 0)
        blobs.remove(try store([1, 2, 3], in: blobs))
        #expect(dir.files(in: blobs.temporaryDirectory).isEmpty)
        #expect(dir.files(in: blobs.blobsDirectory).isEmpty)
    }

    @Test func noSparesOnAFileSystemWithLittleFreeSpace() throws {
        let dir = try TempDirectory()
        defer { dir.remove() }
        // Demand more free space than any file system has: every removed file is unlinked.
        let blobs = try BlobStore(dataDirectory: dir.path, spareMinFreeBytes: Int64.max)
        blobs.remove(try store(Array(repeating: 7, count: 10_000), in: blobs))
        #expect(dir.files(in: blobs.temporaryDirectory).isEmpty)
        #expect(dir.files(in: blobs.blobsDirectory).isEmpty)
        // The same with room to spare keeps it.
        let roomy = try BlobStore(dataDirectory: dir.path, spareMinFreeBytes: 1)
        let id = try store(Array(repeating: 8, count: 10_000), in: roomy)
        roomy.remove(id)
        #expect(dir.files(in: roomy.temporaryDirectory) == [id + ".spare"])
        #expect(roomy.dropSpares())
        #expect(!roomy.dropSpares())
    }

    @Test func outOfSpaceClassification() {
        #expect(BlobStoreError.io(operation: "write", path: "/x", errno: ENOSPC).isOutOfSpace)
        #expect(BlobStoreError.io(operation: "write", path: "/x", errno: EDQUOT).isOutOfSpace)
        #expect(!BlobStoreError.io(operation: "write", path: "/x", errno: EACCES).isOutOfSpace)
        #expect(BlobStoreError.io(operation: "write", path: "/x", errno: ENOENT).description == "write /x: No such file or directory")
    }
}

@Suite struct RandomIDTests {
    @Test func shapes() {
        let alphabet = Set("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_")
        for length in [0, 1, 92, 138] {
            let id = RandomID.make(length: length)
            #expect(id.count == length)
            #expect(id.allSatisfy(alphabet.contains))
        }
        let ids = Set((0..<200).map { _ in RandomID.blobID() })
        #expect(ids.count == 200)
        for id in ids {
            #expect(id.count == 32)
            #expect(id.allSatisfy { $0.isASCII && ($0.isLetter || $0.isNumber) })
        }
    }
}
