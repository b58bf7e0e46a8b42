import Foundation
import GlacierStorage
import Testing

/// Snapshots share blob files by reference counts (`BlobPins`): a pinned file is neither
/// removed nor made a spare, and is released when the last snapshot naming it goes.
@Suite struct BlobPinsTests {
    @Test func countsPerSnapshotAndReleasesAtZero() {
        let pins = BlobPins()
        pins.pin(["a", "b"])
        pins.pin(["b"])
        #expect(pins.isPinned("a") && pins.isPinned("b") && !pins.isPinned("c"))
        #expect(pins.unpin(["b"]).isEmpty)  // one snapshot still names it
        #expect(Set(pins.unpin(["a", "b", "c"])) == ["a", "b"])
        #expect(pins.all.isEmpty)
    }

    @Test func removeLeavesAPinnedFileInPlace() throws {
        let dir = try TempDirectory()
        defer { dir.remove() }
        let store = try BlobStore(dataDirectory: dir.path, spareFiles: 4, spareMinFreeBytes: 0)
        let writer = try store.makeTemporary()
        try Array("kept by a snapshot".utf8).withUnsafeBytes { try writer.write($0) }
        let id = try store.publish(writer)
        store.pins.pin([id])
        store.remove(id)
        #expect(FileManager.default.contents(atPath: store.path(of: id)) == Data("kept by a snapshot".utf8))
        store.removeOrphan(id)
        #expect(FileManager.default.fileExists(atPath: store.path(of: id)))
        store.pins.unpin([id])
        store.remove(id)
        #expect(!FileManager.default.fileExists(atPath: store.path(of: id)))
    }
}
