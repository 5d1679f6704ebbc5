import DirectorySync
import InboardTestSupport
import Testing

/// Two directory entries with one username: the person who holds it in Inboard keeps it, the other entry is
/// skipped with a warning, and neither is disabled (both are still in the directory). Only a leaver's username
/// passes to a new owner.
extension ChangingDirectorySyncTests {
    @Test func aUsernameGivenToASecondEntryDisablesNobodyAndOnlyALeaversNamePasses() async throws {
        try await Directory.thirdInstance("reset")
        let base = try Directory.base
        try await SyncHarness.with(try Directory.third()) { h in
            let (holderDN, holder, other, otherName, otherDN) = try await holderAndAnother(h, base: base)
            let parent = otherDN.split(separator: ",", maxSplits: 1)[1]
            try await Directory.modifyThird(
                "dn: \(otherDN)\nchangetype: modrdn\nnewrdn: uid=name.holder\ndeleteoldrdn: 1\n\n")

            let clash = try await h.sync(.full)
            #expect(clash.state == .succeeded && clash.counts.disabled == 0, "\(clash.counts)")
            let state = { (id: Int) async throws -> String? in
                try await h.string("SELECT username || ' ' || active::text FROM people WHERE id = \(id)")
            }
            #expect(try await state(holder) == "name.holder true", "the holder lost its name or was disabled")
            #expect(try await state(other) == "\(otherName) true", "the second entry took the name or was disabled")
            // The other entry was read first, but the holder keeps the name: only the other entry is skipped.
            #expect(
                clash.warnings.contains(
                    "username name.holder of uid=name.holder,\(parent) is also carried by another directory entry: skipped"
                ),
                "\(clash.warnings)")
            #expect(!clash.warnings.contains { $0.contains(holderDN) }, "\(clash.warnings)")

            // While the clash lasts, the holder's changes apply: a new title, and the directory disabling and
            // re-enabling it.
            try await Directory.modifyThird(
                """
                dn: \(holderDN)
                changetype: modify
                replace: title
                title: Keeper
                -
                add: pwdAccountLockedTime
                pwdAccountLockedTime: 000001010000Z

                """)
            #expect(try await h.sync(.full).counts.disabled == 1)
            #expect(try await state(holder) == "name.holder false", "a locked account stayed active")
            #expect(try await h.string("SELECT title FROM people WHERE id = \(holder)") == "Keeper")
            try await Directory.modifyThird(
                "dn: \(holderDN)\nchangetype: modify\ndelete: pwdAccountLockedTime\n\n")
            #expect(try await h.sync(.full).counts.reenabled == 1)

            // The directory puts it right: nothing is left over, and nobody was disabled on the way.
            try await Directory.modifyThird(
                "dn: uid=name.holder,\(parent)\nchangetype: modrdn\nnewrdn: uid=\(otherName)\ndeleteoldrdn: 1\n\n")
            let mended = try await h.sync(.full)
            #expect(mended.counts.disabled == 0 && !mended.warnings.contains { $0.contains("name.holder") })

            // The holder leaves and the other entry takes its name: now the name passes to its new owner.
            try await Directory.modifyThird(
                """
                dn: \(holderDN)
                changetype: delete

                dn: uid=\(otherName),\(parent)
                changetype: modrdn
                newrdn: uid=name.holder
                deleteoldrdn: 1

                """)
            let reused = try await h.sync(.full)
            #expect(reused.counts.disabled == 1, "\(reused.counts)")
            #expect(try await state(holder) == "name.holder~\(holder) false")
            #expect(try await state(other) == "name.holder true")
        }
    }

    @Test func anEntryThatLosesItsLoginAttributeIsKeptNotTakenForALeaver() async throws {
        try await Directory.thirdInstance("reset")
        let base = try Directory.base
        try await SyncHarness.with(try Directory.third()) { h in
            _ = try await h.sync(.full)
            let dn = "cn=No Login,ou=people,\(base)"
            try await Directory.modifyThird(
                "dn: \(dn)\nchangetype: add\nobjectClass: inetOrgPerson\ncn: No Login\nsn: Login\nuid: no.login\n\n")
            #expect(try await h.sync(.incremental).counts.created == 1)
            try await Directory.modifyThird("dn: \(dn)\nchangetype: modify\ndelete: uid\n\n")
            let run = try await h.sync(.full)
            #expect(run.counts.disabled == 0, "\(run.counts)")
            #expect(run.warnings.contains { $0.contains("No Login") && $0.hasSuffix("skipped") }, "\(run.warnings)")
            #expect(try await h.string("SELECT active::text FROM people WHERE username = 'no.login'") == "true")
            // A new hire given that name: it passes to them (the entry no longer carries it), and the entry that
            // lost it stays active under the name kept apart.
            try await Directory.modifyThird(
                "dn: uid=no.login,ou=people,\(base)\nchangetype: add\nobjectClass: inetOrgPerson\nuid: no.login\ncn: New Hire\nsn: Hire\n\n"
            )
            let hired = try await h.sync(.full)
            #expect(hired.counts.created == 1 && hired.counts.disabled == 0, "\(hired.counts)")
            #expect(
                try await h.string("SELECT dn FROM people WHERE username = 'no.login'")
                    == "uid=no.login,ou=people,\(base)")
            #expect(try await h.string("SELECT active::text FROM people WHERE dn = '\(dn)'") == "true")
            try await Directory.modifyThird("dn: \(dn)\nchangetype: delete\n\n")
            #expect(try await h.sync(.full).counts.disabled == 1, "a leaver is still disabled")
        }
    }

    /// A chain of clashes: one entry renamed to a name another person holds is skipped and keeps its own name, which
    /// a new hire also claims; the hire is skipped in turn, and the run succeeds (it failed on the key).
    @Test func aChainOfUsernameClashesSkipsEachClaimAndTheRunSucceeds() async throws {
        try await Directory.thirdInstance("reset")
        let base = try Directory.base
        try await SyncHarness.with(try Directory.third()) { h in
            let (_, _, other, otherName, otherDN) = try await holderAndAnother(h, base: base)
            try await Directory.modifyThird(
                """
                dn: \(otherDN)
                changetype: modrdn
                newrdn: uid=name.holder
                deleteoldrdn: 1

                dn: uid=\(otherName),ou=people,\(base)
                changetype: add
                objectClass: inetOrgPerson
                uid: \(otherName)
                cn: Second Claim
                sn: Claim

                """)
            let run = try await h.sync(.full)
            #expect(run.state == .succeeded && run.counts.created == 0 && run.counts.disabled == 0, "\(run)")
            #expect(try await h.string("SELECT username FROM people WHERE id = \(other)") == otherName)
            #expect(
                run.warnings.contains(
                    "username \(otherName) of uid=\(otherName),ou=people,\(base) belongs to another person: skipped"),
                "\(run.warnings)")
        }
    }

    /// After a full run, `name.holder` is added and synced; it is added after the seed, so the directory returns
    /// it after every seeded entry, and the seeded person returned first (`other`), renamed to its username, is
    /// read first and would take the name. Returns the holder's DN and id, and the other person's id, name, DN.
    func holderAndAnother(_ h: SyncHarness, base: String) async throws -> (String, Int, Int, String, String) {
        _ = try await h.sync(.full)
        let holderDN = "uid=name.holder,ou=people,\(base)"
        try await Directory.modifyThird(
            "dn: \(holderDN)\nchangetype: add\nobjectClass: inetOrgPerson\nuid: name.holder\ncn: Name Holder\nsn: Holder\n\n"
        )
        #expect(try await h.sync(.incremental).counts.created == 1)
        let holder = try await h.int("SELECT id FROM people WHERE username = 'name.holder'")
        let other = try await h.int("SELECT min(id) FROM people WHERE source = 'directory' AND active")
        let otherName = try #require(try await h.string("SELECT username FROM people WHERE id = \(other)"))
        let otherDN = try #require(try await h.string("SELECT dn FROM people WHERE id = \(other)"))
        return (holderDN, holder, other, otherName, otherDN)
    }
}
