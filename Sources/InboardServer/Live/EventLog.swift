import InboardStore
import Logging
import PostgresNIO

/// Reads the event log: what came after a given id (for fan-out and for `Last-Event-ID` replay).
struct EventLog: Sendable {
    let database: DatabasePool
    let logger: Logger

    /// Events after `id`, and those among `gaps` (ids skipped earlier) that have committed since.
    func events(after id: Int64, orAmong gaps: [Int64] = [], limit: Int = 1000) async throws -> [LiveEvent] {
        var events: [LiveEvent] = []
        let rows = try await database.query("""
            SELECT id, kind, recipient_id, payload::text FROM events WHERE id > \(id) OR id = ANY(\(gaps)) ORDER BY id LIMIT \(limit)
            """, logger: logger)
        for try await (id, kind, recipient, payload) in rows.decode((Int64, String, Int64?, String).self) {
            events.append(LiveEvent(id: id, kind: kind, recipientID: recipient, payload: payload))
        }
        return events
    }

    func latestID() async throws -> Int64 {
        for try await id in try await database.query("SELECT COALESCE(max(id), 0)::bigint FROM events", logger: logger).decode(Int64.self) {
            return id
        }
        return 0
    }
}
