import DirectorySync
import Foundation
import InboardTestSupport
import Logging
import PostgresNIO
import Testing

/// A sync process killed with SIGKILL in the middle of its merge: its transaction and its lock die with
/// its connection, its run record is marked interrupted, and the next run completes without duplicates.
@Suite struct InterruptedSyncTests {
    @Test func killedMidRunThenTheNextRunCompletes() async throws {
        try await SyncHarness.with(try Directory.sample()) { h in
            let logger = Logger(label: "test")
            try await h.db.database.withConnection { blocker in
                // Hold the people table so the command's merge waits there, mid-run, with everything staged.
                try await blocker.query("BEGIN", logger: logger)
                try await blocker.query("LOCK TABLE people IN SHARE ROW EXCLUSIVE MODE", logger: logger)
                let child = try ChildProcess(
                    try inboardBinary(), ["sync", "--full", "--json"],
                    environment: [
                        "PATH": "/usr/bin:/bin", "INBOARD_DATABASE_URL": h.db.url.urlString,
                        "INBOARD_SECRET_KEY_FILE": h.keyFile,
                        "INBOARD_LOG_LEVEL": "error",
                    ])
                let waiting = try await h.runIsBlockedInItsMerge { child.exitCodeIfExited() != nil }
                #expect(waiting, "the command never reached its merge")
                child.signal(SIGKILL)
                _ = await child.exit()
                try await blocker.query("ROLLBACK", logger: logger)
            }
            #expect(try await h.int("SELECT count(*) FROM people") == 0, "the killed run's work was committed")
            // The server notices the dead client at its next read; until then the lock may still be held.
            var run: SyncRun?
            try await eventually(within: .seconds(120)) {
                do { run = try await h.sync(.full) } catch SyncError.alreadyRunning { return false }
                return true
            }
            let completed = try #require(run)
            #expect(completed.state == .succeeded && completed.counts.created == 200)
            #expect(try await h.int("SELECT count(*) FROM people") == 200)
            let killed = try #require(try await h.syncer.runs.run(completed.id - 1))
            #expect(killed.state == .failed && killed.errors.first?.hasPrefix("interrupted") == true, "\(killed)")
        }
    }
}
