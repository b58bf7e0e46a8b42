import GlacierDomain
import HTTPTypes
import NIOCore
import NIOHTTP1
import NIOHTTPTypes
import NIOHTTPTypesHTTP1
import Synchronization

/// Limits that keep one misbehaving client from hurting the others.
public struct ConnectionLimits: Sendable {
    /// Most connections open at once; one more gets 503 ServiceUnavailableException and is closed.
    public var maxConnections: Int = 512
    /// A connection with no complete request head, or a request that makes no progress,
    /// for this long is closed (Hummingbird's idle timeout; catches slow headers).
    public var idleTimeout: TimeAmount = .seconds(60)
    /// A request body that delivers nothing for this long, or less than `minimumBodyRate`
    /// on average once this long has passed, gets 408 RequestTimeoutException and the
    /// connection is closed (catches slowly trickled bodies).
    public var bodyTimeout: TimeAmount = .seconds(20)
    public var minimumBodyRate: Int = 1024
    /// Request line and header block limits, enforced by the HTTP decoder.
    public var maxHeaderFieldSize: Int = 16 * 1024
    public var maxHeaderListSize: Int = 32 * 1024
    public var maxHeaderFieldCount: Int = 100
    /// Longest request target (path and query) accepted.
    public var maxURILength: Int = 8 * 1024

    public init() {}
}

/// Open-connection count shared by every connection's guard.
final class ConnectionCounter: Sendable {
    let open = Atomic<Int>(0)
}

/// One per connection, after the HTTP/1 codec. It
/// - refuses connections beyond `maxConnections` with 503 ServiceUnavailableException,
/// - answers a malformed or oversized request head with a Glacier JSON error and closes,
/// - times out request bodies that stall or trickle (408 RequestTimeoutException),
/// - closes the connection after a response sent before its request body was read to
///   the end when what is left of that body may be large (a rejected upload), instead of
///   letting the server drain gigabytes it refused; a small body (at most 64 KiB declared, the
///   most any other operation takes) is read and dropped after the response instead;
/// - closes in stages (RFC 9112, 9.6): the response is written whole, then the output is shut
///   (FIN after its last byte), and what the client still sends is read and dropped until it
///   closes, `lingerTimeout` passes or `lingerBytes` have come. Closing at once with unread bytes in the socket makes
///   the kernel send a reset, which discards the response's unsent tail on our side and its
///   unread bytes on the client's.
final class ConnectionGuard: ChannelDuplexHandler, RemovableChannelHandler {
    typealias InboundIn = HTTPRequestPart
    typealias InboundOut = HTTPRequestPart
    typealias OutboundIn = HTTPResponsePart
    typealias OutboundOut = HTTPResponsePart

    private let limits: ConnectionLimits
    private let counter: ConnectionCounter
    private var counted = false
    private var refused = false
    // Requests and responses on a keep-alive connection pair up in order. A client may send
    // its next request as soon as it has the previous response's bytes, before that
    // response's `.end` has passed through here, so every decision is about the request a
    // response belongs to, counted, never "the latest request".
    private var headsRead = 0
    private var endsRead = 0
    private var responseHeadsWritten = 0
    private var responseEndsWritten = 0
    /// The stream broke (unparsable bytes) while a response was owed: close once it is out.
    private var closeAfterResponses = false
    /// A request head arrived and its `.end` has not.
    private var readingBody: Bool { headsRead > endsRead }
    /// The request being read has no response begun, and every earlier response is complete:
    /// the guard may answer it itself.
    private var mayAnswerCurrentRequest: Bool {
        readingBody && responseHeadsWritten == headsRead - 1 && responseEndsWritten == headsRead - 1
    }
    /// The request being read: its declared Content-Length (nil when chunked or absent).
    private var declaredLength: Int64?
    /// The response being written goes out before its request's possibly large body was read:
    /// the connection ends after it.
    private var closeWhenResponseEnds = false
    /// The output is shut after a last response; inbound bytes are dropped until the end.
    private var lingering = false
    private var lingerTimer: Scheduled<Void>?
    /// How long, and how much, a closing connection keeps reading (and dropping) of what the
    /// client still sends: enough for a client that finishes sending a refused request before it
    /// reads the answer (most do) to get that answer, not a drain of gigabytes.
    static let lingerTimeout: TimeAmount = .seconds(2)
    static let lingerBytes = 16 << 20
    private var lingerBytesRead = 0
    private var bodyStarted = NIODeadline.now()
    private var lastBodyByte = NIODeadline.now()
    private var bodyBytes = 0
    private var timer: Scheduled<Void>?

    init(limits: ConnectionLimits, counter: ConnectionCounter) {
        self.limits = limits
        self.counter = counter
    }

    func handlerAdded(context: ChannelHandlerContext) {
        if context.channel.isActive { opened() }
        // Upload bodies arrive in reads of up to 1 MiB instead of NIO's default 64 KiB: 16×
        // fewer reads, file writes and event-loop-to-handler hops per MiB; small requests keep
        // small buffers (the allocator adapts). The price is memory: Hummingbird's connection
        // stream queues up to 10 reads ahead of a busy handler, about 4 MiB per uploading
        // connection; 256 KiB reads cut that to a quarter but cost UploadArchive 10 % (docs/durability.md, Soak).
        try? context.channel.syncOptions?.setOption(
            .recvAllocator, value: AdaptiveRecvByteBufferAllocator(minimum: 1024, initial: 16 * 1024, maximum: 1 << 20))
        // Job output goes out as file regions: the swap happens below the HTTP-types codec.
        let pipeline = context.pipeline.syncOperations
        if let codec = try? pipeline.handler(type: HTTP1ToHTTPServerCodec.self) {
            try? pipeline.addHandler(FileRegionHandler(), position: .before(codec))
        }
    }

    func channelActive(context: ChannelHandlerContext) {
        opened()
        context.fireChannelActive()
    }

    private func opened() {
        guard !counted else { return }
        counted = true
        let now = counter.open.add(1, ordering: .relaxed).newValue
        refused = now > limits.maxConnections
    }

    func channelInactive(context: ChannelHandlerContext) {
        closed()
        context.fireChannelInactive()
    }

    func handlerRemoved(context: ChannelHandlerContext) {
        closed()
    }

    private func closed() {
        timer?.cancel()
        timer = nil
        lingerTimer?.cancel()
        lingerTimer = nil
        if counted {
            counted = false
            counter.open.subtract(1, ordering: .relaxed)
        }
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        let part = unwrapInboundIn(data)
        if lingering {
            if case .body(let buffer) = part { lingerBytesRead += buffer.readableBytes }
            if lingerBytesRead > Self.lingerBytes { context.close(promise: nil) }
            return
        }
        if closeAfterResponses { return }
        if refused {
            // Answer the first request and close; nothing reaches the application.
            if case .head = part {
                reject(context, GlacierError(
                    .serviceUnavailable,
                    "glacier-mock already serves \(limits.maxConnections) connections, its limit (--max-connections); retry later"))
            }
            return
        }
        switch part {
        case .head(let head):
            if let path = head.path, path.utf8.count > limits.maxURILength {
                guard responseEndsWritten == headsRead else {
                    context.close(promise: nil)  // an earlier response is still going out
                    return
                }
                reject(context, GlacierError.invalid(
                    "The request URI is \(path.utf8.count) bytes; glacier-mock accepts at most \(limits.maxURILength)"))
                return
            }
            headsRead += 1
            declaredLength = head.headerFields[.contentLength].flatMap { Int64($0) }
            bodyBytes = 0
            bodyStarted = .now()
            lastBodyByte = bodyStarted
            // The watchdog is armed in channelReadComplete, and only if the body is still
            // being read then: most requests without a body end in the same read.
        case .body(let buffer):
            bodyBytes += buffer.readableBytes
            lastBodyByte = .now()
        case .end:
            endsRead += 1
            timer?.cancel()
            timer = nil
        }
        context.fireChannelRead(data)
    }

    func channelReadComplete(context: ChannelHandlerContext) {
        if readingBody && timer == nil && !closeAfterResponses && !refused {
            scheduleBodyCheck(context)
        }
        context.fireChannelReadComplete()
    }

    func write(context: ChannelHandlerContext, data: NIOAny, promise: EventLoopPromise<Void>?) {
        switch unwrapOutboundIn(data) {
        case .head(var head) where head.status.kind != .informational:
            responseHeadsWritten += 1
            if endsRead < responseHeadsWritten {
                // This response's request body was not read to its end (answered early). A
                // small rest is read and dropped after the response, as usual; a large or
                // unknown one (a refused upload) is not drained: the connection ends instead.
                let rest = declaredLength.map { $0 - Int64(bodyBytes) }
                if rest == nil || rest! > Int64(OperationInput.maxJSONBody) {
                    closeWhenResponseEnds = true
                    head.headerFields[.connection] = "close"
                    context.write(wrapOutboundOut(.head(head)), promise: promise)
                    return
                }
            }
            context.write(data, promise: promise)
        case .end:
            responseEndsWritten += 1
            if closeWhenResponseEnds || (closeAfterResponses && responseEndsWritten >= headsRead) {
                closeWhenResponseEnds = false
                writeLastAndLinger(context, data, promise: promise)
            } else {
                context.write(data, promise: promise)
            }
        default:
            context.write(data, promise: promise)
        }
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        guard let parseError = error as? HTTPParserError else {
            context.fireErrorCaught(error)
            return
        }
        let message: String
        switch parseError {
        case .headerOverflow:
            message = "The request head is larger than glacier-mock accepts (\(limits.maxHeaderFieldSize) bytes per header, \(limits.maxHeaderListSize) in all, \(limits.maxHeaderFieldCount) fields)"
        case .invalidURL:
            message = "The request target is not a valid URI"
        default:
            message = "The request is not well-formed HTTP/1.1 (\(parseError))"
        }
        if responseHeadsWritten == headsRead && responseEndsWritten == headsRead && endsRead < headsRead {
            // The stream ended inside a body whose request was already answered in full (an
            // early answer, its small rest being drained): that answer was the only one, so
            // none is added; the connection ends once it is out.
            lingering = true
            timer?.cancel()
            timer = nil
            shutOutputAndLinger(context)
        } else if responseHeadsWritten == headsRead && responseEndsWritten == headsRead {
            // Between requests (or within a head): the error is the answer to what was sent.
            reject(context, GlacierError.invalid(message))
        } else {
            // Bytes after a request that is still being answered (say, a body longer than its
            // Content-Length): let that answer go out, then close; nothing more is read.
            closeAfterResponses = true
        }
    }

    private func scheduleBodyCheck(_ context: ChannelHandlerContext) {
        timer?.cancel()
        let interval = TimeAmount.milliseconds(min(1000, max(50, limits.bodyTimeout.nanoseconds / 4_000_000)))
        timer = context.eventLoop.assumeIsolatedUnsafeUnchecked().scheduleTask(in: interval) { [self] in
            timer = nil
            guard readingBody, responseHeadsWritten < headsRead else { return }
            let now = NIODeadline.now()
            let elapsed = now - bodyStarted
            let stalled = now - lastBodyByte >= limits.bodyTimeout
            let slow = elapsed >= limits.bodyTimeout
                && Double(bodyBytes) < Double(limits.minimumBodyRate) * Double(elapsed.nanoseconds) / 1e9
            if (stalled || slow) && !mayAnswerCurrentRequest {
                context.close(promise: nil)
            } else if stalled || slow {
                reject(context, GlacierError(
                    .requestTimeout,
                    "The request body arrived too slowly (\(bodyBytes) bytes in \(elapsed.nanoseconds / 1_000_000) ms; at least \(limits.minimumBodyRate) bytes/s and no pause of \(limits.bodyTimeout.nanoseconds / 1_000_000_000) s); the connection is closed"))
            } else {
                scheduleBodyCheck(context)
            }
        }
    }

    /// Writes a Glacier JSON error with `Connection: close` and closes the connection.
    private func reject(_ context: ChannelHandlerContext, _ error: GlacierError) {
        timer?.cancel()
        timer = nil
        let body = ErrorMiddleware.body(for: error)
        var head = HTTPResponse(status: .init(code: error.status))
        head.headerFields[.contentType] = "application/json"
        head.headerFields[.contentLength] = String(body.readableBytes)
        head.headerFields[.connection] = "close"
        context.write(wrapOutboundOut(.head(head)), promise: nil)
        context.write(wrapOutboundOut(.body(body)), promise: nil)
        writeLastAndLinger(context, wrapOutboundOut(.end(nil)), promise: nil)
    }

    /// Writes a connection's last response part, then closes in stages once it is out: the
    /// output is shut (the client reads the whole response, then end of stream), inbound bytes
    /// are dropped, and the connection is closed when the client closes or after
    /// `lingerTimeout`.
    private func writeLastAndLinger(_ context: ChannelHandlerContext, _ data: NIOAny, promise: EventLoopPromise<Void>?) {
        lingering = true
        timer?.cancel()
        timer = nil
        let written = context.eventLoop.makePromise(of: Void.self)
        if let promise { written.futureResult.cascade(to: promise) }
        context.writeAndFlush(data, promise: written)
        written.futureResult.assumeIsolated().whenComplete { [self] _ in
            guard context.channel.isActive else { return }
            shutOutputAndLinger(context)
        }
    }

    /// Shuts the output once every write already made is out (NIO delays the half-close until
    /// then), and closes when the client does or after `lingerTimeout`.
    private func shutOutputAndLinger(_ context: ChannelHandlerContext) {
        let shut = context.eventLoop.makePromise(of: Void.self)
        context.close(mode: .output, promise: shut)
        shut.futureResult.assumeIsolated().whenFailure { _ in context.close(promise: nil) }
        lingerTimer = context.eventLoop.assumeIsolated().scheduleTask(in: Self.lingerTimeout) {
            context.close(promise: nil)
        }
    }
}
