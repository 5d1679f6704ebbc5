import DirectorySync
import InboardTestSupport
import Testing

/// A full run resolves again only the groups whose members changed, unless something else changed what a member
/// value names (people created, moved or renamed, groups added, renamed or removed); a mapping added or removed
/// resolves the mapped groups' nesting. To see whether a
/// run resolved a group again, a test takes one of its stored memberships out behind the sync's back: a run that
/// resolves the group puts it back.
extension ChangingDirectorySyncTests {
    @Test func aFullRunResolvesOnlyChangedGroupsAndEveryGroupAfterPeopleChange() async throws {
        try await Directory.thirdInstance("reset")
        let base = try Directory.base
        try await SyncHarness.with(try Directory.third()) { h in
            _ = try await h.sync(.full)
            let group = { (name: String) in "(SELECT id FROM groups WHERE name = '\(name)')" }
            let takeOut = { (name: String) async throws -> Int in
                let person = try await h.int(
                    "SELECT person_id FROM memberships WHERE direct AND group_id = \(group(name)) ORDER BY 1 LIMIT 1")
                let gone = try await h.string(
                    "DELETE FROM memberships WHERE group_id = \(group(name)) AND person_id = \(person) RETURNING 'gone'"
                )
                #expect(gone == "gone")
                return person
            }
            let isMember = { (person: Int, name: String) async throws -> Bool in
                try await h.int(
                    "SELECT count(*) FROM memberships WHERE direct AND group_id = \(group(name)) AND person_id = \(person)"
                )
                    == 1
            }

            let first = try await takeOut("team-0001")
            let quiet = try await h.sync(.full)
            #expect(quiet.state == .succeeded && quiet.counts.created == 0 && quiet.counts.moved == 0)
            #expect(try await !isMember(first, "team-0001"), "a full run with no change resolved team-0001 again")

            // A member added to the group in the directory: the group is resolved again, from all its members.
            let newcomer = try await h.int(
                "SELECT min(id) FROM people WHERE id <> \(first) AND id NOT IN (SELECT person_id FROM memberships WHERE group_id = \(group("team-0001")))"
            )
            let newcomerDN = try #require(try await h.string("SELECT dn FROM people WHERE id = \(newcomer)"))
            try await Directory.modifyThird(
                "dn: cn=team-0001,ou=groups,\(base)\nchangetype: modify\nadd: member\nmember: \(newcomerDN)\n\n")
            _ = try await h.sync(.full)
            #expect(try await isMember(first, "team-0001"))
            #expect(try await isMember(newcomer, "team-0001"))

            // A DN that differs only in case (members are matched by exact DN first): every group is resolved.
            let second = try await takeOut("team-0003")
            _ = try await h.string(
                "UPDATE people SET dn = upper(dn) WHERE id = (SELECT min(id) FROM people) RETURNING 'changed'")
            let recased = try await h.sync(.full)
            #expect(recased.counts.moved == 0 && recased.counts.updated >= 1)
            #expect(try await isMember(second, "team-0003"))

            // A person added under a DN a group already lists, with no change to the group, by an incremental run
            // (which reads only the person): the next full run finds the membership.
            let ghost = "uid=ghost,ou=HR,ou=London,ou=people,\(base)"
            try await Directory.modifyThird(
                "dn: cn=team-0002,ou=groups,\(base)\nchangetype: modify\nadd: member\nmember: \(ghost)\n\n")
            _ = try await h.sync(.full)
            let ghostGroups =
                "SELECT count(*) FROM memberships m JOIN people p ON p.id = m.person_id WHERE p.username = 'ghost' AND m.direct"
            #expect(try await h.int(ghostGroups) == 0)
            try await Directory.modifyThird(
                "dn: \(ghost)\nchangetype: add\nobjectClass: inetOrgPerson\nuid: ghost\ncn: Ghost Writer\nsn: Writer\n\n"
            )
            #expect(try await h.sync(.incremental).counts.created == 1)
            #expect(try await h.sync(.full).counts.created == 0)
            #expect(try await h.int(ghostGroups) == 1)
        }
    }

    /// An administrator maps one more group and nothing changes in the directory: the next run (a full one, as
    /// after any change of the settings) resolves the new mapping's members through nesting (teams nest into
    /// departments), and forgets them when the mapping goes.
    @Test func aNewMappingAloneIsResolvedByTheNextRun() async throws {
        try await Directory.thirdInstance("reset")
        let base = try Directory.base
        var settings = try Directory.third()
        try await SyncHarness.with(settings) { h in
            _ = try await h.sync(.full)
            let nested =
                "SELECT count(*) FROM memberships m JOIN groups g ON g.id = m.group_id WHERE g.name = 'dept-engineering' AND NOT m.direct"
            let mapped = "SELECT count(*) FROM people WHERE mapped_department = 'Engineering (group)'"
            #expect(try await h.int(nested) == 0, "an unmapped group's nesting was resolved")
            settings.groups.append(
                GroupMapping(group: "cn=dept-engineering,ou=groups,\(base)", department: "Engineering (group)"))
            try await h.save(settings)
            #expect(try await h.sync(.full).counts.created == 0)
            let members = try await h.int(nested)
            #expect(members > 1000, "dept-engineering has \(members) members through its teams")
            #expect(try await h.int(mapped) > 0)

            settings.groups.removeLast()
            try await h.save(settings)
            _ = try await h.sync(.full)
            #expect(try await h.int(nested) == 0)
            #expect(try await h.int(mapped) == 0)
        }
    }

    /// Roles and departments are worked out again when memberships or the mappings change, and only then: a quiet
    /// run leaves the mapped groups' rows as they were; a mapping given another role, with nothing changed in the
    /// directory, still reaches its members.
    @Test func aMappingChangedAloneReachesItsMembersAndAQuietRunRewritesNoMappedGroup() async throws {
        try await Directory.thirdInstance("reset")
        var settings = try Directory.third()
        try await SyncHarness.with(settings) { h in
            _ = try await h.sync(.full)
            let admins = "SELECT count(*) FROM people WHERE source = 'directory' AND role = 'admin'"
            let adminsBefore = try await h.int(admins)
            #expect(adminsBefore > 0)
            let mappedRows =
                "SELECT string_agg(xmin::text, ',' ORDER BY id) FROM groups WHERE role IS NOT NULL OR department IS NOT NULL OR board IS NOT NULL"
            let rowsBefore = try await h.string(mappedRows)
            let quiet = try await h.sync(.full)
            #expect(quiet.counts.updated == 0 && quiet.counts.created == 0)
            #expect(try await h.string(mappedRows) == rowsBefore, "a quiet run wrote the mapped groups again")

            let index = try #require(settings.groups.firstIndex { $0.role == .admin })
            settings.groups[index].role = .delegate
            try await h.save(settings)
            let remapped = try await h.sync(.full)
            #expect(remapped.counts.updated >= adminsBefore, "\(remapped.counts)")
            #expect(try await h.int(admins) == 0)

            // Two department mappings for one person: the first in the mappings' order wins, so reordering them
            // changes departments though no group's own mapping does.
            let everyone = try #require(settings.groups.firstIndex { $0.board == "Everyone" })
            settings.groups[everyone].department = "Staff (group)"
            try await h.save(settings)
            _ = try await h.sync(.full)
            let sales = "SELECT count(*) FROM people WHERE mapped_department = 'Sales (group)'"
            let salesBefore = try await h.int(sales)
            let salesMapping = try #require(settings.groups.firstIndex { $0.department == "Sales (group)" })
            settings.groups.insert(settings.groups.remove(at: salesMapping), at: 0)
            try await h.save(settings)
            let reordered = try await h.sync(.full)
            #expect(try await h.int(sales) > salesBefore, "\(reordered.counts)")
        }
    }

    /// A `memberUid` names a directory person only: a local account of that name (a break-glass administrator,
    /// say) never becomes a member of a directory group, and so never appears on that group's board.
    @Test func aMemberUidNeverNamesALocalAccount() async throws {
        try await Directory.thirdInstance("reset")
        let base = try Directory.base
        try await Directory.modifyThird(
            """
            dn: cn=posix-crew,ou=groups,\(base)
            changetype: add
            objectClass: posixGroup
            cn: posix-crew
            gidNumber: 5001
            memberUid: alice
            memberUid: localbob

            """)
        try await SyncHarness.with(try Directory.third()) { h in
            _ = try await h.string(
                "INSERT INTO people (username, display_name, source) VALUES ('localbob', 'Local Bob', 'local') RETURNING 'made'"
            )
            _ = try await h.sync(.full)
            let member = { (username: String) in
                """
                SELECT count(*) FROM memberships m JOIN people p ON p.id = m.person_id JOIN groups g ON g.id = m.group_id
                WHERE g.name = 'posix-crew' AND p.username = '\(username)'
                """
            }
            #expect(try await h.int(member("alice")) == 1)
            #expect(try await h.int(member("localbob")) == 0)
        }
    }
}
