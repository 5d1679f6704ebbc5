import Hummingbird
import InboardCore
import InboardStore
import Logging
import PostgresNIO
import Prometheus
import ServiceLifecycle

/// What the application is built from; tests assemble their own.
public struct AppDependencies: Sendable {
    public var postgres: PostgresClient
    public var databaseURL: DatabaseURL
    public var schemaVersion: Int
    public var metrics: PrometheusCollectorRegistry
    public var logger: Logger
    /// Background work that starts and stops with the server (the sync schedule, later the mail worker).
    public var backgroundServices: [any Service]

    public init(postgres: PostgresClient, databaseURL: DatabaseURL, schemaVersion: Int, metrics: PrometheusCollectorRegistry, logger: Logger,
                backgroundServices: [any Service] = []) {
        self.backgroundServices = backgroundServices
        self.postgres = postgres
        self.databaseURL = databaseURL
        self.schemaVersion = schemaVersion
        self.metrics = metrics
        self.logger = logger
    }
}

public typealias AppRequestContext = BasicRequestContext

/// The Hummingbird application: routes plus the long-running services (the PostgreSQL pool) it owns.
public func buildApplication(configuration: ServerConfiguration, dependencies: AppDependencies) -> some ApplicationProtocol {
    let router = buildRouter(dependencies: dependencies)
    return Application(
        router: router,
        configuration: .init(address: .hostname(configuration.httpHost, port: configuration.httpPort), serverName: "Inboard"),
        services: [PostgresClientService(client: dependencies.postgres)] + dependencies.backgroundServices,
        logger: dependencies.logger)
}

public func buildRouter(dependencies: AppDependencies) -> Router<AppRequestContext> {
    let router = Router(context: AppRequestContext.self)
    router.add(middleware: APIErrorMiddleware())
    router.add(middleware: MetricsMiddleware())
    router.add(middleware: ClientVersionMiddleware(serverVersion: .current))
    let readiness = DatabaseReadiness(client: dependencies.postgres, url: dependencies.databaseURL,
                                      expectedSchemaVersion: dependencies.schemaVersion, logger: dependencies.logger)
    HealthController(readiness: readiness).addRoutes(to: router.group("health"))
    VersionController(schemaVersion: dependencies.schemaVersion).addRoutes(to: router.group("api/v1"))
    MetricsController(registry: dependencies.metrics).addRoutes(to: router)
    return router
}

/// Runs the pool inside the application's service group, so that it starts and stops with the server.
struct PostgresClientService: Service {
    let client: PostgresClient
    func run() async throws {
        await cancelWhenGracefulShutdown { await client.run() }
    }
}
