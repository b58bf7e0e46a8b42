#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

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
public struct BlobStore: Sendable {
    public let blobsDirectory: String
    public let temporaryDirectory: String
    /// `--fsync`: file contents and the `blobs/` directory entry reach the disk before a
    /// blob is published, so a power loss cannot lose what was acknowledged.
    public let durable: Bool
    /// Present while the server is stopped after a clean shutdown.
    let cleanShutdownMarker: String

    public init(dataDirectory: String, durable: Bool = false) throws {
        self.durable = durable
        blobsDirectory = dataDirectory + "/blobs"
        cleanShutdownMarker = dataDirectory + "/clean-shutdown"
        temporaryDirectory = dataDirectory + "/tmp"
        for dir in [dataDirectory, blobsDirectory, temporaryDirectory] {
            if mkdir(dir, 0o755) != 0 && errno != EEXIST {
                throw BlobStoreError.io(operation: "mkdir", path: dir, errno: errno)
            }
        }
    }

    public func path(of blobID: String) -> String { blobsDirectory + "/" + blobID }

    /// Opens a new, empty temporary file for an incoming body.
    public func makeTemporary() throws -> BlobWriter {
        let path = temporaryDirectory + "/" + RandomID.blobID() + ".incoming"
        let fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0o644)
        guard fd >= 0 else { throw BlobStoreError.io(operation: "create", path: path, errno: errno) }
        return BlobWriter(fd: fd, path: path, durable: durable)
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

    /// Removes a blob file; a missing file is not an error.
    public func remove(_ blobID: String) {
        unlink(path(of: blobID))
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
        listDirectory(blobsDirectory)
    }

    /// Start-up clean-up: temporary files belong to requests that never finished.
    public func removeTemporaries() {
        for name in listDirectory(temporaryDirectory) { unlink(temporaryDirectory + "/" + name) }
    }

    private func listDirectory(_ path: String) -> [String] {
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
    fileprivate(set) var published = false
    public private(set) var bytesWritten: Int64 = 0

    init(fd: Int32, path: String, durable: Bool) {
        self.fd = fd
        self.path = path
        self.durable = durable
    }

    deinit { discard() }

    /// Writes the whole buffer (looping over short writes).
    public func write(_ bytes: UnsafeRawBufferPointer) throws {
        var offset = 0
        while offset < bytes.count {
            let n = Glibc.write(fd, bytes.baseAddress! + offset, bytes.count - offset)
            if n < 0 {
                if errno == EINTR { continue }
                throw BlobStoreError.io(operation: "write", path: path, errno: errno)
            }
            offset += n
        }
        bytesWritten += Int64(bytes.count)
    }

    func close() throws {
        guard fd >= 0 else { return }
        if durable && fsync(fd) != 0 {
            let e = errno
            throw BlobStoreError.io(operation: "fsync", path: path, errno: e)
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
