import Synchronization
import DirectorySync
import Foundation
import InboardTestSupport
import Testing

/// Syncs of the third slapd (10,000 people), which these tests change, reseed and kill: one at a time.
@Suite(.serialized) struct ChangingDirectorySyncTests {
    static let disabledInSeed = (0..<10_000).filter { $0 % 97 == 13 }.count

    @Test func incrementalRunsFindEditsRenamesMovesDisablesAndNewPeopleAndFullRunsFindDeletions() async throws {
        try await Directory.thirdInstance("reset")
        try await SyncHarness.with(try Directory.third()) { h in
            let first = try await h.sync(.full)
            #expect(first.counts.seen == 10_000 && first.counts.created == 10_000 && first.counts.groups == 100)
            #expect(try await h.int("SELECT count(*) FROM people WHERE NOT active") == Self.disabledInSeed)
            let quiet = try await h.sync(.incremental)
            #expect(quiet.counts.created == 0 && quiet.counts.updated == 0 && quiet.counts.disabled == 0)

            let dn = { (user: String) async throws -> String in
                try #require(try await h.string("SELECT dn FROM people WHERE username = '\(user)'"))
            }
            let (uma, yusuf, zoe, amir, peggy, bea) = (
                try await dn("uma"), try await dn("yusuf"), try await dn("zoe"), try await dn("amir"),
                try await dn("peggy"), try await dn("bea")
            )
            let yusufID = try await h.int("SELECT id FROM people WHERE username = 'yusuf'")
            let base = try Directory.base
            try await Directory.modifyThird(
                """
                dn: \(uma)
                changetype: modify
                replace: title
                title: Chief Tester

                dn: \(yusuf)
                changetype: modrdn
                newrdn: uid=yusuf.renamed
                deleteoldrdn: 1

                dn: \(zoe)
                changetype: modrdn
                newrdn: uid=zoe
                deleteoldrdn: 1
                newsuperior: ou=Sales,ou=London,ou=people,\(base)

                dn: \(amir)
                changetype: modify
                add: pwdAccountLockedTime
                pwdAccountLockedTime: 000001010000Z

                dn: \(peggy)
                changetype: modify
                delete: pwdAccountLockedTime

                dn: uid=newbie,ou=HR,ou=London,ou=people,\(base)
                changetype: add
                objectClass: inetOrgPerson
                uid: newbie
                cn: New Bie
                sn: Bie
                displayName: New Bie
                mail: newbie@acme.test

                dn: cn=inboard-admins,ou=groups,\(base)
                changetype: modify
                add: member
                member: uid=newbie,ou=HR,ou=London,ou=people,\(base)

                """)
            let changed = try await h.sync(.incremental)
            #expect(changed.mode == .incremental && changed.state == .succeeded)
            #expect(changed.counts.seen < 100, "an incremental run read \(changed.counts.seen) people")
            #expect(
                changed.counts.created == 1 && changed.counts.moved == 2 && changed.counts.disabled == 1
                    && changed.counts.reenabled == 1)
            #expect(changed.counts.updated >= 3)
            #expect(try await h.string("SELECT title FROM people WHERE username = 'uma'") == "Chief Tester")
            #expect(
                try await h.int("SELECT id FROM people WHERE username = 'yusuf.renamed'") == yusufID,
                "a rename made a new person")
            #expect(
                try await h.string("SELECT dn FROM people WHERE username = 'zoe'")?.contains("ou=Sales,ou=London")
                    == true)
            #expect(try await h.string("SELECT active::text FROM people WHERE username = 'amir'") == "false")
            #expect(try await h.string("SELECT active::text FROM people WHERE username = 'peggy'") == "true")
            #expect(try await h.string("SELECT role FROM people WHERE username = 'newbie'") == "admin")

            try await Directory.modifyThird("dn: \(bea)\nchangetype: delete\n\n")
            #expect(try await h.sync(.incremental).counts.disabled == 0, "incremental runs cannot see deletions")
            let full = try await h.sync(.full)
            #expect(full.counts.disabled == 1 && full.counts.created == 0)
            #expect(
                try await h.string("SELECT disabled_reason FROM people WHERE username = 'bea'")?.hasPrefix(
                    "no longer in the directory") == true)
            #expect(try await h.int("SELECT count(*) FROM people") == 10_001, "nobody is ever deleted or duplicated")
        }
    }

    @Test func aDirectoryLostMidRunFailsTheRunDisablesNobodyAndTheNextRunCompletes() async throws {
        try await Directory.thirdInstance("start")
        try await SyncHarness.with(try Directory.third()) { h in
            _ = try await h.sync(.full)
            let before = try await h.snapshot()
            let active = try await h.int("SELECT count(*) FROM people WHERE active")
            let killed = KillOnce()
            let killedPID = Mutex<pid_t?>(nil)
            do {
                let run = try await h.sync(.full) { progress in
                    if progress.phase == .readingUsers, progress.processed >= 500 {
                        killed.fire { killedPID.withLock { $0 = try? Directory.killThird() } }
                    }
                }
                Issue.record("the run finished although its directory was killed: \(run.summary)")
            } catch {
                #expect("\(error)".contains("servers") || "\(error)".contains("cannot reach"), "\(error)")
            }
            let failed = try #require(try await h.syncer.runs.recent(limit: 1).first)
            #expect(failed.state == .failed && failed.processed >= 500 && failed.processed < 10_000)
            #expect(try await h.snapshot() == before)
            try await Directory.waitUntilGone(try #require(killedPID.withLock { $0 }))
            try await Directory.thirdInstance("start")
            let next = try await h.sync(.full)
            #expect(next.state == .succeeded && next.counts.disabled == 0)
            #expect(try await h.int("SELECT count(*) FROM people WHERE active") == active)
        }
    }

    /// A NUL byte in one attribute value (PostgreSQL text cannot hold one; COPY would refuse the whole batch)
    /// costs that value, with a warning naming the entry and the attribute, and never the run: a failed run
    /// stops deprovisioning. The entries are this test's own and are deleted afterwards.
    @Test func aValueWithANULByteIsDroppedWithAWarningAndTheRunSucceeds() async throws {
        try await Directory.thirdInstance("start")
        let base = try Directory.base
        let person = "uid=nul.byte,ou=HR,ou=London,ou=people,\(base)", group = "cn=nul-byte-group,ou=groups,\(base)"
        let cleanup = "dn: \(group)\nchangetype: delete\n\ndn: \(person)\nchangetype: delete\n\n"
        try? await Directory.modifyThird(cleanup)  // left over from an interrupted run
        try await Directory.modifyThird(
            """
            dn: \(person)
            changetype: add
            objectClass: inetOrgPerson
            uid: nul.byte
            cn: Nul Byte
            sn: Byte
            mail: nul.byte@acme.test
            title:: dGVzdABOVUw=

            dn: \(group)
            changetype: add
            objectClass: groupOfNames
            cn: nul-byte-group
            description:: YQBi
            member: \(person)

            """)
        do {
            try await SyncHarness.with(try Directory.third()) { h in
                let run = try await h.sync(.full)
                #expect(run.state == .succeeded)
                #expect(
                    try await h.string("SELECT email FROM people WHERE username = 'nul.byte'") == "nul.byte@acme.test")
                #expect(try await h.string("SELECT title FROM people WHERE username = 'nul.byte'") == nil)
                #expect(run.warnings.contains { $0.contains(person) && $0.contains("title") }, "\(run.warnings)")
                #expect(
                    try await h.int("SELECT count(*) FROM groups WHERE dn = '\(group)' AND description IS NULL") == 1)
                #expect(run.warnings.contains { $0.contains(group) && $0.contains("description") }, "\(run.warnings)")
            }
        } catch {
            try? await Directory.modifyThird(cleanup)
            throw error
        }
        try await Directory.modifyThird(cleanup)
    }
}

/// Runs an action the first time only (progress callbacks keep coming after it).
final class KillOnce: Sendable {
    private let done = Mutex(false)
    func fire(_ action: () -> Void) {
        if done.withLock({
            let first = !$0; $0 = true; return first
        }) {
            action()
        }
    }
}
