import ArgumentParser
import Foundation
import InboardStore

struct UpgradeCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "upgrade",
        abstract: "Back up the database, then migrate it to this version of Inboard, then report.",
        discussion: """
            Nothing to migrate: says so and changes nothing. Otherwise writes a backup (as 'inboard backup') \
            into --backup-dir, applies the pending schema files, and checks that no table lost rows (counted \
            just before and after migrating: servers still running meanwhile may delete rows of their own). Upgrade the servers before the clients. A database newer than this binary is refused \
            before anything is written.
            """)

    @Option(help: "Where the backup taken first goes.")
    var backupDir = "/var/backups/inboard"

    func run() async throws {
        let environment = try CommandEnvironment.load()
        try await environment.reporting {
            let migrator = Migrator(catalog: try MigrationCatalog.embedded(), logger: environment.logger)
            let plan = try await environment.database.withConnection { try await migrator.plan(on: $0) }
            let latest = migrator.catalog.latestVersion
            guard !plan.pending.isEmpty else {
                print("schema is current (version \(latest)); nothing to back up or migrate")
                return
            }
            do { try FileManager.default.createDirectory(atPath: backupDir, withIntermediateDirectories: true) } catch {
                throw CommandFailure(
                    message: "cannot create the backup folder \(backupDir) (\(error.localizedDescription)): "
                        + "pass --backup-dir DIR; nothing was changed")
            }
            let backup = DatabaseBackup(url: environment.configuration.databaseURL, logger: environment.logger)
            let file = try await backup.resolvedFile(backupDir)
            print("1/3 backing up schema \(plan.currentVersion) to \(file) …")
            let manifest = try await backup.backUp(to: file)
            print("    " + manifest.summary(file: file))
            print("2/3 migrating \(plan.currentVersion) → \(latest) …")
            // Counted just before and after migrating, not against the backup: servers still running (a rolling
            // upgrade) delete rows meanwhile (housekeeping, logins), which is no loss of the migration's.
            let before = try await backup.contents().rows
            _ = try await environment.database.withConnection { connection in
                try await migrator.migrate(on: connection) { print("    applying \($0.fileName)") }
            }
            let after = try await backup.contents().rows
            let lost = before.filter { (after[$0.key] ?? 0) < $0.value }.keys.sorted()
            guard lost.isEmpty else {
                let counts = lost.map { "\($0) \(before[$0] ?? 0) → \(after[$0] ?? 0)" }
                throw CommandFailure(
                    message: "migrated, but these tables have fewer rows than just before: "
                        + "\(counts.joined(separator: ", ")); servers still running may explain a few (expired "
                        + "sessions, login throttle rows); the backup \(file) holds every row as it was")
            }
            print("3/3 upgraded schema \(plan.currentVersion) → \(latest); every table kept its rows; backup \(file)")
        }
    }
}
