import DirectorySync
import Foundation
import InboardTestSupport
import Logging
import PostgresNIO
import ServiceLifecycle
import Testing

/// Syncs started from the API or the web run inside the server's service group: a graceful stop in the middle
/// of one waits until the run has recorded how it ended (none is left "running"), and refuses new starts.
@Suite struct SyncLauncherTests {
    @Test func aGracefulStopMidRunLeavesNoRunningRecordAndRefusesNewStarts() async throws {
        try await SyncHarness.with(try Directory.sample()) { h in
            let logger = Logger(label: "test")
            let launcher = SyncLauncher(syncer: h.syncer, logger: SyncHarness.logger)
            let group = ServiceGroup(configuration: .init(services: [launcher], logger: SyncHarness.logger))
            try await withThrowingTaskGroup(of: Void.self) { tasks in
                tasks.addTask { try await group.run() }
                let id = try await h.db.database.withConnection { blocker in
                    // Hold the people table so the run waits in its merge, mid-run, while the server stops.
                    try await blocker.query("BEGIN", logger: logger)
                    try await blocker.query("LOCK TABLE people IN SHARE ROW EXCLUSIVE MODE", logger: logger)
                    let id = try await launcher.launch(SyncRequest(mode: .full, trigger: "test", requestedBy: "test"))
                    #expect(try await h.runIsBlockedInItsMerge(), "the run never reached its merge")
                    #expect(await launcher.inProgress == 1)
                    await group.triggerGracefulShutdown()
                    try await eventually(within: .seconds(120), every: .milliseconds(25)) { await launcher.isStopping }
                    #expect(await launcher.isStopping)
                    var refusal: (any Error)?
                    do {
                        _ = try await launcher.launch(
                            SyncRequest(mode: .incremental, trigger: "test", requestedBy: "test"))
                    } catch { refusal = error }
                    if case .serverStopping? = refusal as? SyncError {
                    } else {
                        Issue.record("a start while stopping was not refused as such: \(String(describing: refusal))")
                    }
                    try await blocker.query("ROLLBACK", logger: logger)
                    return id
                }
                try await tasks.next()  // the group ends only once the run has ended
                let run = try #require(try await h.syncer.runs.run(id))
                #expect(
                    run.state == .failed && run.errors.first?.hasPrefix("interrupted") == true,
                    "a run stopped mid-merge must end failed and apply nothing: \(run)")
                #expect(
                    try await h.int("SELECT count(*) FROM people") == 0,
                    "the interrupted run's people were committed")
            }
            #expect(await launcher.inProgress == 0)
            #expect(try await h.int("SELECT count(*) FROM sync_runs WHERE state = 'running'") == 0)
        }
    }
}
