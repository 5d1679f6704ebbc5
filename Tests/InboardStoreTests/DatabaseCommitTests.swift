import Foundation
@testable import InboardStore
import InboardTestSupport
import Logging
import PostgresNIO
import Testing

/// A statement sent on its own runs in an implicit transaction that PostgreSQL commits at the Sync after it: after its
/// rows and CommandComplete have gone out. A caller that took the rows as success answered "saved" before the
/// commit, which can still fail (here a deferred constraint; in life a crash before the flush to disk).
@Suite struct DatabaseCommitTests {
    static let logger: Logger = {
        var logger = Logger(label: "test")
        logger.logLevel = .critical
        return logger
    }()

    enum InsertTwiceSQL: PreparedSQL {
        static let sql = "INSERT INTO deferred_once VALUES (1) RETURNING id"
    }

    @Test func aStatementWhoseCommitFailsThrows() async throws {
        try await TemporaryDatabase.with { db in
            let pool = try DatabasePool(url: db.url, size: 2, logger: Self.logger)
            let running = Task { await pool.run() }
            defer {
                running.cancel()
                pool.shutDown()
            }
            try await pool.query(
                "CREATE TABLE deferred_once (id int, CONSTRAINT once UNIQUE (id) DEFERRABLE INITIALLY DEFERRED)",
                logger: Self.logger)
            try await pool.query("INSERT INTO deferred_once VALUES (1)", logger: Self.logger)
            // Its row comes back before the commit checks the constraint and fails. PostgresNIO, taking the statement
            // as answered, closes the connection at the commit's error: the caller hears of a failure, not success.
            await #expect(throws: (any Error).self, "a statement whose commit failed looked saved") {
                try await pool.query("INSERT INTO deferred_once VALUES (1) RETURNING id", logger: Self.logger)
            }
            await #expect(throws: (any Error).self, "a prepared statement whose commit failed looked saved") {
                try await pool.query(prepared: InsertTwiceSQL.self, PostgresBindings(), logger: Self.logger)
            }
            let rows = try await pool.query("SELECT count(*)::int FROM deferred_once", logger: Self.logger)
            var count = 0
            for try await value in rows.decode(Int.self) { count = value }
            #expect(count == 1)
        }
    }

    @Test func onlyAPlainReadIsTakenAsWritingNothing() {
        let reads = [
            "SELECT 1", "  select id from people where id = $1", "WITH x AS (SELECT 1) SELECT * FROM x",
            "SELECT value::text FROM settings -- insert here\n WHERE key = 'a'", "SHOW server_version",
            "/* update */ SELECT 1", "SELECT 'insert into t' AS words", "SELECT \"delete\" FROM t",
        ]
        for sql in reads { #expect(!StatementEffect.mayWrite(sql), "\(sql)") }
        let writes = [
            "INSERT INTO t VALUES (1)", "update t set a = 1",
            "WITH gone AS (DELETE FROM t RETURNING 1) SELECT count(*) FROM gone", "SELECT pg_notify('c', 'p')",
            "SELECT nextval('s')", "SELECT * INTO copy FROM t", "BEGIN", "VACUUM t", "SELECT id FROM t FOR UPDATE",
            "SELECT replace(x, '--', '-'), nextval('s')", "SELECT 1 -- a comment\n, nextval('s')",
            "SELECT $$ a body $$", "SELECT 'unclosed", "SELECT 1 /* unclosed", "",
        ]
        for sql in writes { #expect(StatementEffect.mayWrite(sql), "\(sql)") }
    }
}
