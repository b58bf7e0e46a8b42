import Foundation
#if canImport(FoundationNetworking)
import FoundationNetworking
#endif

/// Publishes job-completion notifications with the SNS Publish API (query protocol) to an
/// SNS endpoint such as moto's or LocalStack's server. The request carries a SigV4-shaped
/// Authorization header whose credential scope names the topic's region, which is how
/// those emulators pick the region; emulators do not verify the signature.
struct SNSPublisher: Sendable {
    let endpoint: URL

    func publish(topic: String, message: String) async -> String {
        let region = topic.split(separator: ":", omittingEmptySubsequences: false).dropFirst(3).first.map(String.init) ?? "us-east-1"
        var request = URLRequest(url: endpoint)
        request.httpMethod = "POST"
        request.setValue("application/x-www-form-urlencoded; charset=utf-8", forHTTPHeaderField: "Content-Type")
        let day = String(ISO8601DateFormatter().string(from: Date()).prefix(10)).replacingOccurrences(of: "-", with: "")
        request.setValue(
            "AWS4-HMAC-SHA256 Credential=glacier-mock/\(day)/\(region)/sns/aws4_request, SignedHeaders=host, Signature=0",
            forHTTPHeaderField: "Authorization")
        let form = [("Action", "Publish"), ("TopicArn", topic), ("Message", message), ("Subject", "Notification From Glacier"), ("Version", "2010-03-31")]
        request.httpBody = Data(form.map { "\($0)=\(Self.formEncode($1))" }.joined(separator: "&").utf8)
        do {
            let (_, response) = try await URLSession.shared.data(for: request)
            let status = (response as? HTTPURLResponse)?.statusCode ?? 0
            return (200..<300).contains(status) ? "published" : "failed: SNS answered HTTP \(status)"
        } catch {
            return "failed: \(error.localizedDescription)"
        }
    }

    static func formEncode(_ s: String) -> String {
        var allowed = CharacterSet.alphanumerics
        allowed.insert(charactersIn: "-._~")
        return s.addingPercentEncoding(withAllowedCharacters: allowed) ?? s
    }
}
