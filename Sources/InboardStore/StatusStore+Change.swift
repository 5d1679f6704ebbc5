import Foundation
import InboardCore
import PostgresNIO

extension StatusStore {
    /// Sets a person's status: the current row, a history row, a `status` event for everyone and a `watch`
    /// event and mail (outbox) for each watcher (only-In watchers only when the new type counts as in), in one
    /// statement, so the person's row is locked for one round trip, not five; then every server process is told.
    /// With `typeVersion`, only while the type's row is still that version (else `typeChanged`, nothing written).
    public func set(
        personID: Int64, type: StatusType, typeVersion: String?, change: StatusChange, setBy: Int64?,
        source: String?, autoAway: Bool
    ) async throws -> BoardEntry {
        var binds = PostgresBindings()
        binds.append(personID)
        binds.append(type.id)
        binds.append(change.note)
        binds.append(change.noteHidden)
        binds.append(change.returnAt)
        binds.append(change.expiresAt)
        binds.append(setBy)
        binds.append(autoAway)
        binds.append(source)
        binds.append(type.presence.rawValue)
        binds.append(change.madeAt)
        binds.append(typeVersion)
        var entry: BoardEntry?
        var events: [StoredEvent] = []
        let rows =
            change.madeAt == nil
            ? try await database.query(prepared: SetSQL.self, binds, logger: logger)
            : try await database.query(prepared: SetLateSQL.self, binds, logger: logger)
        for try await row in rows {
            let (payload, written) = try row.decode((String, String?).self)
            entry = try BoardEntry.decoder.decode(BoardEntry.self, from: Data(payload.utf8))
            events = try EventLog.decodeWritten(written)
        }
        guard let entry else {
            if let typeVersion, try await !typeIsStill(type.id, at: typeVersion) {
                throw StatusStoreError.typeChanged(type.id)
            }
            // A late change finds no row when a newer status held it back, when it was applied already (sent
            // again after its answer was lost: answered as applied, nothing written twice), or when the person
            // does not exist.
            if change.madeAt != nil, try await personExists(personID) {
                if try await isCurrent(change, of: personID, type: type, setBy: setBy),
                    let current = try await self.entry(personID: personID)
                {
                    return current
                }
                throw StatusStoreError.superseded(personID)
            }
            throw StatusStoreError.noSuchPerson(personID)
        }
        EventLog.announce(on: database, committed: events, logger: logger)
        return entry
    }

    /// The person's current status is this very change: made at the same time, setting the same things.
    private func isCurrent(_ change: StatusChange, of personID: Int64, type: StatusType, setBy: Int64?) async throws
        -> Bool
    {
        let rows = try await database.query(
            """
            SELECT 1 FROM statuses WHERE person_id = \(personID) AND set_at = \(change.madeAt) AND type_id = \(type.id)
              AND note IS NOT DISTINCT FROM \(change.note) AND note_hidden = \(change.noteHidden)
              AND return_at IS NOT DISTINCT FROM \(change.returnAt) AND expires_at IS NOT DISTINCT FROM \(change.expiresAt)
              AND set_by IS NOT DISTINCT FROM \(setBy)
            """, logger: logger)
        for try await _ in rows { return true }
        return false
    }

    private func typeIsStill(_ id: Int64, at version: String) async throws -> Bool {
        let rows = try await database.query(
            "SELECT 1 FROM status_types WHERE id = \(id) AND xmin::text = \(version)", logger: logger)
        for try await _ in rows { return true }
        return false
    }

    private func personExists(_ id: Int64) async throws -> Bool {
        for try await _ in try await database.query("SELECT 1 FROM people WHERE id = \(id)", logger: logger) {
            return true
        }
        return false
    }

    /// The one statement behind a status change made now (public for the benchmark's pgbench baseline).
    public enum SetSQL: PreparedSQL {
        public static let sql = setSQL(late: false)
    }

    /// The statement behind a change sent late (`madeAt`, `$11`): it may be superseded, and may undo an expiry.
    /// Kept apart so that PostgreSQL plans the common one generically (from its sixth run on a connection): with
    /// these conditions in it, once a history had grown, each plan for the values at hand looked cheaper than the
    /// generic one (they fold away when `$11` is NULL), and every change was planned again (0.5–0.9 ms, longer than
    /// it ran).
    enum SetLateSQL: PreparedSQL {
        static let sql = setSQL(late: true)
    }

    static func setSQL(late: Bool) -> String {
        """
        WITH upserted AS (
            INSERT INTO statuses (person_id, type_id, note, note_hidden, return_at, expires_at, set_by, set_at, auto_away)
            SELECT id, $2, $3, $4, $5, $6, $7, LEAST(COALESCE($11::timestamptz, now()), now()), $8 FROM people WHERE id = $1
              -- the type as the change was judged against (VersionedStatusType)
              AND ($12::text IS NULL OR EXISTS (SELECT 1 FROM status_types WHERE id = $2 AND xmin::text = $12::text))
            ON CONFLICT (person_id) DO UPDATE SET type_id = EXCLUDED.type_id, note = EXCLUDED.note, note_hidden = EXCLUDED.note_hidden,
                return_at = EXCLUDED.return_at, expires_at = EXCLUDED.expires_at, set_by = EXCLUDED.set_by, set_at = EXCLUDED.set_at,
                auto_away = EXCLUDED.auto_away
            \(late ? lateChangeIsNewest : "")
            RETURNING *
        ), \(late ? lateChangeUndoesExpiry : "")logged AS (
            INSERT INTO status_history (person_id, type_id, note, note_hidden, return_at, expires_at, set_by, set_at, source)
            SELECT person_id, type_id, note, note_hidden, return_at, expires_at, set_by, set_at, $9 FROM upserted RETURNING 1
        ), entry AS (
            SELECT \(entrySQL)::jsonb AS payload, p.active AND \(boardListingSQL) AS listed
            FROM upserted s JOIN people p ON p.id = s.person_id JOIN status_types t ON t.id = s.type_id LEFT JOIN people sb ON sb.id = s.set_by
        ), status_event AS (
            \(EventLog.insert(selecting: "'status', $1, NULL, payload FROM entry WHERE listed")) RETURNING \(EventLog.writtenColumns)
        ), watch AS (
            \(EventLog.insert(selecting: "'watch', $1, w.watcher_id, e.payload FROM watches w, entry e, (SELECT count(*) FROM status_event) first"))
            WHERE e.listed AND w.watched_id = $1 AND (NOT w.only_in OR $10 = 'in')   -- after the status event: ids in that order
              AND NOT EXISTS (SELECT 1 FROM upserted WHERE expires_at <= now())   -- a late change already over: its fallback is what watchers hear of
            RETURNING \(EventLog.writtenColumns), recipient_id, payload
        ), mail AS (
            \(Outbox.insert(selecting: "'watch', recipient_id, payload FROM watch")) RETURNING 1
        )
        -- the event rows too, as written, handed to this process's live streams once committed (EventLog.announce)
        SELECT payload::text, \(EventLog.written(from: "SELECT \(EventLog.writtenNames) FROM status_event UNION ALL SELECT \(EventLog.writtenNames) FROM watch"))
        FROM entry
        """
    }

    /// A late change's condition on the upsert. StatusChange.isSuperseded: a late change never overwrites a newer
    /// one (nor itself, sent twice); an expiry's fallback (set_by NULL) counts from when the status it ended was set.
    private static let lateChangeIsNewest = """
        WHERE COALESCE(
            CASE WHEN statuses.set_by IS NULL THEN (SELECT h.set_at FROM status_history h
                WHERE h.person_id = $1 AND h.source IS DISTINCT FROM 'expiry' ORDER BY h.set_at DESC LIMIT 1) END,
            statuses.set_at) < $11::timestamptz
        """

    /// A late change's step before the history's insert: the person had moved on before an expiry it predates, so
    /// that expiry did not happen.
    private static let lateChangeUndoesExpiry = """
        unexpired AS (
            DELETE FROM status_history h WHERE h.person_id = $1
              AND h.source = 'expiry' AND h.set_at > $11::timestamptz AND EXISTS (SELECT 1 FROM upserted)
        ),
        """

    /// Writes the person's current entry as `status` and `watch` events; the caller announces them once its
    /// transaction committed.
    static func publish(
        personID: Int64, presence: StatusType.Presence, on connection: PostgresConnection, logger: Logger
    ) async throws -> BoardEntry {
        let rows = try await connection.query(
            PostgresQuery(
                unsafeSQL: """
                    WITH entry AS (SELECT \(entrySQL)::jsonb AS payload, p.active AND \(boardListingSQL) AS listed \(entryFrom) WHERE p.id = $1),
                    status AS (\(EventLog.insert(selecting: "'status', $1, NULL, payload FROM entry WHERE listed")) RETURNING 1),
                    watch AS (\(EventLog.insert(selecting: "'watch', $1, w.watcher_id, e.payload FROM watches w, entry e, (SELECT count(*) FROM status) first"))
                              WHERE e.listed AND w.watched_id = $1 AND (NOT w.only_in OR $2 = 'in') RETURNING 1)
                    SELECT payload::text FROM entry
                    """,
                binds: {
                    var binds = PostgresBindings()
                    binds.append(personID)
                    binds.append(presence.rawValue)
                    return binds
                }()), logger: logger)
        for try await json in rows.decode(String.self) {
            return try BoardEntry.decoder.decode(BoardEntry.self, from: Data(json.utf8))
        }
        throw StatusStoreError.noSuchPerson(personID)
    }

    /// Statuses whose expiry has passed fall back to their type's fallback (history source "expiry"), as of the
    /// expiry time: a change sent late that expired before it arrived is followed by its fallback at the time it
    /// ended, and a later change queued with it still applies (stamped now, the fallback superseded it).
    /// Safe with several server processes: each row is claimed by exactly one UPDATE.
    public func expireDue() async throws -> Int {
        let expired = try await database.withTransaction(logger: logger) { connection in
            let rows = try await connection.query(
                """
                WITH due AS (
                    SELECT s.person_id, COALESCE(t.fallback_type_id, (SELECT id FROM status_types WHERE presence = 'in' ORDER BY sort_order LIMIT 1)) AS next_type
                    FROM statuses s JOIN status_types t ON t.id = s.type_id
                    WHERE s.expires_at <= now() FOR UPDATE OF s SKIP LOCKED
                ), changed AS (
                    UPDATE statuses s SET type_id = d.next_type, note = NULL, note_hidden = FALSE, return_at = NULL, expires_at = NULL,
                        set_by = NULL, set_at = s.expires_at, auto_away = FALSE
                    FROM due d WHERE s.person_id = d.person_id RETURNING s.person_id, s.type_id, s.set_at
                ), logged AS (
                    INSERT INTO status_history (person_id, type_id, source, set_at) SELECT person_id, type_id, 'expiry', set_at FROM changed RETURNING person_id
                )
                SELECT c.person_id, t.presence FROM changed c JOIN status_types t ON t.id = c.type_id
                """, logger: logger)
            var changed: [(Int64, String)] = []
            for try await row in rows.decode((Int64, String).self) { changed.append(row) }
            for (person, presence) in changed {
                _ = try await Self.publish(
                    personID: person, presence: StatusType.Presence(rawValue: presence) ?? .in, on: connection,
                    logger: logger)
            }
            return changed.count
        }
        if expired > 0 { EventLog.announce(on: database, logger: logger) }
        return expired
    }

    /// A person's history, newest first.
    public func history(personID: Int64, limit: Int = 50) async throws -> [HistoryEntry] {
        var binds = PostgresBindings()
        binds.append(personID)
        binds.append(limit)
        let rows = try await database.query(
            PostgresQuery(
                unsafeSQL: """
                    SELECT json_build_object('type', t.name, 'note', h.note, 'noteHidden', h.note_hidden, 'returnAt', extract(epoch FROM h.return_at),
                        'expiresAt', extract(epoch FROM h.expires_at), 'setAt', extract(epoch FROM h.set_at), 'setBy', \(StatusStore.setByNameSQL), 'source', h.source)::text
                    FROM status_history h JOIN status_types t ON t.id = h.type_id LEFT JOIN people sb ON sb.id = h.set_by
                    WHERE h.person_id = $1 ORDER BY h.set_at DESC, h.id DESC LIMIT $2
                    """, binds: binds), logger: logger)
        var entries: [HistoryEntry] = []
        for try await json in rows.decode(String.self) {
            entries.append(try BoardEntry.decoder.decode(HistoryEntry.self, from: Data(json.utf8)))
        }
        return entries
    }
}

/// One past status of a person.
public struct HistoryEntry: Codable, Sendable, Equatable {
    public var type: String
    public var note: String?
    public var noteHidden: Bool
    public var returnAt: Date?
    public var expiresAt: Date?
    public var setAt: Date
    public var setBy: String?
    public var source: String?

    public init(
        type: String, note: String?, noteHidden: Bool, returnAt: Date?, expiresAt: Date?, setAt: Date, setBy: String?,
        source: String?
    ) {
        self.type = type
        self.note = note
        self.noteHidden = noteHidden
        self.returnAt = returnAt
        self.expiresAt = expiresAt
        self.setAt = setAt
        self.setBy = setBy
        self.source = source
    }

    public func redacted(for viewer: Person, subject: Int64) -> HistoryEntry {
        var copy = self
        if noteHidden, !viewer.mayReadHiddenNote(of: subject) { copy.note = nil }
        if !PersonVisibilityRule.revealsStatusSource(
            of: subject, toViewer: viewer.id, viewerIsAdmin: viewer.role >= .admin)
        {
            copy.source = nil
        }
        return copy
    }
}
