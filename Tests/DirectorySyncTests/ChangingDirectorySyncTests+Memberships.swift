import DirectorySync
import InboardTestSupport
import Testing

/// A full run resolves again only the groups whose members changed, unless something else changed what a member
/// value names (people created, moved or renamed, groups added, renamed or removed, a mapping).
extension ChangingDirectorySyncTests {
    static let engineering = "cn=dept-engineering,ou=groups"

    @Test func aFullRunResolvesOnlyChangedGroupsAndEveryGroupAfterPeopleChange() async throws {
        try await Directory.thirdInstance("reset")
        let base = try Directory.base
        try await SyncHarness.with(try Directory.third()) { h in
            _ = try await h.sync(.full)
            let memberships = {
                try await h.string(
                    "SELECT md5(string_agg(m::text, '|' ORDER BY group_id, person_id)) FROM memberships m")
            }
            let resolved = try await memberships()
            let team = "SELECT id FROM groups WHERE name = 'team-0001'"
            let removed = try await h.int(
                "SELECT person_id FROM memberships WHERE direct AND group_id = (\(team)) ORDER BY 1 LIMIT 1")
            // Taken out behind the sync's back, only to see whether a run resolves the group again.
            #expect(
                try await h.string(
                    "DELETE FROM memberships WHERE group_id = (\(team)) AND person_id = \(removed) RETURNING 'gone'")
                    == "gone")
            let quiet = try await h.sync(.full)
            #expect(quiet.state == .succeeded && quiet.counts.created == 0 && quiet.counts.moved == 0)
            #expect(try await memberships() != resolved, "a full run with no change resolved team-0001 again")

            // The group's members change in the directory: it is resolved from them again.
            let dn = try #require(try await h.string("SELECT dn FROM people WHERE id = \(removed)"))
            try await Directory.modifyThird(
                """
                dn: cn=team-0001,ou=groups,\(base)
                changetype: modify
                delete: member
                member: \(dn)
                -
                add: member
                member: \(dn)

                """)
            _ = try await h.sync(.full)
            #expect(try await memberships() == resolved)

            // A person added under a DN a group already lists (no change to the group): every group is resolved.
            let ghost = "uid=ghost,ou=HR,ou=London,ou=people,\(base)"
            try await Directory.modifyThird(
                """
                dn: cn=team-0002,ou=groups,\(base)
                changetype: modify
                add: member
                member: \(ghost)

                """)
            _ = try await h.sync(.full)
            #expect(
                try await h.int(
                    "SELECT count(*) FROM memberships m JOIN people p ON p.id = m.person_id WHERE p.username = 'ghost'")
                    == 0)
            try await Directory.modifyThird(
                """
                dn: \(ghost)
                changetype: add
                objectClass: inetOrgPerson
                uid: ghost
                cn: Ghost Writer
                sn: Writer

                """)
            // Created by an incremental run, which reads only the person: the next full run finds the membership.
            #expect(try await h.sync(.incremental).counts.created == 1)
            let full = try await h.sync(.full)
            #expect(full.counts.created == 0)
            #expect(
                try await h.int(
                    """
                    SELECT count(*) FROM memberships m JOIN people p ON p.id = m.person_id JOIN groups g ON g.id = m.group_id
                    WHERE p.username = 'ghost' AND g.name = 'team-0002' AND m.direct
                    """) == 1)
        }
    }

    /// An administrator maps one more group, and nothing changes in the directory: the next run, of either kind,
    /// resolves the new mapping's members through nesting (teams nest into departments).
    @Test func aNewMappingAloneIsResolvedByTheNextRun() async throws {
        try await Directory.thirdInstance("reset")
        let base = try Directory.base
        var settings = try Directory.third()
        try await SyncHarness.with(settings) { h in
            _ = try await h.sync(.full)
            let nested =
                "SELECT count(*) FROM memberships m JOIN groups g ON g.id = m.group_id WHERE g.name = 'dept-engineering' AND NOT m.direct"
            #expect(try await h.int(nested) == 0, "an unmapped group's nesting was resolved")
            settings.groups.append(
                GroupMapping(group: "\(Self.engineering),\(base)", department: "Engineering (group)"))
            try await h.save(settings)
            _ = try await h.sync(.incremental)
            let members = try await h.int(nested)
            #expect(members > 1000, "dept-engineering has \(members) members through its teams")
            #expect(try await h.int("SELECT count(*) FROM people WHERE mapped_department = 'Engineering (group)'") > 0)

            settings.groups.removeLast()
            try await h.save(settings)
            _ = try await h.sync(.full)
            #expect(try await h.int(nested) == 0)
            #expect(try await h.int("SELECT count(*) FROM people WHERE mapped_department = 'Engineering (group)'") == 0)
        }
    }
}
