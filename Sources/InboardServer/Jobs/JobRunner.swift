import Foundation
import InboardStore
import Logging
import ServiceLifecycle

/// Runs the maintenance jobs in this process whenever this process wins the job's row (`JobStore.claim`):
/// every server offers, exactly one runs each job at a time. Each job has its own loop, so a long sync never
/// delays status expiry.
public struct JobRunner: Service {
    let jobs: [MaintenanceJob]
    let store: JobStore
    let logger: Logger
    /// This process, as the Jobs page names it.
    let server: String
    /// The longest wait between two looks at a job's row (a job made due elsewhere is seen within it).
    let poll: Duration
    /// The schema this server was built for: jobs run only on it (nil: on any).
    let schemaVersion: Int?

    public init(
        jobs: [MaintenanceJob], store: JobStore, logger: Logger, server: String = JobRunner.thisServer,
        poll: Duration = .seconds(5), schemaVersion: Int?
    ) {
        self.jobs = jobs
        self.schemaVersion = schemaVersion
        self.store = store
        self.logger = logger
        self.server = server
        self.poll = poll
    }

    public static var thisServer: String { "\(ProcessInfo.processInfo.hostName):\(getpid())" }

    public func run() async throws {
        await cancelWhenGracefulShutdown {
            await withTaskGroup(of: Void.self) { group in
                for job in jobs { group.addTask { await loop(job) } }
            }
        }
    }

    func loop(_ job: MaintenanceJob) async {
        var registered = false
        var waitingForUpgrade = false
        while !Task.isCancelled {
            do {
                if !registered {
                    try await store.register(name: job.name, every: job.every, staleAfter: job.staleAfter)
                    registered = true
                }
                switch try await store.claim(name: job.name, server: server, schemaVersion: schemaVersion) {
                case .claimed:
                    waitingForUpgrade = false
                    await runOnce(job)
                case .schemaDiffers(let databaseVersion):
                    if !waitingForUpgrade {
                        waitingForUpgrade = true
                        logger.notice(
                            "maintenance job \(job.name) left to servers of the database's schema version",
                            metadata: [
                                "databaseSchema": "\(databaseVersion)", "thisServerSchema": "\(schemaVersion ?? 0)",
                            ])
                    }
                    // The job stays due until an upgraded server claims it: look again at the poll, not at once.
                    try? await Task.sleep(for: poll)
                    continue
                case .notNow:
                    break
                }
                let wait = try await store.secondsUntilDue(name: job.name) ?? 1
                try? await Task.sleep(for: min(poll, .milliseconds(Int64(max(wait, 0.05) * 1000))))
            } catch {
                if Task.isCancelled || error is CancellationError { return }
                logger.warning(
                    "maintenance job \(job.name) cannot reach its row; retrying",
                    metadata: ["error": "\(String(reflecting: type(of: error)))"])
                try? await Task.sleep(for: poll)
            }
        }
    }

    func runOnce(_ job: MaintenanceJob) async {
        let started = ContinuousClock.now
        let (succeeded, detail): (Bool, String)
        do {
            (succeeded, detail) = (true, try await job.work())
        } catch {
            (succeeded, detail) = (false, "\(error)")
            if !(Task.isCancelled || error is CancellationError) {
                logger.warning("maintenance job \(job.name) failed", metadata: ["error": "\(error)"])
            }
        }
        // Recorded even while shutting down (outside this task's cancellation): the row must not stay claimed
        // until it goes stale.
        let (store, server, elapsed) = (self.store, self.server, ContinuousClock.now - started)
        await Task.detached {
            try? await store.finish(
                name: job.name, server: server, succeeded: succeeded, detail: detail, duration: elapsed)
        }.value
    }
}
