import GlacierDomain
import HTTPTypes
import Hummingbird
import Logging
import NIOHTTP1

/// Turns every error into Glacier's JSON error body `{"code", "message", "type"}` with the
/// status from the error table. A request body that breaks off is BadRequest (400). Anything
/// else that is not a `GlacierError` is our own bug or an I/O failure: it is logged and
/// answered as ServiceUnavailableException (500).
///
/// Being outside authentication and the dispatcher, it also writes each Glacier request's
/// entry in the request journal, with the status and error code the client gets.
struct ErrorMiddleware: GlacierMiddleware {
    typealias Context = GlacierRequestContext
    /// Every answered Glacier request, for `GET /_mock/requests`.
    var journal = RequestJournal(capacity: 0)
    /// The server's clock (`GlacierService.now`), for the entries' times.
    var now: @Sendable () -> Int64 = { Timestamp.now() }

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        guard journal.isEnabled, !AdminRoutes.owns(request.uri.path) else {
            return try await answer(request, context: context, next: next).response
        }
        var context = context
        let note = RequestNote()
        context.note = note
        let (response, error) = try await answer(request, context: context, next: next)
        journal.record(RequestJournal.Entry(
            time: now(), requestID: context.requestID, method: request.method.rawValue,
            path: RequestJournal.clippedPath(request.uri.path), operation: note.operation,
            accountID: note.caller?.accountID, region: note.caller?.region, vaultName: note.vaultName,
            status: Int(response.status.code), errorCode: error?.code.rawValue, errorMessage: error?.message))
        return response
    }

    /// The response, and the Glacier error it carries when it is one.
    private func answer(
        _ request: Request, context: Context, next: (Request, Context) async throws -> Response
    ) async throws -> (response: Response, error: GlacierError?) {
        do {
            return (try await next(request, context), nil)
        } catch {
            let answer = Self.glacierError(for: error)
            if error is GlacierError {
                context.logger.debug("glacier error", metadata: ["code": .string(answer.code.rawValue), "message": .string(answer.message)])
            } else if error is HTTPParserError {
                context.logger.debug("malformed request", metadata: ["error": .string(String(describing: error))])
            } else {
                context.logger.error("internal error", metadata: ["error": .string(String(describing: error))])
            }
            return (Self.response(for: answer), answer)
        }
    }

    /// The Glacier error a thrown error is answered with: itself; BadRequest for a request
    /// body that broke off or is not valid HTTP (raised while the handler reads the body, the
    /// client's fault); ServiceUnavailableException for anything else (our bug or I/O).
    static func glacierError(for error: any Error) -> GlacierError {
        switch error {
        case let error as GlacierError:
            return error
        case let error as HTTPParserError:
            return GlacierError(.badRequest, "The request is not valid HTTP/1.1: \(error) (is the body shorter than its Content-Length?)")
        default:
            return GlacierError(.serviceUnavailable, "glacier-mock failed to handle the request: \(error)")
        }
    }

    static func response(for error: GlacierError) -> Response {
        Response(
            status: HTTPResponse.Status(code: error.status),
            headers: [.contentType: "application/json"],
            body: .init(byteBuffer: body(for: error)))
    }

    /// Glacier's error body: `{"code": …, "message": …, "type": "Client" | "Server"}`.
    static func body(for error: GlacierError) -> ByteBuffer {
        ByteBuffer(string: JSONWriter.object([
            ("code", .string(error.code.rawValue)),
            ("message", .string(error.message)),
            ("type", .string(error.code.type)),
        ]))
    }
}
