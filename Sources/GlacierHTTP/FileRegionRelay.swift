#if canImport(Glibc)
import Glibc
#endif
import NIOCore
import NIOHTTP1
import Synchronization

/// Lets a response body be sent from a file with sendfile(2), although Hummingbird's body
/// writer only takes `ByteBuffer`s.
///
/// `FileStreaming` registers a file range here and writes a small marker buffer (a random
/// per-process token and the registration's number) as the body. Below the HTTP-types codec,
/// `FileRegionHandler` recognises the marker and writes a `FileRegion` in its place, so the
/// kernel copies the bytes from the page cache to the socket: no read into user space, no
/// buffer per MiB, and NIO's writability watermarks still pace the producer.
enum FileRegionRelay {
    struct Range: Sendable {
        /// Open for reading, owned by the registration until taken.
        let fd: Int32
        let offset: Int64
        let length: Int64
        let registered: ContinuousClock.Instant
    }

    /// Never sent to clients or logged; unguessable, so archive bytes cannot pose as a marker.
    static let token: [UInt8] = (0..<24).map { _ in UInt8.random(in: 0...255) }
    static let markerLength = 24 + 8
    private static let ranges = Mutex<(next: UInt64, byID: [UInt64: Range])>((1, [:]))

    /// Registers a range of an open file (the registration owns `fd` from now on) and
    /// returns the marker to write in its place.
    static func marker(fd: Int32, offset: Int64, length: Int64) -> ByteBuffer {
        let now = ContinuousClock.now
        let id: UInt64 = ranges.withLock { state in
            // A marker whose connection closed before it reached the pipeline is never taken;
            // close such files after a while.
            if state.byID.count > 64 {
                for (key, stale) in state.byID where now - stale.registered > .seconds(600) {
                    close(stale.fd)
                    state.byID.removeValue(forKey: key)
                }
            }
            let id = state.next
            state.next += 1
            state.byID[id] = Range(fd: fd, offset: offset, length: length, registered: now)
            return id
        }
        var buffer = ByteBuffer()
        buffer.reserveCapacity(markerLength)
        buffer.writeBytes(token)
        buffer.writeInteger(id)
        return buffer
    }

    /// Drops a registration that will not be written (the body failed before writing it).
    static func cancel(_ marker: ByteBuffer) {
        guard let id = id(in: marker), let range = take(id) else { return }
        close(range.fd)
    }

    /// The registration number when `buffer` is a marker, else nil.
    static func id(in buffer: ByteBuffer) -> UInt64? {
        guard buffer.readableBytes == markerLength,
            buffer.readableBytesView.prefix(24).elementsEqual(token)
        else { return nil }
        return buffer.getInteger(at: buffer.readerIndex + 24, as: UInt64.self)
    }

    static func take(_ id: UInt64) -> Range? {
        ranges.withLock { $0.byID.removeValue(forKey: id) }
    }
}

/// Sits between the HTTP/1 encoder and the HTTP-types codec; swaps relay markers for file regions.
final class FileRegionHandler: ChannelOutboundHandler, RemovableChannelHandler {
    typealias OutboundIn = HTTPServerResponsePart
    typealias OutboundOut = HTTPServerResponsePart

    func write(context: ChannelHandlerContext, data: NIOAny, promise: EventLoopPromise<Void>?) {
        guard case .body(.byteBuffer(let buffer)) = unwrapOutboundIn(data),
            let id = FileRegionRelay.id(in: buffer)
        else {
            context.write(data, promise: promise)
            return
        }
        // A marker must never reach the client as bytes: if its range is unknown the response
        // cannot be completed, so the connection is closed.
        guard let range = FileRegionRelay.take(id) else {
            promise?.fail(ChannelError.ioOnClosedChannel)
            context.close(promise: nil)
            return
        }
        let handle = NIOFileHandle(_deprecatedTakingOwnershipOfDescriptor: range.fd)
        let region = FileRegion(
            fileHandle: handle, readerIndex: Int(range.offset), endIndex: Int(range.offset + range.length))
        let written = promise ?? context.eventLoop.makePromise()
        written.futureResult.whenComplete { _ in try? handle.close() }
        context.write(wrapOutboundOut(.body(.fileRegion(region))), promise: written)
    }
}
