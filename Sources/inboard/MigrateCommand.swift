import ArgumentParser
import Foundation
import InboardStore

struct MigrateCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "migrate",
        abstract: "Bring the PostgreSQL schema up to this version of Inboard.",
        discussion: """
            Applies the numbered files of schema/ (compiled into this binary) in order, one transaction each, \
            recording them in schema_migrations. Refuses, changing nothing, when an applied file was edited \
            or when the database is newer than this binary. Safe to run again: a current database is left as it is.
            """)

    @Flag(help: "Show the current and pending versions without changing anything.")
    var status = false

    func run() async throws {
        let environment = try CommandEnvironment.load()
        let migrator: Migrator
        do { migrator = Migrator(catalog: try MigrationCatalog.embedded(), logger: environment.logger) } catch {
            throw CommandFailure(error)
        }
        let showStatus = status
        do {
            try await environment.database.withConnection { connection in
                if showStatus {
                    let plan = try await migrator.plan(on: connection)
                    print("schema version \(plan.currentVersion); this binary's is \(migrator.catalog.latestVersion)")
                    for migration in plan.pending { print("pending: \(migration.fileName)") }
                    return
                }
                let applied = try await migrator.migrate(on: connection) { migration in
                    print("applying \(migration.fileName) …")
                }
                print(
                    applied.isEmpty
                        ? "schema is current (version \(migrator.catalog.latestVersion)); nothing to do"
                        : "schema migrated to version \(migrator.catalog.latestVersion) (\(applied.count) applied)")
            }
        } catch {
            throw CommandFailure(error)
        }
    }
}
