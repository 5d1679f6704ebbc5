import Foundation
import Hummingbird
import DirectorySync
import InboardCore
import InboardStore
import Logging
import Mailer
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
    /// Jobs beyond the built-in ones (the sync schedule), run by the same `JobRunner`.
    public var maintenanceJobs: [MaintenanceJob] = []
    /// Seals and opens the stored secrets (directory and SMTP passwords).
    public var secrets: SecretBox
    /// The policy folder the client manifest endpoint evaluates.
    public var policyDir: String = ServerConfiguration.defaultPolicyDir
    /// The client packages `GET /api/v1/clients/packages/NAME` serves and manifests name.
    public var clientPackageDir: String = ServerConfiguration.defaultClientPackageDir
    /// Reverse proxies whose forwarded client address is believed, and whether the public URL is https.
    public var trustedProxies: TrustedProxies = .none
    public var publicURLIsHTTPS = false
    /// How long housekeeping keeps status history (nil: for ever).
    public var historyRetention: Duration? = .seconds(Housekeeping.defaultHistoryRetentionDays * 86_400)
    /// How long each LDAP step of a login may take (then the next server, or a 503).
    public var directoryLoginTimeout: Duration = DirectorySettings.loginOperationTimeout
    /// How long a live stream's connection may take no writes before its client is taken as gone and it is closed.
    public var streamStallLimit: Duration = ClientDepartureHandler.defaultStallLimit
    /// Changes one person's status takes per 10 minutes in this process (`StatusChangeLimiter`); 0: no limit.
    public var statusChangeLimit = StatusChangeLimiter.defaultPerWindow
    /// The login throttle's first lock (1 s, doubling per further failure up to 15 minutes).
    public var loginFirstLock: Duration = .seconds(1)
    /// Stores used instead of the PostgreSQL ones (route and page tests run on in-memory stores).
    public var boardStores: BoardStores?
    /// Now, for the status rules, auto-away and overdue (tests move it instead of sleeping).
    public var clock: @Sendable () -> Date = { Date() }

    public init(
        postgres: DatabasePool, databaseURL: DatabaseURL, schemaVersion: Int, metrics: PrometheusCollectorRegistry,
        logger: Logger,
        secrets: SecretBox, backgroundServices: [any Service] = []
    ) {
        self.backgroundServices = backgroundServices
        self.secrets = secrets
        self.postgres = postgres
        self.databaseURL = databaseURL
        self.schemaVersion = schemaVersion
        self.metrics = metrics
        self.logger = logger
    }
}

/// The stores every controller and page is given: the only values that reach PostgreSQL (this file is the one
/// place in the server that holds the pool).
struct ServerStores: Sendable {
    let statuses: any StatusStoring
    let people: any PeopleStoring
    let sessions: any SessionStoring
    let organisation: any OrganisationStoring
    let audit: AuditLog
    let watches: any WatchStoring
    let notes: any NoteStoring
    let events: EventLog
    let outbox: Outbox
    let mailPreferences: any MailPreferencesStoring
    let mailTemplates: MailTemplateStore
    let policyTargets: PolicyTargets
    let throttle: LoginThrottle
    let throttlePool: DatabasePool?
    let housekeeping: Housekeeping
    let readiness: DatabaseReadiness
    let syncer: DirectorySyncer

    /// What the stores themselves run: the throttle's pool, and the session cache's listener.
    var ownServices: [any Service] {
        let services: [(any Service)?] = [
            throttlePool.map { DatabasePoolService(pool: $0) }, sessions as? SessionCache,
        ]
        return services.compactMap { $0 }
    }

    init(_ dependencies: AppDependencies) {
        let pool = dependencies.postgres, logger = dependencies.logger
        let board = dependencies.boardStores ?? BoardStores(database: pool, logger: logger)
        statuses = board.statuses
        people = board.people
        sessions = board.sessions
        organisation = board.organisation
        audit = AuditLog(database: pool, logger: logger)
        watches = board.watches
        notes = board.notes
        events = EventLog(database: pool, databaseURL: dependencies.databaseURL, logger: logger)
        outbox = Outbox(database: pool, logger: logger)
        mailPreferences = board.mailPreferences
        mailTemplates = MailTemplateStore(database: pool, logger: logger)
        policyTargets = PolicyTargets(database: pool, logger: logger)
        // The throttle's own small pool commits without waiting for the disk (see `LoginThrottle.makePool`); a
        // login waits for one of its connections as long as for one of the main pool's.
        throttlePool = try? LoginThrottle.makePool(
            url: dependencies.databaseURL, logger: logger, acquireTimeout: pool.acquireTimeout)
        var throttle = LoginThrottle(database: throttlePool ?? pool, logger: logger)
        throttle.firstDelay = dependencies.loginFirstLock
        self.throttle = throttle
        housekeeping = Housekeeping(
            database: pool, logger: logger, historyRetention: dependencies.historyRetention)
        readiness = DatabaseReadiness(
            client: pool, url: dependencies.databaseURL, expectedSchemaVersion: dependencies.schemaVersion,
            logger: logger)
        syncer = DirectorySyncer(
            database: Database(url: dependencies.databaseURL, logger: logger), pool: pool,
            secrets: dependencies.secrets, logger: logger)
    }
}

/// The Hummingbird application: routes plus the long-running services (the PostgreSQL pool) it owns.
public func buildApplication(configuration: ServerConfiguration, dependencies: AppDependencies)
    -> some ApplicationProtocol
{
    let stores = ServerStores(dependencies)
    let board = BoardCache(statuses: stores.statuses, clock: dependencies.clock)
    let hub = EventHub(
        log: stores.events, board: board, sessions: stores.sessions, logger: dependencies.logger,
        clock: dependencies.clock)
    let launcher = SyncLauncher(syncer: stores.syncer, logger: dependencies.logger)
    let router = buildRouter(dependencies: dependencies, stores: stores, hub: hub, board: board, launcher: launcher)
    let maintenance = JobRunner(
        jobs: MaintenanceJob.builtIn(statuses: stores.statuses, housekeeping: stores.housekeeping)
            + dependencies.maintenanceJobs,
        store: JobStore(database: dependencies.postgres, logger: dependencies.logger), logger: dependencies.logger,
        schemaVersion: dependencies.schemaVersion)
    return Application(
        router: router,
        configuration: .init(
            address: .hostname(configuration.httpHost, port: configuration.httpPort), serverName: "Inboard"),
        services: [DatabasePoolService(pool: dependencies.postgres), hub, maintenance, launcher]
            + stores.ownServices + dependencies.backgroundServices,
        logger: dependencies.logger)
}

func buildRouter(
    dependencies: AppDependencies, stores: ServerStores, hub: EventHub, board: BoardCache, launcher: SyncLauncher
) -> Router<AppRequestContext> {
    let router = Router(context: AppRequestContext.self)
    router.add(
        middleware: ClientAddressMiddleware(
            trusted: dependencies.trustedProxies, publicURLIsHTTPS: dependencies.publicURLIsHTTPS))
    router.add(middleware: APIErrorMiddleware())
    router.add(middleware: RequestMetricsMiddleware(factory: PrometheusMetricsFactory(registry: dependencies.metrics)))
    router.add(middleware: ClientVersionMiddleware(serverVersion: .current))
    HealthController(readiness: stores.readiness).addRoutes(to: router.group("health"))
    VersionController(schemaVersion: dependencies.schemaVersion).addRoutes(to: router.group("api/v1"))
    MetricsController(registry: dependencies.metrics).addRoutes(to: router)

    let logger = dependencies.logger
    let syncer = stores.syncer, people = stores.people, statuses = stores.statuses
    let csrf = CSRFTokens(key: dependencies.secrets.derivedKey(for: "csrf"))
    let api = router.group("api/v1").add(middleware: SessionMiddleware(sessions: stores.sessions)).add(
        middleware: CSRFMiddleware(tokens: csrf))
    let directoryLogins = DirectoryClientCache(logger: logger, operationTimeout: dependencies.directoryLoginTimeout)
    let login = LoginService(people: people, syncer: syncer, directory: directoryLogins)
    let auth = AuthController(
        login: login, sessions: stores.sessions, throttle: stores.throttle,
        devices: DeviceTokens(key: dependencies.secrets.derivedKey(for: "login device tokens")))
    auth.addRoutes(to: api)
    let directoryTest = DirectoryTestRun(throttle: stores.throttle, people: people, logger: logger)
    DirectoryAdminController(
        syncer: syncer, launcher: launcher, logins: directoryLogins, testRun: directoryTest, logger: logger
    ).addRoutes(to: api.group("admin"))
    OrganisationAdminController(organisation: stores.organisation, statuses: statuses).addRoutes(to: api)
    PeopleAdminController(people: people).addRoutes(to: api)
    let clock = dependencies.clock
    let limiter = StatusChangeLimiter(perWindow: dependencies.statusChangeLimit)
    let statusService = StatusService(
        statuses: statuses, people: people, organisation: stores.organisation, board: board, clock: clock,
        limiter: limiter, logger: logger)
    StatusController(service: statusService).addRoutes(to: api)
    BoardController(statuses: statuses, people: people, cache: board, clock: clock).addRoutes(to: api)
    PresenceController(
        statuses: statuses, organisation: stores.organisation, board: board, clock: clock, limiter: limiter,
        logger: logger
    )
    .addRoutes(to: api)
    ContactController(people: people, organisation: stores.organisation, statuses: statuses, board: board).addRoutes(
        to: api)
    WatchesAndNotesController(watches: stores.watches, notes: stores.notes, statuses: statuses).addRoutes(to: api)
    EventsController(hub: hub, log: stores.events, stallLimit: dependencies.streamStallLimit).addRoutes(to: api)
    let policies = PolicySetCache(folder: dependencies.policyDir)
    ClientManifestController(
        policies: policies, packages: ClientPackages(folder: dependencies.clientPackageDir), syncer: syncer,
        targets: stores.policyTargets, logger: logger
    )
    .addRoutes(to: api)

    let renderer: WebRenderer
    do { renderer = try WebRenderer(csrf: csrf) } catch {
        fatalError("a web page template does not parse (run the web tests): \(error)")
    }
    StaticFilesController().addRoutes(to: router)
    // The session first, so that error pages still show who is signed in.
    // The error pages twice: the outer one for a session lookup that fails (the database away).
    let web = router.group().add(middleware: WebErrorMiddleware(renderer: renderer)).add(
        middleware: SessionMiddleware(sessions: stores.sessions)
    )
    .add(middleware: WebErrorMiddleware(renderer: renderer)).add(middleware: CSRFMiddleware(tokens: csrf))
    WebAuthController(auth: auth, renderer: renderer).addRoutes(to: web)
    BoardPages(
        statuses: statuses, service: statusService, people: people, watches: stores.watches, notes: stores.notes,
        mailPreferences: stores.mailPreferences, renderer: renderer, hub: hub, clock: clock
    ).addRoutes(to: web)
    AdminDirectoryPages(
        syncer: syncer, logins: directoryLogins, testRun: directoryTest, renderer: renderer, logger: logger
    ).addRoutes(to: web)
    AdminSyncPage(syncer: syncer, launcher: launcher, renderer: renderer, logger: logger).addRoutes(to: web)
    AdminNotificationsPage(
        store: SMTPSettingsStore(database: dependencies.postgres, secrets: dependencies.secrets, logger: logger),
        templates: stores.mailTemplates, outbox: stores.outbox, renderer: renderer, logger: logger
    ).addRoutes(to: web)
    AdminPoliciesPage(
        policyDir: dependencies.policyDir, syncer: syncer, targets: stores.policyTargets, policies: policies,
        renderer: renderer, logger: logger
    ).addRoutes(to: web)
    AdminPeoplePages(
        statuses: statuses, service: statusService, people: people, audit: stores.audit, renderer: renderer
    ).addRoutes(to: web)
    AdminJobsPage(jobs: JobStore(database: dependencies.postgres, logger: logger), renderer: renderer).addRoutes(
        web: web, api: api)
    return router
}

/// Runs the pool inside the application's service group, so that it starts and stops with the server.
struct DatabasePoolService: Service {
    let pool: DatabasePool
    func run() async throws {
        await cancelWhenGracefulShutdown { await pool.run() }
    }
}
