import InboardStore

extension MaintenanceJob {
    /// The jobs every process that does maintenance runs (`inboard serve` and `inboard maintenance`).
    public static func builtIn(statuses: any StatusStoring, housekeeping: Housekeeping) -> [MaintenanceJob] {
        [.statusExpiry(statuses), .housekeeping(housekeeping)]
    }

    /// Expired statuses fall back to their type's fallback; auto-away ends.
    public static func statusExpiry(_ statuses: any StatusStoring) -> MaintenanceJob {
        MaintenanceJob(name: "status-expiry", every: .seconds(15), staleAfter: .seconds(120)) {
            let expired = try await statuses.expireDue()
            return expired == 0 ? "nothing due" : "\(expired) statuses expired"
        }
    }

    /// Login throttle rows whose window passed, sessions ended a day ago, live events past the replay horizon,
    /// delivered mails and status history past its retention.
    public static func housekeeping(_ housekeeping: Housekeeping) -> MaintenanceJob {
        MaintenanceJob(name: "housekeeping", every: .seconds(600)) {
            let pruned = try await housekeeping.prune()
            return "removed \(pruned.throttleRows) login throttle rows, \(pruned.sessions) ended sessions, "
                + "\(pruned.events) old live events, \(pruned.mails) delivered mails, "
                + "\(pruned.historyRows) status history rows"
        }
    }
}
