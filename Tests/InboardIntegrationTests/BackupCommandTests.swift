import Foundation
import InboardStore
import InboardTestSupport
import Logging
import Testing

/// `inboard backup`, `restore` and `upgrade` against the real PostgreSQL, through the binary.
@Suite struct BackupCommandTests {
    static func folder() throws -> String {
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("inboard-backups-\(UUID())").path
        try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
        return path
    }

    /// Every row of every table but the migration timestamps, as one digest: equal digests, equal contents.
    static func digest(_ db: TemporaryDatabase) async throws -> String {
        let tables = [
            "people", "groups", "memberships", "status_types", "statuses", "status_history", "settings", "sessions",
        ]
        var parts: [String] = []
        for table in tables {
            let sum = try await db.scalar(
                "SELECT (COALESCE(sum(hashtext(t::text)::bigint), 0) + count(*))::bigint FROM \(table) t")
            parts.append("\(table)=\(sum)")
        }
        return parts.joined(separator: " ")
    }

    static func seed(_ db: TemporaryDatabase) async throws {
        try await db.execute(
            """
            INSERT INTO people (directory_id, username, display_name, department, email)
            SELECT 'uuid-' || g, 'user' || g, 'User ' || g, 'Dept ' || (g % 7), 'user' || g || '@acme.test'
            FROM generate_series(1, 300) g
            """)
        try await db.execute(
            """
            INSERT INTO statuses (person_id, type_id, note)
            SELECT p.id, (SELECT min(id) FROM status_types), 'note of ' || p.username FROM people p
            """)
    }

    @Test func backupThenRestoreIntoAnEmptyDatabaseKeepsEveryRow() async throws {
        let folder = try Self.folder()
        defer { try? FileManager.default.removeItem(atPath: folder) }
        try await TemporaryDatabase.with { source in
            let env = ["INBOARD_DATABASE_URL": source.url.urlString]
            #expect(try await runInboard(["migrate"], environment: env).status == 0)
            try await Self.seed(source)
            let backup = try await runInboard(["backup", "--out", folder], environment: env)
            #expect(backup.status == 0, "\(backup.error)")
            let files = try FileManager.default.contentsOfDirectory(atPath: folder)
            let dump = try #require(files.first { $0.hasSuffix(".dump") })
            let latest = try MigrationCatalog.embedded().latestVersion
            #expect(dump.hasPrefix("inboard-1.0.0.0-schema\(latest)-"), "file name: \(dump)")
            let file = folder + "/" + dump
            let manifest = try #require(try DatabaseBackup.manifest(for: file))
            #expect(manifest.schemaVersion == latest && manifest.rows["people"] == 300)
            // Only its owner reads a backup: it holds every person and every stored (sealed) secret.
            for path in [file, BackupManifest.path(for: file)] {
                let mode = (try FileManager.default.attributesOfItem(atPath: path))[.posixPermissions] as? Int
                #expect(mode == 0o600, "\(path) has mode \(String(mode ?? 0, radix: 8))")
            }
            #expect(backup.output.contains("people 300"), "\(backup.output)")
            // A second backup to the same name is refused.
            let again = try await runInboard(["backup", "--out", file], environment: env)
            #expect(again.status != 0 && again.error.contains("already exists"), "\(again.error)")

            try await TemporaryDatabase.with { target in
                let targetEnv = ["INBOARD_DATABASE_URL": target.url.urlString]
                let restore = try await runInboard(["restore", file], environment: targetEnv)
                #expect(restore.status == 0, "\(restore.error)")
                #expect(restore.output.contains("as the manifest counted"), "\(restore.output)")
                #expect(try await Self.digest(target) == (try await Self.digest(source)))
                // The restored database is one this binary serves as it is.
                #expect(
                    try await runInboard(["migrate"], environment: targetEnv).output.contains("nothing to do"))
                // Into a database that is no longer empty: refused, nothing changed.
                let twice = try await runInboard(["restore", file], environment: targetEnv)
                #expect(twice.status != 0 && twice.error.contains("is not empty"), "\(twice.error)")
                #expect(try await target.scalar("SELECT count(*) FROM people") == 300)
            }
        }
    }

    @Test func restoreRefusesANewerSchemaADamagedFileAndAStranger() async throws {
        let folder = try Self.folder()
        defer { try? FileManager.default.removeItem(atPath: folder) }
        try await TemporaryDatabase.with { source in
            let env = ["INBOARD_DATABASE_URL": source.url.urlString]
            #expect(try await runInboard(["migrate"], environment: env).status == 0)
            let file = folder + "/plain.dump"
            #expect(try await runInboard(["backup", "--out", file], environment: env).status == 0)
            try await source.execute(
                "INSERT INTO schema_migrations (version, name, checksum) VALUES (9999, 'from_the_future', 'x')")
            let future = folder + "/future.dump"
            #expect(try await runInboard(["backup", "--out", future], environment: env).status == 0)
            // Upgrading a database newer than the binary is refused before any backup is written.
            let upgrade = try await runInboard(["upgrade", "--backup-dir", folder + "/never"], environment: env)
            #expect(upgrade.status != 0 && upgrade.error.contains("newer than this Inboard"), "\(upgrade.error)")
            #expect(!FileManager.default.fileExists(atPath: folder + "/never"))
            // A damaged copy: same manifest, one byte changed near the end.
            let damaged = folder + "/damaged.dump"
            var bytes = try Data(contentsOf: URL(fileURLWithPath: file))
            bytes[bytes.count - 10] ^= 0xFF
            try bytes.write(to: URL(fileURLWithPath: damaged))
            try FileManager.default.copyItem(
                atPath: BackupManifest.path(for: file), toPath: BackupManifest.path(for: damaged))
            let stranger = folder + "/stranger.dump"
            try Data("not a dump".utf8).write(to: URL(fileURLWithPath: stranger))

            try await TemporaryDatabase.with { target in
                let targetEnv = ["INBOARD_DATABASE_URL": target.url.urlString]
                let newer = try await runInboard(["restore", future], environment: targetEnv)
                #expect(newer.status != 0 && newer.error.contains("schema version 9999, newer"), "\(newer.error)")
                #expect(newer.error.contains("Inboard 1.0.0.0 or newer"), "\(newer.error)")
                let broken = try await runInboard(["restore", damaged], environment: targetEnv)
                #expect(broken.status != 0 && broken.error.contains("checksum"), "\(broken.error)")
                let odd = try await runInboard(["restore", stranger], environment: targetEnv)
                #expect(odd.status != 0 && odd.error.contains("pg_restore failed"), "\(odd.error)")
                #expect(try await target.scalar("SELECT count(*) FROM pg_tables WHERE schemaname = 'public'") == 0)
            }
        }
    }

    @Test func upgradeFromTheFirstMigrationBacksUpAndKeepsTheData() async throws {
        let folder = try Self.folder()
        defer { try? FileManager.default.removeItem(atPath: folder) }
        try await TemporaryDatabase.with { db in
            let catalog = try MigrationCatalog.embedded()
            let first = Migrator(catalog: try MigrationCatalog([catalog.migrations[0]]), logger: Logger(label: "test"))
            _ = try await db.database.withConnection { try await first.migrate(on: $0) }
            try await Self.seed(db)
            let before = try await Self.digest(db)

            let env = ["INBOARD_DATABASE_URL": db.url.urlString]
            let upgrade = try await runInboard(["upgrade", "--backup-dir", folder], environment: env)
            #expect(upgrade.status == 0, "\(upgrade.error)")
            #expect(upgrade.output.contains("upgraded schema 1 → \(catalog.latestVersion)"), "\(upgrade.output)")
            let dumps = try FileManager.default.contentsOfDirectory(atPath: folder).filter { $0.hasSuffix(".dump") }
            #expect(dumps.count == 1 && dumps[0].contains("-schema1-"), "\(dumps)")
            #expect(try await db.scalar("SELECT max(version) FROM schema_migrations") == Int64(catalog.latestVersion))
            #expect(try await db.scalar("SELECT count(*) FROM people") == 300)
            #expect(try await db.scalar("SELECT count(*) FROM statuses WHERE note LIKE 'note of %'") == 300)

            // The backup holds the database as it was before: restored elsewhere, it is the first schema's data.
            try await TemporaryDatabase.with { target in
                let targetEnv = ["INBOARD_DATABASE_URL": target.url.urlString]
                let restore = try await runInboard(["restore", folder + "/" + dumps[0]], environment: targetEnv)
                #expect(restore.status == 0 && restore.output.contains("run 'inboard upgrade'"), "\(restore)")
                #expect(try await Self.digest(target) == before)
            }

            let again = try await runInboard(["upgrade", "--backup-dir", folder], environment: env)
            #expect(again.status == 0 && again.output.contains("nothing to back up or migrate"), "\(again.output)")
            #expect(
                try FileManager.default.contentsOfDirectory(atPath: folder).filter { $0.hasSuffix(".dump") }.count == 1)
        }
    }
}
