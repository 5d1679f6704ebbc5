import Foundation
import LDAPKit
import PostgresNIO

extension DirectorySyncer {
    struct Outcome: Sendable {
        var mode: SyncMode
        var state: SyncRun.State
        var counts: SyncCounts
        var activeBefore: Int
        var warnings: [String]
        var heldReason: String?
    }

    /// Reads the directory into staging tables and merges it, in one transaction committed only when the
    /// run is real and the guard lets it through.
    func stageAndMerge(settings: DirectorySettings, client: LDAPClient, connection: PostgresConnection, mode requested: SyncMode,
                       cursor: SyncCursor?, dryRun: Bool, approvedDisable: Int?, progress: SyncProgressBox) async throws -> Outcome {
        var mode = requested
        var warnings: [String] = []
        let state: DirectoryState
        do {
            state = try await DirectoryState.read(from: client, flavour: settings.flavour)
            try await DirectorySchemaCheck(settings: settings).run(client: client)
        } catch { throw SyncError.explaining(error) }
        if mode == .incremental, settings.flavour == .activeDirectory, cursor?.invocationID != state.invocationID {
            mode = .full
            warnings.append("the domain controller changed (invocationId \(cursor?.invocationID ?? "none") → \(state.invocationID ?? "none")): running a full sync instead")
        }
        let context = SyncContext(settings: settings, client: client, logger: logger, progress: progress,
                                  changedSince: mode == .incremental ? cursor?.changedSince : nil)
        try await connection.query("BEGIN", logger: logger)
        let activeBefore = try await SyncMerge(connection: connection, logger: logger, full: true, mappings: [])
            .count("SELECT 1 FROM people WHERE source = 'directory' AND active")
        try await Self.createStagingTables(on: connection, context: context)
        var staging = StagingResult()
        let clock = PhaseClock(logger: logger)
        try await Self.stageUsers(on: connection, context: context, result: &staging)
        clock.lap("read and staged \(staging.people) people")
        try await Self.stageGroups(on: connection, context: context, result: &staging)
        clock.lap("read and staged \(staging.groups) groups")
        try await Self.stageInChainMembers(on: connection, context: context)
        progress.set(phase: .merging)
        let merge = SyncMerge(connection: connection, logger: logger, full: mode == .full, mappings: settings.groups)
        var (counts, mergeWarnings) = try await merge.run(clock: clock)
        counts.seen = staging.people
        warnings += staging.warnings + mergeWarnings

        let heldReason = Self.guardVerdict(mode: mode, counts: counts, activeBefore: activeBefore, settings: settings, approvedDisable: approvedDisable)
        if heldReason != nil || dryRun {
            try await connection.query("ROLLBACK", logger: logger)
        } else {
            var next = SyncCursor(flavour: settings.flavour, settingsFingerprint: settings.fingerprint, server: state.server)
            next.entryCSN = state.contextCSN ?? staging.newestChange ?? cursor?.entryCSN
            next.highestUSN = state.highestUSN
            next.invocationID = state.invocationID
            try await next.save(on: connection, logger: logger)
            try await connection.query("COMMIT", logger: logger)
        }
        return Outcome(mode: mode, state: heldReason == nil ? .succeeded : .held, counts: counts, activeBefore: activeBefore,
                       warnings: warnings, heldReason: heldReason)
    }

    /// The mass-disable guard: why this run must wait for an admin, or nil when it may go ahead.
    static func guardVerdict(mode: SyncMode, counts: SyncCounts, activeBefore: Int, settings: DirectorySettings, approvedDisable: Int?) -> String? {
        if mode == .full && counts.seen == 0 {
            return "the directory returned no users at all (check the base DN, the filter and the service account's rights); nobody was disabled"
        }
        let share = settings.guardSettings.maxDisableShare
        let allowed = max(Int((Double(activeBefore) * share).rounded(.down)), approvedDisable ?? 0)
        guard counts.disabled > allowed else { return nil }
        let percent = activeBefore == 0 ? 100 : Int((Double(counts.disabled) / Double(activeBefore) * 100).rounded())
        return "this run would disable \(counts.disabled) of \(activeBefore) active people (\(percent)%), more than the guard allows (\(Int(share * 100))%); nothing was changed. Approve it with 'inboard sync --approve RUN' if it is right"
    }
}
