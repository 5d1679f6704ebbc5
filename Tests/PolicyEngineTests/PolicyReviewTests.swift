import Foundation
import Testing
@testable import PolicyEngine
@testable import PolicyFiles

/// What a review of the policy module found: misspelt keys and out-of-range values accepted without a word, a
/// container listed twice losing its second entry, attribute names matched by case, and ClientInstall.ini files
/// with no server or overwritten by one another.
@Suite struct PolicyReviewTests {
    let asOf = ISO8601DateFormatter().date(from: "2026-11-25T12:00:00Z")!
    static let domainLinks = "containers:\n  - {dn: \"dc=acme,dc=test\", links: [{policy: a, order: 1}]}\n"

    static func packaged(_ rollout: String) -> String {
        """
        id: a
        computer:
          package:
            version: 1.0.2
            rollout:
              previousVersion: 1.0.1
              rings:
        \(rollout)
        """
    }

    @Test func misspeltKeysAndOutOfRangeValuesAreRefused() throws {
        let ring = "        - {name: broad, percent: 100, start: 2026-11-01T00:00:00Z}"
        let cases: [([String: String], String, String)] = [
            (
                ["a": "id: a\nsecurty:\n  deny: [cn=x]\n"], Self.domainLinks,
                "a.yaml:2:1: securty: unknown key 'securty'"
            ),
            (
                ["a": "id: a\nsecurity:\n  denny: [cn=x]\n"], Self.domainLinks,
                "a.yaml:3:3: security.denny: unknown key 'denny'"
            ),
            (["a": "id: a\nversion: {user: 1, computer: 1, both: 2}\n"], Self.domainLinks, "unknown key 'both'"),
            (
                ["a": "id: a\n"],
                "containers:\n  - {dn: \"dc=acme,dc=test\", links: [{policy: a, order: 1, enforce: true}]}\n",
                "unknown key 'enforce'"
            ),
            (
                ["a": "id: a\n"], "containers:\n  - {dn: \"dc=acme,dc=test\", blockInheritence: true}\n",
                "unknown key 'blockInheritence'"
            ),
            (["a": "id: a\n"], "containers: []\nfilter: {}\n", "unknown key 'filter'"),
            (["a": "id: a\ntargeting: {group: cn=x, grup: cn=y}\n"], Self.domainLinks, "exactly one of"),
            (
                ["a": "id: a\ntargeting: {attribute: {name: title, equal: boss}}\n"], Self.domainLinks,
                "unknown key 'equal'"
            ),
            (
                ["a": Self.packaged(ring.replacingOccurrences(of: "percent", with: "percnt"))], "",
                "unknown key 'percnt'"
            ),
            (["a": Self.packaged(ring.replacingOccurrences(of: "100", with: "250"))], "", "must be from 0 to 100"),
            (["a": Self.packaged(ring.replacingOccurrences(of: "}", with: ", deferralDays: -10}"))], "", "0 to 30"),
            (["a": Self.packaged(ring.replacingOccurrences(of: "}", with: ", deferralDays: 31}"))], "", "0 to 30"),
            (["a": Self.packaged(ring + "\n" + ring)], "", "two rings are named 'broad'"),
            (
                [
                    "a": Self.packaged(
                        ring.replacingOccurrences(of: "broad", with: "\"broad x\"") + "\n"
                            + ring.replacingOccurrences(of: "broad", with: "Broad_X"))
                ], "", "two rings are named 'Broad_X'"
            ),
            (
                ["a": Self.packaged(ring).replacingOccurrences(of: "rollout:", with: "rolout:")], "",
                "unknown key 'rolout'"
            ),
            (["a": "id: a\nuser:\n  loopback: replace\n"], Self.domainLinks, "loopback belongs in the computer half"),
            (
                ["a": "id: a\nuser:\n  package: {version: 1.0.0}\ncomputer:\n  package: {version: 1.0.0}\n"],
                Self.domainLinks, "a package in both the user and the computer half"
            ),
            (
                ["a": "id: a\n", "b": "id: b\n"],
                """
                containers:
                  - {dn: "ou=Paris,ou=people,dc=acme,dc=test", links: [{policy: a, order: 1}]}
                  - {dn: "OU=Paris, OU=People,DC=acme,DC=test", blockInheritance: true, links: [{policy: b, order: 1}]}

                """,
                "links.yaml:3: OU=Paris, OU=People,DC=acme,DC=test is listed twice"
            ),
            (
                ["a": "id: a\n"],
                """
                containers:
                  - dn: "ou=Sales,dc=acme,dc=test"
                  - dn: "ou=Sales,dc=acme,dc=test"
                  - dn: "ou=Paris,ou=Sales,dc=acme,dc=test"

                """,
                "links.yaml:3: ou=Sales,dc=acme,dc=test is listed twice"
            ),
            (["a": "id: a b\n", "b": "id: A_B\n"], Self.domainLinks, "duplicate policy id"),
        ]
        for (policies, links, expected) in cases {
            let folder = try PolicyFolder(policies: policies, links: links.isEmpty ? Self.domainLinks : links)
            defer { folder.remove() }
            let error = #expect(throws: PolicyError.self) { _ = try folder.load() }
            #expect(
                error?.description.contains(expected) == true, "expected '\(expected)' in: \(String(describing: error))"
            )
        }
    }

    /// LDAP attribute names are case-insensitive: an LDIF snapshot lower-cases them, a policy writes camelCase.
    @Test func attributeTargetingIgnoresTheCaseOfTheAttributeName() throws {
        let folder = try PolicyFolder(
            policies: [
                "a": Sample.policy(
                    "a", idle: 7, extra: "targeting: {attribute: {name: departmentNumber, equals: Sales}}\n")
            ], links: Self.domainLinks)
        defer { folder.remove() }
        let users = [
            Sample.user("lower", attributes: ["departmentnumber": "sales"]),
            Sample.user("other", attributes: ["departmentnumber": "Legal"]),
        ]
        let built = ManifestBuilder(
            set: try folder.load(), directory: DirectorySnapshot(domain: Sample.domain, users: users), asOf: asOf
        ).build()
        #expect(built.map { $0.settings["idleMinutesBeforeAway"] } == [.number(7), nil])
    }

    /// A package policy that sets no address (another policy linked higher up does) names the address its ring's
    /// targets get; each ring has a file of its own.
    @Test func clientInstallIniNamesTheAddressTheRingsTargetsGet() throws {
        let folder = try PolicyFolder(
            policies: [
                "a": Self.packaged(
                    """
                            - {name: pilot, groups: ["\(Sample.it)"], start: 2026-11-01T00:00:00Z}
                            - {name: broad, percent: 100, start: 2026-12-01T00:00:00Z}
                    """),
                "address": "id: address\ncomputer:\n  webServiceAddress: https://inboard.acme.test/\n",
            ],
            links:
                "containers:\n  - {dn: \"dc=acme,dc=test\", links: [{policy: a, order: 1}, {policy: address, order: 2}]}\n"
        )
        defer { folder.remove() }
        let directory = DirectorySnapshot(
            domain: Sample.domain, users: [],
            computers: [Sample.computer("it1", groups: [Sample.it]), Sample.computer("pc1")])
        let out = FileManager.default.temporaryDirectory.appendingPathComponent("ini-\(UUID())").path
        defer { try? FileManager.default.removeItem(atPath: out) }
        let builder = ManifestBuilder(set: try folder.load(), directory: directory, asOf: asOf)
        _ = try builder.write(builder.buildIndexed(), to: out)
        for (ring, version) in [("pilot", "1.0.2"), ("broad", "1.0.1")] {
            let ini = try String(contentsOfFile: out + "/client-install/a/\(ring)/ClientInstall.ini", encoding: .utf8)
            #expect(
                ini.contains("WebServiceAddress=https://inboard.acme.test/\r\n")
                    && ini.contains("ClientVersion=\(version)\r\n"), "\(ring): \(ini)")
        }
    }
}

extension PolicyReviewTests {
    /// Two users of one name in a snapshot gave an index shard the name twice: which manifest a lookup returned
    /// was the order of the file.
    @Test func aSnapshotWithTwoTargetsOfOneNameIsRefused() throws {
        let json = """
            {"domain": "dc=acme,dc=test", "users": [
              {"name": "carol", "dn": "uid=carol,ou=Paris,ou=people,dc=acme,dc=test", "groups": []},
              {"name": "carol", "dn": "uid=carol,ou=London,ou=people,dc=acme,dc=test", "groups": []}]}
            """
        let error = #expect(throws: PolicyError.self) {
            _ = try DirectorySnapshot.parse(Data(json.utf8), file: "snapshot.json")
        }
        #expect(error?.description.contains("two users are named 'carol'") == true, "\(String(describing: error))")
    }
}

extension PolicyReviewTests {
    /// Contacts (no uid or sAMAccountName) are named by their cn and cannot sign in: two of one name are kept;
    /// two users of one login name are refused.
    @Test func anLDIFDumpMayHoldContactsOfOneNameButNotTwoLogins() throws {
        func entry(_ dn: String, _ extra: String) -> String {
            "dn: \(dn)\nobjectClass: top\nobjectClass: person\n\(extra)\n"
        }
        let contacts = [
            entry("cn=John Smith,ou=Paris,dc=acme,dc=test", "cn: John Smith"),
            entry("cn=John Smith,ou=London,dc=acme,dc=test", "cn: John Smith"),
        ].joined(separator: "\n")
        #expect(try DirectorySnapshot.parse(Data(contacts.utf8), file: "dump.ldif").users.count == 2)
        for second in [
            entry("uid=carol,ou=London,dc=acme,dc=test", "uid: carol"),
            entry("cn=carol,ou=Contacts,dc=acme,dc=test", "cn: carol"),  // a contact named like a login
        ] {
            let dump = entry("uid=carol,ou=Paris,dc=acme,dc=test", "uid: carol") + "\n" + second
            let error = #expect(throws: PolicyError.self) {
                _ = try DirectorySnapshot.parse(Data(dump.utf8), file: "dump.ldif")
            }
            #expect(
                error?.description.contains("two users are named 'carol'") == true, "\(String(describing: error))")
        }
    }
}
