import InboardStore
import InboardTestSupport
import Logging
import PostgresNIO
import Testing

/// The migration runner against the real PostgreSQL started by scripts/services; each test has its own database.
@Suite struct MigratorIntegrationTests {
    let logger = Logger(label: "test")

    func migrator(_ migrations: [Migration]) throws -> Migrator {
        Migrator(catalog: try MigrationCatalog(migrations), logger: logger)
    }

    func tableExists(_ name: String, in db: TemporaryDatabase) async throws -> Bool {
        try await db.database.withConnection { connection in
            let rows = try await connection.query("SELECT to_regclass(\(name)) IS NOT NULL", logger: logger)
            for try await exists in rows.decode(Bool.self) { return exists }
            return false
        }
    }

    @Test func freshDatabaseGetsTheShippedSchemaAndDefaults() async throws {
        try await TemporaryDatabase.with { db in
            let migrator = Migrator(catalog: try MigrationCatalog.embedded(), logger: logger)
            let applied = try await db.database.withConnection { try await migrator.migrate(on: $0) }
            #expect(applied.map(\.version) == migrator.catalog.migrations.map(\.version))
            let names = try await db.database.withConnection { connection in
                var names: [String] = []
                for try await name in try await connection.query(
                    "SELECT name FROM status_types ORDER BY sort_order", logger: logger
                ).decode(String.self) {
                    names.append(name)
                }
                return names
            }
            #expect(names == ["In", "Away", "Out", "Lunch", "Meeting", "Remote", "Vacation", "Sick"])
            for table in [
                "people", "groups", "memberships", "statuses", "status_history", "settings", "audit_log", "sessions",
            ] {
                #expect(try await tableExists(table, in: db), "\(table) missing")
            }
        }
    }

    @Test func rerunIsANoOp() async throws {
        try await TemporaryDatabase.with { db in
            let migrator = Migrator(catalog: try MigrationCatalog.embedded(), logger: logger)
            try await db.database.withConnection { _ = try await migrator.migrate(on: $0) }
            let second = try await db.database.withConnection { try await migrator.migrate(on: $0) }
            #expect(second.isEmpty)
            #expect(
                try await db.database.withConnection { try await migrator.currentVersion(on: $0) }
                    == migrator.catalog.latestVersion)
        }
    }

    @Test func changedChecksumIsRefusedAndNothingChanges() async throws {
        try await TemporaryDatabase.with { db in
            let v1 = Migration(version: 1, name: "one", sql: "CREATE TABLE one (x int);")
            try await db.database.withConnection { _ = try await self.migrator([v1]).migrate(on: $0) }
            let edited = Migration(version: 1, name: "one", sql: "CREATE TABLE one (x bigint);")
            let v2 = Migration(version: 2, name: "two", sql: "CREATE TABLE two (x int);")
            await #expect(throws: MigrationError.checksumMismatch(version: 1, name: "0001_one.sql")) {
                try await db.database.withConnection { _ = try await self.migrator([edited, v2]).migrate(on: $0) }
            }
            #expect(try await !tableExists("two", in: db))
        }
    }

    @Test func newerDatabaseIsRefusedAndNothingChanges() async throws {
        try await TemporaryDatabase.with { db in
            let v1 = Migration(version: 1, name: "one", sql: "CREATE TABLE one (x int);")
            let v2 = Migration(version: 2, name: "two", sql: "CREATE TABLE two (x int);")
            try await db.database.withConnection { _ = try await self.migrator([v1, v2]).migrate(on: $0) }
            try await db.execute("DROP TABLE two")  // so that a wrongly re-applied v2 would show
            await #expect(
                throws: MigrationError.databaseNewer(databaseVersion: 2, databaseMigration: "two", binaryVersion: 1)
            ) {
                try await db.database.withConnection { _ = try await self.migrator([v1]).migrate(on: $0) }
            }
            #expect(try await !tableExists("two", in: db))
        }
    }

    @Test func failingStatementRollsBackItsWholeFile() async throws {
        try await TemporaryDatabase.with { db in
            let v1 = Migration(version: 1, name: "one", sql: "CREATE TABLE one (x int);")
            let broken = Migration(
                version: 2, name: "broken", sql: "CREATE TABLE half (x int);\n\nINSERT INTO nowhere VALUES (1);\n")
            try await db.database.withConnection { _ = try await self.migrator([v1]).migrate(on: $0) }
            do {
                try await db.database.withConnection { _ = try await self.migrator([v1, broken]).migrate(on: $0) }
                Issue.record("broken migration was accepted")
            } catch let error as MigrationError {
                guard case let .statementFailed(file, statement, line, message) = error else { throw error }
                #expect(file == "0002_broken.sql")
                #expect(statement == 2)
                #expect(line == 3)
                #expect(message.contains("nowhere"))
            }
            #expect(try await !tableExists("half", in: db))
            #expect(
                try await db.database.withConnection { try await self.migrator([v1, broken]).currentVersion(on: $0) }
                    == 1)
        }
    }

    @Test func concurrentMigratorsApplyEachFileOnce() async throws {
        try await TemporaryDatabase.with { db in
            let migrator = Migrator(catalog: try MigrationCatalog.embedded(), logger: logger)
            let counts = try await withThrowingTaskGroup(of: Int.self) { group in
                for _ in 0..<3 {
                    group.addTask { try await db.database.withConnection { try await migrator.migrate(on: $0).count } }
                }
                return try await group.reduce(into: [Int]()) { $0.append($1) }
            }
            #expect(counts.sorted() == [0, 0, migrator.catalog.migrations.count])
        }
    }
}
