import Foundation
import GlacierDomain
import HTTPTypes
@testable import GlacierHTTP
import Hummingbird
import HummingbirdTesting
import Logging
import NIOConcurrencyHelpers
import NIOCore
import Testing
import TreeHash

// MARK: The algorithm against published vectors

@Suite struct SigV4AlgorithmTests {
    /// AWS SigV4 test suite, "get-vanilla".
    @Test func getVanillaVector() {
        let headers = ["host": ["example.amazonaws.com"], "x-amz-date": ["20150830T123600Z"]]
        let signed = ["host", "x-amz-date"]
        let canonical = SigV4.canonicalRequest(
            method: "GET", canonicalURI: SigV4.canonicalURI(rawPath: "/"),
            canonicalQuery: SigV4.canonicalQuery(SigV4.queryPairs(rawQuery: nil)),
            canonicalHeaders: SigV4.canonicalHeaders(signedHeaders: signed) { headers[$0] ?? [] },
            signedHeaders: signed, payloadHash: SigV4.emptyPayloadHash)
        #expect(canonical == """
            GET
            /

            host:example.amazonaws.com
            x-amz-date:20150830T123600Z

            host;x-amz-date
            e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855
            """)
        let scope = SigV4.credentialScope(date: "20150830", region: "us-east-1", service: "service")
        let sts = SigV4.stringToSign(timestamp: "20150830T123600Z", scope: scope, canonicalRequest: canonical)
        #expect(sts == """
            AWS4-HMAC-SHA256
            20150830T123600Z
            20150830/us-east-1/service/aws4_request
            bb579772317eb040ac9ed261061d46c1f17a8133879d6129b6e1c25292927e63
            """)
        let key = SigV4.signingKey(
            secret: "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY", date: "20150830", region: "us-east-1", service: "service")
        #expect(SigV4.signature(signingKey: key, stringToSign: sts) == "5fa00fa31553b73ebf1942676e86291e8372ff2a2260956d9b8aae1d763fbf31")
    }

    /// Glacier Developer Guide, "Signing Requests": the example signature of Create Vault.
    @Test func glacierDeveloperGuideVector() {
        let headers = [
            "host": ["glacier.us-east-1.amazonaws.com"], "x-amz-date": ["20120525T002453Z"],
            "x-amz-glacier-version": ["2012-06-01"],
        ]
        let signed = ["host", "x-amz-date", "x-amz-glacier-version"]
        let canonical = SigV4.canonicalRequest(
            method: "PUT", canonicalURI: SigV4.canonicalURI(rawPath: "/-/vaults/examplevault"), canonicalQuery: "",
            canonicalHeaders: SigV4.canonicalHeaders(signedHeaders: signed) { headers[$0] ?? [] },
            signedHeaders: signed, payloadHash: SigV4.emptyPayloadHash)
        let sts = SigV4.stringToSign(
            timestamp: "20120525T002453Z", scope: SigV4.credentialScope(date: "20120525", region: "us-east-1", service: "glacier"),
            canonicalRequest: canonical)
        let key = SigV4.signingKey(
            secret: "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY", date: "20120525", region: "us-east-1", service: "glacier")
        #expect(SigV4.signature(signingKey: key, stringToSign: sts) == "3ce5b2f2fffac9262b4da9256f8d086b4aaf42eba5f111c21681a65a127b7c2a")
    }

    /// RFC 4231 test cases 1 and 2, and the empty key and message.
    @Test func hmacSHA256Vectors() {
        #expect(SHA256Digest(bytes: HMACSHA256.mac(key: [UInt8](repeating: 0x0b, count: 20), message: "Hi There")).hex
            == "b0344c61d8db38535ca8afceaf0bf12b881dc200c9833da726e9376c2e32cff7")
        #expect(SHA256Digest(bytes: HMACSHA256.mac(key: Array("Jefe".utf8), message: "what do ya want for nothing?")).hex
            == "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843")
        #expect(SHA256Digest(bytes: HMACSHA256.mac(key: [], message: [])).hex
            == "b613679a0814d9ec772f95d778c35fc5ff1697c493715653c6c712144292c5ad")
    }

    /// Expected values computed with botocore's `SigV4Auth._normalize_url_path`.
    @Test(arguments: [
        ("/-/vaults/a%20b", "/-/vaults/a%2520b"),
        ("/-/vaults/./x/../y//z/", "/-/vaults/y/z/"),
        ("/", "/"),
        ("", "/"),
        ("/a/b/..", "/a"),
        ("/%E2%82%AC/~x:y@z", "/%25E2%2582%25AC/~x%3Ay%40z"),
        ("/-/vaults/v/archives/AbC-_x", "/-/vaults/v/archives/AbC-_x"),
    ])
    func canonicalURIMatchesBotocore(raw: String, expected: String) {
        #expect(SigV4.canonicalURI(rawPath: raw) == expected)
    }

    @Test func canonicalQuery() {
        func canonical(_ q: String, excluding: String? = nil) -> String {
            SigV4.canonicalQuery(SigV4.queryPairs(rawQuery: q), excluding: excluding)
        }
        // Same as botocore for what botocore sends.
        #expect(canonical("marker=abc%2Fdef&limit=10") == "limit=10&marker=abc%2Fdef")
        #expect(canonical("b=2&a=3&a=1") == "a=1&a=3&b=2")
        #expect(canonical("flag") == "flag=")
        // Decoded and re-encoded as the SigV4 specification says (botocore never sends these).
        #expect(canonical("x=%7E%2f&y=a+b") == "x=~%2F&y=a%2Bb")
        // Sorted by encoded name: uppercase before lowercase.
        #expect(canonical("a=1&B=2") == "B=2&a=1")
        #expect(canonical("X-Amz-Date=1&X-Amz-Signature=ab&X-Amz-Algorithm=x", excluding: "X-Amz-Signature")
            == "X-Amz-Algorithm=x&X-Amz-Date=1")
    }

    @Test func canonicalHeadersTrimAndJoin() {
        let values = ["x-a": ["  one   two  ", "\tthree\t"], "host": ["h"]]
        #expect(SigV4.canonicalHeaders(signedHeaders: ["host", "x-a", "x-missing"]) { values[$0] ?? [] }
            == "host:h\nx-a:one two,three\nx-missing:\n")
    }

    @Test func constantTimeEquals() {
        let sig = "5fa00fa31553b73ebf1942676e86291e8372ff2a2260956d9b8aae1d763fbf31"
        #expect(SigV4.constantTimeEquals(sig, sig))
        #expect(SigV4.constantTimeEquals("", ""))
        #expect(!SigV4.constantTimeEquals(sig, "4" + sig.dropFirst()))
        #expect(!SigV4.constantTimeEquals(sig, sig.dropLast() + "0"))
        #expect(!SigV4.constantTimeEquals(sig, String(sig.dropLast())))
        #expect(!SigV4.constantTimeEquals(sig, sig + "0"))
        #expect(!SigV4.constantTimeEquals(sig, sig.uppercased()))
        // Every single-byte change anywhere is caught (no early exit that skips a position).
        let bytes = Array(sig.utf8)
        for i in bytes.indices {
            var changed = bytes
            changed[i] ^= 0x01
            #expect(!SigV4.constantTimeEquals(sig, String(decoding: changed, as: UTF8.self)), "byte \(i)")
        }
    }

    @Test func dates() {
        #expect(SigV4.parseAmzDate("20150830T123600Z") == 1_440_938_160)
        #expect(SigV4.amzDate(1_440_938_160) == "20150830T123600Z")
        #expect(SigV4.amzDate(951_868_799) == "20000229T235959Z")
        #expect(SigV4.parseAmzDate("20000229T235959Z") == 951_868_799)
        #expect(SigV4.parseHTTPDate("Sun, 06 Nov 1994 08:49:37 GMT") == 784_111_777)
        for bad in ["20150830T123600", "2015-08-30T12:36:00Z", "20151330T123600Z", "20150830T246000Z", "x"] {
            #expect(SigV4.parseAmzDate(bad) == nil, "\(bad)")
        }
        #expect(SigV4.parseHTTPDate("Sun, 06 Nov 1994 08:49:37 -0000") == 784_111_777)
        #expect(SigV4.parseHTTPDate("Sun, 06 Nov 1994 10:49:37 +0200") == 784_111_777)
        #expect(SigV4.parseHTTPDate("Sun, 06 Nov 1994 08:49:37 CEST") == nil)
        #expect(SigV4.parseHTTPDate("Sun, 06 Nov 1994 08:49:37") == nil)
    }
}

// MARK: --credentials

@Suite struct CredentialsTests {
    @Test func parsesListsAndFiles() throws {
        let c = try Credentials.parse("AKID1:secret1:111111111111, AKID2:se:cret:222222222222")
        #expect(c["AKID1"] == Credential(accessKeyID: "AKID1", secretAccessKey: "secret1", accountID: "111111111111"))
        #expect(c["AKID2"]?.secretAccessKey == "se:cret")
        #expect(c["AKID3"] == nil)
        let file = try Credentials.parse("# team keys\n\nAKID1:s1:111111111111\r\n   \n  # more\nAKID2:s2:222222222222\n")
        #expect(file.byAccessKey.count == 2)
        #expect(file["AKID2"]?.accountID == "222222222222")
    }

    @Test(arguments: [
        ("", "no credentials"),
        ("# only a comment\n", "no credentials"),
        ("AKID:secret:12345678901", "12 digits"),
        ("AKID:secret:1234567890ab", "12 digits"),
        (":secret:123456789012", "access key"),
        ("AKID::123456789012", "secret"),
        ("AKID:123456789012", "ACCESS_KEY:SECRET:ACCOUNT_ID"),
        ("topsecretvalue", "ACCESS_KEY:SECRET:ACCOUNT_ID"),
        ("AKID:a:111111111111,AKID:b:222222222222", "twice"),
        ("AKID:a:111111111111,", "ACCESS_KEY:SECRET:ACCOUNT_ID"),
    ])
    func rejectsMalformed(text: String, expected: String) {
        do {
            _ = try Credentials.parse(text)
            Issue.record("accepted \(text)")
        } catch {
            #expect(error.description.contains(expected), "\(error.description)")
            #expect(!error.description.contains("topsecretvalue"))
        }
    }
}

// MARK: The middleware, over the router

/// Signs like botocore: every header given plus host, x-amz-date; payload hash of the body
/// unless `contentSHA256` is set (then sent as x-amz-content-sha256 and signed).
func signedHeaders(
    method: String, path: String, query: String = "", body: [UInt8] = [], accessKey: String = "AKID1",
    secret: String = "secret1", region: String = "us-east-1", time: Int64 = Timestamp.now() / 1000,
    contentSHA256: String? = nil, extra: [String: String] = [:]
) -> HTTPFields {
    let amzDate = SigV4.amzDate(time)
    // HummingbirdTesting's router client sends the authority `localhost`.
    var headers: [String: String] = ["host": "localhost", "x-amz-date": amzDate, "x-amz-glacier-version": "2012-06-01"]
    if let contentSHA256 { headers["x-amz-content-sha256"] = contentSHA256 }
    for (k, v) in extra { headers[k.lowercased()] = v }
    let names = headers.keys.sorted()
    let canonical = SigV4.canonicalRequest(
        method: method, canonicalURI: SigV4.canonicalURI(rawPath: path),
        canonicalQuery: SigV4.canonicalQuery(SigV4.queryPairs(rawQuery: query)),
        canonicalHeaders: SigV4.canonicalHeaders(signedHeaders: names) { [headers[$0]!] },
        signedHeaders: names, payloadHash: contentSHA256 ?? SHA256Hasher.hash(body).hex)
    let date = String(amzDate.prefix(8))
    let scope = SigV4.credentialScope(date: date, region: region, service: "glacier")
    let signature = SigV4.signature(
        signingKey: SigV4.signingKey(secret: secret, date: date, region: region, service: "glacier"),
        stringToSign: SigV4.stringToSign(timestamp: amzDate, scope: scope, canonicalRequest: canonical))
    var fields = HTTPFields()
    for name in names where name != "host" { fields[HTTPField.Name(name)!] = headers[name]! }
    fields[.authorization] = "AWS4-HMAC-SHA256 Credential=\(accessKey)/\(scope), SignedHeaders=\(names.joined(separator: ";")), Signature=\(signature)"
    return fields
}

func withSigV4Server(_ test: @Sendable (any TestClientProtocol) async throws -> Void) async throws {
    var options = ServerOptions()
    options.authentication = .sigV4(try Credentials.parse("AKID1:secret1:111111111111,AKID2:secret2:222222222222"))
    try await withServer(options: options, test)
}

@Suite struct SigV4MiddlewareTests {
    @Test func signedRequestsActForTheCredentialsAccount() async throws {
        try await withSigV4Server { client in
            try await client.execute(uri: "/-/vaults/v", method: .put, headers: signedHeaders(method: "PUT", path: "/-/vaults/v")) { r in
                #expect(r.status.code == 201, "\(text(r))")
                #expect(r.headers[.location] == "/111111111111/vaults/v")
            }
            try await client.execute(
                uri: "/-/vaults", method: .get,
                headers: signedHeaders(method: "GET", path: "/-/vaults", accessKey: "AKID2", secret: "secret2", region: "eu-west-1")
            ) { r in
                #expect(r.status.code == 200)
                let body = try json(r)
                #expect(body["VaultList"] as? [Any] != nil)
                #expect(!text(r).contains("vaults/v\""))
            }
            // Naming the other account in the path.
            try await client.execute(
                uri: "/111111111111/vaults/v", method: .get,
                headers: signedHeaders(method: "GET", path: "/111111111111/vaults/v", accessKey: "AKID2", secret: "secret2")
            ) { r in
                try expectError(r, 403, "AccessDeniedException", "Client")
            }
        }
    }

    @Test func rejections() async throws {
        try await withSigV4Server { client in
            try await client.execute(uri: "/-/vaults", method: .get) { r in
                try expectError(r, 400, "MissingAuthenticationTokenException", "Client", messageContains: "Missing Authentication Token")
            }
            try await client.execute(uri: "/-/vaults", method: .get, headers: signedHeaders(method: "GET", path: "/-/vaults", accessKey: "NOPE")) { r in
                try expectError(r, 400, "UnrecognizedClientException", "Client", messageContains: "security token included in the request is invalid")
            }
            try await client.execute(uri: "/-/vaults", method: .get, headers: signedHeaders(method: "GET", path: "/-/vaults", secret: "wrong")) { r in
                let message = try expectError(r, 403, "InvalidSignatureException", "Client", messageContains: "does not match the signature you provided")
                #expect(message.contains("The Canonical String for this request should have been\n'GET\n/-/vaults\n"))
            }
            // Signed for another path than the one requested.
            try await client.execute(uri: "/-/vaults/x", method: .get, headers: signedHeaders(method: "GET", path: "/-/vaults/y")) { r in
                try expectError(r, 403, "InvalidSignatureException", "Client")
            }
            let old = Timestamp.now() / 1000 - 20 * 60
            try await client.execute(uri: "/-/vaults", method: .get, headers: signedHeaders(method: "GET", path: "/-/vaults", time: old)) { r in
                try expectError(r, 403, "InvalidSignatureException", "Client", messageContains: "Signature expired")
            }
            let ahead = Timestamp.now() / 1000 + 20 * 60
            try await client.execute(uri: "/-/vaults", method: .get, headers: signedHeaders(method: "GET", path: "/-/vaults", time: ahead)) { r in
                try expectError(r, 403, "InvalidSignatureException", "Client", messageContains: "Signature not yet current")
            }
            try await client.execute(uri: "/-/vaults", method: .get, headers: [.authorization: "garbage"]) { r in
                try expectError(r, 403, "InvalidSignatureException", "Client")
            }
            // The admin endpoints stay open.
            try await client.execute(uri: "/_mock/health", method: .get) { r in #expect(r.status.code == 200) }
        }
    }

    @Test func bodyMustMatchTheSignedPayload() async throws {
        try await withSigV4Server { client in
            try await client.execute(uri: "/-/vaults/v", method: .put, headers: signedHeaders(method: "PUT", path: "/-/vaults/v")) { r in
                #expect(r.status.code == 201)
            }
            let tags = Array(#"{"Tags":{"a":"b"}}"#.utf8)
            let path = "/-/vaults/v/tags"
            // Signed over the body's hash: a different body is refused, nothing changes.
            let headers = signedHeaders(method: "POST", path: path, query: "operation=add", body: tags)
            try await client.execute(
                uri: path + "?operation=add", method: .post, headers: headers, body: ByteBuffer(string: #"{"Tags":{"a":"c"}}"#)
            ) { r in
                try expectError(r, 403, "InvalidSignatureException", "Client")
            }
            // The same with a signed x-amz-content-sha256 that the body does not match.
            let claimed = signedHeaders(method: "POST", path: path, query: "operation=add", contentSHA256: SHA256Hasher.hash(tags).hex)
            try await client.execute(
                uri: path + "?operation=add", method: .post, headers: claimed, body: ByteBuffer(string: #"{"Tags":{"a":"c"}}"#)
            ) { r in
                try expectError(r, 403, "InvalidSignatureException", "Client", messageContains: "x-amz-content-sha256")
            }
            try await client.execute(uri: path, method: .get, headers: signedHeaders(method: "GET", path: path)) { r in
                #expect(r.status.code == 200)
                let body = try json(r)
                #expect(body["Tags"] as? [String: String] == [:])
            }
            try await client.execute(uri: path + "?operation=add", method: .post, headers: headers, body: ByteBuffer(bytes: tags)) { r in
                #expect(r.status.code == 204, "\(text(r))")
            }
        }
    }

    @Test func uploadWhoseBodyDiffersFromTheSignedHashIsRefused() async throws {
        try await withSigV4Server { client in
            try await client.execute(uri: "/-/vaults/v", method: .put, headers: signedHeaders(method: "PUT", path: "/-/vaults/v")) { r in
                #expect(r.status.code == 201)
            }
            let data = Array("archive bytes".utf8)
            let path = "/-/vaults/v/archives"
            let treeHash = SHA256Hasher.hash(data).hex  // one leaf: tree hash == linear hash
            let headers = signedHeaders(
                method: "POST", path: path, contentSHA256: SHA256Hasher.hash(data).hex,
                extra: ["x-amz-sha256-tree-hash": treeHash, "content-length": "\(data.count)"])
            var tampered = data
            tampered[0] ^= 1
            try await client.execute(uri: path, method: .post, headers: headers, body: ByteBuffer(bytes: tampered)) { r in
                try expectError(r, 403, "InvalidSignatureException", "Client", messageContains: "x-amz-content-sha256")
            }
            try await client.execute(uri: "/-/vaults/v", method: .get, headers: signedHeaders(method: "GET", path: "/-/vaults/v")) { r in
                let body = try json(r)
                #expect(body["NumberOfArchives"] as? Int == 0)
            }
            try await client.execute(uri: path, method: .post, headers: headers, body: ByteBuffer(bytes: data)) { r in
                #expect(r.status.code == 201, "\(text(r))")
            }
        }
    }

    @Test func timeWindow() throws {
        func signed(_ stamp: String, expires: Int64? = nil) throws -> SignedRequest {
            var headers = HTTPFields()
            var path = "/-/vaults"
            if let expires {
                path += "?X-Amz-Algorithm=AWS4-HMAC-SHA256&X-Amz-Credential=AKID1%2F\(stamp.prefix(8))%2Fus-east-1%2Fglacier%2Faws4_request"
                    + "&X-Amz-Date=\(stamp)&X-Amz-Expires=\(expires)&X-Amz-SignedHeaders=host&X-Amz-Signature=00"
            } else {
                headers[.authorization] = "AWS4-HMAC-SHA256 Credential=AKID1/\(stamp.prefix(8))/us-east-1/glacier/aws4_request, SignedHeaders=host;x-amz-date, Signature=00"
                headers[.amzDate] = stamp
            }
            let request = Request(
                head: HTTPRequest(method: .get, scheme: "http", authority: "h", path: path, headerFields: headers),
                body: RequestBody(buffer: ByteBuffer()))
            return try SignedRequest(request)
        }
        let t0 = SigV4.parseAmzDate("20150830T123600Z")!
        let header = try signed("20150830T123600Z")
        try header.checkTime(now: t0 + 15 * 60)
        try header.checkTime(now: t0 - 15 * 60)
        #expect(throws: GlacierError(.invalidSignature, "Signature expired: 20150830T123600Z is now earlier than 20150830T123601Z (20150830T125101Z - 15 min.)")) {
            try header.checkTime(now: t0 + 15 * 60 + 1)
        }
        #expect(throws: GlacierError(.invalidSignature, "Signature not yet current: 20150830T123600Z is still later than 20150830T123559Z (20150830T122059Z + 15 min.)")) {
            try header.checkTime(now: t0 - 15 * 60 - 1)
        }
        let presigned = try signed("20150830T123600Z", expires: 60)
        #expect(presigned.presigned)
        try presigned.checkTime(now: t0 + 60)
        #expect(throws: GlacierError.self) { try presigned.checkTime(now: t0 + 61) }
        #expect(throws: GlacierError.self) { try presigned.checkTime(now: t0 - 15 * 60 - 1) }
    }
}
