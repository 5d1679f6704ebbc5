import Foundation
import Logging
import ServiceLifecycle

/// Runs syncs by themselves on the schedule in the directory settings: a full run every `fullEvery`, an
/// incremental one every `incrementalEvery` in between. Every server process runs one; the sync lock and the
/// shared run history make sure each due run happens once.
public struct SyncScheduler: Service {
    let syncer: DirectorySyncer
    let logger: Logger
    let tick: Duration

    public init(syncer: DirectorySyncer, logger: Logger, tick: Duration = .seconds(30)) {
        self.syncer = syncer
        self.logger = logger
        self.tick = tick
    }

    public func run() async throws {
        await cancelWhenGracefulShutdown {
            while !Task.isCancelled {
                try? await Task.sleep(for: tick)
                if Task.isCancelled { break }
                await runIfDue()
            }
        }
    }

    func runIfDue() async {
        do {
            guard let settings = try await syncer.storedSettings() else { return }
            let lastFull = try await syncer.runs.lastStarted(mode: .full)
            let lastAny = try await syncer.runs.lastStarted(mode: nil)
            guard let mode = settings.schedule.due(now: Date(), lastFull: lastFull, lastAny: lastAny) else { return }
            let run = try await syncer.run(SyncRequest(mode: mode, trigger: "schedule", requestedBy: "schedule"))
            logger.info(
                "scheduled sync finished",
                metadata: [
                    "run": "\(run.id)", "state": "\(run.state.rawValue)",
                    "summary": "\(run.summary.split(separator: "\n")[0])",
                ])
        } catch SyncError.alreadyRunning {
            logger.debug("scheduled sync skipped: another one is running")
        } catch {
            if Task.isCancelled || error is CancellationError { return }  // shutting down
            logger.error("scheduled sync failed", metadata: ["error": "\(error)"])
        }
    }
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
