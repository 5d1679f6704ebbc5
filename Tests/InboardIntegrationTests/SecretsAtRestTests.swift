import Foundation
import InboardStore
import InboardTestSupport
import Testing

/// The secrets drill (issue 17): after the directory and SMTP passwords are set, neither is in a plain dump of
/// the database, in a backup (read back as SQL), in any command's output or in the logs of a sync at debug level.
struct SecretsAtRestTests {
    @Test(.timeLimit(.minutes(10)))  // guards a hang only: a loaded machine takes minutes
    func noPasswordIsInADumpABackupOrALog() async throws {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("secrets-\(UUID())").path
        try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: folder) }
        let directoryPassword = try TestEnvironment.require("INBOARD_TEST_LDAP_READER_PASSWORD")
        let smtpPassword = "smtp-secret-\(UUID().uuidString)"
        try await TemporaryDatabase.with { db in
            let env = [
                "INBOARD_DATABASE_URL": db.url.urlString, "INBOARD_SECRET_KEY_FILE": try makeSecretKeyFile(),
                "INBOARD_LOG_LEVEL": "debug",
            ]
            var outputs: [String] = []
            func inboard(_ arguments: [String]) async throws {
                let result = try await runInboard(arguments, environment: env)
                outputs += [result.output, result.error]
                #expect(result.status == 0 || arguments.first == "smtp", "\(arguments): \(result.error)")
            }
            #expect(try await runInboard(["migrate"], environment: env).status == 0)
            let (directory, smtp) = try writeServiceSettings(in: folder)
            try "\(smtpPassword)\n".write(toFile: folder + "/smtp-password", atomically: true, encoding: .utf8)
            try (String(contentsOfFile: smtp, encoding: .utf8) + "\nusername: inboard\npasswordFile: smtp-password\n")
                .write(toFile: smtp, atomically: true, encoding: .utf8)
            try await inboard(["directory", "set", "--file", directory])
            try await inboard(["smtp", "set", "--file", smtp])
            try await inboard(["directory", "show"])
            try await inboard(["smtp", "show"])
            try await inboard(["sync", "--full"])
            try await inboard(["smtp", "test", "--to", "ann@acme.test"])  // the sink offers no AUTH: an error, logged
            try FileManager.default.createDirectory(atPath: folder + "/backups", withIntermediateDirectories: true)
            try await inboard(["backup", "--out", folder + "/backups"])

            let dump = try await runProgram(
                try PostgresTool.locate("pg_dump").path, ["--no-owner", db.url.urlString])
            #expect(dump.status == 0 && dump.output.contains("COPY"), "\(dump.error)")
            let backups = try FileManager.default.contentsOfDirectory(atPath: folder + "/backups")
            let backup = try #require(backups.first { $0.hasSuffix(".dump") })
            let restored = try await runProgram(
                try PostgresTool.locate("pg_restore").path, ["-f", "-", folder + "/backups/" + backup])
            #expect(restored.status == 0 && restored.output.contains("COPY"), "\(restored.error)")
            #expect(
                restored.output.contains("directory_settings") || restored.output.contains("settings"),
                "the backup holds the settings tables")
            for (name, text) in [("pg_dump", dump.output), ("backup", restored.output)]
                + outputs.enumerated().map({ ("command output \($0.offset)", $0.element) })
            {
                #expect(!text.contains(directoryPassword), "\(name) holds the directory password")
                #expect(!text.contains(smtpPassword), "\(name) holds the SMTP password")
            }
        }
    }

    /// Rotating the key re-seals both passwords: the new key opens them and the old one no longer does, while a
    /// backup made before the rotation still restores and opens with the old key.
    @Test(.timeLimit(.minutes(10)))  // guards a hang only: a loaded machine takes minutes
    func rotatingTheKeyResealsAndOldBackupsRestoreWithTheOldKey() async throws {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("rotate-\(UUID())").path
        try FileManager.default.createDirectory(atPath: folder + "/backups", withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: folder) }
        try await TemporaryDatabase.with { db in
            let oldKey = try makeSecretKeyFile(), newKey = folder + "/new.key"
            let old = ["INBOARD_DATABASE_URL": db.url.urlString, "INBOARD_SECRET_KEY_FILE": oldKey]
            let new = old.merging(["INBOARD_SECRET_KEY_FILE": newKey]) { $1 }
            #expect(try await runInboard(["migrate"], environment: old).status == 0)
            let (directory, smtp) = try writeServiceSettings(in: folder)
            try "smtp-pass\n".write(toFile: folder + "/smtp-password", atomically: true, encoding: .utf8)
            try (String(contentsOfFile: smtp, encoding: .utf8) + "\nusername: inboard\npasswordFile: smtp-password\n")
                .write(toFile: smtp, atomically: true, encoding: .utf8)
            #expect(try await runInboard(["directory", "set", "--file", directory], environment: old).status == 0)
            #expect(try await runInboard(["smtp", "set", "--file", smtp], environment: old).status == 0)
            #expect(try await runInboard(["backup", "--out", folder + "/backups"], environment: old).status == 0)

            let rotated = try await runInboard(
                ["secret-key", "rotate", "--new-key-file", newKey, "--generate"], environment: old)
            #expect(
                rotated.status == 0 && rotated.output.contains("re-sealed 2 secrets (directory, smtp)"), "\(rotated)")
            #expect(try FileManager.default.attributesOfItem(atPath: newKey)[.posixPermissions] as? Int == 0o600)
            #expect(try await runInboard(["directory", "test"], environment: new).status == 0, "the new key opens it")
            let stale = try await runInboard(["directory", "test"], environment: old)
            #expect(stale.status != 0, "the old key still opens the rotated secret: \(stale)")
            let again = try await runInboard(
                ["secret-key", "rotate", "--new-key-file", newKey], environment: old)
            #expect(again.status != 0 && again.error.contains("nothing was changed"), "\(again)")

            // The backup from before the rotation, restored into an empty database, opens with the old key.
            try await TemporaryDatabase.with { restoredDB in
                let restoredOld = old.merging(["INBOARD_DATABASE_URL": restoredDB.url.urlString]) { $1 }
                let backup = try #require(
                    try FileManager.default.contentsOfDirectory(atPath: folder + "/backups").first {
                        $0.hasSuffix(".dump")
                    })
                let restored = try await runInboard(
                    ["restore", folder + "/backups/" + backup], environment: restoredOld)
                #expect(restored.status == 0, "\(restored)")
                #expect(try await runInboard(["directory", "test"], environment: restoredOld).status == 0)
            }
        }
    }
}
