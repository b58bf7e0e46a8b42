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
    }

    static func ok() -> Response {
        Response(
            status: .ok, headers: [.contentType: "application/json"],
            body: .init(byteBuffer: ByteBuffer(string: JSONWriter.object([("status", .string("ok"))]))))
    }
}
