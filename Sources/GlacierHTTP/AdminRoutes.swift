import GlacierDomain
import HTTPTypes
import Hummingbird

/// Endpoints outside Glacier's path space, for test suites: health and reset. The moto
/// alias lets suites written for moto's server mode reset glacier-mock unchanged.
enum AdminRoutes {
    static func register(on router: Router<GlacierRequestContext>, service: GlacierService) {
        router.get("/_mock/health") { _, _ in ok() }
        let reset: @Sendable (Request, GlacierRequestContext) async throws -> Response = { _, _ in
            try await service.reset()
            return ok()
        }
        router.post("/_mock/reset", use: reset)
        router.post("/moto-api/reset", use: reset)
        // Completes every pending retrieval or inventory job now, whatever --job-delay says.
        router.post("/_mock/jobs/complete") { _, _ in
            let n = try await service.completeAllPendingJobs()
            return json(.object([("status", .string("ok")), ("completed", .int(Int64(n)))]))
        }
        // Job-completion notifications the server sent (or would have sent) to SNS topics.
        router.get("/_mock/notifications") { _, _ in
            json(.object([("Notifications", try await service.notifications())]))
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
