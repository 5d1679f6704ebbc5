import Foundation
import Testing
@testable import PolicyEngine

/// Group Policy's precedence rules, one scenario each (reference/group-policy.md).
@Suite struct PrecedenceTests {
    func rsop(_ policies: [String: String], _ links: String, user: DirectorySnapshot.Target = Sample.user("ann")) throws
        -> RSoP
    {
        let folder = try PolicyFolder(policies: policies, links: links)
        defer { folder.remove() }
        return PolicyEvaluator(set: try folder.load(), domain: Sample.domain).evaluate(user, kind: .user)
    }

    func outcome(_ rsop: RSoP, _ policy: String) -> LinkOutcome? { rsop.links.first { $0.policy == policy }?.outcome }

    @Test func childOUWinsOverParentOverDomainOverSite() throws {
        let computerResult = try {
            let folder = try PolicyFolder(
                policies: [
                    "site": Sample.policy("site", idle: 1, extra: "computer:\n  autoStart: false\n"),
                    "domain": Sample.policy("domain", idle: 2, extra: "computer:\n  autoStart: true\n"),
                ],
                links:
                    "containers:\n  - {dn: \"site:HQ\", links: [{policy: site, order: 1}]}\n  - {dn: \"dc=acme,dc=test\", links: [{policy: domain, order: 1}]}\n"
            )
            defer { folder.remove() }
            return PolicyEvaluator(set: try folder.load(), domain: Sample.domain).evaluate(
                Sample.computer("pc1"), kind: .computer)
        }()
        #expect(computerResult.settings["autoStart"]?.policy == "domain", "domain is processed after the site")
        #expect(computerResult.settings["autoStart"]?.losers.map(\.policy) == ["site"])

        let result = try rsop(
            [
                "domain": Sample.policy("domain", idle: 2), "people": Sample.policy("people", idle: 3),
                "sales": Sample.policy("sales", idle: 4),
            ],
            """
            containers:
              - {dn: "dc=acme,dc=test", links: [{policy: domain, order: 1}]}
              - {dn: "ou=people,dc=acme,dc=test", links: [{policy: people, order: 1}]}
              - {dn: "ou=Sales,ou=Paris,ou=people,dc=acme,dc=test", links: [{policy: sales, order: 1}]}
            """)
        #expect(result.settings["idleMinutesBeforeAway"]?.value == .number(4))
        #expect(result.settings["idleMinutesBeforeAway"]?.losers.map(\.policy) == ["domain", "people"])
    }

    @Test func aUserGetsTheSiteOfTheComputerTheySignInOnElseTheirOwn() throws {
        let folder = try PolicyFolder(
            policies: ["hq": Sample.policy("hq", idle: 7), "branch": Sample.policy("branch", idle: 9)],
            links: """
                containers:
                  - {dn: "site:HQ", links: [{policy: hq, order: 1}]}
                  - {dn: "site:Branch", links: [{policy: branch, order: 1}]}
                """)
        defer { folder.remove() }
        let evaluator = PolicyEvaluator(set: try folder.load(), domain: Sample.domain)
        var ann = Sample.user("ann")
        #expect(evaluator.evaluate(ann, kind: .user).settings["idleMinutesBeforeAway"] == nil, "no site, no site link")
        ann.site = "Branch"
        #expect(evaluator.evaluate(ann, kind: .user).settings["idleMinutesBeforeAway"]?.policy == "branch")
        let onHQComputer = evaluator.evaluate(user: ann, on: Sample.computer("pc1", site: "HQ"))
        #expect(onHQComputer.settings["idleMinutesBeforeAway"]?.policy == "hq", "the computer's site wins")
        #expect(onHQComputer.links.map(\.policy) == ["hq"])
    }

    @Test func linkOrderOneWinsWithinAContainer() throws {
        let result = try rsop(
            ["a": Sample.policy("a", idle: 1), "b": Sample.policy("b", idle: 2), "c": Sample.policy("c", idle: 3)],
            """
            containers:
              - {dn: "ou=people,dc=acme,dc=test", links: [{policy: a, order: 2}, {policy: b, order: 1}, {policy: c, order: 3}]}
            """)
        #expect(result.settings["idleMinutesBeforeAway"]?.policy == "b")
        #expect(result.links.map(\.policy) == ["c", "a", "b"], "processed from the highest order number to order 1")
    }

    @Test func blockInheritanceDropsNonEnforcedLinksFromAbove() throws {
        let result = try rsop(
            [
                "domain": Sample.policy("domain", idle: 2, extra: "  autoStart: true\n"),
                "paris": Sample.policy("paris", idle: 5),
            ],
            """
            containers:
              - {dn: "dc=acme,dc=test", links: [{policy: domain, order: 1}]}
              - {dn: "ou=Paris,ou=people,dc=acme,dc=test", blockInheritance: true, links: [{policy: paris, order: 1}]}
            """)
        #expect(outcome(result, "domain") == .blocked)
        #expect(result.settings["autoStart"] == nil, "nothing from the blocked domain policy")
        #expect(result.settings["idleMinutesBeforeAway"]?.policy == "paris", "the blocking container's own links apply")
    }

    @Test func enforcedCannotBeBlockedNorOverriddenAndTheHigherEnforcedWins() throws {
        let result = try rsop(
            [
                "domain": Sample.policy("domain", idle: 2), "people": Sample.policy("people", idle: 3),
                "sales": Sample.policy("sales", idle: 4),
            ],
            """
            containers:
              - {dn: "dc=acme,dc=test", links: [{policy: domain, order: 1, enforced: true}]}
              - {dn: "ou=people,dc=acme,dc=test", links: [{policy: people, order: 1, enforced: true}]}
              - {dn: "ou=Sales,ou=Paris,ou=people,dc=acme,dc=test", blockInheritance: true, links: [{policy: sales, order: 1}]}
            """)
        #expect(
            outcome(result, "domain") == .applied && outcome(result, "people") == .applied,
            "enforced links pass a block")
        #expect(
            result.settings["idleMinutesBeforeAway"]?.policy == "domain",
            "of two enforced links the higher container wins, and over the child's own")
        #expect(Set(result.settings["idleMinutesBeforeAway"]?.losers.map(\.policy) ?? []) == ["people", "sales"])
    }

    @Test func disabledLinksAndHalvesAreListedButDoNotApply() throws {
        let result = try rsop(
            [
                "off": Sample.policy("off", idle: 9),
                "half": Sample.policy("half", idle: 8, extra: "status: userDisabled\n"),
                "on": Sample.policy("on", idle: 1),
            ],
            """
            containers:
              - {dn: "dc=acme,dc=test", links: [{policy: on, order: 3}, {policy: off, order: 1, enabled: false}, {policy: half, order: 2}]}
            """)
        #expect(outcome(result, "off") == .linkDisabled && outcome(result, "half") == .halfDisabled)
        #expect(result.settings["idleMinutesBeforeAway"]?.policy == "on")
    }

    @Test func securityFilteringDenyWinsAndApplyGroupsRestrict() throws {
        let policies = [
            "it": Sample.policy("it", idle: 7, extra: "security: {apply: [\"\(Sample.it)\"]}\n"),
            "no-contractors": Sample.policy(
                "no-contractors", idle: 8,
                extra: "security: {apply: [\"\(Sample.staff)\"], deny: [\"\(Sample.contractors)\"]}\n"),
        ]
        let links =
            "containers:\n  - {dn: \"dc=acme,dc=test\", links: [{policy: it, order: 1}, {policy: no-contractors, order: 2}]}\n"
        let staff = try rsop(policies, links)
        #expect(
            outcome(staff, "it") == .notInApplyGroups
                && staff.settings["idleMinutesBeforeAway"]?.policy == "no-contractors")
        let contractor = try rsop(policies, links, user: Sample.user("cy", groups: [Sample.staff, Sample.contractors]))
        #expect(outcome(contractor, "no-contractors") == .denied, "deny wins over apply")
        #expect(contractor.settings.isEmpty)
    }

    /// Group Policy's security filter lists users and computers as well as groups.
    @Test func securityFilteringNamesAccountsByTheirOwnDN() throws {
        let ann = Sample.user("ann"), bob = Sample.user("bob")
        let policies = [
            "just-ann": Sample.policy("just-ann", idle: 7, extra: "security: {apply: [\"\(ann.dn)\"]}\n"),
            "not-bob": Sample.policy("not-bob", idle: 8, extra: "security: {deny: [\"\(bob.dn.uppercased())\"]}\n"),
        ]
        let links =
            "containers:\n  - {dn: \"dc=acme,dc=test\", links: [{policy: just-ann, order: 1}, {policy: not-bob, order: 2}]}\n"
        let forAnn = try rsop(policies, links, user: ann), forBob = try rsop(policies, links, user: bob)
        #expect(outcome(forAnn, "just-ann") == .applied && outcome(forAnn, "not-bob") == .applied)
        #expect(outcome(forBob, "just-ann") == .notInApplyGroups, "an apply list naming Ann applied to Bob")
        #expect(outcome(forBob, "not-bob") == .denied, "a deny naming Bob (in another case) did not hold")
    }

    /// Under loopback the location's policies are about the user all the same: its own DN, groups and OU.
    @Test func loopbackFiltersAndTargetsTheUserItself() throws {
        let ann = Sample.user("ann"), bob = Sample.user("bob")
        let folder = try PolicyFolder(
            policies: [
                "kiosk": "id: kiosk\ncomputer:\n  loopback: replace\n",
                "kiosk-people": Sample.policy(
                    "kiosk-people", idle: 30,
                    extra: "security: {deny: [\"\(bob.dn)\"]}\ntargeting: {ou: \"ou=people,dc=acme,dc=test\"}\n"),
            ],
            links: """
                containers:
                  - {dn: "ou=kiosks,ou=computers,dc=acme,dc=test", links: [{policy: kiosk, order: 2}, {policy: kiosk-people, order: 1}]}
                """)
        defer { folder.remove() }
        let evaluator = PolicyEvaluator(set: try folder.load(), domain: Sample.domain)
        let kiosk = Sample.computer("kiosk1", ou: "ou=kiosks,ou=computers")
        let forAnn = evaluator.evaluate(user: ann, on: kiosk), forBob = evaluator.evaluate(user: bob, on: kiosk)
        #expect(outcome(forAnn, "kiosk-people") == .applied, "targeted at the kiosk's OU instead of Ann's")
        #expect(forAnn.name == "ann" && forAnn.dn == ann.dn)
        #expect(outcome(forBob, "kiosk-people") == .denied, "a deny naming Bob did not hold on a kiosk")
    }

    @Test func itemLevelTargetingWithNamedFilters() throws {
        let policies = [
            "paris-sales": Sample.policy(
                "paris-sales", idle: 6,
                extra: "targeting: {all: [{filter: paris}, {not: {attribute: {name: title, equals: Director}}}]}\n")
        ]
        let links = """
            containers:
              - {dn: "dc=acme,dc=test", links: [{policy: paris-sales, order: 1}]}
            filters:
              paris: {any: [{ou: "ou=Paris,ou=people,dc=acme,dc=test"}, {group: "\(Sample.it)"}]}
            """
        #expect(try outcome(rsop(policies, links), "paris-sales") == .applied)
        #expect(
            try outcome(
                rsop(policies, links, user: Sample.user("dir", attributes: ["title": "director"])), "paris-sales")
                == .targetingFalse)
        #expect(
            try outcome(rsop(policies, links, user: Sample.user("lon", ou: "ou=London,ou=people")), "paris-sales")
                == .targetingFalse)
    }

    @Test func loopbackReplaceAndMerge() throws {
        for (mode, expectedIdle, expectedAutoLogin) in [
            ("replace", 30, nil as SettingValue?), ("merge", 30, SettingValue.flag(true)),
        ] {
            let folder = try PolicyFolder(
                policies: [
                    "user-own": Sample.policy("user-own", idle: 5, extra: "  autoLogin: true\n"),
                    "kiosk": "id: kiosk\ncomputer:\n  loopback: \(mode)\nuser:\n  idleMinutesBeforeAway: 30\n",
                ],
                links: """
                    containers:
                      - {dn: "ou=people,dc=acme,dc=test", links: [{policy: user-own, order: 1}]}
                      - {dn: "ou=kiosks,ou=computers,dc=acme,dc=test", links: [{policy: kiosk, order: 1}]}
                    """)
            defer { folder.remove() }
            let evaluator = PolicyEvaluator(set: try folder.load(), domain: Sample.domain)
            let result = evaluator.evaluate(
                user: Sample.user("ann"), on: Sample.computer("kiosk1", ou: "ou=kiosks,ou=computers"))
            #expect(result.settings["idleMinutesBeforeAway"]?.value == .number(expectedIdle), "\(mode)")
            #expect(
                result.settings["autoLogin"]?.value == expectedAutoLogin,
                "\(mode): replace drops the user's own settings, merge keeps them")
            let normal = evaluator.evaluate(user: Sample.user("ann"), on: Sample.computer("pc1"))
            #expect(normal.settings["idleMinutesBeforeAway"]?.value == .number(5), "no loopback elsewhere")
        }
    }

    @Test func evaluationDoesNotDependOnFileOrLinkListingOrder() throws {
        let policies = (1...12).map {
            (
                "p\($0)",
                Sample.policy(
                    "p\($0)", idle: $0, extra: $0 % 3 == 0 ? "security: {deny: [\"\(Sample.contractors)\"]}\n" : "")
            )
        }
        let containers = ["dc=acme,dc=test", "ou=people,dc=acme,dc=test", "ou=Paris,ou=people,dc=acme,dc=test"]
        func links(shuffled: Bool, seed: Int) -> String {
            var rng = SeededGenerator(seed: UInt64(seed))
            var text = "containers:\n"
            let order = shuffled ? containers.shuffled(using: &rng) : containers
            for (index, dn) in order.enumerated() {
                let base = containers.firstIndex(of: dn)! * 4
                var entries = (1...4).map {
                    "{policy: p\(base + $0), order: \($0)\(base + $0 == 5 ? ", enforced: true" : "")}"
                }
                if shuffled { entries.shuffle(using: &rng) }
                text +=
                    "  - {dn: \"\(dn)\"\(index == 2 && false ? "" : ""), links: [\(entries.joined(separator: ", "))]}\n"
            }
            return text
        }
        let reference = try rsop(Dictionary(uniqueKeysWithValues: policies), links(shuffled: false, seed: 0))
        for seed in 1...20 {
            var rng = SeededGenerator(seed: UInt64(seed))
            let renamed = Dictionary(
                uniqueKeysWithValues: policies.shuffled(using: &rng).enumerated().map {
                    ("\($0.offset)-\($0.element.0)", $0.element.1)
                })
            #expect(try rsop(renamed, links(shuffled: true, seed: seed)).settings == reference.settings, "seed \(seed)")
        }
    }
}

/// A small deterministic generator for the property tests.
struct SeededGenerator: RandomNumberGenerator {
    var state: UInt64
    init(seed: UInt64) { state = seed &+ 0x9E37_79B9_7F4A_7C15 }
    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}
