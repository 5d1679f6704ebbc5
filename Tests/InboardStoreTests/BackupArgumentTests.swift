import Testing

@testable import InboardStore

/// What reaches pg_restore's command line from an admin's file name and the configured database name.
struct BackupArgumentTests {
    @Test func aFileNameIsNeverReadAsAnOption() {
        #expect(DatabaseBackup.operand("--dbname=other.dump") == "./--dbname=other.dump")
        #expect(DatabaseBackup.operand("/var/backups/inboard/x.dump") == "/var/backups/inboard/x.dump")
    }

    @Test func aDatabaseNameIsNeverReadAsAConnectionString() {
        #expect(DatabaseBackup.connectionString(database: "inboard") == "dbname='inboard'")
        #expect(
            DatabaseBackup.connectionString(database: "host=evil port=1 x'y\\z")
                == #"dbname='host=evil port=1 x\'y\\z'"#)
    }
}
