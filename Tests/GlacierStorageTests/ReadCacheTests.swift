import Testing

@testable import GlacierStorage

@Suite struct ReadCacheTests {
    @Test func keepsAValueUntilTheNextWrite() {
        let cache = ReadCache()
        #expect(cache.value(.vault(key)) { 1 } == 1)
        #expect(cache.value(.vault(key)) { 2 } == 1)
        cache.invalidate()
        #expect(cache.value(.vault(key)) { 3 } == 3)
    }

    @Test func aValueReadAcrossAWriteIsNotKept() {
        let cache = ReadCache()
        // The write commits (and invalidates) while the value is being loaded: what was
        // loaded may predate it, so it must not be served afterwards.
        #expect(cache.value(.vault(key)) { () -> Int in cache.invalidate(); return 1 } == 1)
        #expect(cache.count == 0)
        #expect(cache.value(.vault(key)) { 2 } == 2)
    }

    @Test func keysDoNotCollide() {
        let cache = ReadCache()
        #expect(cache.value(.setting(key, "lock")) { "L" } == "L")
        #expect(cache.value(.setting(key, "access-policy")) { "A" } == "A")
        #expect(cache.value(.parts("u", from: 0, limit: 51)) { [1] } == [1])
        #expect(cache.value(.parts("u", from: 0, limit: 2)) { [2] } == [2])
        #expect(cache.value(.setting(key, "lock")) { "x" } == "L")
    }

    @Test func isBounded() {
        let cache = ReadCache()
        for i in 0..<(ReadCache.capacity + 10) {
            _ = cache.value(.upload("u\(i)", key)) { i }
        }
        #expect(cache.count <= ReadCache.capacity)
        #expect(cache.value(.upload("u\(ReadCache.capacity + 9)", key)) { -1 } == ReadCache.capacity + 9)
    }
}

/// Every cached read of MetadataStore sees the writes made before it.
@Suite struct MetadataStoreCachedReadTests {
    @Test func vaultRowFollowsArchives() async throws {
        let dir = try TempDirectory()
        defer { dir.remove() }
        let store = try makeStore(dir)
        #expect(try await store.vault(key) == nil)
        try await store.createVault(key, now: 1)
        #expect(try await store.vault(key)?.numberOfArchives == 0)
        let archive = ArchiveRow(id: "a1", vault: key, description: nil, creationDate: 2, size: 10, treeHash: "h")
        #expect(try await store.createArchive(archive, blobID: "b1"))
        #expect(try await store.vault(key)?.numberOfArchives == 1)
        #expect(try await store.vault(key)?.sizeInBytes == 10)
        _ = try await store.deleteArchive(id: "a1", in: key, now: 3)
        #expect(try await store.vault(key)?.numberOfArchives == 0)
        _ = try await store.deleteVault(key)
        #expect(try await store.vault(key) == nil)
    }

    @Test func settingsFollowUpdates() async throws {
        let dir = try TempDirectory()
        defer { dir.remove() }
        let store = try makeStore(dir)
        try await store.createVault(key, now: 1)
        #expect(try await store.vaultSetting(key, kind: "access-policy") == nil)
        #expect(try await store.updateVaultSetting(key, kind: "access-policy") { _ in .set("P1") })
        #expect(try await store.vaultSetting(key, kind: "access-policy") == "P1")
        #expect(try await store.updateVaultSetting(key, kind: "access-policy") { _ in .set("P2") })
        #expect(try await store.vaultSetting(key, kind: "access-policy") == "P2")
        #expect(try await store.updateVaultSetting(key, kind: "access-policy") { _ in .remove })
        #expect(try await store.vaultSetting(key, kind: "access-policy") == nil)
    }

    @Test func uploadAndPartsFollowWrites() async throws {
        let dir = try TempDirectory()
        defer { dir.remove() }
        let store = try makeStore(dir)
        try await store.createVault(key, now: 1)
        #expect(try await store.upload(id: "u", in: key) == nil)
        #expect(try await store.createUpload(upload("u")))
        #expect(try await store.upload(id: "u", in: key)?.id == "u")
        #expect(try await store.parts(uploadID: "u", fromStart: 0, limit: 10).isEmpty)
        #expect(try await store.putPart(part("u", 0, blob: "b0"), vault: key, maxParts: 10) == .stored(replacedBlob: nil))
        #expect(try await store.parts(uploadID: "u", fromStart: 0, limit: 10).map(\.blobID) == ["b0"])
        #expect(try await store.putPart(part("u", 0, blob: "b1"), vault: key, maxParts: 10) == .stored(replacedBlob: "b0"))
        #expect(try await store.parts(uploadID: "u", fromStart: 0, limit: 10).map(\.blobID) == ["b1"])
        _ = try await store.abortUpload(id: "u", in: key, now: 2)
        #expect(try await store.upload(id: "u", in: key) == nil)
        #expect(try await store.parts(uploadID: "u", fromStart: 0, limit: 10).isEmpty)
    }
}
