import Foundation
import Logging

/// Runs syncs by themselves on the schedule in the directory settings: a full run every `fullEvery`, an
/// incremental one every `incrementalEvery` in between. The server's maintenance job calls `runIfDue` (one
/// server at a time); the sync lock and the shared run history make sure each due run happens once anyway.
public struct SyncScheduler: Sendable {
    let syncer: DirectorySyncer
    let logger: Logger

    public init(syncer: DirectorySyncer, logger: Logger) {
        self.syncer = syncer
        self.logger = logger
    }

    /// Runs the sync that is due, if any; says what happened (for the Jobs page), throws when the run failed.
    public func runIfDue() async throws -> String {
        guard let settings = try await syncer.storedSettings() else { return "no directory configured" }
        let lastFull = try await syncer.runs.lastStarted(mode: .full)
        let lastAny = try await syncer.runs.lastStarted(mode: nil)
        guard let mode = settings.schedule.due(now: Date(), lastFull: lastFull, lastAny: lastAny) else {
            return "nothing due"
        }
        do {
            let run = try await syncer.run(SyncRequest(mode: mode, trigger: "schedule", requestedBy: "schedule"))
            let summary = String(run.summary.split(separator: "\n").first ?? "")
            logger.info(
                "scheduled sync finished",
                metadata: ["run": "\(run.id)", "state": "\(run.state.rawValue)", "summary": "\(summary)"])
            guard run.state != .failed else { throw ScheduledSyncFailed(run: run.id, summary: summary) }
            return "\(mode.rawValue) run \(run.id) \(run.state.rawValue): \(summary)"
        } catch SyncError.alreadyRunning {
            return "skipped: another sync is running"
        }
    }
}

/// A scheduled run that ended in failure (its record says why).
public struct ScheduledSyncFailed: Error, CustomStringConvertible {
    public let run: Int64
    public let summary: String
    public var description: String { "run \(run) failed: \(summary)" }
}

extension SyncSchedule {
    /// Which run is due, if any: full when none ran for `fullEvery`, else incremental when no run of
    /// either kind started for `incrementalEvery`. Held and failed runs count as attempts, so a problem is
    /// retried at the next interval, not every few seconds.
    public func due(now: Date, lastFull: Date?, lastAny: Date?) -> SyncMode? {
        if let fullEvery {
            guard let lastFull else { return .full }
            if now.timeIntervalSince(lastFull) >= fullEvery.seconds { return .full }
        }
        if let incrementalEvery {
            guard let lastAny else { return fullEvery == nil ? .incremental : .full }
            if now.timeIntervalSince(lastAny) >= incrementalEvery.seconds { return .incremental }
        }
        return nil
    }
}

extension Duration {
    var seconds: Double { Double(components.seconds) + Double(components.attoseconds) / 1e18 }
}
