import GlacierStorage

/// Who is calling: the account and region every resource of a request belongs to.
public struct Caller: Sendable, Equatable {
    public let accountID: String
    public let region: String

    public init(accountID: String, region: String) {
        self.accountID = accountID
        self.region = region
    }
}

/// A vault as named by a request, already checked against Glacier's naming rule.
public struct VaultRef: Sendable, Equatable {
    public let key: VaultKey

    public init(caller: Caller, name: String) {
        key = VaultKey(accountID: caller.accountID, region: caller.region, name: name)
    }

    public var name: String { key.name }
    /// `arn:aws:glacier:REGION:ACCOUNT:vaults/NAME`
    public var arn: String { "arn:aws:glacier:\(key.region):\(key.accountID):vaults/\(key.name)" }
    /// The vault's resource path, as in a `Location` header.
    public var location: String { "/\(key.accountID)/vaults/\(key.name)" }
}
