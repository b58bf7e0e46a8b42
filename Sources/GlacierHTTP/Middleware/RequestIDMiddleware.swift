import GlacierStorage
import HTTPTypes
import Hummingbird
import Logging

/// Gives each request an ID (`x-amzn-RequestId` on every response, success or error) and
/// logs one line per request with its outcome.
struct RequestIDMiddleware: GlacierMiddleware {
    typealias Context = GlacierRequestContext

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        var context = context
        context.requestID = RandomID.make(length: 47)
        var response = try await next(request, context)
        response.headers[.amznRequestID] = context.requestID
        context.logger.debug(
            "request",
            metadata: [
                "id": .string(context.requestID), "method": .string(request.method.rawValue),
                "path": .string(request.uri.path), "status": .stringConvertible(response.status.code),
            ])
        return response
    }
}

extension HTTPField.Name {
    static let amznRequestID = Self("x-amzn-RequestId")!
}
