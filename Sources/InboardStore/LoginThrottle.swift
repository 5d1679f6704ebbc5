import Foundation
import Logging
import PostgresNIO

/// Back-off after failed logins, per username and per client address, shared by every server process.
/// After `freeFailures` failures within `window`, each further failure doubles the wait (1 s, 2 s, 4 s …
/// up to `maxDelay`); a success clears the username's count.
public struct LoginThrottle: Sendable {
    let database: DatabasePool
    let logger: Logger
    public var freeFailures = 5
    public var window: Duration = .seconds(900)
    public var maxDelay: Duration = .seconds(900)

    public init(database: DatabasePool, logger: Logger) {
        self.database = database
        self.logger = logger
    }

    static func keys(username: String, address: String?) -> [String] {
        ["user:" + username.trimmingCharacters(in: .whitespaces).lowercased()] + (address.map { ["addr:" + $0] } ?? [])
    }

    /// Where a username and address stand before an attempt.
    public struct Standing: Sendable, Equatable {
        /// Seconds until the next attempt is allowed, or nil when it may go ahead now.
        public let wait: Int?
        /// Whether the username has failures on record (a success must clear them).
        public let usernameHasFailures: Bool
    }

    public func standing(username: String, address: String?) async throws -> Standing {
        let keys = Self.keys(username: username, address: address)
        var binds = PostgresBindings()
        binds.append(keys[0])
        binds.append(keys)
        for try await row in try await database.query(prepared: StandingSQL.self, binds, logger: logger) {
            let (seconds, failures) = try row.decode((Int?, Bool).self)
            return Standing(wait: seconds.map { max(1, $0) }, usernameHasFailures: failures)
        }
        return Standing(wait: nil, usernameHasFailures: false)
    }

    enum StandingSQL: PreparedSQL {
        static let sql = """
            SELECT ceil(extract(epoch FROM max(blocked_until) FILTER (WHERE blocked_until > now()) - now()))::int,
                   coalesce(bool_or(key = $1), false)
            FROM login_throttle WHERE key = ANY($2)
            """
    }

    public func recordFailure(username: String, address: String?) async throws {
        let windowSeconds = Double(window.components.seconds), maxSeconds = Double(maxDelay.components.seconds)
        for key in Self.keys(username: username, address: address) {
            try await database.query("""
                INSERT INTO login_throttle AS t (key, failures, last_failure_at) VALUES (\(key), 1, now())
                ON CONFLICT (key) DO UPDATE SET
                    failures = CASE WHEN t.last_failure_at < now() - make_interval(secs => \(windowSeconds)) THEN 1 ELSE t.failures + 1 END,
                    last_failure_at = now(),
                    blocked_until = CASE WHEN t.last_failure_at >= now() - make_interval(secs => \(windowSeconds)) AND t.failures + 1 > \(freeFailures)
                        THEN now() + make_interval(secs => least(\(maxSeconds), power(2, t.failures - \(freeFailures))::float8)) END
                """, logger: logger)
        }
    }

    public func recordSuccess(username: String) async throws {
        try await database.query("DELETE FROM login_throttle WHERE key = \(Self.keys(username: username, address: nil)[0])", logger: logger)
    }
}
