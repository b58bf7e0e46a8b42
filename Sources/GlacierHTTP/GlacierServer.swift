import GlacierDomain
import HTTPTypes
import Hummingbird
import HummingbirdCore
import Logging
import NIOCore

/// Builds the glacier-mock HTTP application: middleware (request IDs, errors, caller or
/// SigV4 verification), the operation dispatcher over the operation table, and the admin
/// endpoints, composed by `GlacierResponder`.
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

    /// The request pipeline over `service`: request ID, errors, caller or SigV4, operation
    /// dispatch, admin endpoints. `handlers` replaces the operation handlers (tests).
    public static func responder(
        service: GlacierService, options: ServerOptions, handlers: [OperationName: OperationHandler]? = nil
    ) -> GlacierResponder {
        let faults = FaultInjector()
        let journal = RequestJournal(capacity: options.requestJournalCapacity)
        let authentication: any GlacierMiddleware =
            switch options.authentication {
            case .none: CallerMiddleware(options: options)
            case .sigV4(let credentials): SigV4Middleware(credentials: credentials)
            }
        let dispatch = OperationDispatchMiddleware(
            handlers: handlers ?? Self.handlers(service), faults: faults,
            remember: { key, render in try await service.untilNextWrite(key, render) }
        ) { caller, vaultName, action in
            try await service.enforcePolicies(caller, vaultName: vaultName, action: action)
        }
        return GlacierResponder(
            errors: ErrorMiddleware(journal: journal, now: { service.now() }), authentication: authentication, dispatch: dispatch,
            admin: AdminRoutes(
                service: service, faults: faults, journal: journal,
                dashboard: Dashboard(service: service, faults: faults, journal: journal, info: dashboardInfo(service: service, options: options))),
            requests: RequestGate(enter: { service.enterRequestEpoch() }, leave: { service.leaveRequest($0) }))
    }

    /// What the dashboard's overview says about the server's options.
    static func dashboardInfo(service: GlacierService, options: ServerOptions) -> DashboardServerInfo {
        var info = DashboardServerInfo()
        switch options.authentication {
        case .none: info.authentication = "none (the caller is read from the Authorization header, not checked)"
        case .sigV4(let credentials): info.authentication = "sigv4 (\(credentials.byAccessKey.count) access key(s); /_mock/ endpoints and this dashboard stay open)"
        }
        info.jobDelays = service.jobDelays
        info.jobExpiry = service.jobExpiry
        info.dataDirectory = service.dataDirectory
        info.temporary = options.temporaryDataDirectory
        info.journalCapacity = options.requestJournalCapacity
        info.defaultAccountID = options.defaultAccountID
        info.defaultRegion = options.defaultRegion
        info.inventoryMode = service.inventoryMode
        return info
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
            responder: responder(service: service, options: options),
            server: .http1(configuration: http1),
            configuration: .init(address: .hostname(options.host, port: options.port), serverName: nil),
            onServerRunning: { channel in
                let address = channel.localAddress
                await onListening(address?.ipAddress ?? options.host, address?.port ?? options.port)
            },
            logger: logger)
    }
}
