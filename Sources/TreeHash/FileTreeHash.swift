#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

public enum FileHashError: Error, CustomStringConvertible {
    case cannotOpen(path: String, errno: Int32)
    case readFailed(path: String, errno: Int32)

    public var description: String {
        switch self {
        case .cannotOpen(let path, let e): return "cannot open \(path): \(String(cString: strerror(e)))"
        case .readFailed(let path, let e): return "cannot read \(path): \(String(cString: strerror(e)))"
        }
    }
}

extension TreeHash {
    /// Tree hash of a file, read in 1 MiB blocks (constant memory).
    public static func ofFile(atPath path: String) throws -> SHA256Digest {
        let fd = open(path, O_RDONLY)
        guard fd >= 0 else { throw FileHashError.cannotOpen(path: path, errno: errno) }
        defer { close(fd) }
        let hasher = TreeHasher()
        let buffer = UnsafeMutableRawBufferPointer.allocate(byteCount: leafSize, alignment: 16)
        defer { buffer.deallocate() }
        while true {
            let n = read(fd, buffer.baseAddress, leafSize)
            if n < 0 {
                if errno == EINTR { continue }
                throw FileHashError.readFailed(path: path, errno: errno)
            }
            if n == 0 { break }
            hasher.update(UnsafeRawBufferPointer(rebasing: buffer[..<n]))
        }
        return hasher.finalize()
    }
}
