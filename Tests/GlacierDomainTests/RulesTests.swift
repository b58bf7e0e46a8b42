import Foundation
import GlacierDomain
import Testing

// MARK: Content-Range

@Suite struct ContentRangeTests {
    @Test func rangesBeyondAnyArchiveAreRefusedWithoutOverflow() async {
        // last - first + 1 would overflow Int64 here; the parser must refuse, not trap.
        await expectGlacierError(.invalidParameterValue, "largest possible archive") {
            try ContentRange.parse("bytes 0-9223372036854775807/*")
        }
        await expectGlacierError(.invalidParameterValue) { try ContentRange.parse("bytes 0-42949672960000/*") }
    }

    @Test func parsesTheDocumentedForm() throws {
        let r = try ContentRange.parse("bytes 0-1048575/*")
        #expect(r == ContentRange(first: 0, last: 1_048_575))
        #expect(r.first == 0)
        #expect(r.last == 1_048_575)
        #expect(r.length == 1_048_576)
        let one = try ContentRange.parse("bytes 7-7/*")
        #expect(one.length == 1)
        let big = try ContentRange.parse("bytes 4194304-8388607/*")
        #expect(big == ContentRange(first: 4_194_304, last: 8_388_607))
    }

    @Test func missingHeaderIsMissingParameterValue() {
        let error = #expect(throws: GlacierError.self) { try ContentRange.parse(nil) }
        #expect(error?.code == .missingParameterValue)
        #expect(error?.message == "Required header or parameter Content-Range is missing")
    }

    @Test(arguments: [
        "bytes=0-1/*", "bytes 0-1/100", "bytes -1-5/*", "bytes 0-/*", " bytes 0-1/*", "bytes 0x1-2/*",
        "bytes 0-1", "bytes 0-1/*/", "Bytes 0-1/*", "bytes 0 -1/*", "bytes +0-1/*", "bytes 0-1-2/*", "",
        "bytes 0-99999999999999999999/*",
    ])
    func malformedIsInvalidParameterValue(_ header: String) {
        let error = #expect(throws: GlacierError.self) { try ContentRange.parse(header) }
        #expect(error?.code == .invalidParameterValue, "\(header)")
        #expect(error?.message.contains("malformed") == true, "\(header): \(error?.message ?? "")")
        #expect(error?.message.contains("bytes FIRST-LAST/*") == true)
    }

    @Test func lastBeforeFirstIsInvalid() {
        let error = #expect(throws: GlacierError.self) { try ContentRange.parse("bytes 5-1/*") }
        #expect(error?.code == .invalidParameterValue)
        #expect(error?.message.contains("empty") == true)
    }

    @Test func misalignedRangeFailsAndNamesAlignment() {
        let mib = Rules.mebibyte
        let r = ContentRange(first: 2 * mib, last: 6 * mib - 1)
        let error = #expect(throws: GlacierError.self) { try r.check(partSize: 4 * mib) }
        #expect(error?.code == .invalidParameterValue)
        #expect(error?.message.contains("align") == true)
        #expect(error?.message.contains("4 MiB") == true, "\(error?.message ?? "")")
    }

    @Test func rangeLongerThanPartSizeFails() {
        let mib = Rules.mebibyte
        let error = #expect(throws: GlacierError.self) {
            try ContentRange(first: 0, last: 4 * mib).check(partSize: 4 * mib)
        }
        #expect(error?.code == .invalidParameterValue)
        #expect(error?.message.contains("more than the upload's part size 4194304") == true, "\(error?.message ?? "")")
    }

    @Test func partIndexLimit() throws {
        let mib = Rules.mebibyte
        // Part index 9999 (the 10,000th part) is the last one allowed.
        try ContentRange(first: 9_999 * mib, last: 10_000 * mib - 1).check(partSize: mib)
        let error = #expect(throws: GlacierError.self) {
            try ContentRange(first: 10_000 * mib, last: 10_001 * mib - 1).check(partSize: mib)
        }
        #expect(error?.code == .invalidParameterValue)
        #expect(error?.message.contains("10000") == true)
    }

    @Test func shortAlignedRangesPass() throws {
        let mib = Rules.mebibyte
        try ContentRange(first: 0, last: 0).check(partSize: mib)
        try ContentRange(first: 8 * mib, last: 8 * mib + 99).check(partSize: 4 * mib)
        try ContentRange(first: 4 * mib, last: 8 * mib - 1).check(partSize: 4 * mib)
    }
}

// MARK: Rules

@Suite struct RulesTests {
    @Test(arguments: [("1048576", Int64(1_048_576)), ("2097152", 2_097_152), ("4194304", 4_194_304), ("4294967296", 4_294_967_296)])
    func validPartSizes(_ header: String, _ expected: Int64) throws {
        #expect(try Rules.checkPartSize(header) == expected)
    }

    @Test(arguments: ["0", "3145728", "8589934592", "1048577", "524288", "abc", "-1", "+1048576", " 1048576", "1048576 ", "", "99999999999999999999"])
    func invalidPartSizes(_ header: String) {
        let error = #expect(throws: GlacierError.self) { try Rules.checkPartSize(header) }
        #expect(error?.code == .invalidParameterValue, "\(header)")
        #expect(error?.message.hasPrefix("Invalid part size") == true)
    }

    @Test func missingPartSize() {
        let error = #expect(throws: GlacierError.self) { try Rules.checkPartSize(nil) }
        #expect(error?.code == .missingParameterValue)
        #expect(error?.message == "Required header or parameter x-amz-part-size is missing")
    }

    @Test(arguments: [
        String(repeating: "a", count: 255), "a", "..", ".", "My_Vault-1.0", "ABCxyz019_-.",
    ])
    func validVaultNames(_ name: String) throws {
        try Rules.checkVaultName(name)
    }

    @Test(arguments: [
        String(repeating: "a", count: 256), "", "a/b", "a b", "vault!", "é", "a%2Fb", "a\u{0}b", "tab\t",
    ])
    func invalidVaultNames(_ name: String) {
        let error = #expect(throws: GlacierError.self) { try Rules.checkVaultName(name) }
        #expect(error?.code == .invalidParameterValue, "\(name)")
    }

    @Test func vaultNameMessages() {
        let long = #expect(throws: GlacierError.self) { try Rules.checkVaultName(String(repeating: "a", count: 256)) }
        #expect(long?.message == "Vault name must be 1 to 255 characters long; got 256")
        let empty = #expect(throws: GlacierError.self) { try Rules.checkVaultName("") }
        #expect(empty?.message == "Vault name must be 1 to 255 characters long; got 0")
        let slash = #expect(throws: GlacierError.self) { try Rules.checkVaultName("a/b") }
        #expect(slash?.message.contains("may contain only") == true)
    }

    @Test(arguments: [nil, "", " ~", "backup of 2026-11-21", String(repeating: "d", count: 1024)] as [String?])
    func validDescriptions(_ d: String?) throws {
        try Rules.checkArchiveDescription(d)
    }

    @Test(arguments: [String(repeating: "d", count: 1025), "a\tb", "del\u{7f}", "line\n", "é", "\u{1f}"])
    func invalidDescriptions(_ d: String) {
        let error = #expect(throws: GlacierError.self) { try Rules.checkArchiveDescription(d) }
        #expect(error?.code == .invalidParameterValue)
    }

    @Test func descriptionMessages() {
        let long = #expect(throws: GlacierError.self) { try Rules.checkArchiveDescription(String(repeating: "d", count: 1025)) }
        #expect(long?.message == "Archive description is 1025 characters long; at most 1024 are allowed")
        let tab = #expect(throws: GlacierError.self) { try Rules.checkArchiveDescription("a\tb") }
        #expect(tab?.message == "Archive description may contain only printable ASCII characters (32-126)")
    }

    @Test func limits() throws {
        #expect(try Rules.checkLimit(nil, default: 10, max: 1000) == 10)
        #expect(try Rules.checkLimit("1", default: 10, max: 1000) == 1)
        #expect(try Rules.checkLimit("5", default: 10, max: 1000) == 5)
        #expect(try Rules.checkLimit("1000", default: 10, max: 1000) == 1000)
        // Above the maximum is lowered, not rejected.
        #expect(try Rules.checkLimit("5000", default: 50, max: 1000) == 1000)
        #expect(try Rules.checkLimit("9223372036854775807", default: 50, max: 1000) == 1000)
        // Not representable as a 64-bit integer: rejected like any other non-number.
        for bad in ["0", "-1", "abc", "", "1.5", " 3", "+3", "9223372036854775808", "99999999999999999999"] {
            let error = #expect(throws: GlacierError.self) { try Rules.checkLimit(bad, default: 10, max: 1000) }
            #expect(error?.code == .invalidParameterValue, "limit '\(bad)'")
            #expect(error?.message.hasPrefix("limit must be a positive integer") == true)
        }
    }

    @Test func parseDecimal() {
        #expect(Rules.parseDecimal("0") == 0)
        #expect(Rules.parseDecimal("007") == 7)
        #expect(Rules.parseDecimal("9223372036854775807") == Int64.max)
        #expect(Rules.parseDecimal("9223372036854775808") == nil)
        #expect(Rules.parseDecimal("") == nil)
        #expect(Rules.parseDecimal("-1") == nil)
        #expect(Rules.parseDecimal("+1") == nil)
        #expect(Rules.parseDecimal("1e3") == nil)
        #expect(Rules.parseDecimal("١") == nil)  // Arabic-Indic digit one
    }

    @Test func sha256Header() throws {
        let hex = "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"
        #expect(try Rules.checkSHA256Header(hex, name: "x-amz-sha256-tree-hash").hex == hex)
        #expect(try Rules.checkSHA256Header(hex.uppercased(), name: "x-amz-sha256-tree-hash").hex == hex)
        let missing = #expect(throws: GlacierError.self) { try Rules.checkSHA256Header(nil, name: "x-amz-sha256-tree-hash") }
        #expect(missing?.code == .missingParameterValue)
        #expect(missing?.message == "Required header or parameter x-amz-sha256-tree-hash is missing")
        let bad = #expect(throws: GlacierError.self) { try Rules.checkSHA256Header("abc", name: "x-amz-content-sha256") }
        #expect(bad?.code == .invalidParameterValue)
        #expect(bad?.message.hasPrefix("x-amz-content-sha256 must be a SHA-256 value") == true)
    }

    @Test func byteCount() throws {
        #expect(try Rules.checkByteCount("0", name: "x-amz-archive-size") == 0)
        #expect(try Rules.checkByteCount("5242881", name: "x-amz-archive-size") == 5_242_881)
        let missing = #expect(throws: GlacierError.self) { try Rules.checkByteCount(nil, name: "x-amz-archive-size") }
        #expect(missing?.code == .missingParameterValue)
        let bad = #expect(throws: GlacierError.self) { try Rules.checkByteCount("-5", name: "x-amz-archive-size") }
        #expect(bad?.code == .invalidParameterValue)
    }

    @Test func constants() {
        #expect(Rules.mebibyte == 1_048_576)
        #expect(Rules.maxPartSize == 4_294_967_296)
        #expect(Rules.maxParts == 10_000)
        #expect(Rules.maxDescriptionLength == 1_024)
    }
}

// MARK: Tags

@Suite struct TagRulesTests {
    static func tags(_ count: Int) -> [String: Any] {
        Dictionary(uniqueKeysWithValues: (0..<count).map { ("key\($0)", "v" as Any) })
    }

    @Test func oneToTenTagsPerRequest() async throws {
        #expect(try Rules.checkTags(Self.tags(1)) == ["key0": "v"])
        #expect(try Rules.checkTags(Self.tags(10)).count == 10)
        let none = await expectGlacierError(.invalidParameterValue) { try Rules.checkTags(Self.tags(0)) }
        #expect(none?.message == "Tags: at least 1 tag per AddTagsToVault request; Tags is empty")
        let eleven = await expectGlacierError(.invalidParameterValue) { try Rules.checkTags(Self.tags(11)) }
        #expect(eleven?.message == "Tags: at most 10 tags per AddTagsToVault request; this one has 11")
        #expect(Rules.maxTagsPerRequest == 10)
    }

    @Test func tagsMissingOrNotAnObject() async {
        await expectGlacierError(.missingParameterValue, "Tags is missing") { try Rules.checkTags(nil) }
        await expectGlacierError(.missingParameterValue, "Tags is missing") { try Rules.checkTags(NSNull()) }
        await expectGlacierError(.invalidParameterValue, "Tags must be a JSON object") { try Rules.checkTags(["a", "b"]) }
        await expectGlacierError(.invalidParameterValue, "must have a string value") { try Rules.checkTags(["a": 1]) }
    }

    @Test func keyAndValueLengths() async throws {
        let longest = [String(repeating: "k", count: 128): String(repeating: "v", count: 255), "blank": ""]
        #expect(try Rules.checkTags(longest) == longest)
        // Unicode characters, not bytes: 128 two-byte letters, 255 three-byte ones.
        let wide = [String(repeating: "ß", count: 128): String(repeating: "語", count: 255)]
        #expect(try Rules.checkTags(wide) == wide)
        let longKey = await expectGlacierError(.invalidParameterValue) { try Rules.checkTags([String(repeating: "k", count: 129): "v"]) }
        #expect(longKey?.message == "Tag keys must be 1 to 128 Unicode characters long; got a key of 129")
        await expectGlacierError(.invalidParameterValue, "Tag keys must be 1 to 128") { try Rules.checkTags(["": "v"]) }
        let longValue = await expectGlacierError(.invalidParameterValue) { try Rules.checkTags(["k": String(repeating: "v", count: 256)]) }
        #expect(longValue?.message == "Tag values must be 0 to 255 Unicode characters long; the value of tag k has 256")
        await expectGlacierError(.invalidParameterValue, "reserved prefix aws:") { try Rules.checkTags(["AWS:owner": "v"]) }
    }

    @Test(arguments: [
        "Owner Name_1.2/3=4+5-6@7", "Größe", "Ünïcödé", "e\u{301}te", "日本語", "Ελληνικά", "٣", "a\u{3000}b", "CamelCase",
    ])
    func allowedCharacters(_ text: String) throws {
        #expect(try Rules.checkTags([text: text]) == [text: text])
    }

    @Test(arguments: [
        ("bad*key", "'*'"), ("hash#tag", "'#'"), ("bang!", "'!'"), ("a<b", "'<'"), ("50%", "'%'"), ("semi;colon", "';'"),
        ("co:lon", "':'"), ("tab\tkey", "U+0009"), ("new\nline", "U+000A"), ("emoji😀", "'😀'"), ("½", "'½'"),
        ("zero\u{200B}width", "U+200B"),
    ])
    func refusedCharacters(_ text: String, _ shown: String) async {
        let key = await expectGlacierError(.invalidParameterValue) { try Rules.checkTags([text: "v"]) }
        #expect(key?.message == "Tag key '\(text)' contains \(shown): tag keys may contain only Unicode letters, digits, spaces and _ . / = + - @")
        let value = await expectGlacierError(.invalidParameterValue) { try Rules.checkTags(["k": text]) }
        #expect(value?.message == "The value of tag k contains \(shown): tag values may contain only Unicode letters, digits, spaces and _ . / = + - @")
    }

    @Test func errorsAreCheckedInKeyOrder() async {
        let error = await expectGlacierError(.invalidParameterValue) { try Rules.checkTags(["b*": "v", "a!": "v", "c": "%"]) }
        #expect(error?.message.hasPrefix("Tag key 'a!'") == true)
    }

    @Test func oneToTenTagKeysPerRequest() async throws {
        #expect(try Rules.checkTagKeys(["a"]) == ["a"])
        let ten = (0..<10).map { "k\($0)" }
        #expect(try Rules.checkTagKeys(ten) == ten)
        let none = await expectGlacierError(.invalidParameterValue) { try Rules.checkTagKeys([] as [Any]) }
        #expect(none?.message == "TagKeys: at least 1 key per RemoveTagsFromVault request; TagKeys is empty")
        let eleven = await expectGlacierError(.invalidParameterValue) { try Rules.checkTagKeys(ten + ["k10"]) }
        #expect(eleven?.message == "TagKeys: at most 10 keys per RemoveTagsFromVault request; this one has 11")
        await expectGlacierError(.missingParameterValue, "TagKeys is missing") { try Rules.checkTagKeys(nil) }
        await expectGlacierError(.missingParameterValue, "TagKeys is missing") { try Rules.checkTagKeys(NSNull()) }
        await expectGlacierError(.invalidParameterValue, "TagKeys must be a JSON list") { try Rules.checkTagKeys("k") }
        await expectGlacierError(.invalidParameterValue, "only strings") { try Rules.checkTagKeys(["k", 1] as [Any]) }
    }
}

// MARK: Data retrieval policy

@Suite struct DataRetrievalPolicyRuleTests {
    /// The `Policy` member of a SetDataRetrievalPolicy body, parsed as the service parses it.
    static func policy(_ json: String) throws -> Any? {
        try JSONInput.object(Array(json.utf8), what: "SetDataRetrievalPolicy")["Policy"]
    }

    static func rule(_ bytesPerHour: String) throws -> Any? {
        try policy(#"{"Policy":{"Rules":[{"Strategy":"BytesPerHour","BytesPerHour":"# + bytesPerHour + "}]}}")
    }

    @Test(arguments: [
        ("1", Int64(1)), ("1048576", 1_048_576), ("9007199254740993", 9_007_199_254_740_993),
        ("9200000000000000000", 9_200_000_000_000_000_000), ("9223372036854775806", Int64.max - 1),
        ("9223372036854775807", Int64.max),
    ])
    func bytesPerHourIsReadExactly(_ text: String, _ expected: Int64) throws {
        let rule = try Rules.checkDataRetrievalPolicy(try Self.rule(text))
        #expect(rule == Rules.DataRetrievalRule(strategy: "BytesPerHour", bytesPerHour: expected))
    }

    @Test(arguments: [
        "0", "-1", "9223372036854775808", "18446744073709551615", "18446744073709551616", "1e30",
        "1.5", "1.0", "1e3", "true", "false", #""5""#, "[5]", "{}",
    ])
    func bytesPerHourOutOfRangeOrNotAnIntegerIsInvalid(_ text: String) async throws {
        let policy = try Self.rule(text)
        await expectGlacierError(.invalidParameterValue, "BytesPerHour must be an integer from 1 to 2^63-1 (9223372036854775807)") {
            try Rules.checkDataRetrievalPolicy(policy)
        }
    }

    @Test(arguments: [
        (#"{}"#, "Policy.Rules"),
        (#"{"Policy":null}"#, "Policy.Rules"),
        (#"{"Policy":{}}"#, "Policy.Rules"),
        (#"{"Policy":{"Rules":null}}"#, "Policy.Rules"),
        (#"{"Policy":{"Rules":[{}]}}"#, "Strategy"),
        (#"{"Policy":{"Rules":[{"BytesPerHour":1048576}]}}"#, "Strategy"),
        (#"{"Policy":{"Rules":[{"Strategy":null,"BytesPerHour":1048576}]}}"#, "Strategy"),
        (#"{"Policy":{"Rules":[{"Strategy":"BytesPerHour"}]}}"#, "BytesPerHour"),
        (#"{"Policy":{"Rules":[{"Strategy":"BytesPerHour","BytesPerHour":null}]}}"#, "BytesPerHour"),
    ])
    func missingRequiredMemberIsMissingParameterValue(_ json: String, _ member: String) async throws {
        let policy = try Self.policy(json)
        let error = await expectGlacierError(.missingParameterValue, member) { try Rules.checkDataRetrievalPolicy(policy) }
        #expect(error?.message.contains("missing") == true)
    }

    @Test func bytesPerHourIsRequiredOnlyForItsStrategy() async throws {
        let error = await expectGlacierError(.missingParameterValue) {
            try Rules.checkDataRetrievalPolicy(try Self.policy(#"{"Policy":{"Rules":[{"Strategy":"BytesPerHour"}]}}"#))
        }
        #expect(error?.message == "Required parameter BytesPerHour is missing: it is required when Strategy is BytesPerHour")
        #expect(try Rules.checkDataRetrievalPolicy(try Self.policy(#"{"Policy":{"Rules":[{"Strategy":"FreeTier"}]}}"#))
            == Rules.DataRetrievalRule(strategy: "FreeTier"))
        #expect(try Rules.checkDataRetrievalPolicy(try Self.policy(#"{"Policy":{"Rules":[{"Strategy":"None","BytesPerHour":null}]}}"#))
            == Rules.DataRetrievalRule(strategy: "None"))
    }

    @Test(arguments: [
        (#"{"Policy":{"Rules":[]}}"#, "exactly one rule"),
        (#"{"Policy":{"Rules":[{"Strategy":"None"},{"Strategy":"FreeTier"}]}}"#, "exactly one rule"),
        (#"{"Policy":{"Rules":{"Strategy":"None"}}}"#, "exactly one rule"),
        (#"{"Policy":{"Rules":["None"]}}"#, "must be a JSON object"),
        (#"{"Policy":"None"}"#, "Policy must be a JSON object"),
        (#"{"Policy":{"Rules":[{"Strategy":"Foo"}]}}"#, "Strategy must be BytesPerHour, FreeTier or None"),
        (#"{"Policy":{"Rules":[{"Strategy":7}]}}"#, "Strategy must be a string"),
        (#"{"Policy":{"Rules":[{"Strategy":"FreeTier","BytesPerHour":1}]}}"#, "only when Strategy is BytesPerHour"),
        (#"{"Policy":{"Rules":[{"Strategy":"None","BytesPerHour":1}]}}"#, "only when Strategy is BytesPerHour"),
    ])
    func malformedPolicyIsInvalid(_ json: String, _ rule: String) async throws {
        let policy = try Self.policy(json)
        await expectGlacierError(.invalidParameterValue, rule) { try Rules.checkDataRetrievalPolicy(policy) }
    }
}

// MARK: Timestamp

@Suite struct TimestampTests {
    @Test func epoch() {
        #expect(Timestamp.iso8601(0) == "1970-01-01T00:00:00.000Z")
    }

    @Test func millisecondsArePadded() {
        #expect(Timestamp.iso8601(1_700_000_000_007) == "2023-11-14T22:13:20.007Z")
        #expect(Timestamp.iso8601(951_782_400_999) == "2000-02-29T00:00:00.999Z")
        #expect(Timestamp.iso8601(4_102_444_799_999) == "2099-12-31T23:59:59.999Z")
        #expect(Timestamp.iso8601(1_050) == "1970-01-01T00:00:01.050Z")
    }

    @Test func parseRoundTripsEveryMillisecond() {
        // Every millisecond value of one second parses back exactly (.007 once came back as 6 ms).
        for ms in Int64(0)..<1000 {
            let t = 1_767_225_600_000 + ms
            #expect(Timestamp.parseISO8601(Timestamp.iso8601(t)) == t)
        }
        #expect(Timestamp.parseISO8601("2026-01-01T00:00:00Z") == 1_767_225_600_000)
        #expect(Timestamp.parseISO8601("2026-01-01T00:00:00.5Z") == 1_767_225_600_500)
        #expect(Timestamp.parseISO8601("2026-01-01T00:00:00.123456Z") == 1_767_225_600_123)
    }

    @Test func parseRejectsMalformedDates() {
        for bad in ["", "2026-01-01", "2026-01-01T00:00:00", "2026-13-01T00:00:00Z", "2026-01-01T00:00:00.Z",
                    "2026-01-01T00:00:00." + String(repeating: "9", count: 40) + "Z", "2026-01-01 00:00:00Z"] {
            #expect(Timestamp.parseISO8601(bad) == nil, "\(bad)")
        }
    }

    @Test func nowIsMillisecondsSinceEpoch() {
        let now = Timestamp.now()
        // Between 2024-01-01 and 2100-01-01.
        #expect(now > 1_704_067_200_000)
        #expect(now < 4_102_444_800_000)
    }
}

// MARK: Error table

@Suite struct GlacierErrorTests {
    static let table: [GlacierError.Code: (String, Int, String)] = [
        .accessDenied: ("AccessDeniedException", 403, "Client"),
        .badRequest: ("BadRequest", 400, "Client"),
        .expiredToken: ("ExpiredTokenException", 403, "Client"),
        .insufficientCapacity: ("InsufficientCapacityException", 400, "Client"),
        .invalidParameterValue: ("InvalidParameterValueException", 400, "Client"),
        .invalidSignature: ("InvalidSignatureException", 403, "Client"),
        .limitExceeded: ("LimitExceededException", 400, "Client"),
        .missingAuthenticationToken: ("MissingAuthenticationTokenException", 400, "Client"),
        .missingParameterValue: ("MissingParameterValueException", 400, "Client"),
        // botocore's service-2.json: NoLongerSupportedException, "error": {"httpStatusCode": 400}.
        .noLongerSupported: ("NoLongerSupportedException", 400, "Client"),
        .policyEnforced: ("PolicyEnforcedException", 400, "Client"),
        .requestTimeout: ("RequestTimeoutException", 408, "Client"),
        .resourceNotFound: ("ResourceNotFoundException", 404, "Client"),
        .serialization: ("SerializationException", 400, "Client"),
        .serviceUnavailable: ("ServiceUnavailableException", 500, "Server"),
        .throttling: ("ThrottlingException", 400, "Client"),
        .unrecognizedClient: ("UnrecognizedClientException", 400, "Client"),
        .unknownOperation: ("UnknownOperationException", 404, "Client"),
        .notImplemented: ("NotImplemented", 501, "Server"),
    ]

    @Test func everyCodeHasItsStatusAndType() throws {
        #expect(GlacierError.Code.allCases.count == 19)
        #expect(Set(GlacierError.Code.allCases) == Set(Self.table.keys))
        for code in GlacierError.Code.allCases {
            let (name, status, type) = try #require(Self.table[code])
            #expect(code.rawValue == name)
            #expect(code.status == status, "\(name)")
            #expect(code.type == type, "\(name)")
            let error = GlacierError(code, "m")
            #expect(error.status == status)
            #expect(error.description == "\(name): m")
        }
    }

    @Test func helpers() {
        let vault = VaultRef(caller: Caller(accountID: "123456789012", region: "us-east-1"), name: "v")
        #expect(vault.arn == "arn:aws:glacier:us-east-1:123456789012:vaults/v")
        #expect(vault.location == "/123456789012/vaults/v")
        #expect(GlacierError.vaultNotFound(vault) == GlacierError(.resourceNotFound, "Vault not found for ARN: arn:aws:glacier:us-east-1:123456789012:vaults/v"))
        #expect(GlacierError.uploadNotFound("U", vault).code == .resourceNotFound)
        #expect(GlacierError.uploadNotFound("U", vault).message.contains("U"))
        #expect(GlacierError.missingHeader("x-h") == GlacierError(.missingParameterValue, "Required header or parameter x-h is missing"))
        #expect(GlacierError.invalid("m") == GlacierError(.invalidParameterValue, "m"))
        #expect(GlacierError.storageFull("disk").code == .serviceUnavailable)
    }
}
