import Logging
import PostgresNIO

/// Keeps the tables that grow with use from growing for ever: login throttle rows whose window has passed,
/// sessions that ended a day ago, live events up to the first one inside the replay horizon, mails delivered (or
/// skipped) a month ago, and status history older than the configured retention. Safe in every server process at
/// once.
public struct Housekeeping: Sendable {
    public static let eventRetention: Duration = .seconds(7 * 86_400)
    public static let deliveredMailRetention: Duration = .seconds(30 * 86_400)
    public static let defaultHistoryRetentionDays = 730
    /// History rows removed per statement, so that pruning a large backlog never holds long locks.
    static let historyBatch = 5000
    let database: DatabasePool
    let logger: Logger
    /// Status history older than this is removed; nil keeps it for ever.
    public var historyRetention: Duration?

    public init(
        database: DatabasePool, logger: Logger,
        historyRetention: Duration? = .seconds(Housekeeping.defaultHistoryRetentionDays * 86_400)
    ) {
        self.database = database
        self.logger = logger
        self.historyRetention = historyRetention
    }

    public struct Pruned: Sendable, Equatable {
        public var throttleRows = 0
        public var sessions = 0
        public var events = 0
        public var mails = 0
        public var historyRows = 0
        public var total: Int { throttleRows + sessions + events + mails + historyRows }

        public init(throttleRows: Int = 0, sessions: Int = 0, events: Int = 0, mails: Int = 0, historyRows: Int = 0) {
            self.throttleRows = throttleRows
            self.sessions = sessions
            self.events = events
            self.mails = mails
            self.historyRows = historyRows
        }
    }

    public func prune() async throws -> Pruned {
        var pruned = Pruned()
        // Locked in key order, as logins lock several rows (a DELETE locks them in the order it finds them, and
        // could deadlock with a login); rows a login holds are left for the next run.
        pruned.throttleRows = try await count(
            """
            DELETE FROM login_throttle WHERE key IN (
                SELECT key FROM login_throttle
                WHERE last_failure_at < now() - interval '1 day' AND (blocked_until IS NULL OR blocked_until < now())
                ORDER BY key FOR UPDATE SKIP LOCKED)
            """)
        pruned.sessions = try await count(
            """
            DELETE FROM sessions WHERE expires_at < now() - interval '1 day' OR revoked_at < now() - interval '1 day'
            """)
        // Events go from the oldest id up to the first one inside the horizon, never by `at` alone: ids are
        // taken in commit order only roughly, so by `at` a later id could go while an earlier one stayed, and
        // a replay takes "the log starts at min(id)" for "nothing below it was ever missed".
        pruned.events = try await count(
            """
            DELETE FROM events WHERE id < COALESCE(
                (SELECT id FROM events WHERE at >= now() - make_interval(secs => \(Double(Self.eventRetention.components.seconds))) ORDER BY id LIMIT 1),
                (SELECT max(id) + 1 FROM events))
            """)
        pruned.mails = try await count(
            """
            DELETE FROM outbox WHERE state IN ('sent', 'skipped') AND created_at < now() - make_interval(secs => \(Double(Self.deliveredMailRetention.components.seconds)))
            """)
        if let historyRetention { pruned.historyRows = try await pruneHistory(olderThan: historyRetention) }
        return pruned
    }

    /// Deletes in batches from the oldest id (ids follow `set_at`), reading each batch through the primary key, so
    /// that a table with nothing to prune costs one short index scan. Each person's newest row stays whatever its
    /// age: it is the record of the status they still have.
    private func pruneHistory(olderThan retention: Duration) async throws -> Int {
        var removed = 0
        var after: Int64 = 0
        while true {
            let rows = try await database.query(
                PostgresQuery(
                    unsafeSQL: """
                        WITH batch AS (
                            SELECT id, person_id, set_at < now() - make_interval(secs => \(Double(retention.components.seconds))) AS old
                            FROM status_history WHERE id > \(after) ORDER BY id LIMIT \(Self.historyBatch)
                        ), gone AS (
                            DELETE FROM status_history h USING batch b
                            WHERE h.id = b.id AND b.old
                              AND EXISTS (SELECT 1 FROM status_history n WHERE n.person_id = b.person_id AND n.id > b.id)
                            RETURNING 1
                        )
                        SELECT (SELECT max(id) FROM batch), (SELECT count(*)::int FROM gone),
                               (SELECT count(*)::int FROM batch), (SELECT bool_and(old) FROM batch)
                        """), logger: logger)
            for try await (last, deleted, read, allOld) in rows.decode((Int64?, Int, Int, Bool?).self) {
                removed += deleted
                // Past the old rows, or at the end of the table: done.
                guard let last, read == Self.historyBatch, allOld == true else { return removed }
                after = last
            }
        }
    }

    private func count(_ statement: String) async throws -> Int {
        let rows = try await database.query(
            PostgresQuery(unsafeSQL: "WITH gone AS (\(statement) RETURNING 1) SELECT count(*)::int FROM gone"),
            logger: logger)
        for try await count in rows.decode(Int.self) { return count }
        return 0
    }
}
