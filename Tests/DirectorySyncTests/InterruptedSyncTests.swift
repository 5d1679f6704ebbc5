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
                var waiting = false
                for _ in 0..<400 where !waiting {
                    try await Task.sleep(for: .milliseconds(25))
                    waiting =
                        try await h.int(
                            "SELECT count(*) FROM pg_locks WHERE NOT granted AND relation = 'people'::regclass") > 0
                    if child.exitCodeIfExited() != nil { break }
                }
                #expect(waiting, "the command never reached its merge")
                child.signal(SIGKILL)
                _ = await Task.detached { child.waitForExit() }.value
                try await blocker.query("ROLLBACK", logger: logger)
            }
            #expect(try await h.int("SELECT count(*) FROM people") == 0, "the killed run's work was committed")
            // The server notices the dead client at its next read; until then the lock may still be held.
            var run: SyncRun?
            for _ in 0..<100 where run == nil {
                do { run = try await h.sync(.full) } catch SyncError.alreadyRunning {
                    try await Task.sleep(for: .milliseconds(100))
                }
            }
            let completed = try #require(run)
            #expect(completed.state == .succeeded && completed.counts.created == 200)
            #expect(try await h.int("SELECT count(*) FROM people") == 200)
            let killed = try #require(try await h.syncer.runs.run(completed.id - 1))
            #expect(killed.state == .failed && killed.errors.first?.hasPrefix("interrupted") == true, "\(killed)")
        }
    }
}
