import COpenSSL

/// HMAC-SHA256 (RFC 2104) over the system's libcrypto, as SigV4 uses it to derive its
/// signing key and to sign the string-to-sign.
public enum HMACSHA256 {
    /// The 32-byte MAC of `message` under `key`.
    public static func mac(key: [UInt8], message: [UInt8]) -> [UInt8] {
        var out = [UInt8](repeating: 0, count: SHA256Digest.byteCount)
        var length: UInt32 = 0
        // Never hand libcrypto a NULL pointer: for the key it means "reuse the previous key".
        let keyBytes = key.isEmpty ? [0] : key
        let messageBytes = message.isEmpty ? [0] : message
        let ok = keyBytes.withUnsafeBytes { k in
            messageBytes.withUnsafeBufferPointer { m in
                out.withUnsafeMutableBufferPointer { o in
                    HMAC(EVP_sha256(), k.baseAddress, Int32(key.count), m.baseAddress, message.count, o.baseAddress, &length) != nil
                }
            }
        }
        guard ok, length == UInt32(SHA256Digest.byteCount) else { fatalError("libcrypto: HMAC-SHA256 failed") }
        return out
    }

    public static func mac(key: [UInt8], message: String) -> [UInt8] {
        mac(key: key, message: Array(message.utf8))
    }
}
