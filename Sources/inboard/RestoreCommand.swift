import ArgumentParser
import Foundation
import InboardStore

struct RestoreCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "restore",
        abstract: "Restore a backup made by 'inboard backup' into an empty database.",
        discussion: """
            Restores into INBOARD_DATABASE_URL, which must be empty, in one transaction: a failure leaves it \
            empty. Refuses a file that does not match its manifest's checksum and a backup whose schema is newer \
            than this binary (it names the Inboard version that made it). A backup from an older schema is \
            restored as it is: run 'inboard migrate' (or 'inboard upgrade') afterwards. Needs pg_restore.
            """)

    @Argument(help: "The backup file.")
    var file: String

    func run() async throws {
        let environment = try CommandEnvironment.load()
        try await environment.reporting {
            let backup = DatabaseBackup(url: environment.configuration.databaseURL, logger: environment.logger)
            let latest = try MigrationCatalog.embedded().latestVersion
            print("restoring \(file) into \(environment.configuration.databaseURL.database) …")
            let rows = try await backup.restore(from: file, binarySchemaVersion: latest)
            let expected = try DatabaseBackup.manifest(for: file)?.rows
            let differing = (expected ?? [:]).filter { rows[$0.key] != $0.value }.keys.sorted()
            guard differing.isEmpty else {
                throw CommandFailure(
                    message: "restored, but these tables' row counts differ from the manifest: "
                        + differing.joined(separator: ", "))
            }
            let version = try await backup.schemaVersion(ofBackup: file)
            print(
                "restored \(rows.values.reduce(0, +).formatted()) rows in \(rows.count) tables"
                    + (expected == nil ? "" : ", as the manifest counted")
                    + (version < latest
                        ? "; schema \(version) is older than this binary's \(latest): run 'inboard upgrade'" : ""))
        }
    }
}
