import Foundation
import InboardCore
import Logging
import PostgresNIO

/// Notes left for someone: written with a `note` event for the recipient (same transaction, NOTIFY), read
/// and marked delivered when the recipient next fetches them.
public struct NoteStore: Sendable {
    public static let maxLength = 1000
    /// At most this many notes per author within `rateWindow` (each one is an email to someone).
    public static let rateLimit = 30
    public static let rateWindow: Duration = .seconds(600)
    let database: DatabasePool
    let logger: Logger

    public init(database: DatabasePool, logger: Logger) {
        self.database = database
        self.logger = logger
    }

    /// The author's name as a note shows it (the people row `a`).
    static let authorNameSQL = StatusStore.accountNameSQL("a")

    public struct Note: Codable, Sendable, Equatable {
        public let id: Int64
        public let from: String
        public let fromId: Int64
        public let body: String
        public let createdAt: Date
        public let deliveredAt: Date?

        public init(id: Int64, from: String, fromId: Int64, body: String, createdAt: Date, deliveredAt: Date?) {
            self.id = id
            self.from = from
            self.fromId = fromId
            self.body = body
            self.createdAt = createdAt
            self.deliveredAt = deliveredAt
        }
    }

    /// Leaves a note, with its live event and its mail (outbox) in the same statement; nil when the recipient
    /// does not exist or is inactive.
    /// `rateLimit` nil: no limit (for tools and tests that queue notes on purpose, never for people).
    public func leave(for recipient: Int64, from author: Int64, body: String, rateLimit: Int? = Self.rateLimit)
        async throws -> Note?
    {
        let note = try await insert(for: recipient, from: author, body: body, rateLimit: rateLimit)
        if note != nil { EventLog.announce(on: database, logger: logger) }
        return note
    }

    private func insert(for recipient: Int64, from author: Int64, body: String, rateLimit: Int?) async throws -> Note? {
        try await database.withTransaction(logger: logger) { connection in
            // One author's notes are counted one at a time (a lock per author), so parallel posts cannot overshoot.
            try await connection.query(
                "SELECT pg_advisory_xact_lock(7401, \(Int32(truncatingIfNeeded: author)))", logger: logger)
            let recent = try await connection.query(
                """
                SELECT count(*)::int FROM notes WHERE author_id = \(author) AND created_at > now() - make_interval(secs => \(Double(Self.rateWindow.components.seconds)))
                """, logger: logger)
            for try await count in recent.decode(Int.self) where count >= rateLimit ?? .max { throw NoteRateLimited() }
            let rows = try await connection.query(
                """
                WITH note AS (
                    INSERT INTO notes (recipient_id, author_id, body) SELECT id, \(author), \(body) FROM people p WHERE id = \(recipient) AND active AND \(unescaped: StatusStore.boardListingSQL)
                    RETURNING id, recipient_id, author_id, body, created_at
                ), payload AS (
                    SELECT n.recipient_id, n.author_id, json_build_object('id', n.id, 'from', \(unescaped: Self.authorNameSQL), 'fromId', a.id, 'body', n.body,
                        'createdAt', extract(epoch FROM n.created_at), 'deliveredAt', NULL) AS json
                    FROM note n JOIN people a ON a.id = n.author_id
                ), event AS (
                    \(unescaped: EventLog.insert(selecting: "'note', author_id, recipient_id, json::jsonb FROM payload")) RETURNING 1
                ), mail AS (
                    \(unescaped: Outbox.insert(selecting: "'note', recipient_id, json::jsonb FROM payload")) RETURNING 1
                )
                SELECT json::text FROM payload
                """, logger: logger)
            for try await json in rows.decode(String.self) {
                return try BoardEntry.decoder.decode(Note.self, from: Data(json.utf8))
            }
            return nil
        }
    }

    /// Notes for `recipient`: the undelivered ones (then marked delivered), or the latest `limit` when `all`.
    public func notes(for recipient: Int64, all: Bool, limit: Int = 100) async throws -> [Note] {
        let rows = try await database.query(
            """
            WITH picked AS (
                SELECT id FROM notes WHERE recipient_id = \(recipient) AND (\(all) OR delivered_at IS NULL) ORDER BY created_at DESC LIMIT \(limit)
            ), marked AS (
                UPDATE notes n SET delivered_at = COALESCE(n.delivered_at, now()) FROM picked WHERE n.id = picked.id
                RETURNING n.id, n.author_id, n.body, n.created_at, n.delivered_at
            )
            SELECT json_build_object('id', m.id, 'from', \(unescaped: Self.authorNameSQL), 'fromId', a.id, 'body', m.body,
                'createdAt', extract(epoch FROM m.created_at), 'deliveredAt', extract(epoch FROM m.delivered_at))::text
            FROM marked m JOIN people a ON a.id = m.author_id ORDER BY m.created_at DESC
            """, logger: logger)
        var notes: [Note] = []
        for try await json in rows.decode(String.self) {
            notes.append(try BoardEntry.decoder.decode(Note.self, from: Data(json.utf8)))
        }
        return notes
    }
}

/// The author left `NoteStore.rateLimit` notes within `NoteStore.rateWindow` already.
public struct NoteRateLimited: Error {
    public init() {}
}
