import Foundation
import InboardStore
import InboardTestSupport
import Logging
import PostgresNIO
import Testing

/// `inboard setup` runs as root: a link put in the setup log's place is refused (the file it points to is not
/// appended to), and a database in use on an older schema is left to `inboard upgrade`, which backs it up first.
struct SetupHostSafetyTests {
    @Test func aLinkedLogIsRefusedAndAnOlderSchemaInUseIsLeftToUpgrade() async throws {
        let target = try SetupCommandTests.Target()
        do {
            let passwordFile = try target.writePassword()
            let first = try await runInboard(target.flags(passwordFile: passwordFile), environment: [:])
            #expect(first.status == 0, "\(first.output)\n\(first.error)")

            let victim = target.folder + "/victim"
            try "untouched\n".write(toFile: victim, atomically: true, encoding: .utf8)
            try FileManager.default.createSymbolicLink(
                atPath: target.folder + "/linked.log", withDestinationPath: victim)
            let linked = try await runInboard(
                target.flags(passwordFile: passwordFile) + ["--log-file", target.folder + "/linked.log"],
                environment: [:])
            #expect(linked.status != 0 && linked.output.contains("not a link"), "\(linked)")
            #expect(try String(contentsOfFile: victim, encoding: .utf8) == "untouched\n")

            // As a newer package would find it: the last migration not applied, people in the database.
            let database = try DatabaseURL(
                target.admin.urlString.replacingOccurrences(
                    of: "/\(target.admin.database)", with: "/\(target.name)"))
            let latest = try MigrationCatalog.embedded().latestVersion
            _ = try await Database(url: database, logger: Logger(label: "test")).withConnection { connection in
                try await connection.query(
                    PostgresQuery(unsafeSQL: "DELETE FROM schema_migrations WHERE version = \(latest)"),
                    logger: Logger(label: "test"))
            }
            let behind = try await runInboard(
                [
                    "setup", "--non-interactive", "--env-file", target.envFile, "--admin-password-file", passwordFile,
                ], environment: [:])
            #expect(behind.status != 0 && behind.error.contains("run 'sudo inboard upgrade' first"), "\(behind)")
            let status = try await runInboard(
                ["migrate", "--status"], environment: ["INBOARD_ENV_FILE": target.envFile])
            #expect(status.output.contains("schema version \(latest - 1);"), "setup changed the schema: \(status)")
        } catch {
            await target.tearDown()
            throw error
        }
        await target.tearDown()
    }
}
