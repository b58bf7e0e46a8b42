import COpenSSL

/// Incremental SHA-256 over the system's libcrypto (EVP interface, which picks the
/// SHA-NI / AVX2 code paths at run time).
///
/// Not thread-safe: one hasher belongs to one request's body stream.
public final class SHA256Hasher {
    private let context: OpaquePointer

    public init() {
        guard let ctx = EVP_MD_CTX_new() else { fatalError("libcrypto: EVP_MD_CTX_new failed (out of memory)") }
        self.context = ctx
        guard EVP_DigestInit_ex(ctx, EVP_sha256(), nil) == 1 else { fatalError("libcrypto: SHA-256 unavailable") }
    }

    deinit { EVP_MD_CTX_free(context) }

    public func update(_ bytes: UnsafeRawBufferPointer) {
        guard let base = bytes.baseAddress, bytes.count > 0 else { return }
        _ = EVP_DigestUpdate(context, base, bytes.count)
    }

    public func update(_ bytes: [UInt8]) {
        bytes.withUnsafeBytes { update($0) }
    }

    /// Finishes the hash. The hasher starts over afterwards, ready for new input.
    public func finalize() -> SHA256Digest {
        var out = [UInt8](repeating: 0, count: SHA256Digest.byteCount)
        var length: UInt32 = 0
        out.withUnsafeMutableBufferPointer { _ = EVP_DigestFinal_ex(context, $0.baseAddress, &length) }
        _ = EVP_DigestInit_ex(context, EVP_sha256(), nil)
        return SHA256Digest(bytes: out)
    }

    /// SHA-256 of one contiguous buffer.
    public static func hash(_ bytes: UnsafeRawBufferPointer) -> SHA256Digest {
        var out = [UInt8](repeating: 0, count: SHA256Digest.byteCount)
        out.withUnsafeMutableBufferPointer { dst in
            _ = SHA256(bytes.baseAddress?.assumingMemoryBound(to: UInt8.self), bytes.count, dst.baseAddress)
        }
        return SHA256Digest(bytes: out)
    }

    public static func hash(_ bytes: [UInt8]) -> SHA256Digest {
        bytes.withUnsafeBytes { hash($0) }
    }
}
