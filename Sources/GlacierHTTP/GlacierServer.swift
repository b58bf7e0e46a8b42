import GlacierDomain
import HTTPTypes
import Hummingbird
import HummingbirdCore
import Logging
import NIOCore

/// Builds the glacier-mock HTTP application: middleware (request IDs, errors, caller or
/// SigV4 verification),
/// the operation dispatcher over the operation table, and the admin endpoints.
public enum GlacierServer {
    /// The handlers of every operation glacier-mock serves, keyed by operation.
    public static func handlers(_ service: GlacierService) -> [OperationName: OperationHandler] {
        var table: [OperationName: OperationHandler] = [:]
        VaultHandlers.register(service, into: &table)
        MultipartHandlers.register(service, into: &table)
        ArchiveAndJobHandlers.register(service, into: &table)
        VaultConfigurationHandlers.register(service, into: &table)
        return table
    }

    public static func router(service: GlacierService, options: ServerOptions) -> Router<GlacierRequestContext> {
        let router = Router(context: GlacierRequestContext.self)
        // Order matters: the request ID wraps everything so errors carry it too.
        router.add(middleware: RequestIDMiddleware())
        router.add(middleware: ErrorMiddleware())
        switch options.authentication {
        case .none: router.add(middleware: CallerMiddleware(options: options))
        case .sigV4(let credentials): router.add(middleware: SigV4Middleware(credentials: credentials))
        }
        router.add(middleware: OperationDispatchMiddleware(
            handlers: handlers(service),
            remember: { key, render in try await service.untilNextWrite(key, render) }
        ) { caller, vaultName, action in
            try await service.enforcePolicies(caller, vaultName: vaultName, action: action)
        })
        AdminRoutes.register(on: router, service: service)
        return router
    }

    /// The application, ready for `runService()`. `onListening` receives the bound address.
    public static func application(
        service: GlacierService, options: ServerOptions, logger: Logger,
        onListening: @escaping @Sendable (String, Int) async -> Void
    ) -> some ApplicationProtocol {
        let limits = options.limits
        let counter = ConnectionCounter()
        let http1 = HTTP1Channel.Configuration(
            additionalChannelHandlers: [ConnectionGuard(limits: limits, counter: counter), ExpectContinueHandler()],
            idleTimeout: limits.idleTimeout,
            httpDecoderConfiguration: .init(
                maxHeaderFieldSize: limits.maxHeaderFieldSize, maxHeaderListSize: limits.maxHeaderListSize,
                maxHeaderFieldCount: limits.maxHeaderFieldCount))
        return Application(
            router: router(service: service, options: options),
            server: .http1(configuration: http1),
            configuration: .init(address: .hostname(options.host, port: options.port), serverName: nil),
            onServerRunning: { channel in
                let address = channel.localAddress
                await onListening(address?.ipAddress ?? options.host, address?.port ?? options.port)
            },
            logger: logger)
    }
}
