import Foundation
@testable import InboardStore
import InboardTestSupport
import Logging
import PostgresNIO
import Testing

/// The event log's read (the hub's and every Last-Event-ID replay's) against a log of 60,000 events: whatever the
/// position, it reads about one page of rows from the primary key, not every row below the position.
@Suite struct EventLogReadTests {
    let logger = Logger(label: "test")

    @Test func aReaderFarBehindReadsOnePageNotTheWholeLog() async throws {
        try await TemporaryDatabase.with { db in
            let migrator = Migrator(catalog: try MigrationCatalog.embedded(), logger: logger)
            _ = try await db.database.withConnection { try await migrator.migrate(on: $0) }
            try await db.execute(
                "INSERT INTO events (kind, payload) SELECT 'status', jsonb_build_object('id', g) FROM generate_series(1, 60000) g"
            )
            try await db.execute("ANALYZE events")
            // Far behind with no gap, far behind with one, at the head with gaps (the hub's usual read).
            for (after, gaps) in [(Int64(20_000), [Int64]()), (30_000, [29_990]), (59_995, [59_990, 59_991])] {
                let query = EventLog.eventsQuery(after: after, orAmong: gaps, limit: 1000)
                let plan = try await db.database.withConnection { connection in
                    var text = ""
                    for try await line in try await connection.query(
                        PostgresQuery(unsafeSQL: "EXPLAIN (ANALYZE, FORMAT JSON) " + query.sql, binds: query.binds),
                        logger: logger
                    ).decode(String.self) {
                        text += line
                    }
                    return text
                }
                let read = Self.rowsRead(plan)
                #expect(read <= 1000 + gaps.count, "after \(after): \(read) rows read (\(plan.prefix(300)))")
                // And the rows themselves: the page above the position, and the gaps that committed.
                let pool = try db.database.makePool(size: 1)
                async let running: Void = pool.run()
                let events = try await EventLog(database: pool, databaseURL: db.url, logger: logger).events(
                    after: after, orAmong: gaps + [after + 5])  // an id above the position is not a gap
                pool.shutDown()
                await running
                let expected = (gaps + Array((after + 1)...min(60_000, after + 1000 - Int64(gaps.count)))).sorted()
                #expect(events.map(\.id) == expected, "after \(after)")
            }
        }
    }

    /// Rows the plan's scans produced plus those they read and threw away.
    static func rowsRead(_ plan: String) -> Int {
        guard let json = try? JSONSerialization.jsonObject(with: Data(plan.utf8)) as? [[String: Any]],
            let root = json.first?["Plan"] as? [String: Any]
        else { return Int.max }
        func walk(_ node: [String: Any]) -> Int {
            let type = node["Node Type"] as? String ?? ""
            let own =
                type.hasSuffix("Scan") && type != "Subquery Scan"
                ? (node["Actual Rows"] as? Int ?? 0) + (node["Rows Removed by Filter"] as? Int ?? 0)
                    + (node["Rows Removed by Index Recheck"] as? Int ?? 0) : 0
            return own + ((node["Plans"] as? [[String: Any]]) ?? []).reduce(0) { $0 + walk($1) }
        }
        return walk(root)
    }
}
