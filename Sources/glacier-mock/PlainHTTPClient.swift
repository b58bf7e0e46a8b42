import Foundation
import GlacierHTTP
import NIOCore
import NIOHTTP1
import NIOPosix

/// One HTTP/1.1 request over a new plain-TCP connection, on the SwiftNIO the server already
/// runs on: SNS delivery (`SNSPublisher`) and `glacier-mock health` need nothing more.
///
/// This replaces FoundationNetworking's URLSession, which is libcurl underneath: with
/// `--static-swift-stdlib` the release binary then had to link libcurl's static library and
/// every library that one needs (ARCHITECTURE.md, "Container image and release binary").
/// Plain HTTP only: the SNS endpoints a test double publishes to (moto's server, LocalStack)
/// listen on http, and the health check talks to glacier-mock itself.
enum PlainHTTPClient {
    struct Response: Sendable {
        let status: Int
        let body: String
    }

    struct Failure: Error, CustomStringConvertible {
        let description: String
    }

    /// The parts of an `http://host[:port][/path][?query]` URL the request needs, or nil for
    /// anything else (other schemes, no host).
    struct Target: Sendable {
        let host: String
        let port: Int
        let pathAndQuery: String

        init(host: String, port: Int, pathAndQuery: String) {
            self.host = host
            self.port = port
            self.pathAndQuery = pathAndQuery
        }

        init?(_ url: URL) {
            guard url.scheme?.lowercased() == "http", let host = url.host, !host.isEmpty else { return nil }
            self.host = host
            self.port = url.port ?? 80
            let path = url.path.isEmpty ? "/" : url.path
            self.pathAndQuery = url.query.map { "\(path)?\($0)" } ?? path
        }

        /// The Host header: brackets around an IPv6 address, the port when it is not 80.
        var hostHeader: String {
            let h = host.contains(":") ? "[\(host)]" : host
            return port == 80 ? h : "\(h):\(port)"
        }
    }

    /// Sends `method` to `target` and reads the whole answer (bodies here are a few hundred
    /// bytes: an SNS PublishResponse, the health JSON). The connection is closed after the
    /// answer, or when `timeout` passes first, which fails the call.
    static func send(
        _ method: HTTPMethod, to target: Target, headers extra: [(String, String)] = [], body: [UInt8] = [],
        timeout: TimeAmount = .seconds(10)
    ) async throws -> Response {
        let channel: NIOAsyncChannel<HTTPClientResponsePart, HTTPClientRequestPart>
        do {
            channel = try await ClientBootstrap(group: MultiThreadedEventLoopGroup.singleton)
                .connectTimeout(timeout)
                .connect(host: target.host, port: target.port) { channel in
                    channel.eventLoop.makeCompletedFuture {
                        try channel.pipeline.syncOperations.addHTTPClientHandlers()
                        return try NIOAsyncChannel<HTTPClientResponsePart, HTTPClientRequestPart>(wrappingChannelSynchronously: channel)
                    }
                }
        } catch {
            throw Failure(description: "cannot connect to \(target.hostHeader): \(Self.describe(error))")
        }
        // The deadline closes the connection, which ends the response stream below.
        let deadline = channel.channel.eventLoop.scheduleTask(in: timeout) { channel.channel.close(promise: nil) }
        defer { deadline.cancel() }
        let result: Response? = try await channel.executeThenClose { inbound, outbound in
            var head = HTTPRequestHead(version: .http1_1, method: method, uri: target.pathAndQuery)
            head.headers.add(name: "Host", value: target.hostHeader)
            head.headers.add(name: "Content-Length", value: String(body.count))
            head.headers.add(name: "Connection", value: "close")
            head.headers.add(name: "User-Agent", value: "glacier-mock/\(glacierMockVersion)")
            for (name, value) in extra { head.headers.add(name: name, value: value) }
            do {
                try await outbound.write(.head(head))
                if !body.isEmpty { try await outbound.write(.body(.byteBuffer(ByteBuffer(bytes: body)))) }
                try await outbound.write(.end(nil))
            } catch {
                throw Failure(description: "sending the request to \(target.hostHeader) failed: \(Self.describe(error))")
            }
            var status: Int?
            var collected = ByteBuffer()
            do {
                for try await part in inbound {
                    switch part {
                    case .head(let h): status = Int(h.status.code)
                    case .body(var b): if collected.readableBytes < 1 << 20 { collected.writeBuffer(&b) }
                    case .end: return status.map { Response(status: $0, body: String(buffer: collected)) }
                    }
                }
            } catch {
                throw Failure(description: "reading the answer from \(target.hostHeader) failed: \(Self.describe(error))")
            }
            return nil
        }
        guard let result else {
            throw Failure(description:
                "\(target.hostHeader) closed the connection without a complete answer, or gave none within \(timeout.nanoseconds / 1_000_000) ms")
        }
        return result
    }

    /// NIO's errors print as type names with fields; the reason alone reads better on one line
    /// ("Connection refused").
    static func describe(_ error: Error) -> String {
        if let e = error as? NIOConnectionError {
            if let first = e.connectionErrors.first { return describe(first.error) }
            if let dns = e.dnsAError ?? e.dnsAAAAError { return "cannot resolve \(e.host): \(describe(dns))" }
            return "\(e.host) has no address"
        }
        if let e = error as? IOError { return String(cString: strerror(e.errnoCode)) }
        if case ChannelError.connectTimeout(let t)? = error as? ChannelError {
            return "no connection within \(t.nanoseconds / 1_000_000) ms"
        }
        return String(describing: error)
    }
}
