/// The decisions of one sync run, without I/O: which mode it runs in and why, and how it ends (commit,
/// roll back for a dry run, or hold for an admin). The syncer reports what it learns (`directoryRead`,
/// `merged`) and does what the plan answers; tests drive it with plain values.
struct SyncPlan: Sendable, Equatable {
    /// How a run's transaction ends.
    enum Ending: Sendable, Equatable {
        /// Apply it: save the cursor and commit.
        case commit
        /// A dry run: report what it would change, change nothing.
        case rollBackDryRun
        /// The mass-disable guard (or an empty directory) stops it: roll back and tell the admins.
        case hold(reason: String)
    }

    private(set) var mode: SyncMode
    /// Why the mode differs from the one asked for, for the run's warnings.
    private(set) var warnings: [String] = []

    /// Before anything is read: no complete run yet, or settings changed since the last one, need a full run.
    init(requested: SyncMode, cursor: SyncCursor?, settings: DirectorySettings) {
        mode = requested
        if requested == .incremental, let reason = Self.needsFullRun(cursor: cursor, settings: settings) {
            mode = .full
            warnings.append("\(reason): running a full sync instead")
        }
    }

    static func needsFullRun(cursor: SyncCursor?, settings: DirectorySettings) -> String? {
        guard let cursor else { return "no complete run yet" }
        if cursor.flavour != settings.flavour || cursor.settingsFingerprint != settings.fingerprint {
            return "the directory settings changed since the last complete run"
        }
        return nil
    }

    /// Once the rootDSE is read: an Active Directory whose DC database changed (another invocationId) cannot
    /// be read incrementally from the old USN.
    mutating func directoryRead(flavour: DirectoryFlavour, invocationID: String?, cursor: SyncCursor?) {
        guard mode == .incremental, flavour == .activeDirectory, cursor?.invocationID != invocationID else { return }
        mode = .full
        warnings.append(
            "the domain controller changed (invocationId \(cursor?.invocationID ?? "none") → \(invocationID ?? "none")): running a full sync instead"
        )
    }

    /// Once merged (not yet committed): how the run ends.
    func ending(counts: SyncCounts, activeBefore: Int, settings: DirectorySettings, approvedDisable: Int?, dryRun: Bool)
        -> Ending
    {
        if let reason = Self.guardVerdict(
            mode: mode, counts: counts, activeBefore: activeBefore, settings: settings, approvedDisable: approvedDisable
        ) {
            return .hold(reason: reason)
        }
        return dryRun ? .rollBackDryRun : .commit
    }

    /// The mass-disable guard: why this run must wait for an admin, or nil when it may go ahead.
    static func guardVerdict(
        mode: SyncMode, counts: SyncCounts, activeBefore: Int, settings: DirectorySettings, approvedDisable: Int?
    ) -> String? {
        if mode == .full && counts.seen == 0 {
            return
                "the directory returned no users at all (check the base DN, the filter and the service account's rights); nobody was disabled"
        }
        let share = settings.guardSettings.maxDisableShare
        let allowed = max(Int((Double(activeBefore) * share).rounded(.down)), approvedDisable ?? 0)
        guard counts.disabled > allowed else { return nil }
        let percent = activeBefore == 0 ? 100 : Int((Double(counts.disabled) / Double(activeBefore) * 100).rounded())
        return
            "this run would disable \(counts.disabled) of \(activeBefore) active people (\(percent)%), more than the guard allows (\(Int(share * 100))%); nothing was changed. Approve it with 'inboard sync --approve RUN' if it is right"
    }
}
