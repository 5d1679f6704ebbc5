import Foundation
import Logging
import PostgresNIO

/// One row of the outbox as a worker claims it.
public struct OutboxItem: Sendable, Equatable {
    public let id: Int64
    public let event: String
    public let recipientID: Int64?
    public let payload: String
    public let attempts: Int
    public let messageID: String
    public let createdAt: Date
}

/// The durable mail queue in PostgreSQL. Rows are written in the transaction of the event that causes them;
/// workers in any number of processes claim due rows with `FOR UPDATE SKIP LOCKED` under a lease, so a row
/// whose worker died is claimed again once the lease ends, with the same Message-ID.
public struct Outbox: Sendable {
    let database: DatabasePool
    let logger: Logger
    /// Names the claiming process in `claimed_by` (host and pid).
    public let workerID: String

    public init(
        database: DatabasePool, logger: Logger,
        workerID: String = "\(ProcessInfo.processInfo.hostName):\(ProcessInfo.processInfo.processIdentifier)"
    ) {
        self.database = database
        self.logger = logger
        self.workerID = workerID
    }

    /// `INSERT INTO outbox … SELECT <values>`: `values` yields the event, the recipient (NULL: every admin) and
    /// the payload. A step of the statement that makes the change, so the mail is queued in its transaction.
    static func insert(selecting values: String) -> String {
        "INSERT INTO outbox (event, recipient, payload) SELECT \(values)"
    }

    /// Queues one message on its own; `recipient` nil goes to every admin with an address.
    public func enqueue(event: String, recipient: Int64? = nil, payload: String) async throws {
        try await database.query(
            PostgresQuery(
                unsafeSQL: Self.insert(selecting: "$1, $2, $3::jsonb"),
                binds: {
                    var binds = PostgresBindings()
                    binds.append(event)
                    binds.append(recipient)
                    binds.append(payload)
                    return binds
                }()), logger: logger)
    }

    /// Claims up to `limit` due rows: pending ones whose time has come, and sending ones whose lease ended; none
    /// while the database's schema is not `schemaVersion` (nil: any).
    public func claim(limit: Int, lease: Duration, domain: String, schemaVersion: Int? = nil) async throws
        -> [OutboxItem]
    {
        let rows = try await database.query(
            """
            WITH due AS (
                SELECT id FROM outbox
                WHERE state IN ('pending', 'sending') AND next_attempt_at <= now() AND (state = 'pending' OR lease_until < now())
                  AND (\(schemaVersion)::int IS NULL OR \(unescaped: DatabasePool.schemaVersionSQL) = \(schemaVersion)::int)
                ORDER BY next_attempt_at, id LIMIT \(limit) FOR UPDATE SKIP LOCKED
            )
            UPDATE outbox o SET state = 'sending', attempts = o.attempts + 1, claimed_by = \(workerID),
                lease_until = now() + make_interval(secs => \(Double(lease.components.seconds))),
                message_id = COALESCE(o.message_id, '<inboard.' || o.id || '.' || floor(extract(epoch FROM o.created_at))::bigint || '@' || \(domain) || '>')
            FROM due WHERE o.id = due.id
            RETURNING o.id, o.event, o.recipient, o.payload::text, o.attempts, o.message_id, o.created_at
            """, logger: logger)
        var items: [OutboxItem] = []
        for try await (id, event, recipient, payload, attempts, messageID, created) in rows.decode(
            (Int64, String, Int64?, String, Int, String, Date).self)
        {
            items.append(
                OutboxItem(
                    id: id, event: event, recipientID: recipient, payload: payload, attempts: attempts,
                    messageID: messageID, createdAt: created))
        }
        return items.sorted { $0.id < $1.id }
    }

    public func markSent(_ id: Int64) async throws {
        try await database.query(
            """
            UPDATE outbox SET state = 'sent', sent_at = now(), lease_until = NULL, last_error = NULL WHERE id = \(id)
            """, logger: logger)
    }

    /// Back to pending, due after `delay`.
    public func retry(_ id: Int64, after delay: Duration, error: String) async throws {
        try await database.query(
            """
            UPDATE outbox SET state = 'pending', lease_until = NULL, last_error = \(error),
                next_attempt_at = now() + make_interval(secs => \(Double(delay.components.seconds) + Double(delay.components.attoseconds) / 1e18))
            WHERE id = \(id)
            """, logger: logger)
    }

    /// Gives a row up: a permanent refusal or too many tries. It stays visible to admins.
    public func deadLetter(_ id: Int64, error: String) async throws {
        try await database.query(
            "UPDATE outbox SET state = 'dead', lease_until = NULL, last_error = \(error) WHERE id = \(id)",
            logger: logger)
    }

    /// Nothing to send (no address, the person or the admin turned this mail off); the reason is kept.
    public func skip(_ id: Int64, reason: String) async throws {
        try await database.query(
            "UPDATE outbox SET state = 'skipped', lease_until = NULL, last_error = \(reason) WHERE id = \(id)",
            logger: logger)
    }

    /// Puts a claimed row back untouched (quiet hours, mail switched off): the claim does not count as a try.
    public func release(_ id: Int64, until date: Date?) async throws {
        try await database.query(
            """
            UPDATE outbox SET state = 'pending', lease_until = NULL, attempts = greatest(attempts - 1, 0),
                next_attempt_at = COALESCE(\(date), now() + interval '30 seconds')
            WHERE id = \(id)
            """, logger: logger)
    }

    /// How many rows are in each state.
    public func counts() async throws -> [String: Int] {
        var counts: [String: Int] = [:]
        for try await (state, count) in try await database.query(
            "SELECT state, count(*)::int FROM outbox GROUP BY state", logger: logger
        ).decode((String, Int).self) {
            counts[state] = count
        }
        return counts
    }

    public struct Problem: Sendable {
        public let id: Int64
        public let event: String
        public let state: String
        public let attempts: Int
        public let error: String
        public let createdAt: Date
    }

    /// Dead letters and rows waiting for a retry, newest first (the admin page).
    public func problems(limit: Int = 50) async throws -> [Problem] {
        let rows = try await database.query(
            """
            SELECT id, event, state, attempts, COALESCE(last_error, ''), created_at FROM outbox
            WHERE state = 'dead' OR (state = 'pending' AND last_error IS NOT NULL) ORDER BY id DESC LIMIT \(limit)
            """, logger: logger)
        var problems: [Problem] = []
        for try await (id, event, state, attempts, error, created) in rows.decode(
            (Int64, String, String, Int, String, Date).self)
        {
            problems.append(
                Problem(id: id, event: event, state: state, attempts: attempts, error: error, createdAt: created))
        }
        return problems
    }

    /// An admin sends a dead letter again.
    public func requeue(_ id: Int64) async throws -> Bool {
        var found = false
        for try await _ in try await database.query(
            """
            UPDATE outbox SET state = 'pending', attempts = 0, next_attempt_at = now(), last_error = NULL WHERE id = \(id) AND state = 'dead' RETURNING id
            """, logger: logger)
        { found = true }
        return found
    }
}
