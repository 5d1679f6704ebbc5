import DirectorySync
import Foundation
import HummingbirdBcrypt
import InboardCore
import InboardServer
import InboardStore
import Logging
import Mailer
import PostgresNIO

extension Setup {
    /// Step 3: each change, saying what it did. Every step is idempotent, so a run stopped half-way is finished
    /// by running setup again.
    func apply() async throws {
        log.say("[3/4] applying")
        // The files first: a generated database password is on disk before the login that uses it exists, so
        // a run that fails later is finished by running setup again.
        log.say("      secret key: \(try writeKey())")
        log.say("      environment file: \(try writeEnvironmentFile())")
        if let admin {
            let done = try await DatabaseProvisioner(admin: admin, target: database, logger: logger).provision()
            log.say(
                "      database: " + (done.isEmpty ? "login and database already there" : done.joined(separator: "; ")))
        }
        let environment = try commandEnvironment()
        let migrator = Migrator(catalog: try MigrationCatalog.embedded(), logger: logger)
        let log = self.log
        let applied = try await environment.database.withConnection { connection in
            // A database in use (people in it) on a schema behind this binary is `inboard upgrade`'s work: it takes
            // a backup first. A first setup stopped half-way through its migrations just carries on.
            let plan = try await migrator.plan(on: connection)
            if plan.currentVersion > 0, !plan.pending.isEmpty, try await Self.holdsPeople(connection) {
                throw CommandFailure(
                    message: "the database is at schema version \(plan.currentVersion) and this inboard brings "
                        + "\(migrator.catalog.latestVersion): run 'sudo inboard upgrade' first (a backup, then the "
                        + "migration), then setup again; the database was not changed")
            }
            return try await migrator.migrate(on: connection) { log.say("      schema: applying \($0.fileName)") }
        }
        log.say(
            "      schema: \(applied.isEmpty ? "already current" : "migrated") (version \(migrator.catalog.latestVersion))"
        )
        log.say("      local admin: \(try await createAdmin(environment))")
        if let file = answers.directoryFile {
            log.say("      directory: \(try await saveDirectory(file, environment))")
        }
        if let file = answers.smtpFile {
            log.say("      SMTP: \(try await saveMail(file, environment))")
            if let address = answers.smtpTestTo {
                log.say("      test mail: \(await sendTestMail(file, to: address, environment))")
            }
        }
    }

    /// Whether the database has people in it (two statements: a query naming a missing table fails to parse).
    static func holdsPeople(_ connection: PostgresConnection) async throws -> Bool {
        let logger = Logger(label: "setup")
        for try await exists in try await connection.query(
            "SELECT to_regclass('public.people') IS NOT NULL", logger: logger
        ).decode(Bool.self) where !exists {
            return false
        }
        for try await any in try await connection.query("SELECT EXISTS (SELECT 1 FROM people)", logger: logger)
            .decode(Bool.self)
        {
            return any
        }
        return false
    }

    /// The environment `inboard serve` will have, for the steps that use the database and the key.
    func commandEnvironment() throws -> CommandEnvironment {
        let configuration = try ServerConfiguration(environment: environmentValues)
        return CommandEnvironment(configuration: configuration, logger: logger)
    }

    func writeKey() throws -> String {
        if FileManager.default.fileExists(atPath: answers.secretKeyFile) {
            _ = try keyPlan()
            return "kept"
        }
        // Root's, read by the inboard group: the service can read the key but not replace it.
        let ownership = KeyFileOwnership.forNewKey()
        try FileSystem.writeAtomically(
            SecretBox.newKeyBytes(), to: answers.secretKeyFile, mode: Int(ownership.mode), user: ownership.user,
            group: ownership.group)
        return "created (\(ownership.description))"
    }

    func writeEnvironmentFile() throws -> String {
        let text = EnvironmentFile.text(environmentValues)
        let existing = try? String(contentsOfFile: answers.envFile, encoding: .utf8)
        if existing == text { return "unchanged" }
        if existing != nil {
            try? FileManager.default.removeItem(atPath: answers.envFile + ".previous")
            try FileManager.default.copyItem(atPath: answers.envFile, toPath: answers.envFile + ".previous")
        }
        try FileSystem.writeAtomically(Data(text.utf8), to: answers.envFile, mode: 0o640, group: "inboard")
        return existing == nil ? "written (mode 640)" : "rewritten; the old one is \(answers.envFile).previous"
    }

    func createAdmin(_ environment: CommandEnvironment) async throws -> String {
        let (username, password) = (answers.adminUsername, answers.adminPassword ?? "")
        return try await environment.withPool { pool in
            try await LocalAdminAccount.set(
                username: username, password: password, people: PeopleStore(database: pool, logger: environment.logger))
        }
    }

    func saveDirectory(_ file: String, _ environment: CommandEnvironment) async throws -> String {
        let secrets = try environment.secrets()
        let stored = try await storedSettings(environment, secrets)
        let settings = try DirectorySettings.load(file: file).withStoredPassword(from: stored)
        if settings == stored { return "unchanged" }
        let steps = await DirectoryTester(settings: settings, logger: logger).run()
        for step in steps { log.say("        \(step.ok ? "ok  " : "FAIL") \(step.name): \(step.detail)") }
        if let failed = steps.first(where: { !$0.ok }) {
            throw CommandFailure(
                message: "the directory test failed at '\(failed.name)': \(failed.detail); nothing was saved: "
                    + "correct \(file) and run setup again")
        }
        try await environment.database.withConnection { connection in
            try await DirectorySettingsStore(secrets: secrets, logger: logger).save(
                settings, by: "inboard setup", on: connection)
        }
        return "tested and saved"
    }

    /// A test mail is a check, not a step: its failure is reported with the fix and undoes nothing.
    func sendTestMail(_ file: String, to address: String, _ environment: CommandEnvironment) async -> String {
        guard let settings = try? SMTPSettings.load(file: file) else { return "not sent: \(file) cannot be read" }
        switch await MailTester.send(with: settings, to: address, sentBy: "inboard setup", logger: environment.logger)
        {
        case let .success(reply): return "sent to \(address); the server said: \(reply)"
        case let .failure(error):
            return "FAILED: \(error.description); the settings are saved: correct them and run "
                + "'inboard smtp test --to \(address)'"
        }
    }

    func saveMail(_ file: String, _ environment: CommandEnvironment) async throws -> String {
        let secrets = try environment.secrets()
        let settings = try SMTPSettings.load(file: file)
        return try await environment.withPool { pool in
            let store = SMTPSettingsStore(database: pool, secrets: secrets, logger: environment.logger)
            if try await store.load() == settings { return "unchanged" }
            try await store.save(settings, by: "inboard setup", from: nil)
            return "saved (\(settings.host):\(settings.port)); 'inboard smtp test --to ADDRESS' sends a test mail"
        }
    }
}
