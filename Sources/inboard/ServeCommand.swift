import ArgumentParser
import DirectorySync
import Foundation
import Hummingbird
import InboardCore
import InboardServer
import InboardStore
import Mailer
import Metrics
import NIOCore
import PostgresNIO
import Prometheus

struct ServeCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "serve",
        abstract: "Run the Inboard server (HTTP API, web pages, background work) until SIGTERM or Ctrl-C.",
        discussion: """
            Listens on INBOARD_HTTP_HOST:INBOARD_HTTP_PORT. Refuses to start when the schema is not current \
            (run 'inboard migrate'), the database login is refused, or the secret key file is missing; when \
            PostgreSQL cannot be reached yet it waits for it (logging every 30 s) and then starts. Once running, \
            a PostgreSQL outage answers 503 (database_unavailable, /health/ready) until the database is back, \
            with no restart needed. SIGTERM finishes \
            in-flight requests, then exits. While it runs, directory syncs follow the schedule in the directory \
            settings (see 'inboard sync --help').
            """)

    func run() async throws {
        let environment = try CommandEnvironment.load()
        let configuration = environment.configuration
        // Before any service starts: a server that cannot listen says so and exits at once (found only by the
        // HTTP server, the error had to wait for every other service to shut down).
        guard PortCheck.canListen(host: configuration.httpHost, port: configuration.httpPort) else {
            throw CommandFailure(
                message:
                    "port \(configuration.httpPort) on \(configuration.httpHost) is already in use (or not an address of this machine): stop the other program or set INBOARD_HTTP_PORT and INBOARD_HTTP_HOST"
            )
        }
        do {
            let secrets = try SecretBox.load(keyFile: configuration.secretKeyFile)
            let catalog = try MigrationCatalog.embedded()
            let migrator = Migrator(catalog: catalog, logger: environment.logger)
            let plan = try await Self.waitForDatabase(environment) { try await migrator.plan(on: $0) }
            if !plan.pending.isEmpty {
                throw MigrationError.schemaBehind(
                    databaseVersion: plan.currentVersion, binaryVersion: catalog.latestVersion)
            }
            let registry = PrometheusCollectorRegistry()
            MetricsSystem.bootstrap(PrometheusMetricsFactory(registry: registry))
            let postgres = try environment.database.makePool(size: configuration.databasePoolSize)
            let syncer = DirectorySyncer(
                database: environment.database, pool: postgres, secrets: secrets, logger: environment.logger)
            var mail = MailWorker.Options()
            mail.schemaVersion = catalog.latestVersion
            let dependencies = AppDependencies(
                postgres: postgres, databaseURL: configuration.databaseURL,
                schemaVersion: catalog.latestVersion, metrics: registry, logger: environment.logger, secrets: secrets,
                backgroundServices: [
                    MailWorker(database: postgres, secrets: secrets, logger: environment.logger, options: mail)
                ])
            var withPolicies = dependencies
            withPolicies.maintenanceJobs = [.directorySync(SyncScheduler(syncer: syncer, logger: environment.logger))]
            withPolicies.policyDir = configuration.policyDir
            withPolicies.clientPackageDir = configuration.clientPackageDir
            withPolicies.trustedProxies = configuration.trustedProxies
            withPolicies.publicURLIsHTTPS = configuration.publicURLIsHTTPS
            withPolicies.historyRetention = configuration.historyRetention
            withPolicies.statusChangeLimit = configuration.statusChangeLimit
            let app = buildApplication(configuration: configuration, dependencies: withPolicies)
            environment.logger.info(
                "Inboard \(InboardVersion.current) listening on http://\(configuration.httpHost):\(configuration.httpPort)"
            )
            try await app.runService()
        } catch let error as IOError where error.errnoCode == EADDRINUSE {
            throw CommandFailure(
                message:
                    "port \(configuration.httpPort) on \(configuration.httpHost) is already in use: stop the other program or set INBOARD_HTTP_PORT"
            )
        } catch let error as IOError where error.errnoCode == EADDRNOTAVAIL {
            throw CommandFailure(
                message: "INBOARD_HTTP_HOST \(configuration.httpHost) is not an address of this machine")
        } catch let error as CommandFailure {
            throw error
        } catch {
            throw CommandFailure(error)
        }
    }

    /// Runs `body` on a dedicated connection, waiting (retrying each second) while PostgreSQL cannot be reached:
    /// a server started before its database, or during a failover, comes up when the database does.
    static func waitForDatabase<T: Sendable>(
        _ environment: CommandEnvironment,
        _ body: @escaping @Sendable (PostgresConnection) async throws -> T
    ) async throws -> T {
        var waitingSince: ContinuousClock.Instant?
        var lastLog = ContinuousClock.now
        while true {
            do {
                let result = try await environment.database.withConnection(body)
                if waitingSince != nil { environment.logger.notice("PostgreSQL is reachable; starting") }
                return result
            } catch  where Self.meansWaitForDatabase(error) {
                if waitingSince == nil || ContinuousClock.now - lastLog >= .seconds(30) {
                    environment.logger.warning(
                        "waiting for PostgreSQL before starting", metadata: ["error": "\(Self.describe(error))"])
                    lastLog = .now
                }
                waitingSince = waitingSince ?? .now
                try await Task.sleep(for: .seconds(1))
            }
        }
    }

    /// PostgreSQL cannot be reached, or the connection closed under the start-up's statements (a restart).
    static func meansWaitForDatabase(_ error: any Error) -> Bool {
        (error as? DatabaseError)?.isUnreachable == true || (error as? DatabaseUnavailable)?.closedUnderLease == true
    }

    static func describe(_ error: any Error) -> String {
        (error as? DatabaseError)?.message ?? String(describing: error)
    }
}
