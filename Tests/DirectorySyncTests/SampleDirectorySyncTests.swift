import DirectorySync
import Foundation
import InboardTestSupport
import Testing

/// Syncs of the main slapd's 200-person sample organisation, which these tests only read.
@Suite struct SampleDirectorySyncTests {
    @Test func fullSyncBringsPeopleGroupsRolesAndNestedMembershipsThenIncrementalChangesNothing() async throws {
        try await SyncHarness.with(try Directory.sample()) { h in
            // A first import drops the tables' indexes and keys and builds them at the end: all of them come back.
            let keys = """
                SELECT string_agg(d, E'\\n' ORDER BY d) FROM (
                    SELECT indexdef AS d FROM pg_indexes
                    WHERE tablename IN ('people', 'memberships', 'group_nesting') AND schemaname = current_schema()
                    UNION ALL SELECT conname || ' ' || pg_get_constraintdef(oid) FROM pg_constraint
                    WHERE conrelid IN ('people'::regclass, 'memberships'::regclass, 'group_nesting'::regclass)) k
                """
            let keysBefore = try await h.string(keys)
            let run = try await h.sync(.full)
            #expect(run.state == .succeeded)
            #expect(try await h.string(keys) == keysBefore)
            #expect(
                keysBefore?.contains("memberships_pkey") == true && keysBefore?.contains("people_username_key") == true)
            #expect(run.counts.seen == 200 && run.counts.created == 200 && run.counts.groups == 20)
            #expect(run.counts.updated == 0, "role and department of new people are not updates")
            #expect(try await h.int("SELECT count(*) FROM people") == 200)
            // i % 97 == 13: peggy (13) and 110 are disabled by ppolicy's admin lock; 17 (a failure lockout) is not.
            #expect(try await h.int("SELECT count(*) FROM people WHERE NOT active") == 2)
            #expect(
                try await h.string("SELECT disabled_reason FROM people WHERE username = 'peggy'")
                    == "disabled in the directory")
            #expect(try await h.string("SELECT role FROM people WHERE username = 'alice'") == "admin")
            #expect(try await h.string("SELECT role FROM people WHERE username = 'bob'") == "delegate")
            #expect(try await h.string("SELECT role FROM people WHERE username = 'carol'") == "user")
            // all-staff holds department groups, which hold teams, which hold people: everyone through nesting.
            #expect(
                try await h.int(
                    "SELECT count(*) FROM memberships m JOIN groups g ON g.id = m.group_id WHERE g.name = 'all-staff'")
                    == 200)
            #expect(try await h.string("SELECT board FROM groups WHERE name = 'all-staff'") == "Everyone")
            let salesByGroup = try await h.int("SELECT count(*) FROM people WHERE mapped_department = 'Sales (group)'")
            #expect(salesByGroup > 0 && salesByGroup < 200)
            #expect(
                try await h.int(
                    "SELECT count(*) FROM group_nesting n JOIN groups p ON p.id = n.parent_id WHERE p.name IN ('loop-a', 'loop-b')"
                ) == 2, "the cycle is stored and did not hang the sync")
            #expect(
                try await h.string("SELECT manager_dn FROM people WHERE username = 'bob'")?.hasPrefix("uid=alice,")
                    == true)

            let before = try await h.snapshot()
            let again = try await h.sync(.incremental)
            #expect(again.mode == .incremental && again.state == .succeeded)
            #expect(again.counts.created == 0 && again.counts.updated == 0 && again.counts.disabled == 0)
            let full = try await h.sync(.full)
            #expect(
                full.counts.created == 0 && full.counts.updated == 0 && full.counts.disabled == 0
                    && full.counts.moved == 0)
            #expect(try await h.snapshot() == before, "a run without directory changes rewrote rows")
            let runs = try await h.syncer.runs.recent()
            #expect(runs.map(\.id) == [full.id, again.id, run.id])
            #expect(run.processed == 220 && run.estimated == nil && full.estimated == 220)
        }
    }

    @Test func dryRunReportsTheChangesAndWritesNothing() async throws {
        try await SyncHarness.with(try Directory.sample()) { h in
            let run = try await h.sync(.full, dryRun: true)
            #expect(run.dryRun && run.state == .succeeded && run.counts.created == 200 && run.counts.groups == 20)
            #expect(try await h.int("SELECT count(*) FROM people") == 0)
            #expect(try await h.int("SELECT count(*) FROM groups") == 0)
            #expect(try await h.int("SELECT count(*) FROM sync_cursor") == 0)
            // With no cursor saved, the next incremental request runs in full.
            let next = try await h.sync(.incremental)
            #expect(next.mode == .full && next.counts.created == 200)
            #expect(next.warnings.contains { $0.contains("no complete run yet") })
        }
    }

    @Test func guardHoldsAMassDisableUntilAnAdminApprovesIt() async throws {
        var settings = try Directory.sample()
        try await SyncHarness.with(settings) { h in
            _ = try await h.sync(.full)
            let before = try await h.snapshot()
            // A new filter leaves out the Sales department: 28 of 198 active people (14% > 10%).
            settings.userFilter = "(&(objectClass=inetOrgPerson)(!(departmentNumber=Sales)))"
            try await h.save(settings)
            let held = try await h.sync(.incremental)
            #expect(held.state == .held && held.mode == .full)
            #expect(held.counts.disabled == 28 && held.activeBefore == 198)
            #expect(held.heldReason?.contains("28 of 198") == true)
            #expect(try await h.snapshot() == before, "a held run changed data")
            #expect(
                try await h.int(
                    "SELECT count(*) FROM outbox WHERE event = 'sync.held' AND payload->>'run' = '\(held.id)'") == 1)

            let approved = try await h.sync(.full, approving: held.id)
            #expect(approved.state == .succeeded && approved.counts.disabled == 28 && approved.approvesRun == held.id)
            #expect(
                try await h.int(
                    "SELECT count(*) FROM people WHERE NOT active AND disabled_by_sync AND department = 'Sales'") == 28)
            #expect(try await h.syncer.runs.run(held.id)?.approvedBy == "test")
            await #expect(throws: SyncError.self) { try await h.sync(.full, approving: held.id) }

            // The department comes back: everyone in it is re-enabled (the admin-locked stay disabled).
            settings.userFilter = "(objectClass=inetOrgPerson)"
            try await h.save(settings)
            let back = try await h.sync(.full)
            #expect(back.counts.reenabled == 28 && back.counts.disabled == 0)
        }
    }

    @Test func aRunThatSeesNoUsersIsHeld() async throws {
        var settings = try Directory.sample()
        try await SyncHarness.with(settings) { h in
            _ = try await h.sync(.full)
            settings.baseDN = ["ou=service,\(try Directory.base)"]
            try await h.save(settings)
            let run = try await h.sync(.full)
            #expect(run.state == .held && run.counts.seen == 0)
            #expect(run.heldReason?.contains("no users at all") == true)
            #expect(try await h.int("SELECT count(*) FROM people WHERE active") == 198)
        }
    }
}
