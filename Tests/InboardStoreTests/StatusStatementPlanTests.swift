import Foundation
import InboardTestSupport
import Logging
import PostgresNIO
import Testing

@testable import InboardStore

/// A status change's statement is planned once per connection, not for each change's values: planning it took longer
/// than running it (0.5–0.9 ms of PostgreSQL's time per change). Once a person's history has grown, the late-change
/// conditions (`madeAt`) made each value-specific plan look cheaper than the generic one, so PostgreSQL planned
/// every execution; a change made now runs a statement without them.
@Suite struct StatusStatementPlanTests {
    let logger = Logger(label: "test")

    @Test func aChangeMadeNowIsPlannedOncePerConnectionWhateverTheHistory() async throws {
        try await TemporaryDatabase.with { db in
            _ = try await db.database.withConnection { connection in
                try await Migrator(catalog: try MigrationCatalog.embedded(), logger: logger).migrate(on: connection)
            }
            let cat: Int64 = try await db.scalar(
                "INSERT INTO people (username, display_name, source) VALUES ('cat', 'cat', 'local') RETURNING id")
            // Years of changes: the history a busy organisation keeps, with the statistics PostgreSQL plans from.
            try await db.execute(
                """
                INSERT INTO status_history (person_id, type_id, set_at, source)
                SELECT \(cat), (SELECT min(id) FROM status_types), now() - i * interval '1 hour',
                       CASE WHEN i % 3 = 0 THEN 'expiry' ELSE '127.0.0.1' END
                FROM generate_series(1, 50000) i
                """)
            try await db.execute("ANALYZE")
            let pool = try DatabasePool(url: db.url, size: 1, logger: logger)
            defer { pool.shutDown() }
            let statuses = StatusStore(database: pool, logger: logger)
            let type = try #require(try await statuses.versionedType(named: "Remote"))
            for change in 0..<12 {
                _ = try await statuses.set(
                    personID: cat, type: type.type, typeVersion: type.version, change: .init(note: "n\(change)"),
                    setBy: cat, source: nil, autoAway: false)
            }
            // One connection: the counts are those of the connection every change used (PostgreSQL 14 and later
            // count them; the tests run on 15).
            let rows = try await pool.query(
                "SELECT generic_plans, custom_plans FROM pg_prepared_statements WHERE name = 'inboard.SetSQL'",
                logger: logger)
            var plans: [(generic: Int64, custom: Int64)] = []
            for try await (generic, custom) in rows.decode((Int64, Int64).self) { plans.append((generic, custom)) }
            let counted = try #require(plans.first, "the statement was not prepared on the pool's connection")
            // PostgreSQL plans the first five for their values, then compares.
            #expect(counted.generic >= 6 && counted.custom <= 6, "generic \(counted.generic), custom \(counted.custom)")
        }
    }
}
