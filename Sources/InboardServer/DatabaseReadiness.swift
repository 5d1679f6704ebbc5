import InboardStore
import Logging
import PostgresNIO

/// Answers "can this process serve requests?": PostgreSQL reachable and its schema at this binary's version.
/// Each check is a fresh query, so the answer flips back to ready as soon as PostgreSQL returns.
public struct DatabaseReadiness: Sendable {
    public enum State: Sendable, Equatable {
        case ready(schemaVersion: Int)
        case notReady(reason: String)
    }

    let client: PostgresClient
    let url: DatabaseURL
    let expectedSchemaVersion: Int
    let timeout: Duration
    let logger: Logger

    public init(client: PostgresClient, url: DatabaseURL, expectedSchemaVersion: Int, timeout: Duration = .seconds(2), logger: Logger) {
        self.client = client
        self.url = url
        self.expectedSchemaVersion = expectedSchemaVersion
        self.timeout = timeout
        self.logger = logger
    }

    public func check() async -> State {
        do {
            let version = try await withTimeout(timeout) { try await self.schemaVersion() }
            if version < expectedSchemaVersion {
                return .notReady(reason: MigrationError.schemaBehind(databaseVersion: version, binaryVersion: expectedSchemaVersion).description)
            }
            if version > expectedSchemaVersion {
                return .notReady(reason: "the database schema (version \(version)) is newer than this server (version \(expectedSchemaVersion)): upgrade this server")
            }
            return .ready(schemaVersion: version)
        } catch is ReadinessTimeout {
            return .notReady(reason: "PostgreSQL at \(url.host):\(url.port) did not answer within \(timeout)")
        } catch {
            return .notReady(reason: DatabaseError.describing(error, url: url).message)
        }
    }

    private func schemaVersion() async throws -> Int {
        let rows = try await client.query(
            "SELECT CASE WHEN to_regclass('public.schema_migrations') IS NULL THEN 0 ELSE (SELECT coalesce(max(version), 0) FROM schema_migrations) END",
            logger: logger)
        for try await version in rows.decode(Int.self) { return version }
        return 0
    }
}

struct ReadinessTimeout: Error {}

/// Runs `body`, giving up after `limit`; the body is cancelled when time runs out.
func withTimeout<T: Sendable>(_ limit: Duration, _ body: @escaping @Sendable () async throws -> T) async throws -> T {
    try await withThrowingTaskGroup(of: T.self) { group in
        group.addTask { try await body() }
        group.addTask {
            try await Task.sleep(for: limit)
            throw ReadinessTimeout()
        }
        defer { group.cancelAll() }
        return try await group.next()!
    }
}
