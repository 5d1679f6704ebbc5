import DirectorySync
import Foundation
import InboardStore
import InboardTestSupport
import Synchronization
import Testing

/// PostgreSQL ends the sync's own connection while the run is between two statements (a restart or failover
/// while it reads the directory): the run fails at once, its record says why, the admins are told once, and the
/// next run completes. Before, its next statement was dropped unanswered (PostgresNIO 1.33) and the run waited for
/// ever: its record stayed "running" and, in the server, no other sync could start. Now it checks its connection
/// before a statement that follows a wait (`ensureOpen`), and `WatchedConnection` gives up on one lost anyway.
@Suite struct SyncConnectionLostTests {
    @Test func aRunWhoseConnectionEndsBetweenStatementsFailsAndTheNextRunCompletes() async throws {
        try await SyncHarness.with(try Directory.sample()) { h in
            let admin = try TestEnvironment.require("INBOARD_TEST_DATABASE_ADMIN_URL")
            let database = h.db.name
            let reports = Counter(), ended = Counter()
            let result = await outcome(within: .seconds(60)) {
                try await h.syncer.run(
                    SyncRequest(mode: .full, trigger: "test", requestedBy: "test"),
                    onStarted: { _ in
                        // Called by the run once its record is written, between two statements on the connection it
                        // holds: every backend of the test's database ends (the run's among them), and this gives
                        // the run's side time to see its connection close, so that its next statement is lost.
                        ended.value.store(Self.endBackends(of: database, adminURL: admin), ordering: .relaxed)
                        Thread.sleep(forTimeInterval: 0.5)
                    }, onProgress: { _ in reports.value.add(1, ordering: .relaxed) })
            }
            #expect(ended.value.load(ordering: .relaxed) > 0, "psql ended no backend")
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
            #expect(run.errors.first?.contains("connection to PostgreSQL was lost") == true, "\(run.errors)")
            #expect(
                try await h.int(
                    "SELECT count(*) FROM outbox WHERE event = 'sync.failed' AND payload->>'run' = '\(run.id)'")
                    == 1, "the admins are told once")
            #expect(try await h.int("SELECT count(*) FROM people") == 0, "the lost run applied something")

            let next = try await h.sync(.full)
            #expect(next.state == .succeeded && next.counts.created == 200, "the next run: \(next)")
        }
    }

    final class Counter: Sendable {
        let value = Atomic(0)
    }

    /// Ends every client backend of `database` with psql and says how many, synchronously: the run's callback
    /// cannot wait for a task. (The tests' admin URL has no password.)
    static func endBackends(of database: String, adminURL: String) -> Int {
        let psql = Process(), output = Pipe()
        guard let path = try? PostgresTool.locate("psql").path else { return 0 }
        psql.executableURL = URL(fileURLWithPath: path)
        psql.arguments = [
            "-qAt", adminURL, "-c",
            "SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity WHERE datname = '\(database)'",
        ]
        psql.standardOutput = output
        guard (try? psql.run()) != nil else { return 0 }
        let text = String(decoding: output.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        psql.waitUntilExit()
        return psql.terminationStatus == 0 ? Int(text.trimmingCharacters(in: .whitespacesAndNewlines)) ?? 0 : 0
    }
}
