#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import Synchronization

/// Errors from the file side of storage. The domain maps them to Glacier errors.
public enum BlobStoreError: Error, CustomStringConvertible {
    case io(operation: String, path: String, errno: Int32)

    public var description: String {
        switch self {
        case .io(let op, let path, let e): return "\(op) \(path): \(String(cString: strerror(e)))"
        }
    }

    /// True when the failure means the disk (or quota) is full.
    public var isOutOfSpace: Bool {
        if case .io(_, _, let e) = self { return e == ENOSPC || e == EDQUOT }
        return false
    }
}

/// Bytes of parts and archives, one file per blob under `DATA/blobs/`, named by a
/// server-generated ID. Incoming bodies are written under `DATA/tmp/` first and only
/// renamed into `blobs/` once every check has passed (rename is atomic on POSIX).
///
/// A removed blob's file may be kept as a spare (`DATA/tmp/ID.spare`, see `SpareFiles`) and
/// overwritten by a later incoming body instead of being unlinked: rewriting a file's cached
/// pages costs the kernel a fraction of allocating, accounting and later freeing new ones.
public struct BlobStore: Sendable {
    public let blobsDirectory: String
    public let temporaryDirectory: String
    /// `--fsync`: file contents and the `blobs/` directory entry reach the disk before a
    /// blob is published, so a power loss cannot lose what was acknowledged.
    public let durable: Bool
    /// Present while the server is stopped after a clean shutdown.
    let cleanShutdownMarker: String
    let spares: SpareFiles
    let reserve: SpaceReserve
    /// Blob files that saved snapshots refer to (`BlobPins`): never removed nor reused.
    public let pins = BlobPins()

    /// `spareFiles`: how many removed blobs' files to keep for reuse (0: unlink at once).
    /// `spareMinFreeBytes`: spares are kept only while the file system has this much free.
    public init(
        dataDirectory: String, durable: Bool = false, spareFiles: Int = SpareFiles.defaultCount,
        spareMinFreeBytes: Int64 = SpareFiles.defaultMinFreeBytes
    ) throws {
        self.durable = durable
        spares = SpareFiles(maxCount: spareFiles, minFreeBytes: spareMinFreeBytes)
        blobsDirectory = dataDirectory + "/blobs"
        cleanShutdownMarker = dataDirectory + "/clean-shutdown"
        temporaryDirectory = dataDirectory + "/tmp"
        reserve = SpaceReserve(path: dataDirectory + "/space-reserve")
        for dir in [dataDirectory, blobsDirectory, temporaryDirectory] {
            if mkdir(dir, 0o755) != 0 && errno != EEXIST {
                throw BlobStoreError.io(operation: "mkdir", path: dir, errno: errno)
            }
        }
        reserve.restore()
    }

    public func path(of blobID: String) -> String { blobsDirectory + "/" + blobID }

    /// Opens a temporary file for an incoming body: a spare renamed to the new name when one
    /// is free (no reader has it open), else a new, empty file.
    public func makeTemporary() throws -> BlobWriter {
        let path = temporaryDirectory + "/" + RandomID.blobID() + ".incoming"
        while let spare = spares.take() {
            guard rename(spare.path, path) == 0 else {
                unlink(spare.path)
                continue
            }
            let fd = open(path, O_WRONLY | O_CLOEXEC)
            if fd >= 0 && SpareFiles.isOpenOnlyHere(fd) {
                return BlobWriter(fd: fd, path: path, durable: durable, spares: spares, previousSize: spare.size)
            }
            if fd >= 0 { Glibc.close(fd) }
            unlink(path)
        }
        let fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0o644)
        guard fd >= 0 else { throw BlobStoreError.io(operation: "create", path: path, errno: errno) }
        return BlobWriter(fd: fd, path: path, durable: durable, spares: spares)
    }

    /// Closes `writer` and renames its file into `blobs/` under a fresh ID, which it returns.
    public func publish(_ writer: BlobWriter) throws -> String {
        try writer.close()
        let blobID = RandomID.blobID()
        if rename(writer.path, path(of: blobID)) != 0 {
            let e = errno
            writer.discard()
            throw BlobStoreError.io(operation: "rename", path: writer.path, errno: e)
        }
        writer.published = true
        if durable { try syncDirectory(blobsDirectory) }
        return blobID
    }

    private func syncDirectory(_ dir: String) throws {
        let fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC)
        guard fd >= 0 else { throw BlobStoreError.io(operation: "open", path: dir, errno: errno) }
        defer { Glibc.close(fd) }
        if fsync(fd) != 0 { throw BlobStoreError.io(operation: "fsync", path: dir, errno: errno) }
    }

    /// Removes a blob from `blobs/`; a missing file is not an error. Its file becomes a spare
    /// when the pool has room, else it is unlinked. Either way no new reader can open it;
    /// one that opened it before keeps the old bytes (a spare it holds open is not reused).
    public func remove(_ blobID: String) {
        // A snapshot still refers to it: its bytes stay, under the same name.
        if pins.isPinned(blobID) { return }
        let file = path(of: blobID)
        if !spares.keep(file, as: temporaryDirectory + "/" + blobID + ".spare") {
            unlink(file)
        }
        reserve.restore()  // after a release on a full disk: its space may be back now
    }

    /// Unlinks a blob file nothing refers to, found at start-up (never kept as a spare: the
    /// start-up clean-up leaves `tmp/` empty).
    public func removeOrphan(_ blobID: String) {
        if pins.isPinned(blobID) { return }
        unlink(path(of: blobID))
    }

    /// Unlinks the spare files (clean shutdown, a full disk: their space goes back to the file
    /// system). True when there was at least one.
    @discardableResult
    public func dropSpares() -> Bool {
        spares.dropAll()
    }

    /// Unlinks the space reserve (a deletion's commit on a full disk); true when it was there.
    public func releaseReserve() -> Bool {
        reserve.release()
    }

    /// Reads `length` bytes of a blob from `offset`, 1 MiB at a time, handing each block to
    /// `consume` (constant memory, whatever the length).
    public func read(_ blobID: String, offset: Int64, length: Int64, consume: (UnsafeRawBufferPointer) throws -> Void) throws {
        let file = path(of: blobID)
        let fd = open(file, O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else { throw BlobStoreError.io(operation: "open", path: file, errno: errno) }
        defer { close(fd) }
        let block = 1 << 20
        let buffer = UnsafeMutableRawBufferPointer.allocate(byteCount: block, alignment: 16)
        defer { buffer.deallocate() }
        var done: Int64 = 0
        while done < length {
            let want = Int(min(Int64(block), length - done))
            let n = pread(fd, buffer.baseAddress, want, off_t(offset + done))
            if n < 0 {
                if errno == EINTR { continue }
                throw BlobStoreError.io(operation: "read", path: file, errno: errno)
            }
            if n == 0 { throw BlobStoreError.io(operation: "read (file shorter than recorded)", path: file, errno: EIO) }
            try consume(UnsafeRawBufferPointer(rebasing: buffer[..<n]))
            done += Int64(n)
        }
    }


    /// True when the previous run ended cleanly; removes the marker either way, so a crash
    /// during this run is noticed at the next start.
    public func consumeCleanShutdownMarker() -> Bool {
        unlink(cleanShutdownMarker) == 0
    }

    public func writeCleanShutdownMarker() {
        let fd = open(cleanShutdownMarker, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0o644)
        if fd >= 0 { Glibc.close(fd) }
    }

    /// Lists blob IDs present on disk.
    public func listBlobIDs() -> [String] {
        Self.listDirectory(blobsDirectory)
    }

    /// Start-up clean-up: temporary files belong to requests that never finished, or are
    /// spares of the previous run.
    public func removeTemporaries() {
        for name in Self.listDirectory(temporaryDirectory) { unlink(temporaryDirectory + "/" + name) }
    }

    /// The names in a directory, without `.` and `..`; none when it cannot be read.
    public static func listDirectory(_ path: String) -> [String] {
        guard let dir = opendir(path) else { return [] }
        defer { closedir(dir) }
        var names: [String] = []
        while let entry = readdir(dir) {
            let name = withUnsafePointer(to: entry.pointee.d_name) {
                $0.withMemoryRebound(to: CChar.self, capacity: Int(NAME_MAX) + 1) { String(cString: $0) }
            }
            if name != "." && name != ".." { names.append(name) }
        }
        return names
    }
}

/// A temporary file receiving one request body. Owned by exactly one request; the file
/// is removed by `discard()` (or on deinit) unless it was published.
public final class BlobWriter {
    let path: String
    private var fd: Int32
    private let durable: Bool
    /// The size of a reused spare before this body overwrote it from offset 0.
    private let previousSize: Int64
    /// Given back to the file system when the disk is full, so a retry can fit.
    private let spares: SpareFiles
    fileprivate(set) var published = false
    public private(set) var bytesWritten: Int64 = 0

    init(fd: Int32, path: String, durable: Bool, spares: SpareFiles, previousSize: Int64 = 0) {
        self.fd = fd
        self.path = path
        self.durable = durable
        self.spares = spares
        self.previousSize = previousSize
    }

    private func failure(_ operation: String, _ e: Int32) -> BlobStoreError {
        let error = BlobStoreError.io(operation: operation, path: path, errno: e)
        if error.isOutOfSpace { spares.dropAll() }
        return error
    }

    deinit { discard() }

    /// Writes the whole buffer (looping over short writes).
    public func write(_ bytes: UnsafeRawBufferPointer) throws {
        var offset = 0
        while offset < bytes.count {
            let n = Glibc.write(fd, bytes.baseAddress! + offset, bytes.count - offset)
            if n < 0 {
                if errno == EINTR { continue }
                throw failure("write", errno)
            }
            offset += n
        }
        bytesWritten += Int64(bytes.count)
    }

    func close() throws {
        guard fd >= 0 else { return }
        // A reused spare that was longer than this body: cut off its old tail.
        if previousSize > bytesWritten && ftruncate(fd, off_t(bytesWritten)) != 0 {
            throw failure("truncate", errno)
        }
        if durable && fsync(fd) != 0 {
            throw failure("fsync", errno)
        }
        let rc = Glibc.close(fd)
        fd = -1
        if rc != 0 { throw BlobStoreError.io(operation: "close", path: path, errno: errno) }
    }

    /// Drops the temporary file (a failed check, an error, a disconnect).
    public func discard() {
        if fd >= 0 {
            _ = Glibc.close(fd)
            fd = -1
        }
        if !published {
            unlink(path)
            published = true  // nothing left to remove
        }
    }
}

/// The pool of spare files: removed blobs' files kept to receive later bodies.
///
/// Measured on the bench VM (ext4): writing 8 MiB into a new file and unlinking it takes
/// 0.17 core-seconds per GB of kernel time, overwriting the same file 0.02. The pool is
/// small (`--spare-files`, 4 by default, and `maxBytes` in all), so deleted data gives its
/// space back soon; a full disk, a clean shutdown and every start unlink the spares.
///
/// A spare is reused only if no other descriptor has its file open — a GetJobOutput still
/// sending an expired job's output, say, or `glacier-mock verify` in another process.
/// Nothing can open it by path once it has left `blobs/`, so one check when it is taken
/// (`isOpenOnlyHere`) is enough.
public final class SpareFiles: Sendable {
    struct Spare {
        let path: String
        let size: Int64
    }

    public static let defaultCount = 4
    /// The most bytes the spares may hold together.
    public static let maxBytes: Int64 = 256 << 20
    /// Below this much free space a removed file is unlinked, not kept: on a nearly full disk,
    /// deleting archives must give their space back at once (SQLite needs it to commit the
    /// next deletions; `test_disk_full.py`).
    public static let defaultMinFreeBytes: Int64 = 1 << 30

    let maxCount: Int
    let minFreeBytes: Int64
    private let state = Mutex<[Spare]>([])

    init(maxCount: Int, minFreeBytes: Int64 = SpareFiles.defaultMinFreeBytes) {
        self.maxCount = max(0, maxCount)
        self.minFreeBytes = minFreeBytes
    }

    /// Renames `file` to `sparePath` and keeps it, if the pool has room and the file system
    /// has at least `minFreeBytes` free; false otherwise (and for a missing or empty file).
    func keep(_ file: String, as sparePath: String) -> Bool {
        state.withLock { spares in
            var info = stat()
            guard spares.count < maxCount, stat(file, &info) == 0, info.st_size > 0,
                spares.reduce(Int64(info.st_size), { $0 + $1.size }) <= Self.maxBytes,
                Self.freeBytes(at: file).map({ $0 >= minFreeBytes }) ?? false,
                rename(file, sparePath) == 0
            else { return false }
            spares.append(Spare(path: sparePath, size: Int64(info.st_size)))
            return true
        }
    }

    /// The most recently kept spare (its pages are the likeliest to be cached).
    func take() -> Spare? {
        state.withLock { $0.popLast() }
    }

    /// Unlinks every spare; true when there was at least one.
    @discardableResult
    func dropAll() -> Bool {
        var dropped = false
        while let spare = take() {
            unlink(spare.path)
            dropped = true
        }
        return dropped
    }

    /// Bytes available to this process on the file system holding `path` (nil: unknown).
    static func freeBytes(at path: String) -> Int64? {
        var fs = statvfs()
        guard statvfs(path, &fs) == 0 else { return nil }
        return Int64(fs.f_bavail) * Int64(fs.f_frsize)
    }

    /// True when `fd` is the only open descriptor of its file, in any process: Linux grants
    /// a write lease only then (fcntl(2), F_SETLEASE). Released at once; elsewhere false.
    static func isOpenOnlyHere(_ fd: Int32) -> Bool {
        #if os(Linux)
        // F_SETLEASE, F_WRLCK and F_UNLCK from <fcntl.h> (F_SETLEASE needs _GNU_SOURCE,
        // which Swift's Glibc module does not define).
        let setLease: Int32 = 1024, writeLock: Int32 = 1, unlock: Int32 = 2
        guard fcntl(fd, setLease, writeLock) == 0 else { return false }
        _ = fcntl(fd, setLease, unlock)
        return true
        #else
        return false
        #endif
    }
}

/// A small file kept in the data directory (`space-reserve`, 1 MiB) so that, on a full disk,
/// SQLite can still commit the transactions that give space back: deleting an archive, a vault
/// or an upload. Such a commit that fails for a full disk releases it and is tried once more
/// (`MetadataStore`); it is made again when a removed blob may have left room. Without it, a
/// disk filled by archives could refuse the very deletions meant to free it, depending on how
/// many bytes the last refused upload happened to leave (`test_disk_full.py`).
final class SpaceReserve: Sendable {
    static let size: off_t = 1 << 20
    let path: String
    /// Whether the file is there (as far as this process knows): `restore` costs one load then.
    private let present = Atomic<Bool>(false)

    init(path: String) { self.path = path }

    /// Creates the file, fully allocated, unless it is there or the disk has no room for it.
    func restore() {
        guard !present.load(ordering: .relaxed) else { return }
        let fd = open(path, O_WRONLY | O_CREAT | O_CLOEXEC, 0o600)
        guard fd >= 0 else { return }
        defer { close(fd) }
        if posix_fallocate(fd, 0, Self.size) == 0 {
            present.store(true, ordering: .relaxed)
        } else {
            unlink(path)
        }
    }

    /// Unlinks the file; true when it was there.
    func release() -> Bool {
        guard present.exchange(false, ordering: .relaxed) else { return false }
        return unlink(path) == 0
    }
}

/// Reference counts of blob files held by saved snapshots (`DATA/snapshots/*.sqlite`).
///
/// Blob files are immutable once published and named by a random ID, so a snapshot shares
/// them with the live state instead of copying their bytes: while any snapshot counts a
/// blob, `BlobStore.remove` leaves its file in `blobs/` (and never makes it a spare, which a
/// later upload would overwrite). The counts live in memory; start-up rebuilds them from the
/// snapshot files, before the scan for orphaned blobs.
public final class BlobPins: Sendable {
    private let counts = Mutex<[String: Int]>([:])

    public init() {}

    public func isPinned(_ blobID: String) -> Bool {
        counts.withLock { $0[blobID] != nil }
    }

    /// Counts one more snapshot holding each of `blobIDs` (a set: one count per snapshot).
    public func pin(_ blobIDs: Set<String>) {
        counts.withLock { c in for id in blobIDs { c[id, default: 0] += 1 } }
    }

    /// One snapshot less for each; returns the blobs no snapshot holds any more.
    @discardableResult
    public func unpin(_ blobIDs: Set<String>) -> [String] {
        counts.withLock { c in
            var released: [String] = []
            for id in blobIDs {
                guard let n = c[id] else { continue }
                if n <= 1 {
                    c[id] = nil
                    released.append(id)
                } else {
                    c[id] = n - 1
                }
            }
            return released
        }
    }

    /// Every pinned blob ID.
    public var all: Set<String> { counts.withLock { Set($0.keys) } }
}
