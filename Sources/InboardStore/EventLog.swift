import Foundation
import Logging
import PostgresNIO

/// One row of the event log: a board entry (`status`, `watch`) or a note (`note`) as JSON.
public struct StoredEvent: Sendable, Equatable, Decodable {
    public let id: Int64
    public let kind: String
    public let recipientID: Int64?
    public let payload: String
}

/// The event log's owner: the only type that names the `events` table. Writers add their rows as a step of the
/// statement that makes the change (`insert(selecting:)`), then `announce` once it committed; readers
/// fetch what came after an id (fan-out and `Last-Event-ID` replay) and wait for wake-ups (`listen`).
public struct EventLog: Sendable {
    /// The LISTEN/NOTIFY channel that tells every server process "new events".
    public static let channel = "inboard_events"
    let database: DatabasePool
    let databaseURL: DatabaseURL
    let logger: Logger

    public init(database: DatabasePool, databaseURL: DatabaseURL, logger: Logger) {
        self.database = database
        self.databaseURL = databaseURL
        self.logger = logger
    }

    /// `INSERT INTO events … SELECT <values>`: `values` yields kind, subject id, recipient id (or NULL) and payload.
    static func insert(selecting values: String) -> String {
        "INSERT INTO events (kind, subject_id, recipient_id, payload) SELECT \(values)"
    }

    /// What an event insert returns (`RETURNING`) for `written(from:)`: the row as a reader gets it (the payload
    /// as text, as `events(after:)` reads it), under `writtenNames`.
    static let writtenColumns =
        "id AS written_id, kind AS written_kind, recipient_id AS written_recipient, payload::text AS written_payload"
    static let writtenNames = "written_id, written_kind, written_recipient, written_payload"

    /// A SQL expression: the rows `query` selects (`writtenNames`), as one JSON array text in id order, or NULL when
    /// there are none (`decodeWritten`).
    static func written(from query: String) -> String {
        """
        (SELECT json_agg(json_build_object('id', written_id, 'kind', written_kind, 'recipientID', written_recipient,
            'payload', written_payload) ORDER BY written_id) FROM (\(query)) written)::text
        """
    }

    /// The events `written(from:)` selected.
    static func decodeWritten(_ text: String?) throws -> [StoredEvent] {
        guard let text else { return [] }
        return try JSONDecoder().decode([StoredEvent].self, from: Data(text.utf8))
    }

    /// Wakes every server process's readers after the writer's transaction committed (not inside it: see
    /// `EventAnnouncer`). Writers call it once their events are committed; one that knows them (`committed`, every
    /// event row its transaction wrote) hands them to this process's readers, which need not read them back.
    static func announce(on database: DatabasePool, committed: [StoredEvent] = [], logger: Logger) {
        database.eventAnnouncer.announce(on: database, committed: committed, logger: logger)
    }

    /// Events after `id`, and those among `gaps` (ids skipped earlier) that have committed since.
    public func events(after id: Int64, orAmong gaps: [Int64] = [], limit: Int = 1000) async throws -> [StoredEvent] {
        var events: [StoredEvent] = []
        let rows = try await database.query(
            prepared: EventsAfterSQL.self, Self.eventsBindings(after: id, orAmong: gaps, limit: limit), logger: logger)
        for try await (id, kind, recipient, payload) in rows.decode((Int64, String, Int64?, String).self) {
            events.append(StoredEvent(id: id, kind: kind, recipientID: recipient, payload: payload))
        }
        return events
    }

    /// The read behind `events(after:orAmong:limit:)`: two ranges of the primary key merged, each at most `limit`
    /// rows, so a reader far behind (a client resuming after hours) does not read every row below its position
    /// (`id > a OR id = ANY(b)` scanned the key from its start and filtered: 69 ms at 700,000 events, 1 ms this way).
    /// Prepared: every delivery runs it, and parsing and planning it each time took longer than running it.
    enum EventsAfterSQL: PreparedSQL {
        static let sql = """
            SELECT id, kind, recipient_id, payload::text FROM (
                (SELECT id, kind, recipient_id, payload FROM events WHERE id > $1 ORDER BY id LIMIT $3)
                UNION ALL
                (SELECT id, kind, recipient_id, payload FROM events WHERE id = ANY($2) AND id <= $1 ORDER BY id LIMIT $3)
            ) e ORDER BY id LIMIT $3
            """
    }

    static func eventsBindings(after id: Int64, orAmong gaps: [Int64], limit: Int) -> PostgresBindings {
        var bindings = PostgresBindings()
        bindings.append(id)
        bindings.append(gaps)
        bindings.append(Int64(limit))
        return bindings
    }

    /// `EventsAfterSQL` with its values, as one unprepared query (for EXPLAIN).
    static func eventsQuery(after id: Int64, orAmong gaps: [Int64], limit: Int) -> PostgresQuery {
        PostgresQuery(unsafeSQL: EventsAfterSQL.sql, binds: eventsBindings(after: id, orAmong: gaps, limit: limit))
    }

    /// The oldest event the log still holds (nil when it holds none): housekeeping deletes events after seven days,
    /// so a reader whose position is below it cannot be told what it missed.
    public func oldestID() async throws -> Int64? {
        for try await id in try await database.query("SELECT min(id) FROM events", logger: logger).decode(Int64?.self) {
            return id
        }
        return nil
    }

    /// The committed ids within `span` of the newest one, in order (the hub's start: the newest, and which ids
    /// below it are taken but not committed yet). One statement, so both come from one snapshot.
    public func newestIDs(span: Int64) async throws -> [Int64] {
        var ids: [Int64] = []
        let rows = try await database.query(
            "SELECT id FROM events WHERE id > (SELECT COALESCE(max(id), 0) FROM events) - \(span) ORDER BY id",
            logger: logger)
        for try await id in rows.decode(Int64.self) { ids.append(id) }
        return ids
    }

    /// Calls `wake` once listening starts (anything committed before is then read), after every commit announced
    /// through this pool (with the events it wrote when its writer knew them all, else none), and after every NOTIFY
    /// from another pool (another server process), on a connection of its own, reconnecting a second after it
    /// drops, until the task is cancelled.
    public func listen(_ wake: @escaping @Sendable (_ committed: [StoredEvent]) async -> Void) async {
        // Commits of this process wake it at once; NOTIFY brings those of the others.
        let local = database.eventAnnouncer.addLocalReader(wake)
        defer { database.eventAnnouncer.removeLocalReader(local) }
        // This pool's own NOTIFY is for the other processes: its readers woke at the commit already.
        let own = database.eventAnnouncer.origin
        await ChannelListener(
            channel: Self.channel, databaseURL: databaseURL, logger: logger, purpose: "live events", connectionID: 9
        ).run(listening: { await wake([]) }, notified: { payload in if payload != own { await wake([]) } })
    }
}
