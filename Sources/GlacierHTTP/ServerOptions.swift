/// What the HTTP layer needs to know from the command line.
public struct ServerOptions: Sendable {
    public var host: String = "127.0.0.1"
    public var port: Int = 9901
    /// Region when a request carries no SigV4 credential scope.
    public var defaultRegion: String = "us-east-1"
    /// Account when the access key ID is not a 12-digit account ID.
    public var defaultAccountID: String = "123456789012"
    /// Connection count, header size, URI length and timeouts.
    public var limits = ConnectionLimits()
    /// How requests are authenticated.
    public var authentication: Authentication = .none
    /// Entries `GET /_mock/requests` keeps (0: none recorded).
    public var requestJournalCapacity = RequestJournal.defaultCapacity
    /// The data directory is a temporary one, removed on exit (no `--data-dir`): the
    /// dashboard says so.
    public var temporaryDataDirectory = false

    public init() {}
}

/// `--auth`: `none` reads the caller from the `Authorization` header without checking it;
/// `sigv4` verifies every Glacier request's Signature Version 4 against the credentials.
public enum Authentication: Sendable {
    case none
    case sigV4(Credentials)
}

/// One access key the server accepts under `--auth sigv4`, with the account it acts for.
public struct Credential: Sendable, Equatable {
    public let accessKeyID: String
    public let secretAccessKey: String
    public let accountID: String

    public init(accessKeyID: String, secretAccessKey: String, accountID: String) {
        self.accessKeyID = accessKeyID
        self.secretAccessKey = secretAccessKey
        self.accountID = accountID
    }
}

/// The credentials of `--credentials`, by access key ID.
public struct Credentials: Sendable {
    public let byAccessKey: [String: Credential]

    public init(_ list: [Credential]) throws(CredentialsError) {
        var map: [String: Credential] = [:]
        for c in list {
            guard map[c.accessKeyID] == nil else {
                throw CredentialsError("access key ID \(c.accessKeyID) is listed twice")
            }
            map[c.accessKeyID] = c
        }
        guard !map.isEmpty else { throw CredentialsError("no credentials given") }
        byAccessKey = map
    }

    public subscript(accessKeyID: String) -> Credential? { byAccessKey[accessKeyID] }

    /// Parses `ACCESS_KEY:SECRET:ACCOUNT_ID` triples separated by commas or newlines.
    /// Blank lines and lines starting with `#` are ignored. The access key is what comes
    /// before the first `:`, the account what comes after the last, so a secret may
    /// itself contain `:`.
    public static func parse(_ text: String) throws(CredentialsError) -> Credentials {
        var list: [Credential] = []
        for line in text.split(whereSeparator: \.isNewline) {
            let trimmedLine = line.trimmingASCIIWhitespace()
            if trimmedLine.isEmpty || trimmedLine.hasPrefix("#") { continue }
            for item in trimmedLine.split(separator: ",", omittingEmptySubsequences: false) {
                let triple = item.trimmingASCIIWhitespace()
                guard let first = triple.firstIndex(of: ":"), let last = triple.lastIndex(of: ":"), first != last else {
                    // Not echoed: a malformed entry may be a bare secret.
                    throw CredentialsError("entry \(list.count + 1) is not ACCESS_KEY:SECRET:ACCOUNT_ID (it has \(triple.filter { $0 == ":" }.count) ':' separators, needs 2)")
                }
                let key = String(triple[..<first])
                let secret = String(triple[triple.index(after: first)..<last])
                let account = String(triple[triple.index(after: last)...])
                guard !key.isEmpty, key.allSatisfy({ !$0.isWhitespace && $0 != "/" }) else {
                    throw CredentialsError("'\(Self.redacted(triple))': the access key ID must be non-empty, without spaces or '/'")
                }
                guard !secret.isEmpty else {
                    throw CredentialsError("'\(Self.redacted(triple))': the secret access key is empty")
                }
                guard account.utf8.count == 12, account.utf8.allSatisfy({ $0 >= 48 && $0 <= 57 }) else {
                    throw CredentialsError("'\(Self.redacted(triple))': the account ID must be 12 digits, got '\(account)'")
                }
                list.append(Credential(accessKeyID: key, secretAccessKey: secret, accountID: account))
            }
        }
        return try Credentials(list)
    }

    /// A triple for an error message, with the secret replaced by `***`.
    static func redacted(_ triple: Substring) -> String {
        guard let first = triple.firstIndex(of: ":"), let last = triple.lastIndex(of: ":"), first != last else { return "…" }
        return "\(triple[..<first]):***:\(triple[triple.index(after: last)...])"
    }
}

public struct CredentialsError: Error, Sendable, CustomStringConvertible {
    public let description: String
    init(_ description: String) { self.description = description }
}

extension Substring {
    func trimmingASCIIWhitespace() -> Substring {
        var s = self
        while let c = s.first, c == " " || c == "\t" || c == "\r" { s.removeFirst() }
        while let c = s.last, c == " " || c == "\t" || c == "\r" { s.removeLast() }
        return s
    }
}
