import InboardStore
import Testing

@Suite struct SQLScriptTests {
    @Test func splitsOnSemicolonsAndDropsComments() {
        let script = SQLScript(
            """
            -- a comment; with a semicolon
            CREATE TABLE a (x int);
            /* block; comment
               over lines */
            INSERT INTO a VALUES (1);
            """)
        #expect(script.statements.map(\.sql) == ["CREATE TABLE a (x int)", "INSERT INTO a VALUES (1)"])
        #expect(script.statements.map(\.line) == [2, 5])
    }

    @Test func keepsSemicolonsInsideQuotesAndDollarQuotes() {
        let script = SQLScript(
            """
            INSERT INTO t VALUES ('a;b', 'it''s; fine');
            CREATE FUNCTION f() RETURNS int AS $body$ SELECT 1; $body$ LANGUAGE sql;
            SELECT "odd;name" FROM t;
            DO $$ BEGIN PERFORM 1; END $$
            """)
        #expect(script.statements.count == 4)
        #expect(script.statements[0].sql == "INSERT INTO t VALUES ('a;b', 'it''s; fine')")
        #expect(script.statements[1].sql.contains("$body$ SELECT 1; $body$"))
        #expect(script.statements[2].sql == #"SELECT "odd;name" FROM t"#)
        #expect(script.statements[3].sql == "DO $$ BEGIN PERFORM 1; END $$")
    }

    @Test func doesNotMistakePositionalParametersForDollarQuotes() {
        let script = SQLScript("PREPARE p AS SELECT $1; SELECT 2;")
        #expect(script.statements.map(\.sql) == ["PREPARE p AS SELECT $1", "SELECT 2"])
    }

    @Test func emptyAndCommentOnlyScriptsHaveNoStatements() {
        #expect(SQLScript("").statements.isEmpty)
        #expect(SQLScript("-- nothing\n  ;\n/* still nothing */").statements.isEmpty)
    }

    @Test func splitsTheShippedSchema() throws {
        let catalog = try MigrationCatalog.embedded()
        let first = try #require(catalog.migrations.first)
        let statements = SQLScript(first.sql).statements
        #expect(statements.count > 10)
        #expect(statements.allSatisfy { !$0.sql.hasSuffix(";") && !$0.sql.isEmpty })
    }
}
