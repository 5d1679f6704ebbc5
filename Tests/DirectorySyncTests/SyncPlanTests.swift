@testable import DirectorySync
import Testing

/// The run's decisions without a directory or a database: its mode (decided before the read and corrected
/// once by what the rootDSE says), and how it ends (commit, dry run, hold).
@Suite struct SyncPlanTests {
    let settings = DirectorySettings(
        flavour: .activeDirectory, servers: ["ldap://dc1"], bindDN: "reader", bindPassword: "x",
        baseDN: ["DC=example,DC=test"])
    var cursor: SyncCursor {
        SyncCursor(
            flavour: .activeDirectory, settingsFingerprint: settings.fingerprint, highestUSN: 100, invocationID: "dc-a",
            server: "dc1")
    }

    @Test func anIncrementalRunBecomesFullWithoutACompleteRunOrAfterASettingsChange() {
        let first = SyncPlan(requested: .incremental, cursor: nil, settings: settings)
        #expect(first.mode == .full && first.warnings == ["no complete run yet: running a full sync instead"])
        var changed = settings
        changed.baseDN = ["OU=Staff,DC=example,DC=test"]
        #expect(SyncPlan(requested: .incremental, cursor: cursor, settings: changed).mode == .full)
        let unchanged = SyncPlan(requested: .incremental, cursor: cursor, settings: settings)
        #expect(unchanged.mode == .incremental && unchanged.warnings.isEmpty)
    }

    @Test func anotherDomainControllerMeansAFullRunOnce() {
        var plan = SyncPlan(requested: .incremental, cursor: cursor, settings: settings)
        plan.directoryRead(flavour: .activeDirectory, invocationID: "dc-a", cursor: cursor)
        #expect(plan.mode == .incremental)
        plan.directoryRead(flavour: .activeDirectory, invocationID: "dc-b", cursor: cursor)
        #expect(plan.mode == .full && plan.warnings.count == 1 && plan.warnings[0].contains("dc-a → dc-b"))
        var openLDAP = SyncPlan(requested: .incremental, cursor: cursor, settings: settings)
        openLDAP.directoryRead(flavour: .openLDAP, invocationID: nil, cursor: cursor)
        #expect(openLDAP.mode == .incremental, "OpenLDAP has no invocationId to compare")
    }

    @Test func theGuardHoldsAMassDisableAndAnEmptyDirectoryAndAnApprovalLetsItThrough() {
        let full = SyncPlan(requested: .full, cursor: cursor, settings: settings)
        let fine = SyncCounts(seen: 200, disabled: 20)
        #expect(
            full.ending(counts: fine, activeBefore: 200, settings: settings, approvedDisable: nil, dryRun: false)
                == .commit)
        #expect(
            full.ending(counts: fine, activeBefore: 200, settings: settings, approvedDisable: nil, dryRun: true)
                == .rollBackDryRun)
        let many = SyncCounts(seen: 100, disabled: 100)
        guard
            case let .hold(reason) = full.ending(
                counts: many, activeBefore: 200, settings: settings, approvedDisable: nil, dryRun: false)
        else {
            Issue.record("100 of 200 disabled was not held")
            return
        }
        #expect(reason.contains("100 of 200") && reason.contains("50%"))
        #expect(
            full.ending(counts: many, activeBefore: 200, settings: settings, approvedDisable: 100, dryRun: false)
                == .commit)
        guard
            case .hold = full.ending(
                counts: SyncCounts(), activeBefore: 0, settings: settings, approvedDisable: nil, dryRun: false)
        else {
            Issue.record("a full run that saw nobody was not held")
            return
        }
    }
}
