import InboardStore
import Testing

@Suite struct MigrationPlanTests {
    let catalog = try! MigrationCatalog([
        Migration(version: 1, name: "initial", sql: "CREATE TABLE a (x int);"),
        Migration(version: 2, name: "more", sql: "CREATE TABLE b (x int);"),
        Migration(version: 3, name: "most", sql: "CREATE TABLE c (x int);"),
    ])

    func applied(_ versions: Int...) -> [AppliedMigration] {
        versions.map { v in
            let m = catalog.migrations[v - 1]
            return AppliedMigration(version: v, name: m.name, checksum: m.checksum)
        }
    }

    @Test func freshDatabaseGetsEverything() throws {
        let plan = try MigrationPlan(catalog: catalog, applied: [])
        #expect(plan.currentVersion == 0)
        #expect(plan.pending.map(\.version) == [1, 2, 3])
    }

    @Test func currentDatabaseGetsNothing() throws {
        #expect(try MigrationPlan(catalog: catalog, applied: applied(1, 2, 3)).pending.isEmpty)
    }

    @Test func partlyMigratedDatabaseGetsTheRestInOrder() throws {
        #expect(try MigrationPlan(catalog: catalog, applied: applied(1)).pending.map(\.version) == [2, 3])
    }

    @Test func changedAppliedFileIsRefused() {
        var records = applied(1, 2)
        records[1] = AppliedMigration(version: 2, name: "more", checksum: "0000")
        #expect(throws: MigrationError.checksumMismatch(version: 2, name: "0002_more.sql")) {
            try MigrationPlan(catalog: catalog, applied: records)
        }
    }

    @Test func newerDatabaseIsRefused() {
        let records = applied(1, 2, 3) + [AppliedMigration(version: 4, name: "future", checksum: "ff")]
        #expect(throws: MigrationError.databaseNewer(databaseVersion: 4, databaseMigration: "future", binaryVersion: 3))
        {
            try MigrationPlan(catalog: catalog, applied: records)
        }
    }

    @Test func gapInAppliedHistoryIsRefused() {
        #expect(throws: MigrationError.outOfOrder(missing: "0002_more.sql", databaseVersion: 3)) {
            try MigrationPlan(catalog: catalog, applied: applied(1, 3))
        }
    }

    @Test func catalogMustBeNumberedWithoutGaps() {
        #expect(throws: MigrationError.catalogGap(expected: 2, found: "0003_c.sql")) {
            try MigrationCatalog([Migration(version: 1, name: "a", sql: ""), Migration(version: 3, name: "c", sql: "")])
        }
    }

    @Test(arguments: ["1_initial.sql", "0001-initial.sql", "0001_Initial.sql", "0000_zero.sql", "0001_initial.txt"])
    func badFileNamesAreRefused(name: String) {
        #expect(throws: MigrationError.badFileName(name)) { try Migration(fileName: name, sql: "") }
    }

    @Test func errorMessagesSayWhatToDo() {
        #expect(
            MigrationError.checksumMismatch(version: 2, name: "0002_more.sql").description.contains("new numbered file")
        )
        #expect(
            MigrationError.databaseNewer(databaseVersion: 4, databaseMigration: "x", binaryVersion: 3).description
                .contains("nothing was changed"))
    }
}
