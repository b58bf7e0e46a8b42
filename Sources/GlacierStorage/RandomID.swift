/// Server-generated identifiers. Files on disk are named only by these, never by
/// anything a client sends.
public enum RandomID {
    /// URL-safe alphabet, as in Glacier's own upload and archive IDs.
    private static let alphabet = Array("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_".utf8)

    /// A random string of `length` characters from `[A-Za-z0-9_-]` (6 bits of entropy each).
    public static func make(length: Int) -> String {
        var rng = SystemRandomNumberGenerator()
        var out = [UInt8]()
        out.reserveCapacity(length)
        for _ in 0..<length { out.append(alphabet[Int(rng.next() & 63)]) }
        return String(decoding: out, as: UTF8.self)
    }

    /// A name for a blob file: 32 characters of `[A-Za-z0-9]` (no leading `-`).
    public static func blobID() -> String {
        var rng = SystemRandomNumberGenerator()
        let alnum = alphabet[0..<62]
        return String(decoding: (0..<32).map { _ in alnum[alnum.startIndex + Int(rng.next() % 62)] }, as: UTF8.self)
    }
}
