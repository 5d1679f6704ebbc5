import Hummingbird
import DirectorySync
import InboardCore
import InboardStore
import Logging
import PostgresNIO
import Prometheus
import ServiceLifecycle

/// What the application is built from; tests assemble their own.
public struct AppDependencies: Sendable {
    public var postgres: DatabasePool
    public var databaseURL: DatabaseURL
    public var schemaVersion: Int
    public var metrics: PrometheusCollectorRegistry
    public var logger: Logger
    /// Background work that starts and stops with the server (the sync schedule, later the mail worker).
    public var backgroundServices: [any Service]
    /// Seals and opens the stored secrets (directory and SMTP passwords).
    public var secrets: SecretBox
    /// The policy folder the client manifest endpoint evaluates.
    public var policyDir: String = ServerConfiguration.defaultPolicyDir
    /// Reverse proxies whose forwarded client address is believed, and whether the public URL is https.
    public var trustedProxies: TrustedProxies = .none
    public var publicURLIsHTTPS = false
    /// How long each LDAP step of a login may take (then the next server, or a 503).
    public var directoryLoginTimeout: Duration = DirectorySettings.loginOperationTimeout
    /// The login throttle's first lock (1 s, doubling per further failure up to 15 minutes).
    public var loginFirstLock: Duration = .seconds(1)

    public init(postgres: DatabasePool, databaseURL: DatabaseURL, schemaVersion: Int, metrics: PrometheusCollectorRegistry, logger: Logger,
                secrets: SecretBox, backgroundServices: [any Service] = []) {
        self.backgroundServices = backgroundServices
        self.secrets = secrets
        self.postgres = postgres
        self.databaseURL = databaseURL
        self.schemaVersion = schemaVersion
        self.metrics = metrics
        self.logger = logger
    }
}

/// The Hummingbird application: routes plus the long-running services (the PostgreSQL pool) it owns.
public func buildApplication(configuration: ServerConfiguration, dependencies: AppDependencies) -> some ApplicationProtocol {
    let board = BoardCache(statuses: StatusStore(database: dependencies.postgres, logger: dependencies.logger))
    let hub = EventHub(log: EventLog(database: dependencies.postgres, logger: dependencies.logger), databaseURL: dependencies.databaseURL,
                       board: board, sessions: SessionStore(database: dependencies.postgres, logger: dependencies.logger), logger: dependencies.logger)
    let router = buildRouter(dependencies: dependencies, hub: hub, board: board)
    let maintenance = StatusMaintenance(statuses: StatusStore(database: dependencies.postgres, logger: dependencies.logger),
                                        housekeeping: Housekeeping(database: dependencies.postgres, logger: dependencies.logger), logger: dependencies.logger)
    return Application(
        router: router,
        configuration: .init(address: .hostname(configuration.httpHost, port: configuration.httpPort), serverName: "Inboard"),
        services: [DatabasePoolService(pool: dependencies.postgres), hub, maintenance] + dependencies.backgroundServices,
        logger: dependencies.logger)
}

func buildRouter(dependencies: AppDependencies, hub: EventHub, board: BoardCache) -> Router<AppRequestContext> {
    let router = Router(context: AppRequestContext.self)
    router.add(middleware: ClientAddressMiddleware(trusted: dependencies.trustedProxies, publicURLIsHTTPS: dependencies.publicURLIsHTTPS))
    router.add(middleware: APIErrorMiddleware())
    router.add(middleware: MetricsMiddleware())
    router.add(middleware: ClientVersionMiddleware(serverVersion: .current))
    let readiness = DatabaseReadiness(client: dependencies.postgres, url: dependencies.databaseURL,
                                      expectedSchemaVersion: dependencies.schemaVersion, logger: dependencies.logger)
    HealthController(readiness: readiness).addRoutes(to: router.group("health"))
    VersionController(schemaVersion: dependencies.schemaVersion).addRoutes(to: router.group("api/v1"))
    MetricsController(registry: dependencies.metrics).addRoutes(to: router)

    let logger = dependencies.logger
    let database = Database(url: dependencies.databaseURL, logger: logger)
    let syncer = DirectorySyncer(database: database, pool: dependencies.postgres, secrets: dependencies.secrets, logger: logger)
    let sessions = SessionStore(database: dependencies.postgres, logger: logger)
    let people = PeopleStore(database: dependencies.postgres, logger: logger)
    let csrf = CSRFTokens(key: dependencies.secrets.derivedKey(for: "csrf"))
    let api = router.group("api/v1").add(middleware: SessionMiddleware(sessions: sessions)).add(middleware: CSRFMiddleware(tokens: csrf))
    let directoryLogins = DirectoryClientCache(logger: logger, operationTimeout: dependencies.directoryLoginTimeout)
    let login = LoginService(people: people, syncer: syncer, directory: directoryLogins)
    var throttle = LoginThrottle(database: dependencies.postgres, logger: logger)
    throttle.firstDelay = dependencies.loginFirstLock
    let auth = AuthController(login: login, sessions: sessions, throttle: throttle)
    auth.addRoutes(to: api)
    DirectoryAdminController(syncer: syncer, logins: directoryLogins, logger: logger).addRoutes(to: api.group("admin"))
    let statuses = StatusStore(database: dependencies.postgres, logger: logger)
    let statusService = StatusService(statuses: statuses, database: dependencies.postgres, board: board, logger: logger)
    StatusController(service: statusService).addRoutes(to: api)
    BoardController(statuses: statuses, people: people, cache: board).addRoutes(to: api)
    PresenceController(statuses: statuses, database: dependencies.postgres, board: board, logger: logger).addRoutes(to: api)
    ContactController(database: dependencies.postgres, statuses: statuses, board: board, logger: logger).addRoutes(to: api)
    let watches = WatchStore(database: dependencies.postgres, logger: logger), notes = NoteStore(database: dependencies.postgres, logger: logger)
    WatchesAndNotesController(watches: watches, notes: notes, statuses: statuses).addRoutes(to: api)
    EventsController(hub: hub, log: EventLog(database: dependencies.postgres, logger: logger)).addRoutes(to: api)
    ClientManifestController(policyDir: dependencies.policyDir, syncer: syncer, database: dependencies.postgres, logger: logger).addRoutes(to: api)

    let renderer: WebRenderer
    do { renderer = try WebRenderer(csrf: csrf) } catch {
        fatalError("a web page template does not parse (run the web tests): \(error)")
    }
    StaticFilesController().addRoutes(to: router)
    // The session first, so that error pages still show who is signed in.
    // The error pages twice: the outer one for a session lookup that fails (the database away).
    let web = router.group().add(middleware: WebErrorMiddleware(renderer: renderer)).add(middleware: SessionMiddleware(sessions: sessions))
        .add(middleware: WebErrorMiddleware(renderer: renderer)).add(middleware: CSRFMiddleware(tokens: csrf))
    WebAuthController(auth: auth, sessions: sessions, renderer: renderer).addRoutes(to: web)
    BoardPages(statuses: statuses, service: statusService, people: people, watches: watches, notes: notes, renderer: renderer).addRoutes(to: web)
    AdminDirectoryPages(syncer: syncer, logins: directoryLogins, renderer: renderer, logger: logger).addRoutes(to: web)
    AdminSyncPage(syncer: syncer, renderer: renderer, logger: logger).addRoutes(to: web)
    AdminNotificationsPage(store: SMTPSettingsStore(database: dependencies.postgres, secrets: dependencies.secrets, logger: logger),
                           database: dependencies.postgres, renderer: renderer, logger: logger).addRoutes(to: web)
    AdminPoliciesPage(policyDir: dependencies.policyDir, syncer: syncer, database: dependencies.postgres, renderer: renderer, logger: logger).addRoutes(to: web)
    AdminPeoplePages(statuses: statuses, service: statusService, people: people, database: dependencies.postgres, renderer: renderer).addRoutes(to: web)
    return router
}

/// Runs the pool inside the application's service group, so that it starts and stops with the server.
struct DatabasePoolService: Service {
    let pool: DatabasePool
    func run() async throws {
        await cancelWhenGracefulShutdown { await pool.run() }
    }
}
