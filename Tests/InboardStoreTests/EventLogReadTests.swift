import Foundation
@testable import InboardStore
import InboardTestSupport
import Logging
import PostgresNIO
import Testing

/// The event log's read (the hub's and every Last-Event-ID replay's) against a log of 60,000 events: it answers
/// what `id > after OR id = ANY(gaps) ORDER BY id LIMIT n` answers, reading about one page of rows from the
/// primary key wherever the reader is, not every row below its position.
@Suite struct EventLogReadTests {
    let logger = Logger(label: "test")

    @Test func aReaderFarBehindReadsOnePageNotTheWholeLog() async throws {
        try await withLog { db, connection in
            // Planned for the values (an unprepared query), and as the prepared statement's generic plan (which
            // PostgreSQL may settle on after five runs): EXPLAIN EXECUTE of a PREPARE, parameters left as $n.
            try await connection.query(
                PostgresQuery(
                    unsafeSQL: "PREPARE events_after (bigint, bigint[], bigint) AS " + EventLog.EventsAfterSQL.sql),
                logger: logger)
            // Far behind with no gap, far behind with one, at the head with gaps (the hub's usual read).
            for (after, gaps) in [(Int64(20_000), [Int64]()), (30_000, [29_990]), (59_995, [59_990, 59_991])] {
                let query = EventLog.eventsQuery(after: after, orAmong: gaps, limit: 1000)
                let custom = try await Self.plan(
                    PostgresQuery(unsafeSQL: "EXPLAIN (ANALYZE, FORMAT JSON) " + query.sql, binds: query.binds),
                    on: connection, logger: logger)
                try await connection.query("SET plan_cache_mode = force_generic_plan", logger: logger)
                let array = "'{" + gaps.map(String.init).joined(separator: ",") + "}'"
                let generic = try await Self.plan(
                    PostgresQuery(
                        unsafeSQL: "EXPLAIN (ANALYZE, FORMAT JSON) EXECUTE events_after (\(after), \(array), 1000)"),
                    on: connection, logger: logger)
                try await connection.query("RESET plan_cache_mode", logger: logger)
                #expect(generic.contains("$1"), "not a generic plan: \(generic.prefix(300))")
                for (kind, plan) in [("custom", custom), ("generic", generic)] {
                    let read = try #require(Self.rowsRead(plan), "a scan without row counts: \(plan.prefix(400))")
                    #expect(
                        read <= 1000 + gaps.count, "\(kind), after \(after): \(read) rows read (\(plan.prefix(300)))")
                }
            }
        }
    }

    static func plan(_ explain: PostgresQuery, on connection: PostgresConnection, logger: Logger) async throws -> String
    {
        var plan = ""
        for try await line in try await connection.query(explain, logger: logger).decode(String.self) { plan += line }
        return plan
    }

    @Test func itAnswersWhatTheOrQueryAnswered() async throws {
        try await withLog { _, connection in
            let cases: [(after: Int64, gaps: [Int64], limit: Int)] = [
                (20_000, [], 1000), (30_000, [29_990], 1000), (59_995, [59_990, 59_991], 1000),
                (100, [10, 20, 30, 40], 2),  // fewer rows asked than gaps
                (100, [50, 50, 60], 10),  // a gap named twice
                (100, [100, 99], 5),  // a gap equal to the position
                (100, [105, 200], 10),  // "gaps" above the position: they come once, as newer events
                (60_000, [], 10), (0, [], 3), (59_000, [1, 2, 70_000], 1000),
            ]
            for (after, gaps, limit) in cases {
                let old: PostgresQuery = """
                    SELECT id, kind, recipient_id, payload::text FROM events WHERE id > \(after) OR id = ANY(\(gaps)) ORDER BY id LIMIT \(limit)
                    """
                let expected = try await Self.ids(old, on: connection, logger: logger)
                let answered = try await Self.ids(
                    EventLog.eventsQuery(after: after, orAmong: gaps, limit: limit), on: connection, logger: logger)
                #expect(answered == expected, "after \(after), gaps \(gaps), limit \(limit)")
                #expect(!expected.isEmpty || after >= 60_000, "the case reads nothing: \(after)")
            }
        }
    }

    /// A migrated database with 60,000 events (analyzed, as autovacuum would), and a connection to it.
    func withLog(_ body: @escaping @Sendable (TemporaryDatabase, PostgresConnection) async throws -> Void) async throws
    {
        try await TemporaryDatabase.with { db in
            let migrator = Migrator(catalog: try MigrationCatalog.embedded(), logger: logger)
            _ = try await db.database.withConnection { try await migrator.migrate(on: $0) }
            try await db.execute(
                "INSERT INTO events (kind, payload) SELECT 'status', jsonb_build_object('id', g) FROM generate_series(1, 60000) g"
            )
            try await db.execute("ANALYZE events")
            try await db.database.withConnection { try await body(db, $0) }
        }
    }

    static func ids(_ query: PostgresQuery, on connection: PostgresConnection, logger: Logger) async throws -> [Int64] {
        var ids: [Int64] = []
        for try await (id, _, _, _) in try await connection.query(query, logger: logger).decode(
            (Int64, String, Int64?, String).self)
        {
            ids.append(id)
        }
        return ids
    }

    /// Rows the plan's scans produced plus those they read and threw away; nil when a scan carries no counts.
    static func rowsRead(_ plan: String) -> Int? {
        guard let json = try? JSONSerialization.jsonObject(with: Data(plan.utf8)) as? [[String: Any]],
            let root = json.first?["Plan"] as? [String: Any]
        else { return nil }
        func walk(_ node: [String: Any]) -> Int? {
            let type = node["Node Type"] as? String ?? ""
            var total = 0
            if type.hasSuffix("Scan") && type != "Subquery Scan" {
                guard let rows = node["Actual Rows"] as? NSNumber else { return nil }
                total += rows.intValue
                total += (node["Rows Removed by Filter"] as? NSNumber)?.intValue ?? 0
                total += (node["Rows Removed by Index Recheck"] as? NSNumber)?.intValue ?? 0
            }
            for child in (node["Plans"] as? [[String: Any]]) ?? [] {
                guard let rows = walk(child) else { return nil }
                total += rows
            }
            return total
        }
        return walk(root)
    }
}
