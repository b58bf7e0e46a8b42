import Foundation
import NIOHTTP1

/// Publishes job-completion notifications with the SNS Publish API (query protocol) to an
/// SNS endpoint such as moto's or LocalStack's server. The request carries a SigV4-shaped
/// Authorization header whose credential scope names the topic's region, which is how
/// those emulators pick the region; emulators do not verify the signature.
/// Sent with `PlainHTTPClient` (SwiftNIO), so `--sns-endpoint` is an http URL.
struct SNSPublisher: Sendable {
    let endpoint: PlainHTTPClient.Target

    func publish(topic: String, message: String) async -> String {
        let region = topic.split(separator: ":", omittingEmptySubsequences: false).dropFirst(3).first.map(String.init) ?? "us-east-1"
        let day = String(ISO8601DateFormatter().string(from: Date()).prefix(10)).replacingOccurrences(of: "-", with: "")
        let form = [("Action", "Publish"), ("TopicArn", topic), ("Message", message), ("Subject", "Notification From Glacier"), ("Version", "2010-03-31")]
        let body = Array(form.map { "\($0)=\(Self.formEncode($1))" }.joined(separator: "&").utf8)
        do {
            let response = try await PlainHTTPClient.send(
                .POST, to: endpoint,
                headers: [
                    ("Content-Type", "application/x-www-form-urlencoded; charset=utf-8"),
                    ("Authorization", "AWS4-HMAC-SHA256 Credential=glacier-mock/\(day)/\(region)/sns/aws4_request, SignedHeaders=host, Signature=0"),
                ],
                body: body)
            return (200..<300).contains(response.status) ? "published" : "failed: SNS answered HTTP \(response.status)"
        } catch {
            return "failed: \(error)"
        }
    }

    static func formEncode(_ s: String) -> String {
        var allowed = CharacterSet.alphanumerics
        allowed.insert(charactersIn: "-._~")
        return s.addingPercentEncoding(withAllowedCharacters: allowed) ?? s
    }
}
