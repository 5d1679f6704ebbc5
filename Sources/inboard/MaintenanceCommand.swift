import ArgumentParser
import DirectorySync
import Foundation
import InboardServer
import InboardStore
import ServiceLifecycle

struct MaintenanceCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "maintenance",
        abstract: "Run the background maintenance jobs alone, without serving HTTP.",
        discussion: """
            The jobs 'inboard serve' also runs: status-expiry (every 15 s: expired statuses fall back, auto-away \
            ends), housekeeping (every 10 min: old login throttle rows, ended sessions, old live events, \
            mails delivered a month ago, status history past INBOARD_HISTORY_RETENTION_DAYS) and \
            directory-sync (every 30 s: the directory's sync schedule). Every process that runs them offers to; \
            exactly one runs each job at a time, so this command may run beside any number of servers. The admin \
            Jobs page and GET /api/v1/admin/jobs show each job's last run. SIGTERM or Ctrl-C stops it after the \
            jobs running now finish.
            """)

    func run() async throws {
        let environment = try CommandEnvironment.load()
        try await environment.reporting {
            let secrets = try environment.secrets()
            try await environment.requireCurrentSchema()
            let logger = environment.logger
            try await environment.withPool { pool in
                let syncer = DirectorySyncer(
                    database: environment.database, pool: pool, secrets: secrets, logger: logger)
                let runner = JobRunner(
                    jobs: MaintenanceJob.builtIn(
                        statuses: StatusStore(database: pool, logger: logger),
                        housekeeping: Housekeeping(
                            database: pool, logger: logger,
                            historyRetention: environment.configuration.historyRetention))
                        + [.directorySync(SyncScheduler(syncer: syncer, logger: logger))],
                    store: JobStore(database: pool, logger: logger), logger: logger,
                    schemaVersion: try MigrationCatalog.embedded().latestVersion)
                logger.info("maintenance jobs running as \(JobRunner.thisServer)")
                try await ServiceGroup(
                    configuration: .init(
                        services: [runner], gracefulShutdownSignals: [.sigterm, .sigint], logger: logger)
                ).run()
            }
        }
    }
}
