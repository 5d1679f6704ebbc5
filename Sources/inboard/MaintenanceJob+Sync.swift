import DirectorySync
import InboardServer

extension MaintenanceJob {
    /// The directory's sync schedule, looked at every 30 s; a run may take long, so a claim stays its
    /// server's for up to four hours.
    static func directorySync(_ scheduler: SyncScheduler) -> MaintenanceJob {
        MaintenanceJob(name: "directory-sync", every: .seconds(30), staleAfter: .seconds(4 * 3600)) {
            try await scheduler.runIfDue()
        }
    }
}
