import Foundation
import Testing
@testable import PolicyEngine
@testable import PolicyFiles

/// Rings, the server-first gate, validation errors, and deterministic atomic output.
@Suite struct RolloutAndOutputTests {
    let asOf = ISO8601DateFormatter().date(from: "2026-11-25T12:00:00Z")!

    func packagePolicy(_ rollout: String, version: String = "1.0.2") -> String {
        """
        id: client
        computer:
          webServiceAddress: https://inboard.acme.test/
          package:
            version: \(version)
            install: assigned
            upgrade: required
            rollout:
              previousVersion: 1.0.1
        \(rollout)
        """
    }

    func manifests(_ policy: String, computers: [DirectorySnapshot.Target]) throws -> [Manifest] {
        let folder = try PolicyFolder(
            policies: ["client": policy],
            links: "containers:\n  - {dn: \"dc=acme,dc=test\", links: [{policy: client, order: 1}]}\n")
        defer { folder.remove() }
        let directory = DirectorySnapshot(domain: Sample.domain, users: [], computers: computers)
        return ManifestBuilder(set: try folder.load(), directory: directory, asOf: asOf).build()
    }

    @Test func ringsDeferPauseAndHalt() throws {
        let rings = """
                  rings:
                    - {name: pilot, groups: ["\(Sample.it)"], start: 2026-11-20T00:00:00Z}
                    - {name: early, percent: 100, start: 2026-11-24T00:00:00Z, deferralDays: 2}
            """
        let computers = [Sample.computer("it1", groups: [Sample.it]), Sample.computer("pc1")]
        let live = try manifests(packagePolicy(rings), computers: computers)
        #expect(
            live.map { $0.package?.version } == ["1.0.2", "1.0.1"],
            "pilot is live; early waits out its two-day deferral")
        #expect(live.map { $0.package?.ring } == ["pilot", "early"])
        let paused = try manifests(
            packagePolicy(
                rings.replacingOccurrences(
                    of: "start: 2026-11-20T00:00:00Z}", with: "start: 2026-11-20T00:00:00Z, paused: true}")),
            computers: computers)
        #expect(paused.first?.package?.version == "1.0.1", "a paused ring keeps the previous version")
        let halted = try manifests(packagePolicy(rings + "\n      halted: true"), computers: computers)
        #expect(
            halted.allSatisfy { $0.package?.version == "1.0.1" && $0.package?.ring == "halted" },
            "a halt rolls every ring back")
    }

    /// A package that says nothing of upgrades forces them (its rings move every install); `optional` reaches the
    /// manifest for the client to offer instead.
    @Test func anUpgradeIsRequiredUnlessThePolicySaysOptional() throws {
        let rings = "      rings: [{name: all, percent: 100, start: 2026-11-20T00:00:00Z}]"
        let silent = packagePolicy(rings).replacingOccurrences(of: "    upgrade: required\n", with: "")
        #expect(!silent.contains("upgrade:"))
        #expect(try manifests(silent, computers: [Sample.computer("pc1")]).first?.package?.upgrade == .required)
        let optional = packagePolicy(rings).replacingOccurrences(of: "upgrade: required", with: "upgrade: optional")
        #expect(try manifests(optional, computers: [Sample.computer("pc1")]).first?.package?.upgrade == .optional)
    }

    /// Intune's excluded groups: a member is never in that ring, whatever its groups or share, and goes on to
    /// the next ring (or none: the previous version).
    @Test func aRingsExcludedGroupsKeepTheirMembersOut() throws {
        let rings = """
                  rings:
                    - {name: pilot, groups: ["\(Sample.it)"], exclude: ["\(Sample.contractors.uppercased())"], start: 2026-11-20T00:00:00Z}
                    - {name: broad, percent: 100, exclude: ["\(Sample.it)"], start: 2026-11-20T00:00:00Z}
            """
        let computers = [
            Sample.computer("it1", groups: [Sample.it]),
            Sample.computer("it2", groups: [Sample.it, Sample.contractors]),
            Sample.computer("pc1"),
        ]
        let built = try manifests(packagePolicy(rings), computers: computers)
        #expect(built.map { $0.package?.ring } == ["pilot", "none", "broad"], "\(built.map { $0.package })")
        #expect(built.map { $0.package?.version } == ["1.0.2", "1.0.1", "1.0.2"])
    }

    @Test func stablePercentagesOnlyGrow() {
        let targets = (0..<2000).map { "cn=pc\($0),ou=computers,dc=acme,dc=test" }
        let at10 = Set(targets.filter { RolloutPlan.bucket(rollout: "client\n1.0.1", id: $0) < 10 })
        let at50 = Set(targets.filter { RolloutPlan.bucket(rollout: "client\n1.0.1", id: $0) < 50 })
        #expect(at10.isSubset(of: at50), "a target in the 10% stays in as the share grows")
        #expect((150...250).contains(at10.count) && (900...1100).contains(at50.count), "\(at10.count) \(at50.count)")
        let nextAt10 = Set(targets.filter { RolloutPlan.bucket(rollout: "client\n1.0.2", id: $0) < 10 })
        #expect(at10.intersection(nextAt10).count < 60, "the next version's first 10% are mostly other targets")
    }

    /// A person moved to another OU or renamed keeps their bucket: it is worked out from the directory's stable
    /// id, not the DN (a move could take them out of a live ring back to the previous version).
    @Test func aTargetKeepsItsRingWhenItMovesOrIsRenamed() {
        let rollout = "client\n1.0.1"
        var moved = 0
        for index in 0..<500 {
            let id = "1f0e\(index)-7c1a-4b55-9d2e-5a6b7c8d9e0f"
            let before = DirectorySnapshot.Target(
                name: "p\(index)", dn: "uid=p\(index),ou=London,dc=acme,dc=test", groups: [], id: id)
            let after = DirectorySnapshot.Target(
                name: "q\(index)", dn: "uid=q\(index),ou=Paris,dc=acme,dc=test", groups: [], id: id.uppercased())
            #expect(
                RolloutPlan.bucket(rollout: rollout, target: before)
                    == RolloutPlan.bucket(rollout: rollout, target: after))
            let withoutID = DirectorySnapshot.Target(name: "p", dn: before.dn, groups: [])
            let movedWithoutID = DirectorySnapshot.Target(name: "p", dn: after.dn, groups: [])
            let (wasIn, isIn) = (
                RolloutPlan.bucket(rollout: rollout, target: withoutID) < 10,
                RolloutPlan.bucket(rollout: rollout, target: movedWithoutID) < 10
            )
            if wasIn != isIn { moved += 1 }
        }
        #expect(moved > 0, "without an id the DN decides, and a move changes it (what the id is there for)")
    }

    @Test func theServerFirstRuleRefusesANewerClient() throws {
        let folder = try PolicyFolder(
            policies: ["client": packagePolicy("      rings: []", version: "1.1.0")],
            links: "containers:\n  - {dn: \"dc=acme,dc=test\", links: [{policy: client, order: 1}]}\n")
        defer { folder.remove() }
        let set = try folder.load()
        let directory = DirectorySnapshot(domain: Sample.domain, users: [Sample.user("ann")])
        let error = #expect(throws: PolicyError.self) {
            try set.validate(against: directory, serverVersion: "1.0.0.0", folder: folder.path)
        }
        #expect(error?.description.contains("upgrade the server first") == true, "\(String(describing: error))")
        #expect(throws: Never.self) {
            try set.validate(against: directory, serverVersion: "1.1.0.0", folder: folder.path)
        }
    }

    @Test func badInputIsNamedWithFileLineAndColumn() throws {
        let cases: [([String: String], String, String)] = [
            (["a": "id: a\nuser:\n  idleMinutesBeforeAway: [oops\n"], "containers: []\n", "a.yaml:4:1: malformed YAML"),
            (
                ["a": "id: a\nuser:\n  colour: blue\n"], "containers: []\n",
                "a.yaml:3:11: user.colour: unknown setting 'colour'"
            ),
            (["a": "id: a\nuser:\n  autoStart: 7\n"], "containers: []\n", "a.yaml:3"),
            (["a": "id: a\n", "b": "id: a\n"], "containers: []\n", "duplicate policy id 'a'"),
            (
                ["a": "id: a\n"], "containers:\n  - {dn: \"dc=acme,dc=test\", links: [{policy: ghost, order: 1}]}\n",
                "links.yaml:2: link in dc=acme,dc=test to unknown policy 'ghost'"
            ),
            (
                ["a": "id: a\ntargeting: {filter: x}\n"],
                "containers: []\nfilters:\n  x: {filter: y}\n  y: {all: [{filter: x}]}\n", "cycle: x → y → x"
            ),
        ]
        for (policies, links, expected) in cases {
            let folder = try PolicyFolder(policies: policies, links: links)
            defer { folder.remove() }
            let error = #expect(throws: PolicyError.self) { _ = try folder.load() }
            #expect(
                error?.description.contains(expected) == true, "expected '\(expected)' in: \(String(describing: error))"
            )
        }
        let folder = try PolicyFolder(
            policies: ["a": "id: a\n"],
            links: "containers:\n  - {dn: \"ou=Nowhere,dc=acme,dc=test\", links: [{policy: a, order: 1}]}\n")
        defer { folder.remove() }
        let missing = #expect(throws: PolicyError.self) {
            try folder.load().validate(
                against: DirectorySnapshot(domain: Sample.domain, users: [Sample.user("ann")]),
                serverVersion: "1.0.0.0", folder: folder.path)
        }
        #expect(missing?.description.contains("not a container in the directory") == true)
    }

    /// Targets under the same links but in different rings get different versions: they must not share a
    /// stored manifest, while those in the same ring do.
    @Test func ringsSplitTargetsThatShareTheirLinks() throws {
        let policy = packagePolicy(
            "      rings:\n        - {name: early, percent: 50, start: 2026-11-01T00:00:00Z}\n"
                + "        - {name: late, percent: 100, start: 2026-12-24T00:00:00Z}")
        let folder = try PolicyFolder(
            policies: ["client": policy],
            links: "containers:\n  - {dn: \"dc=acme,dc=test\", links: [{policy: client, order: 1}]}\n")
        defer { folder.remove() }
        let directory = DirectorySnapshot(
            domain: Sample.domain, users: [], computers: (0..<40).map { Sample.computer("pc\($0)") })
        let builder = ManifestBuilder(set: try folder.load(), directory: directory, asOf: asOf)
        let out = FileManager.default.temporaryDirectory.appendingPathComponent("rings-\(UUID())").path
        defer { try? FileManager.default.removeItem(atPath: out) }
        let indexed = builder.buildIndexed()
        _ = try builder.write(indexed, to: out)
        #expect(indexed.bodies.count == 2, "one manifest per ring")
        let evaluated = builder.build()
        #expect(Set(evaluated.compactMap { $0.package?.version }) == ["1.0.1", "1.0.2"])
        for manifest in evaluated {
            #expect(try ManifestBuilder.lookup(name: manifest.name, kind: .computer, in: out) == manifest)
        }
    }

    @Test func outputIsDeterministicAtomicAndCarriesClientInstallIni() throws {
        let policy = packagePolicy("      rings:\n        - {name: broad, percent: 100, start: 2026-11-01T00:00:00Z}")
        let folder = try PolicyFolder(
            policies: ["client": policy, "base": Sample.policy("base", idle: 10)],
            links:
                "containers:\n  - {dn: \"dc=acme,dc=test\", links: [{policy: client, order: 1}, {policy: base, order: 2}]}\n"
        )
        defer { folder.remove() }
        let directory = DirectorySnapshot(
            domain: Sample.domain, users: (0..<50).map { Sample.user("u\($0)") },
            computers: (0..<20).map { Sample.computer("pc\($0)") })
        let out = FileManager.default.temporaryDirectory.appendingPathComponent("manifests-\(UUID())").path
        defer { try? FileManager.default.removeItem(atPath: out) }
        let builder = ManifestBuilder(set: try folder.load(), directory: directory, asOf: asOf)
        _ = try builder.write(builder.buildIndexed(), to: out)
        let first = try String(contentsOfFile: out + "/index.json", encoding: .utf8)
        _ = try builder.write(builder.buildIndexed(threads: 1), to: out)
        #expect(
            try String(contentsOfFile: out + "/index.json", encoding: .utf8) == first,
            "byte for byte the same, whatever the threads")
        let ini = try String(contentsOfFile: out + "/client-install/client/broad/ClientInstall.ini", encoding: .utf8)
        #expect(
            ini
                == "[Startup Defaults]\r\nWebServiceAddress=https://inboard.acme.test/\r\nClientVersion=1.0.2\r\nInstallMode=assigned\r\n"
        )
        let index =
            try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: out + "/index.json")))
            as? [String: Any]
        #expect(index?["users"] as? Int == 50 && index?["computers"] as? Int == 20)
        // 50 users alike and 20 computers alike: two manifests, each stored once.
        #expect(index?["manifests"] as? Int == 2, "\(index?["manifests"] ?? "none")")
        let files = try #require(index?["files"] as? [String: String])
        #expect(files.keys.filter { $0.hasPrefix("manifests/") }.count == 2)
        let manifest = try #require(try ManifestBuilder.lookup(name: "u7", kind: .user, in: out))
        #expect(
            manifest.settings["idleMinutesBeforeAway"] == .number(10)
                && manifest.sources["idleMinutesBeforeAway"]?.policy == "base" && manifest.dn.hasPrefix("uid=u7,"))
        #expect(manifest == builder.build().first { $0.name == "u7" }, "the stored manifest is the evaluated one")
        #expect(try ManifestBuilder.lookup(name: "nobody", kind: .user, in: out) == nil)
        // The index shards are JSON written by hand: names that need escaping read back as they were.
        let odd = "o\"dd\\name\u{1}é"
        let oddBuilder = ManifestBuilder(
            set: try folder.load(), directory: DirectorySnapshot(domain: Sample.domain, users: [Sample.user(odd)]),
            asOf: asOf)
        _ = try oddBuilder.write(oddBuilder.buildIndexed(), to: out)
        #expect(try ManifestBuilder.lookup(name: odd, kind: .user, in: out)?.dn.hasPrefix("uid=\(odd),") == true)
        #expect(
            try FileManager.default.contentsOfDirectory(atPath: (out as NSString).deletingLastPathComponent).filter {
                $0.hasPrefix("." + (out as NSString).lastPathComponent + ".building-")
            }.isEmpty, "no staging folder left behind")
    }

    @Test func aRebuildAfterOneLinkChangesTouchesOnlyTheAffectedTargets() throws {
        let links = { (parisPolicy: String) in
            """
            containers:
              - {dn: "dc=acme,dc=test", links: [{policy: base, order: 1}]}
              - {dn: "ou=Paris,ou=people,dc=acme,dc=test", links: [{policy: \(parisPolicy), order: 1}]}
            """
        }
        let policies = [
            "base": Sample.policy("base", idle: 10), "paris": Sample.policy("paris", idle: 5),
            "paris2": Sample.policy("paris2", idle: 6),
        ]
        let directory = DirectorySnapshot(
            domain: Sample.domain,
            users: (0..<30).map { Sample.user("p\($0)", ou: "ou=Sales,ou=Paris,ou=people") }
                + (0..<70).map { Sample.user("l\($0)", ou: "ou=Sales,ou=London,ou=people") })
        let out = FileManager.default.temporaryDirectory.appendingPathComponent("manifests-\(UUID())").path
        defer { try? FileManager.default.removeItem(atPath: out) }
        func build(_ paris: String) throws -> ManifestBuilder.WriteOutcome {
            let folder = try PolicyFolder(policies: policies, links: links(paris))
            defer { folder.remove() }
            let builder = ManifestBuilder(set: try folder.load(), directory: directory, asOf: asOf)
            return try builder.write(builder.buildIndexed(), to: out)
        }
        func londonManifestFile() throws -> Any? {
            let digest = try #require(
                try JSONSerialization.jsonObject(
                    with: Data(
                        contentsOf: URL(
                            fileURLWithPath: out + "/" + ManifestBuilder.shardPath(name: "l3", kind: .user))))
                    as? [String: [String: String]])["l3"]?["manifest"]
            return try FileManager.default.attributesOfItem(atPath: out + "/" + ManifestBuilder.bodyPath(digest ?? ""))[
                .systemFileNumber]
        }
        let first = try build("paris")
        // Two distinct manifests (Paris, London) and the shards holding 100 names.
        let shards = first.total - 2
        #expect(first.written == first.total && shards <= 100)
        let london = try londonManifestFile()
        let second = try build("paris2")
        #expect(
            second.written <= 1 + 30, "the new Paris manifest and at most the shards holding the 30 Paris people")
        #expect(second.reused >= 1)
        let after = try londonManifestFile()
        #expect(london != nil && london as? Int == after as? Int, "the unaffected manifest is the same file, untouched")
    }
}

@Suite struct LDIFSnapshotTests {
    @Test func anLDIFDumpGivesUsersComputersAndNestedGroups() throws {
        let ldif = """
            # from ldapsearch
            dn: dc=acme,dc=test
            objectClass: domain

            dn: ou=Paris,ou=people,dc=acme,dc=test
            objectClass: organizationalUnit

            dn: uid=bob,ou=Paris,ou=people,dc=acme,dc=test
            objectClass: inetOrgPerson
            uid: bob
            title: Clerk
            entryUUID: 5C1B7D2E-0A4F-4E39-8D6B-2F1E3C4D5A6B

            dn: cn=PAR-1,ou=computers,dc=acme,dc=test
            objectClass: computer
            cn: PAR-1
            objectGUID:: ZUNBAwIBBQQGBwgJCgsMDQ==

            dn: cn=staff,ou=groups,dc=acme,dc=test
            objectClass: groupOfNames
            member: uid=bob,ou=Paris,ou=people,
             dc=acme,dc=test

            dn: cn=everyone,ou=groups,dc=acme,dc=test
            objectClass: groupOfNames
            member: cn=staff,ou=groups,dc=acme,dc=test
            member: cn=PAR-1,ou=computers,dc=acme,dc=test
            description:: w6l0w6k=
            """
        let snapshot = try DirectorySnapshot.parseLDIF(ldif, file: "dump.ldif")
        #expect(snapshot.domain == "dc=acme,dc=test")
        #expect(snapshot.users.map(\.name) == ["bob"] && snapshot.users[0].attributes?["title"] == "Clerk")
        #expect(
            snapshot.users[0].groups == [
                "cn=everyone,ou=groups,dc=acme,dc=test", "cn=staff,ou=groups,dc=acme,dc=test",
            ], "nested membership, the folded line joined")
        #expect(snapshot.computers?.map(\.groups) == [["cn=everyone,ou=groups,dc=acme,dc=test"]])
        // Stable ids as the sync stores them: entryUUID in lower case, objectGUID's bytes in 8-4-4-4-12 form.
        #expect(snapshot.users[0].id == "5c1b7d2e-0a4f-4e39-8d6b-2f1e3c4d5a6b")
        #expect(
            snapshot.computers?.first?.id == "03414365-0102-0405-0607-08090a0b0c0d",
            "\(String(describing: snapshot.computers?.first?.id))")
        #expect(throws: PolicyError.self) { try DirectorySnapshot.parseLDIF("nothing here", file: "x.ldif") }
    }
}
