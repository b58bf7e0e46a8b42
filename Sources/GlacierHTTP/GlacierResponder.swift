import GlacierDomain
import Hummingbird

/// One stage of the request pipeline: it may change the request or the context, answer by
/// itself, or call `next`.
///
/// The module is compiled with `NonisolatedNonsendingByDefault` (SE-0461), so a stage and the
/// `next` it calls run on their caller's executor, the connection's event loop. Hummingbird's
/// `RouterMiddleware` is `@concurrent`: on NIO's event loops, installed as the global
/// executor, every such call was a task switch, an enqueue and a dequeue on the same loop —
/// 59 of them per DescribeVault before this pipeline, 31 now, 29 for a bare Hummingbird route.
protocol GlacierMiddleware: Sendable {
    func handle(
        _ request: Request, context: GlacierRequestContext,
        next: (Request, GlacierRequestContext) async throws -> Response
    ) async throws -> Response
}

/// The whole pipeline as one Hummingbird responder, in order: the request ID (outermost, so
/// every response carries it), errors to Glacier's JSON, the caller (or SigV4), the
/// operation dispatcher, and last the admin endpoints outside Glacier's path space.
public struct GlacierResponder: HTTPResponder {
    public typealias Context = GlacierRequestContext
    let requestID = RequestIDMiddleware()
    var errors = ErrorMiddleware()
    let authentication: any GlacierMiddleware
    let dispatch: OperationDispatchMiddleware
    let admin: AdminRoutes

    /// Marks every Glacier request's lifetime for `GlacierService.enterRequest` (blob files a
    /// snapshot restore leaves unnamed wait for older requests); nil in tests without a service.
    var requests: RequestGate?

    @concurrent public func respond(to request: Request, context: Context) async throws -> Response {
        // The admin endpoints read no blob file; a restore must not wait for itself.
        guard let requests, !AdminRoutes.owns(request.uri.path) else { return try await pipeline(request, context: context) }
        let epoch = requests.enter()
        defer { requests.leave(epoch) }
        return try await pipeline(request, context: context)
    }

    private func pipeline(_ request: Request, context: Context) async throws -> Response {
        try await requestID.handle(request, context: context) { request, context in
            // A browser opening http://127.0.0.1:9901/ goes to the dashboard; not a Glacier
            // request, so neither authenticated nor recorded in the journal.
            if Dashboard.isBrowserRoot(request) { return Dashboard.redirectToDashboard() }
            return try await errors.handle(request, context: context) { request, context in
                try await authentication.handle(request, context: context) { request, context in
                    try await dispatch.handle(request, context: context) { request, _ in
                        try await admin.respond(to: request)
                    }
                }
            }
        }
    }
}

/// Where the responder reports each request's start and end (`GlacierService.enterRequest`).
struct RequestGate: Sendable {
    let enter: @Sendable () -> UInt64
    let leave: @Sendable (UInt64) -> Void
}
