import DirectorySync
import Foundation
import InboardTestSupport
import Synchronization
import Testing

/// PostgreSQL ends the sync's own connection while the run is between two statements (a restart or failover
/// while it reads the directory): the run fails within seconds, its record says why, and the next run completes.
/// Before `WatchedConnection` its next statement was dropped unanswered (PostgresNIO 1.33) and the run waited
/// for ever: its record stayed "running" and, in the server, no other sync could start.
@Suite struct SyncConnectionLostTests {
    @Test func aRunWhoseConnectionEndsBetweenStatementsFailsAndTheNextRunCompletes() async throws {
        try await SyncHarness.with(try Directory.sample()) { h in
            let admin = try TestEnvironment.require("INBOARD_TEST_DATABASE_ADMIN_URL")
            let database = h.db.name
            let reports = Counter()
            let result = await outcome(within: .seconds(60)) {
                try await h.syncer.run(
                    SyncRequest(mode: .full, trigger: "test", requestedBy: "test"),
                    onStarted: { _ in
                        // Called by the run as its record is written, between two statements on the connection it
                        // holds: every backend of the test's database ends (the run's among them), and this waits
                        // until the run's side has seen its connection close.
                        Self.endBackends(of: database, adminURL: admin)
                        Thread.sleep(forTimeInterval: 0.3)
                    }, onProgress: { _ in reports.value.add(1, ordering: .relaxed) })
            }
            guard let result else {
                Issue.record("the run whose connection ended never finished")
                return
            }
            guard case .failure = result else {
                Issue.record("the run succeeded on a connection PostgreSQL had ended")
                return
            }
            // The given-up run stopped reporting progress (every 5 ms in these tests).
            let reported = reports.value.load(ordering: .relaxed)
            try await Task.sleep(for: .milliseconds(300))
            #expect(reports.value.load(ordering: .relaxed) == reported, "the lost run still reports progress")
            let run = try #require(try await h.syncer.runs.recent(limit: 1).first)
            #expect(run.state == .failed, "the run's record: \(run)")
            #expect(!run.errors.isEmpty, "a failed run must say why")
            #expect(try await h.int("SELECT count(*) FROM people") == 0, "the lost run applied something")

            let next = try await h.sync(.full)
            #expect(next.state == .succeeded && next.counts.created == 200, "the next run: \(next)")
        }
    }

    final class Counter: Sendable {
        let value = Atomic(0)
    }

    /// Ends every client backend of `database` with psql, synchronously: the run's callback cannot wait for a task.
    static func endBackends(of database: String, adminURL: String) {
        let psql = Process()
        psql.executableURL = URL(fileURLWithPath: "/usr/bin/psql")
        psql.arguments = [
            "-qAt", adminURL, "-c",
            "SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity WHERE datname = '\(database)'",
        ]
        psql.standardOutput = FileHandle.nullDevice
        try? psql.run()
        psql.waitUntilExit()
    }
}
