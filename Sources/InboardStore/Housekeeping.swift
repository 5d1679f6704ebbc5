import Logging
import PostgresNIO

/// Keeps the tables that grow with use from growing for ever: login throttle rows whose window has passed,
/// sessions that ended a day ago, and live events past the replay horizon. Safe in every server process at once.
public struct Housekeeping: Sendable {
    public static let eventRetention: Duration = .seconds(7 * 86_400)
    let database: DatabasePool
    let logger: Logger

    public init(database: DatabasePool, logger: Logger) {
        self.database = database
        self.logger = logger
    }

    public struct Pruned: Sendable, Equatable {
        public var throttleRows = 0
        public var sessions = 0
        public var events = 0
        public var total: Int { throttleRows + sessions + events }

        public init(throttleRows: Int = 0, sessions: Int = 0, events: Int = 0) {
            self.throttleRows = throttleRows
            self.sessions = sessions
            self.events = events
        }
    }

    public func prune() async throws -> Pruned {
        var pruned = Pruned()
        pruned.throttleRows = try await count(
            """
            DELETE FROM login_throttle WHERE last_failure_at < now() - interval '1 day' AND (blocked_until IS NULL OR blocked_until < now())
            """)
        pruned.sessions = try await count(
            """
            DELETE FROM sessions WHERE expires_at < now() - interval '1 day' OR revoked_at < now() - interval '1 day'
            """)
        pruned.events = try await count(
            """
            DELETE FROM events WHERE at < now() - make_interval(secs => \(Double(Self.eventRetention.components.seconds)))
            """)
        return pruned
    }

    private func count(_ statement: String) async throws -> Int {
        let rows = try await database.query(
            PostgresQuery(unsafeSQL: "WITH gone AS (\(statement) RETURNING 1) SELECT count(*)::int FROM gone"),
            logger: logger)
        for try await count in rows.decode(Int.self) { return count }
        return 0
    }
}
