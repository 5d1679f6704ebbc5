import Foundation
import InboardStore
import InboardTestSupport
import Logging
import PostgresNIO
import Testing

/// `inboard setup` through the binary, on the real PostgreSQL: the database and its login created from the
/// administrator's URL, a second run that changes nothing, refusals that change nothing, and the wizard on a
/// pseudo-terminal with a wrong answer corrected.
@Suite struct SetupCommandTests {
    /// A login and database name of the test's own, dropped afterwards, and a folder for the files.
    struct Target {
        let name = "inboard_setup_\(UInt32.random(in: 0...UInt32.max))"
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("setup-\(UUID())").path
        let admin: DatabaseURL

        init() throws {
            admin = try DatabaseURL(try TestEnvironment.require("INBOARD_TEST_DATABASE_ADMIN_URL"))
            try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
        }

        var databaseURL: String { "postgres://\(name)@\(admin.host):\(admin.port)/\(name)" }
        var envFile: String { folder + "/inboard.env" }
        var keyFile: String { folder + "/secret.key" }

        func flags(passwordFile: String) -> [String] {
            [
                "setup", "--non-interactive", "--database-admin-url", admin.urlString, "--database-url", databaseURL,
                "--secret-key-file", keyFile, "--env-file", envFile, "--admin-username", "boss",
                "--admin-password-file", passwordFile, "--http-port", "\(try! freeTCPPort())", "--public-url",
                "https://inboard.acme.test",
            ]
        }

        func adminQuery<T: PostgresDecodable & Sendable>(_ sql: String, as: T.Type) async throws -> T? {
            try await Database(url: admin, logger: Logger(label: "test")).withConnection { connection in
                for try await value in try await connection.query(
                    PostgresQuery(unsafeSQL: sql), logger: Logger(label: "test")
                )
                .decode(T.self) {
                    return value
                }
                return nil
            }
        }

        func tearDown() async {
            try? await Database(url: admin, logger: Logger(label: "test")).withConnection { connection in
                try await connection.query(
                    PostgresQuery(unsafeSQL: "DROP DATABASE IF EXISTS \(name) WITH (FORCE)"),
                    logger: Logger(label: "test"))
                try await connection.query(
                    PostgresQuery(unsafeSQL: "DROP ROLE IF EXISTS \(name)"), logger: Logger(label: "test"))
            }
            try? FileManager.default.removeItem(atPath: folder)
        }

        /// Directory settings for the shared slapd (or `server`), and SMTP settings for the shared sink.
        func writeSettings(server: String? = nil) throws -> (directory: String, smtp: String) {
            try writeServiceSettings(in: folder, ldapServer: server)
        }

        func writePassword() throws -> String {
            let file = folder + "/admin-password"
            try "correct horse battery\n".write(toFile: file, atomically: true, encoding: .utf8)
            return file
        }
    }

    static func mode(_ path: String) -> Int {
        ((try? FileManager.default.attributesOfItem(atPath: path))?[.posixPermissions] as? Int) ?? -1
    }

    @Test func nonInteractiveCreatesEverythingAndASecondRunChangesNothing() async throws {
        let target = try Target()
        do {
            let passwordFile = try target.writePassword()
            let settings = try target.writeSettings()
            let flags =
                target.flags(passwordFile: passwordFile)
                + ["--directory-file", settings.directory, "--smtp-file", settings.smtp]
            let testAddress = "setup-\(target.name)@acme.test"
            let first = try await runInboard(flags + ["--smtp-test-to", testAddress], environment: [:])
            #expect(first.status == 0, "\(first.output)\n\(first.error)")
            #expect(first.output.contains("created login \(target.name)"), "\(first.output)")
            #expect(first.output.contains("created database \(target.name) owned by \(target.name)"))
            #expect(first.output.contains("WebServiceAddress=https://inboard.acme.test/"), "\(first.output)")
            #expect(first.output.contains("directory: tested and saved"), "\(first.output)")
            #expect(first.output.contains("SMTP: saved"), "\(first.output)")
            #expect(first.output.contains("test mail: sent to \(testAddress)"), "\(first.output)")
            let maildir = try TestEnvironment.require("INBOARD_TEST_MAILDIR") + "/new"
            let delivered = try FileManager.default.contentsOfDirectory(atPath: maildir).filter {
                (try? String(contentsOfFile: maildir + "/" + $0, encoding: .utf8))?.contains(testAddress) == true
            }
            #expect(delivered.count == 1, "test mails to \(testAddress) in the sink: \(delivered.count)")
            // The database belongs to its own login, which has no more rights than it needs.
            #expect(
                try await target.adminQuery(
                    "SELECT pg_get_userbyid(datdba)::text FROM pg_database WHERE datname = '\(target.name)'",
                    as: String.self) == target.name)
            #expect(
                try await target.adminQuery(
                    "SELECT rolsuper OR rolcreaterole OR rolcreatedb FROM pg_roles WHERE rolname = '\(target.name)'",
                    as: Bool.self) == false)
            // The environment file holds a generated password that works; the key and it are private.
            let values = try String(contentsOfFile: target.envFile, encoding: .utf8)
            let urlLine = try #require(values.split(separator: "\n").first { $0.hasPrefix("INBOARD_DATABASE_URL=") })
            let written = try DatabaseURL(String(urlLine.dropFirst("INBOARD_DATABASE_URL=".count)))
            #expect((written.password?.count ?? 0) >= 32)
            #expect(!first.output.contains(written.password ?? "-") && !first.error.contains(written.password ?? "-"))
            // Root's and read by the inboard group where the package made that group (as root); else private.
            let sharedKey = geteuid() == 0 && getgrnam("inboard") != nil
            #expect(Self.mode(target.envFile) == 0o640 && Self.mode(target.keyFile) == (sharedKey ? 0o640 : 0o600))
            #expect(FileManager.default.contents(atPath: target.keyFile)?.count == 32)
            let version = try await Database(url: written, logger: Logger(label: "test")).withConnection {
                try await Migrator(catalog: try MigrationCatalog.embedded(), logger: Logger(label: "test"))
                    .currentVersion(on: $0)
            }
            #expect(version == (try MigrationCatalog.embedded().latestVersion))
            let log = try String(contentsOfFile: target.folder + "/setup.log", encoding: .utf8)
            #expect(log.contains("[4/4] done") && !log.contains(written.password ?? "-"))

            // The same answers again: nothing changes, and it says so.
            let envBefore = try FileManager.default.attributesOfItem(atPath: target.envFile)[.modificationDate] as? Date
            let admins = "SELECT updated_at::text FROM people WHERE username = 'boss'"
            let adminBefore = try await DatabaseProbe(url: written).text(admins)
            let second = try await runInboard(flags, environment: [:])
            #expect(second.status == 0, "\(second.output)\n\(second.error)")
            for phrase in [
                "login and database already there", "schema: already current", "secret key: kept",
                "environment file: unchanged", "already exists with this password: unchanged",
                "directory: unchanged", "SMTP: unchanged",
            ] {
                #expect(second.output.contains(phrase), "missing '\(phrase)' in \(second.output)")
            }
            #expect(
                (try FileManager.default.attributesOfItem(atPath: target.envFile)[.modificationDate] as? Date)
                    == envBefore)
            #expect(try await DatabaseProbe(url: written).text(admins) == adminBefore)

            // An admin someone disabled meanwhile: setup makes it an active admin again, and says so.
            _ = try await Database(url: written, logger: Logger(label: "test")).withConnection { connection in
                try await connection.query(
                    "UPDATE people SET active = FALSE, role = 'user' WHERE username = 'boss'",
                    logger: Logger(label: "test"))
            }
            let third = try await runInboard(flags, environment: [:])
            #expect(third.output.contains("it is an active admin"), "\(third.output)")
            #expect(
                try await DatabaseProbe(url: written).text(
                    "SELECT (active AND role = 'admin')::text FROM people WHERE username = 'boss'") == "true")
        } catch {
            await target.tearDown()
            throw error
        }
        await target.tearDown()
    }

    /// A second run given one new answer (the port) keeps everything else the environment file says: the database
    /// (its URL quoted in the file, as one with `&` is), the key file, the public URL and settings added by hand;
    /// and a new key is never made for a database holding secrets sealed with another.
    @Test func aSecondRunKeepsWhatItIsNotToldAgain() async throws {
        let target = try Target()
        do {
            let passwordFile = try target.writePassword()
            let settings = try target.writeSettings()
            var flags = target.flags(passwordFile: passwordFile) + ["--directory-file", settings.directory]
            let index = try #require(flags.firstIndex(of: "--database-url"))
            flags[index + 1] = target.databaseURL + "?sslmode=disable&sslrootcert=/etc/ssl/certs/ca-certificates.crt"
            let first = try await runInboard(flags, environment: [:])
            #expect(first.status == 0, "\(first.output)\n\(first.error)")
            let written = try String(contentsOfFile: target.envFile, encoding: .utf8)
            #expect(written.contains("INBOARD_DATABASE_URL='postgres://"), "the URL is quoted: \(written)")
            let migrate = try await runInboard(
                ["migrate", "--status"], environment: ["INBOARD_ENV_FILE": target.envFile])
            #expect(migrate.status == 0 && migrate.output.contains("schema version"), "\(migrate)")
            // Settings an admin added by hand, as the README says to.
            let byHand = "INBOARD_TRUSTED_PROXIES=10.0.0.0/8\nINBOARD_HISTORY_RETENTION_DAYS=0\n"
            try (written + byHand).write(toFile: target.envFile, atomically: true, encoding: .utf8)
            func values() throws -> [String: String] {
                var values: [String: String] = [:]
                for line in try String(contentsOfFile: target.envFile, encoding: .utf8).split(separator: "\n")
                where !line.hasPrefix("#") {
                    let parts = line.split(separator: "=", maxSplits: 1)
                    values[String(parts[0])] = parts.count > 1 ? String(parts[1]) : ""
                }
                return values
            }
            let before = try values()
            let port = try freeTCPPort()
            let second = try await runInboard(
                [
                    "setup", "--non-interactive", "--env-file", target.envFile, "--admin-username", "boss",
                    "--admin-password-file", passwordFile, "--http-port", "\(port)",
                ], environment: [:])
            #expect(second.status == 0, "\(second.output)\n\(second.error)")
            #expect(second.output.contains("secret key: kept"), "\(second.output)")
            var expected = before
            expected["INBOARD_HTTP_PORT"] = "\(port)"
            #expect(try values() == expected)

            // The key file gone (a second server set up before the key was copied to it): refused, no new key.
            let moved = target.keyFile + ".elsewhere"
            try FileManager.default.moveItem(atPath: target.keyFile, toPath: moved)
            let keyless = try await runInboard(flags, environment: [:])
            #expect(keyless.status != 0 && keyless.output.contains("sealed with a key"), "\(keyless)")
            #expect(keyless.error.contains("copy the key file"), "\(keyless.error)")
            #expect(!FileManager.default.fileExists(atPath: target.keyFile), "a new key was written")

            // A database URL in the file that cannot be read is named, not replaced by the default.
            let unreadable = "INBOARD_DATABASE_URL=postgres://inboard@db.example/inboard?sslmode=prefer\n"
            try unreadable.write(toFile: target.envFile, atomically: true, encoding: .utf8)
            let named = try await runInboard(
                [
                    "setup", "--non-interactive", "--env-file", target.envFile, "--admin-password-file", passwordFile,
                ], environment: [:])
            #expect(named.status != 0 && named.error.contains("sslmode 'prefer'"), "\(named)")
            #expect(try String(contentsOfFile: target.envFile, encoding: .utf8) == unreadable)

        } catch {
            await target.tearDown()
            throw error
        }
        await target.tearDown()
    }

    @Test func refusalsChangeNothingAndSayWhatToFix() async throws {
        let target = try Target()
        do {
            let passwordFile = try target.writePassword()
            // A database of that name that is someone else's and not empty.
            _ = try await Database(url: target.admin, logger: Logger(label: "test")).withConnection { connection in
                try await connection.query(
                    PostgresQuery(unsafeSQL: "CREATE DATABASE \(target.name)"), logger: Logger(label: "test"))
            }
            var inside = target.admin
            inside.database = target.name
            _ = try await Database(url: inside, logger: Logger(label: "test")).withConnection { connection in
                try await connection.query("CREATE TABLE payroll (id int)", logger: Logger(label: "test"))
            }
            let occupied = try await runInboard(target.flags(passwordFile: passwordFile), environment: [:])
            #expect(occupied.status != 0 && occupied.error.contains("holds 1 tables"), "\(occupied.error)")
            #expect(occupied.error.contains("nothing was changed"))
            #expect(
                try await target.adminQuery(
                    "SELECT count(*)::int FROM pg_roles WHERE rolname = '\(target.name)'", as: Int.self) == 0)
            #expect(!FileManager.default.fileExists(atPath: target.envFile))

            // A short admin password and an unreachable database: named, nothing written.
            let short = target.folder + "/short"
            try "short\n".write(toFile: short, atomically: true, encoding: .utf8)
            let weak = try await runInboard(target.flags(passwordFile: short), environment: [:])
            #expect(weak.status != 0 && weak.error.contains("shorter than 12"), "\(weak.error)")
            var flags = target.flags(passwordFile: passwordFile)
            let index = try #require(flags.firstIndex(of: "--database-admin-url"))
            flags[index + 1] = "postgres://postgres:hunter2-on-argv@127.0.0.1:1/postgres"
            let unreachable = try await runInboard(flags, environment: [:])
            #expect(
                unreachable.error.contains("warning: the password in --database-admin-url can be read by other users"),
                "\(unreachable.error)")
            #expect(
                unreachable.status != 0 && unreachable.error.contains("prerequisites not met"), "\(unreachable.error)")
            #expect(unreachable.output.contains("fix: start PostgreSQL"), "\(unreachable.output)")
            #expect(!FileManager.default.fileExists(atPath: target.keyFile))

            // A directory that does not answer: everything before it is done, the directory is not saved, and
            // the message says what to correct; the same run with it corrected then finishes.
            _ = try await Database(url: target.admin, logger: Logger(label: "test")).withConnection { connection in
                try await connection.query(
                    // FORCE: the session that made the table may still be closing on a loaded machine.
                    PostgresQuery(unsafeSQL: "DROP DATABASE \(target.name) WITH (FORCE)"), logger: Logger(label: "test")
                )
            }
            let dead = try target.writeSettings(server: "ldap://127.0.0.1:\(try freeTCPPort())")
            let deadRun = try await runInboard(
                target.flags(passwordFile: passwordFile) + ["--directory-file", dead.directory], environment: [:])
            #expect(deadRun.status != 0 && deadRun.error.contains("nothing was saved"), "\(deadRun.error)")
            let url = try DatabaseURL(
                String(
                    try String(contentsOfFile: target.envFile, encoding: .utf8).split(separator: "\n")
                        .first { $0.hasPrefix("INBOARD_DATABASE_URL=") }!.dropFirst("INBOARD_DATABASE_URL=".count)))
            #expect(
                try await DatabaseProbe(url: url).text("SELECT count(*)::text FROM settings WHERE key = 'directory'")
                    == "0")
            let fixed = try target.writeSettings()
            let again = try await runInboard(
                target.flags(passwordFile: passwordFile) + ["--directory-file", fixed.directory], environment: [:])
            #expect(again.status == 0 && again.output.contains("directory: tested and saved"), "\(again)")
        } catch {
            await target.tearDown()
            throw error
        }
        await target.tearDown()
    }

    /// The wizard on a pseudo-terminal (Python's pty, as a person at a terminal): a port out of range is
    /// explained and asked again, the password is not echoed, the review is confirmed.
    @Test func theWizardAsksAgainAfterAWrongAnswer() async throws {
        let target = try Target()
        do {
            let port = try freeTCPPort()
            let dialogue: [(String, String)] = [
                ("PostgreSQL administrator URL", "not a url"),
                ("try again", target.admin.urlString),
                ("database URL", target.databaseURL),
                ("Address to listen on", ""),
                ("Port", "99999"),
                ("not a port number", "\(port)"),
                ("Public URL", ""),
                ("Secret key file", target.keyFile),
                ("Environment file", target.envFile),
                ("Local admin username", "boss"),
                ("Local admin password", "correct horse battery"),
                ("Again, to be sure", "correct horse battery"),
                ("Directory settings file", ""),
                ("SMTP settings file", ""),
                ("Apply these changes?", "y"),
            ]
            let dialogueJSON = String(
                decoding: try JSONSerialization.data(withJSONObject: dialogue.map { [$0.0, $0.1] }), as: UTF8.self)
            let result = try await runProgram(
                "/usr/bin/python3",
                ["-c", Self.terminal, dialogueJSON, try inboardBinary(), target.folder + "/setup.log"],
                environment: ["PATH": "/usr/bin:/bin"])
            let transcript = result.output
            #expect(result.status == 0, "\(transcript)\n\(result.error)")
            #expect(transcript.contains("is not a URL"), "\(transcript)")
            #expect(transcript.contains("not a port number (1-65535); try again"), "\(transcript)")
            #expect(transcript.contains("[2/4] review") && transcript.contains("[4/4] done"), "\(transcript)")
            #expect(!transcript.contains("correct horse battery"), "the password was echoed")
            #expect(FileManager.default.fileExists(atPath: target.envFile))
            #expect(
                try String(contentsOfFile: target.envFile, encoding: .utf8).contains("INBOARD_HTTP_PORT=\(port)"))
        } catch {
            await target.tearDown()
            throw error
        }
        await target.tearDown()
    }
}

extension SetupCommandTests {
    /// Runs `inboard setup` on a pseudo-terminal and answers each prompt (JSON [[prompt, answer], …]) once it
    /// appears; prints the whole transcript and exits with setup's status.
    static let terminal = """
        import json, os, pty, select, sys, time
        dialogue = json.loads(sys.argv[1])
        pid, fd = pty.fork()
        if pid == 0:
            os.execv(sys.argv[2], [sys.argv[2], "setup", "--log-file", sys.argv[3]])
        seen, cursor = b"", 0
        def read_more(timeout):
            global seen
            ready, _, _ = select.select([fd], [], [], timeout)
            if not ready:
                return None
            try:
                chunk = os.read(fd, 4096)
            except OSError:
                chunk = b""
            seen += chunk
            return bool(chunk)
        for prompt, answer in dialogue:
            deadline = time.time() + 60
            while seen.find(prompt.encode(), cursor) < 0:
                if time.time() > deadline or read_more(0.5) is False:
                    sys.stdout.write(seen.decode(errors="replace"))
                    sys.exit("no prompt '%s'" % prompt)
            cursor = seen.find(prompt.encode(), cursor) + len(prompt)
            os.write(fd, (answer + "\\n").encode())
        while read_more(60):
            pass
        _, status = os.waitpid(pid, 0)
        sys.stdout.write(seen.decode(errors="replace"))
        sys.exit(os.WEXITSTATUS(status))
        """
}

/// One text value from a database, by URL.
struct DatabaseProbe {
    let url: DatabaseURL

    func text(_ sql: String) async throws -> String? {
        try await Database(url: url, logger: Logger(label: "test")).withConnection { connection in
            for try await value in try await connection.query(
                PostgresQuery(unsafeSQL: sql), logger: Logger(label: "test")
            )
            .decode(String.self) {
                return value
            }
            return nil
        }
    }
}
