import DirectorySync
import Foundation

/// The Sync page: whether a directory is connected, the schedule, held runs and the run history.
struct AdminSyncPageModel {
    struct Run {
        struct ErrorLine { let text: String }
        let id: Int64
        let mode: String
        let dryRun: Bool
        let state: String
        let running: Bool
        let trigger: String
        let started: String
        let seconds: String
        let phase: String
        let processed: Int
        let estimated: Int
        let percent: Int
        let counts: String
        let heldReason: String
        let errors: [ErrorLine]
        /// nil when there are none (the template shows the count only then).
        let warningCount: Int?

        init(_ run: SyncRun) {
            let c = run.counts
            id = run.id
            mode = run.mode.rawValue
            dryRun = run.dryRun
            state = run.state.rawValue
            running = run.state == .running
            trigger = run.trigger
            started = WebFormat.shortTime(run.startedAt)
            seconds = String(format: "%.1f", Double(run.durationMs) / 1000)
            phase = run.phase
            processed = run.processed
            estimated = run.estimated ?? 0
            percent = run.estimated.map { $0 > 0 ? min(100, run.processed * 100 / $0) : 0 } ?? 0
            counts =
                "\(c.seen) seen · \(c.created) new · \(c.updated) updated · \(c.moved) moved · \(c.disabled) disabled · \(c.reenabled) re-enabled"
            heldReason = run.heldReason ?? ""
            errors = run.errors.map(ErrorLine.init)
            warningCount = run.warnings.isEmpty ? nil : run.warnings.count
        }
    }

    let configured: Bool
    let incrementalEvery: String
    let fullEvery: String
    let runs: [Run]
    let held: [Run]
    let hasRuns: Bool
}
