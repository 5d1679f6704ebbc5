import Foundation
import InboardStore
import InboardTestSupport
import Logging
import Mailer
import PostgresNIO

/// scripts/bench-tools/smtp_sink.py on a free port, with the faults a test asks for; what it accepted is read
/// back from its JSON-lines file.
final class SMTPSink: @unchecked Sendable {
    private(set) var port: Int
    let out: String
    let arguments: [String]
    private var process: ChildProcess?

    /// A sink already accepting connections.
    static func running(_ arguments: [String] = []) async throws -> SMTPSink {
        let sink = try SMTPSink(arguments)
        try await sink.start(mayMove: true)
        return sink
    }

    /// Its port is below the ephemeral range (`freeTCPPort`), so a sink stopped for an outage gets it back when it
    /// starts again (a bind(0) port was once taken by another test meanwhile, and the restarted sink moved).
    private init(_ arguments: [String]) throws {
        port = try freeTCPPort()
        out = FileManager.default.temporaryDirectory.appendingPathComponent("sink-\(UUID()).jsonl").path
        self.arguments = arguments
    }

    /// Starts the sink on its port; a first start (`mayMove`) moves to another port when that one was taken
    /// meanwhile, a restart after `stop()` must not: the worker under test was told this port.
    func start(mayMove: Bool = false) async throws {
        let script = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent(
            "../../scripts/bench-tools/smtp_sink.py"
        ).standardized.path
        // A loaded machine starts Python slowly, and another sink may bind the port first (this one then exits):
        // wait up to a minute for it to answer, and try again.
        for attempt in 1...3 {
            let child = try ChildProcess(
                "/usr/bin/python3", [script, "--port", String(port), "--out", out] + arguments, capture: false)
            process = child
            for _ in 0..<1200 where !Self.accepts(port) && child.exitCodeIfExited() == nil {
                try await Task.sleep(for: .milliseconds(50))
            }
            if Self.accepts(port), child.exitCodeIfExited() == nil { return }
            stop()
            if attempt < 3, mayMove { port = try freeTCPPort() }
        }
        throw ProgramFailed("the SMTP sink did not start on \(port)")
    }

    func stop() {
        process?.signal(SIGKILL)
        _ = process?.waitForExit()
        process = nil
    }

    deinit { stop(); try? FileManager.default.removeItem(atPath: out) }

    struct Received: Decodable { let messageId: String?; let to: [String]; let subject: String; var text: String? }

    /// How many messages arrived, without decoding them (cheap enough to poll).
    var receivedCount: Int {
        (FileManager.default.contents(atPath: out) ?? Data()).reduce(0) { $0 + ($1 == 0x0A ? 1 : 0) }
    }

    var received: [Received] {
        guard let text = try? String(contentsOfFile: out, encoding: .utf8) else { return [] }
        return text.split(separator: "\n").compactMap { try? JSONDecoder().decode(Received.self, from: Data($0.utf8)) }
    }

    static var tlsFolder: URL {
        URL(fileURLWithPath: (try? TestEnvironment.require("INBOARD_TEST_CA_FILE")) ?? "/nonexistent")
            .deletingLastPathComponent()
    }
    static var tlsArguments: [String] {
        [
            "--tls-cert", tlsFolder.appendingPathComponent("server.pem").path, "--tls-key",
            tlsFolder.appendingPathComponent("server.key").path,
        ]
    }

    static func accepts(_ port: Int) -> Bool { acceptsConnections(port: port) }
}

/// A migrated database with people who have addresses, SMTP settings pointing at a sink, and a pool.
struct MailHarness: Sendable {
    let db: TemporaryDatabase
    let pool: DatabasePool
    let secrets: SecretBox
    let keyFile: String
    static let logger: Logger = {
        var l = Logger(label: "mail-test"); l.logLevel = .error; return l
    }()

    static func with<T: Sendable>(_ body: (MailHarness) async throws -> T) async throws -> T {
        try await TemporaryDatabase.with { db in
            let migrator = Migrator(catalog: try MigrationCatalog.embedded(), logger: logger)
            _ = try await db.database.withConnection { try await migrator.migrate(on: $0) }
            let keyFile = try makeSecretKeyFile()
            defer { try? FileManager.default.removeItem(atPath: keyFile) }
            let pool = try db.database.makePool()
            return try await withThrowingTaskGroup(of: Void.self) { group in
                group.addTask { await pool.run() }
                defer { group.cancelAll() }
                try await db.execute(
                    """
                    INSERT INTO people (username, display_name, email, source, role, directory_id) VALUES
                      ('ann', 'Ann Admin', 'ann@acme.test', 'directory', 'admin', 'guid-ann'), ('bob', 'Bob Bright', 'bob@acme.test', 'local', 'user', NULL),
                      ('cat', 'Cat Côté', 'cat@acme.test', 'local', 'user', NULL), ('eve', 'Eve Elsewhere', 'eve@elsewhere.test', 'local', 'user', NULL)
                    """)
                return try await body(
                    MailHarness(db: db, pool: pool, secrets: try SecretBox.load(keyFile: keyFile), keyFile: keyFile))
            }
        }
    }

    func useSink(
        _ sink: SMTPSink, security: SMTPSettings.Security = .none, username: String? = nil, password: String? = nil
    ) async throws {
        var settings = SMTPSettings(
            enabled: true, host: "127.0.0.1", port: sink.port, security: security, username: username,
            fromAddress: "inboard@acme.test", fromName: "Inboard",
            events: Dictionary(uniqueKeysWithValues: SMTPSettings.eventNames.map { ($0.key, true) }), password: password
        )
        if security != .none { settings.caFile = try TestEnvironment.require("INBOARD_TEST_CA_FILE") }
        try await SMTPSettingsStore(database: pool, secrets: secrets, logger: Self.logger).save(
            settings, by: "test", from: nil)
    }

    func person(_ username: String) async throws -> Int64 {
        for try await id in try await pool.query(
            "SELECT id FROM people WHERE username = \(username)", logger: Self.logger
        ).decode(Int64.self) { return id }
        throw ProgramFailed("no person \(username)")
    }

    /// Queues `count` notes for bob (each a row in the outbox, as leaving a note does).
    func queueNotes(_ count: Int, to username: String = "bob") async throws {
        let author = try await person("ann"), recipient = try await person(username)
        for index in 0..<count {
            _ = try await NoteStore(database: pool, logger: Self.logger).leave(
                for: recipient, from: author, body: "note \(index)", rateLimit: nil)
        }
    }

    func worker(backoff: Duration = .milliseconds(100), batch: Int = 100, schemaVersion: Int? = nil) -> MailWorker {
        var options = MailWorker.Options()
        options.schemaVersion = schemaVersion
        options.backoffBase = backoff
        options.batchSize = batch
        options.commandTimeout = .seconds(60)
        return MailWorker(database: pool, secrets: secrets, logger: Self.logger, options: options)
    }

    func states() async throws -> [String: Int] { try await Outbox(database: pool, logger: Self.logger).counts() }

    /// The Message-IDs the outbox gave its rows.
    func messageIDs() async throws -> Set<String> {
        var ids = Set<String>()
        for try await id in try await pool.query(
            "SELECT message_id FROM outbox WHERE message_id IS NOT NULL", logger: Self.logger
        ).decode(String.self) { ids.insert(id) }
        return ids
    }

    var environment: [String: String] {
        [
            "INBOARD_DATABASE_URL": db.url.urlString, "INBOARD_SECRET_KEY_FILE": keyFile, "INBOARD_LOG_LEVEL": "error",
            "PATH": ProcessInfo.processInfo.environment["PATH"] ?? "/usr/bin:/bin",
        ]
    }
}
