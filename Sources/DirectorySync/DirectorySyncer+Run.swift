import Foundation
import LDAPKit
import Logging
import PostgresNIO

extension DirectorySyncer {
    struct Outcome: Sendable {
        var mode: SyncMode
        var ending: SyncPlan.Ending
        var counts: SyncCounts
        var activeBefore: Int
        var warnings: [String]
    }

    /// Reads the directory into staging tables and merges it, in one transaction committed only when the plan
    /// says the run applies.
    func stageAndMerge(
        settings: DirectorySettings, client: LDAPClient, connection: PostgresConnection, plan: SyncPlan,
        cursor: SyncCursor?, dryRun: Bool, approvedDisable: Int?, progress: SyncProgressBox
    ) async throws -> Outcome {
        var plan = plan
        let state: DirectoryState
        do {
            state = try await DirectoryState.read(from: client, flavour: settings.flavour)
            try await DirectorySchemaCheck(settings: settings).run(client: client)
        } catch { throw SyncError.explaining(error) }
        plan.directoryRead(flavour: settings.flavour, invocationID: state.invocationID, cursor: cursor)
        let context = SyncContext(
            settings: settings, client: client, logger: logger, progress: progress,
            changedSince: plan.mode == .incremental ? cursor?.changedSince : nil)
        let outcome = try await connection.inTransaction(
            logger: logger, commitIf: { (outcome: Outcome) in outcome.ending == .commit }
        ) {
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
            // A stopping server cancels the run: nothing it read is applied (checked again before COMMIT).
            try Task.checkCancellation()
            progress.set(phase: .merging)
            let merge = SyncMerge(
                connection: connection, logger: logger, full: plan.mode == .full, mappings: settings.groups,
                askedInChain: Self.asksInChain(settings), clashing: staging.clashing,
                settingsChanged: SyncPlan.needsFullRun(cursor: cursor, settings: settings) != nil)
            var (counts, mergeWarnings) = try await merge.run(clock: clock)
            counts.seen = staging.people
            let ending = plan.ending(
                counts: counts, activeBefore: activeBefore, settings: settings, approvedDisable: approvedDisable,
                dryRun: dryRun)
            if ending == .commit {
                var next = SyncCursor(
                    flavour: settings.flavour, settingsFingerprint: settings.fingerprint, server: state.server)
                next.entryCSN = state.contextCSN ?? staging.newestChange ?? cursor?.entryCSN
                next.highestUSN = state.highestUSN
                next.invocationID = state.invocationID
                try await next.save(on: connection, logger: logger)
            }
            // PostgreSQL's queries do not see a cancellation: a run cancelled during its merge ends here.
            try Task.checkCancellation()
            return Outcome(
                mode: plan.mode, ending: ending, counts: counts, activeBefore: activeBefore,
                warnings: plan.warnings + staging.warnings + mergeWarnings)
        }
        // Who people are may have changed: this process's session cache forgets at once (others on NOTIFY).
        if outcome.ending == .commit { pool.identityChanges.signal() }
        return outcome
    }
}
