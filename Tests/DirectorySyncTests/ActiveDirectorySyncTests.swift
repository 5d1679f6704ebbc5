import DirectorySync
import Foundation
import InboardTestSupport
import Testing

/// Syncs from Samba AD: the loaded 1,600-person organisation (read only), and a private OU of its own
/// for renames, moves, disables and deletions.
@Suite(.serialized) struct ActiveDirectorySyncTests {
    static func env(_ name: String) throws -> String { try TestEnvironment.require(name) }

    static func settings(base: String, groupBase: String? = nil, mappings: [GroupMapping] = []) throws
        -> DirectorySettings
    {
        var settings = DirectorySettings(
            flavour: .activeDirectory, servers: [try env("INBOARD_TEST_ADS_URL")],
            caFile: try env("INBOARD_TEST_CA_FILE"),
            bindDN: try env("INBOARD_TEST_AD_ADMIN_DN"), bindPassword: try env("INBOARD_TEST_AD_ADMIN_PASSWORD"),
            baseDN: [base], groupBaseDN: [groupBase ?? base], groups: mappings)
        settings.guardSettings.maxDisableShare = 0.5
        return settings
    }

    static func modify(_ ldif: String, tool: String = "ldapmodify") async throws {
        try await Directory.ldap(
            tool, ldif, url: try env("INBOARD_TEST_ADS_URL"), dn: try env("INBOARD_TEST_AD_ADMIN_DN"),
            password: try env("INBOARD_TEST_AD_ADMIN_PASSWORD"))
    }

    @Test func fullSyncOfTheSampleOrganisationResolvesRangesNestingAndDisabledAccounts() async throws {
        let acme = "OU=Acme,\(try Self.env("INBOARD_TEST_AD_BASE"))"
        let groups = "OU=Groups,\(acme)"
        let settings = try Self.settings(
            base: acme, groupBase: groups,
            mappings: [
                GroupMapping(group: "CN=inboard-admins,\(groups)", role: .admin),
                GroupMapping(group: "CN=reception,\(groups)", role: .delegate),
                GroupMapping(group: "CN=all-staff,\(groups)", board: "Everyone"),
            ])
        try await SyncHarness.with(settings) { h in
            let run = try await h.sync(.full)
            #expect(run.state == .succeeded, "\(run.summary)")
            #expect(run.counts.seen == 1600 && run.counts.created == 1600 && run.counts.groups == 21)
            let disabledBySeed = (0..<1600).filter { $0 % 97 == 13 }.count
            // Another suite may have expired carol's account (accountExpires in the past): that disables too.
            #expect(
                (disabledBySeed...disabledBySeed + 1).contains(
                    try await h.int("SELECT count(*) FROM people WHERE NOT active")))
            #expect(
                try await h.string("SELECT disabled_reason FROM people WHERE employee_id = 'E000013'")
                    == "disabled in the directory")
            #expect(
                try await h.int(
                    "SELECT count(*) FROM memberships m JOIN groups g ON g.id = m.group_id WHERE g.name = 'big-group' AND m.direct"
                ) == 1600,
                "range retrieval lost members")
            #expect(
                try await h.int(
                    "SELECT count(*) FROM memberships m JOIN groups g ON g.id = m.group_id WHERE g.name = 'all-staff'")
                    == 1600,
                "nested members of a mapped group")
            #expect(try await h.string("SELECT role FROM people WHERE username = 'alice'") == "admin")
            #expect(try await h.string("SELECT role FROM people WHERE username = 'bob'") == "delegate")
            let guid = try #require(try await h.string("SELECT directory_id FROM people WHERE username = 'alice'"))
            #expect(guid.count == 36 && guid.filter { $0 == "-" }.count == 4, "objectGUID as text: \(guid)")
            #expect(try await h.string("SELECT office FROM people WHERE username = 'alice'") == "London")

            let quiet = try await h.sync(.incremental)
            #expect(
                quiet.mode == .incremental && quiet.counts.created == 0 && quiet.counts.updated == 0
                    && quiet.counts.disabled == 0, "\(quiet.summary)")
            #expect(quiet.counts.seen < 20, "an incremental run read \(quiet.counts.seen) people")
        }
    }

    @Test func renamesMovesDisablesAndDeletionsInAnOUOfItsOwn() async throws {
        let tag = String(UInt32.random(in: 0...UInt32.max), radix: 36)
        let ou = "OU=SyncTest-\(tag),\(try Self.env("INBOARD_TEST_AD_BASE"))"
        let password = Data("\"Passw0rd!\"".utf16.flatMap { [UInt8($0 & 0xff), UInt8($0 >> 8)] }).base64EncodedString()
        var ldif =
            "dn: \(ou)\nchangetype: add\nobjectClass: organizationalUnit\n\ndn: OU=Moved,\(ou)\nchangetype: add\nobjectClass: organizationalUnit\n\n"
        for n in 1...4 {
            ldif +=
                "dn: CN=Sync \(n) \(tag),\(ou)\nchangetype: add\nobjectClass: user\nsAMAccountName: s\(n)-\(tag)\ngivenName: Sync\nsn: Person \(n)\n"
            ldif += "displayName: Sync Person \(n)\nunicodePwd:: \(password)\nuserAccountControl: 512\n\n"
        }
        ldif +=
            "dn: CN=inner-\(tag),\(ou)\nchangetype: add\nobjectClass: group\nsAMAccountName: inner-\(tag)\nmember: CN=Sync 2 \(tag),\(ou)\n\n"
        ldif +=
            "dn: CN=outer-\(tag),\(ou)\nchangetype: add\nobjectClass: group\nsAMAccountName: outer-\(tag)\nmember: CN=Sync 1 \(tag),\(ou)\nmember: CN=inner-\(tag),\(ou)\n\n"
        try await Self.modify(ldif)
        do {
            try await syncChanges(in: ou, tag: tag)
            try await Self.deleteTree(ou)
        } catch {
            try? await Self.deleteTree(ou)
            throw error
        }
    }

    static func deleteTree(_ dn: String) async throws {
        let result = try await runProgram(
            "/usr/bin/ldapdelete",
            [
                "-x", "-r", "-H", try env("INBOARD_TEST_ADS_URL"), "-D", try env("INBOARD_TEST_AD_ADMIN_DN"),
                "-w", try env("INBOARD_TEST_AD_ADMIN_PASSWORD"), dn,
            ],
            environment: ["LDAPTLS_CACERT": try env("INBOARD_TEST_CA_FILE")])
        guard result.status == 0 else { throw ProgramFailed("ldapdelete -r \(dn): \(result.error)") }
    }

    func syncChanges(in ou: String, tag: String) async throws {
        let settings = try Self.settings(
            base: ou, mappings: [GroupMapping(group: "CN=outer-\(tag),\(ou)", role: .delegate)])
        try await SyncHarness.with(settings) { h in
            let first = try await h.sync(.full)
            #expect(first.counts.created == 4 && first.counts.groups == 2, "\(first.summary)")
            #expect(
                try await h.int("SELECT count(*) FROM people WHERE role = 'delegate'") == 2,
                "the nested member of the mapped group")
            let renamedID = try await h.int("SELECT id FROM people WHERE username = 's1-\(tag)'")

            try await Self.modify(
                """
                dn: CN=Sync 1 \(tag),\(ou)
                changetype: modrdn
                newrdn: CN=Renamed 1 \(tag)
                deleteoldrdn: 1

                dn: CN=Renamed 1 \(tag),\(ou)
                changetype: modify
                replace: sAMAccountName
                sAMAccountName: r1-\(tag)

                dn: CN=Sync 2 \(tag),\(ou)
                changetype: modrdn
                newrdn: CN=Sync 2 \(tag)
                deleteoldrdn: 1
                newsuperior: OU=Moved,\(ou)

                dn: CN=Sync 3 \(tag),\(ou)
                changetype: modify
                replace: userAccountControl
                userAccountControl: 514

                dn: CN=Sync 4 \(tag),\(ou)
                changetype: delete

                """)
            let changed = try await h.sync(.incremental)
            #expect(changed.mode == .incremental, "\(changed.summary)")
            #expect(
                changed.counts.moved == 2 && changed.counts.disabled == 1 && changed.counts.created == 0,
                "\(changed.summary)")
            #expect(
                try await h.int("SELECT id FROM people WHERE username = 'r1-\(tag)'") == renamedID,
                "a rename made a new person")
            #expect(
                try await h.string("SELECT dn FROM people WHERE username = 's2-\(tag)'")?.hasPrefix(
                    "CN=Sync 2 \(tag),OU=Moved,") == true)
            #expect(
                try await h.int("SELECT count(*) FROM people WHERE role = 'delegate'") == 2,
                "group membership follows renames and moves")

            let full = try await h.sync(.full)
            #expect(full.counts.disabled == 1 && full.counts.created == 0, "\(full.summary)")
            #expect(
                try await h.string("SELECT disabled_reason FROM people WHERE username = 's4-\(tag)'")?.hasPrefix(
                    "no longer in the directory") == true)
            #expect(try await h.int("SELECT count(*) FROM people WHERE active") == 2)
        }
    }
}
