import Foundation
import Logging
import PostgresNIO

/// The `jobs` table: which server runs each maintenance job now, and how its last run went.
public struct JobStore: Sendable {
    public struct Record: Sendable, Equatable, Codable {
        public let name: String
        public let everySeconds: Int
        public let nextRunAt: Date
        public let runningOn: String?
        public let runningSince: Date?
        public let lastStartedAt: Date?
        public let lastFinishedAt: Date?
        public let lastDurationMs: Int?
        public let lastResult: String?
        public let lastDetail: String?
        public let lastServer: String?
        public let runs: Int64
    }

    let database: DatabasePool
    let logger: Logger

    public init(database: DatabasePool, logger: Logger) {
        self.database = database
        self.logger = logger
    }

    /// Makes sure the job has a row; a changed interval applies from now on.
    public func register(name: String, every: Duration, staleAfter: Duration) async throws {
        let (every, stale) = (Int(every.components.seconds), Int(staleAfter.components.seconds))
        try await database.query(
            """
            INSERT INTO jobs (name, every_seconds, stale_after_seconds) VALUES (\(name), \(every), \(stale))
            ON CONFLICT (name) DO UPDATE SET every_seconds = EXCLUDED.every_seconds,
                stale_after_seconds = EXCLUDED.stale_after_seconds
            WHERE (jobs.every_seconds, jobs.stale_after_seconds) IS DISTINCT FROM (EXCLUDED.every_seconds, EXCLUDED.stale_after_seconds)
            """, logger: logger)
    }

    /// What a claim found.
    public enum Claim: Sendable, Equatable {
        case claimed
        /// Not due, or running elsewhere.
        case notNow
        /// The database's schema is not the one this server was built for (a rolling upgrade migrated it, or
        /// this server is newer): servers of that version run the job.
        case schemaDiffers(databaseVersion: Int)
    }

    /// Takes the job for `server` when it is due, no one else runs it (or their claim went stale) and the
    /// database's schema is `schemaVersion` (nil: any): one statement, so of several servers asking at once
    /// exactly one gets it, and a server left on the old version in a rolling upgrade never runs its jobs
    /// against the migrated schema.
    public func claim(name: String, server: String, schemaVersion: Int? = nil) async throws -> Claim {
        let rows = try await database.query(
            """
            WITH schema AS (SELECT \(unescaped: DatabasePool.schemaVersionSQL) AS version),
            claimed AS (
                UPDATE jobs SET running_on = \(server), running_since = now(), last_started_at = now(),
                       next_run_at = now() + make_interval(secs => every_seconds)
                WHERE name = \(name) AND next_run_at <= now()
                  AND (running_since IS NULL OR running_since < now() - make_interval(secs => stale_after_seconds))
                  AND (\(schemaVersion)::int IS NULL OR (SELECT version FROM schema) = \(schemaVersion)::int)
                RETURNING 1
            )
            SELECT (SELECT version FROM schema)::int8, EXISTS (SELECT 1 FROM claimed)
            """, logger: logger)
        for try await (version, claimed) in rows.decode((Int, Bool).self) {
            if claimed { return .claimed }
            if let schemaVersion, version != schemaVersion { return .schemaDiffers(databaseVersion: version) }
        }
        return .notNow
    }

    /// Records how the run went and frees the job (only if this server still holds it).
    public func finish(name: String, server: String, succeeded: Bool, detail: String, duration: Duration)
        async throws
    {
        let milliseconds = Int(
            duration.components.seconds * 1000 + duration.components.attoseconds / 1_000_000_000_000_000)
        let result = succeeded ? "succeeded" : "failed"
        try await database.query(
            """
            UPDATE jobs SET running_on = NULL, running_since = NULL, last_finished_at = now(),
                   last_duration_ms = \(milliseconds), last_result = \(result), last_detail = \(String(detail.prefix(500))),
                   last_server = \(server), runs = runs + 1
            WHERE name = \(name) AND running_on = \(server)
            """, logger: logger)
    }

    /// Seconds until the job is next due (0 when due now); nil when it has no row.
    public func secondsUntilDue(name: String) async throws -> Double? {
        let rows = try await database.query(
            "SELECT GREATEST(0, extract(epoch FROM next_run_at - now()))::float8 FROM jobs WHERE name = \(name)",
            logger: logger)
        for try await seconds in rows.decode(Double.self) { return seconds }
        return nil
    }

    public func all() async throws -> [Record] {
        let rows = try await database.query(
            """
            SELECT name, every_seconds, next_run_at, running_on, running_since, last_started_at, last_finished_at,
                   last_duration_ms, last_result, last_detail, last_server, runs
            FROM jobs ORDER BY name
            """, logger: logger)
        var records: [Record] = []
        for try await row in rows {
            let c = try row.decode(
                (String, Int, Date, String?, Date?, Date?, Date?, Int?, String?, String?, String?, Int64).self)
            records.append(
                Record(
                    name: c.0, everySeconds: c.1, nextRunAt: c.2, runningOn: c.3, runningSince: c.4,
                    lastStartedAt: c.5, lastFinishedAt: c.6, lastDurationMs: c.7, lastResult: c.8, lastDetail: c.9,
                    lastServer: c.10, runs: c.11))
        }
        return records
    }
}
