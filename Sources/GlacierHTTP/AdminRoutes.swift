import GlacierDomain
import HTTPTypes
import Hummingbird

/// Endpoints outside Glacier's path space, for test suites: health and reset. The moto
/// alias lets suites written for moto's server mode reset glacier-mock unchanged.
struct AdminRoutes: Sendable {
    let service: GlacierService

    /// True for the paths these endpoints own; the authentication and the operation
    /// dispatcher let them through untouched.
    static func owns(_ path: String) -> Bool {
        path.hasPrefix("/_mock/") || path.hasPrefix("/moto-api/")
    }

    func respond(to request: Request) async throws -> Response {
        switch (request.method, request.uri.path) {
        case (.get, "/_mock/health"):
            return Self.ok()
        case (.post, "/_mock/reset"), (.post, "/moto-api/reset"):
            try await service.reset()
            return Self.ok()
        case (.post, "/_mock/jobs/complete"):
            // Completes every pending retrieval or inventory job now, whatever --job-delay says.
            let n = try await service.completeAllPendingJobs()
            return Self.json(.object([("status", .string("ok")), ("completed", .int(Int64(n)))]))
        case (.get, "/_mock/notifications"):
            // Job-completion notifications the server sent (or would have sent) to SNS topics.
            return Self.json(.object([("Notifications", try await service.notifications())]))
        default:
            throw GlacierError(
                .unknownOperation,
                "No glacier-mock endpoint matches \(request.method.rawValue) \(request.uri.path.prefix(300)); the admin endpoints are GET /_mock/health, POST /_mock/reset (or /moto-api/reset), POST /_mock/jobs/complete and GET /_mock/notifications")
        }
    }

    static func json(_ value: JSONValue) -> Response {
        Response(
            status: .ok, headers: [.contentType: "application/json"],
            body: .init(byteBuffer: ByteBuffer(string: JSONWriter.write(value))))
    }

    static func ok() -> Response {
        json(.object([("status", .string("ok"))]))
    }
}
