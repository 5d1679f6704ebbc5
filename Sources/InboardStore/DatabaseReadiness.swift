import Logging

/// Answers "can this process serve requests?": PostgreSQL reachable and its schema at this binary's version.
/// Each check is a fresh query, so the answer flips back to ready as soon as PostgreSQL returns.
public struct DatabaseReadiness: Sendable {
    public enum State: Sendable, Equatable {
        case ready(schemaVersion: Int)
        case notReady(reason: String)
    }

    let client: DatabasePool
    let url: DatabaseURL
    let expectedSchemaVersion: Int
    let timeout: Duration
    let logger: Logger

    public init(
        client: DatabasePool, url: DatabaseURL, expectedSchemaVersion: Int, timeout: Duration = .seconds(2),
        logger: Logger
    ) {
        self.client = client
        self.url = url
        self.expectedSchemaVersion = expectedSchemaVersion
        self.timeout = timeout
        self.logger = logger
    }

    /// The answer for anyone, anonymous callers included: what to do, never where the database is or what it
    /// said (that goes to the log).
    public func check() async -> State {
        do {
            let version = try await withTimeout(timeout) { try await self.schemaVersion() }
            if version < expectedSchemaVersion {
                return .notReady(
                    reason: MigrationError.schemaBehind(databaseVersion: version, binaryVersion: expectedSchemaVersion)
                        .description)
            }
            if version > expectedSchemaVersion {
                return .notReady(
                    reason:
                        "the database schema (version \(version)) is newer than this server (version \(expectedSchemaVersion)): upgrade this server"
                )
            }
            return .ready(schemaVersion: version)
        } catch is TimeLimitExceeded {
            logger.warning(
                "readiness: PostgreSQL did not answer",
                metadata: ["database": "\(url.host):\(url.port)", "timeout": "\(timeout)"])
            return .notReady(reason: "PostgreSQL did not answer within \(timeout)")
        } catch {
            logger.warning(
                "readiness: PostgreSQL unavailable",
                metadata: ["error": "\(DatabaseError.describing(error, url: url).message)"])
            return .notReady(reason: "PostgreSQL is unavailable; the server's log says why")
        }
    }

    private func schemaVersion() async throws -> Int {
        try await client.schemaVersion(logger: logger)
    }
}
