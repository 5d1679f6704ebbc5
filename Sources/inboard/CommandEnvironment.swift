import Foundation
import InboardCore
import InboardServer
import InboardStore
import Logging
import PostgresNIO

/// What every command needs before it starts: validated settings and a logger at their level.
struct CommandEnvironment {
    let configuration: ServerConfiguration
    let logger: Logger

    static func load() throws(CommandFailure) -> CommandEnvironment {
        let configuration: ServerConfiguration
        do { configuration = try ServerConfiguration(environment: settings()) } catch {
            throw CommandFailure(error)
        }
        bootstrapLogging(level: configuration.logLevel)
        var logger = Logger(label: "inboard")
        logger.logLevel = configuration.logLevel
        return CommandEnvironment(configuration: configuration, logger: logger)
    }

    var database: Database { Database(url: configuration.databaseURL, logger: logger) }

    /// The process environment over the environment file `inboard setup` wrote (INBOARD_ENV_FILE, by default
    /// /etc/inboard/inboard.env, when it can be read): on a server, `sudo inboard doctor` uses the service's
    /// settings; a variable set in the environment wins.
    static func settings(_ process: [String: String] = ProcessInfo.processInfo.environment) -> [String: String] {
        let file = process["INBOARD_ENV_FILE"] ?? "/etc/inboard/inboard.env"
        return EnvironmentFile.read(file).filter { $0.key.hasPrefix("INBOARD_") }.merging(process) { $1 }
    }

    private static func bootstrapLogging(level: Logger.Level) {
        LoggingSystem.bootstrap { label in StandardErrorLogHandler(label: label, level: level) }
    }
}

extension CommandEnvironment {
    func secrets() throws(CommandFailure) -> SecretBox {
        do { return try SecretBox.load(keyFile: configuration.secretKeyFile) } catch { throw CommandFailure(error) }
    }

    /// Refuses to work on a schema this binary does not match (run 'inboard migrate' first).
    func requireCurrentSchema() async throws {
        let catalog = try MigrationCatalog.embedded()
        let migrator = Migrator(catalog: catalog, logger: logger)
        let plan = try await database.withConnection { try await migrator.plan(on: $0) }
        if !plan.pending.isEmpty {
            throw MigrationError.schemaBehind(
                databaseVersion: plan.currentVersion, binaryVersion: catalog.latestVersion)
        }
    }

    /// A connection pool for the duration of `body`.
    func withPool<T: Sendable>(_ body: @Sendable (DatabasePool) async throws -> T) async throws -> T {
        let client = try database.makePool()
        return try await withThrowingTaskGroup(of: Void.self) { group in
            group.addTask { await client.run() }
            defer { group.cancelAll() }
            return try await body(client)
        }
    }

    /// Runs `body` with every failure turned into one clear line.
    func reporting<T>(_ body: () async throws -> T) async throws(CommandFailure) -> T {
        do { return try await body() } catch let error as CommandFailure { throw error } catch {
            throw CommandFailure(error)
        }
    }
}
