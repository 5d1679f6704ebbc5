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
import Prometheus

struct ServeCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "serve",
        abstract: "Run the Inboard server (HTTP API, web pages, background work) until SIGTERM or Ctrl-C.",
        discussion: """
            Listens on INBOARD_HTTP_HOST:INBOARD_HTTP_PORT. Refuses to start when PostgreSQL cannot be reached, \
            the schema is not current (run 'inboard migrate'), or the secret key file is missing. Once running, \
            a PostgreSQL outage turns /health/ready to 503 until the database is back. SIGTERM finishes \
            in-flight requests, then exits. While it runs, directory syncs follow the schedule in the directory \
            settings (see 'inboard sync --help').
            """)

    func run() async throws {
        let environment = try CommandEnvironment.load()
        let configuration = environment.configuration
        do {
            let secrets = try SecretBox.load(keyFile: configuration.secretKeyFile)
            let catalog = try MigrationCatalog.embedded()
            let migrator = Migrator(catalog: catalog, logger: environment.logger)
            let plan = try await environment.database.withConnection { try await migrator.plan(on: $0) }
            if !plan.pending.isEmpty {
                throw MigrationError.schemaBehind(databaseVersion: plan.currentVersion, binaryVersion: catalog.latestVersion)
            }
            let registry = PrometheusCollectorRegistry()
            MetricsSystem.bootstrap(PrometheusMetricsFactory(registry: registry))
            let postgres = try environment.database.makeClient(keepOpen: Database.serverPoolSize, extra: 1)
            let syncer = DirectorySyncer(database: environment.database, pool: postgres, secrets: secrets, logger: environment.logger)
            let dependencies = AppDependencies(
                postgres: postgres, databaseURL: configuration.databaseURL,
                schemaVersion: catalog.latestVersion, metrics: registry, logger: environment.logger, secrets: secrets,
                backgroundServices: [SyncScheduler(syncer: syncer, logger: environment.logger),
                                     MailWorker(database: postgres, secrets: secrets, logger: environment.logger)])
            var withPolicies = dependencies
            withPolicies.policyDir = configuration.policyDir
            let app = buildApplication(configuration: configuration, dependencies: withPolicies)
            environment.logger.info("Inboard \(InboardVersion.current) listening on http://\(configuration.httpHost):\(configuration.httpPort)")
            try await app.runService()
        } catch let error as IOError where error.errnoCode == EADDRINUSE {
            throw CommandFailure(message: "port \(configuration.httpPort) on \(configuration.httpHost) is already in use: stop the other program or set INBOARD_HTTP_PORT")
        } catch let error as IOError where error.errnoCode == EADDRNOTAVAIL {
            throw CommandFailure(message: "INBOARD_HTTP_HOST \(configuration.httpHost) is not an address of this machine")
        } catch let error as CommandFailure {
            throw error
        } catch {
            throw CommandFailure(error)
        }
    }
}
