import Foundation

/// A policy object as the admin writes it in `policy/policies/*.yaml`.
public struct Policy: Codable, Sendable, Equatable {
    public enum Status: String, Codable, Sendable {
        case enabled, userDisabled, computerDisabled, allDisabled
    }

    public struct Version: Codable, Sendable, Equatable {
        public var user: Int
        public var computer: Int
        /// Group Policy's encoding: user changes in the high 16 bits, computer changes in the low 16.
        public var combined: Int { user << 16 | computer }

        init(user: Int, computer: Int) {
            self.user = user
            self.computer = computer
        }

        public init(from decoder: any Decoder) throws {
            try decoder.refuseUnknownKeys(["user", "computer"])
            let c = try decoder.container(keyedBy: CodingKeys.self)
            user = try c.decode(Int.self, forKey: .user)
            computer = try c.decode(Int.self, forKey: .computer)
        }
    }

    public struct Security: Codable, Sendable, Equatable {
        /// Groups (DNs) that may apply the policy; empty means every authenticated user and computer.
        public var apply: [String] = []
        /// Groups denied: a deny wins over any apply.
        public var deny: [String] = []

        init() {}

        public init(from decoder: any Decoder) throws {
            try decoder.refuseUnknownKeys(["apply", "deny"])
            let c = try decoder.container(keyedBy: CodingKeys.self)
            apply = try c.decodeIfPresent([String].self, forKey: .apply) ?? []
            deny = try c.decodeIfPresent([String].self, forKey: .deny) ?? []
        }
    }

    public struct Package: Codable, Sendable, Equatable {
        public enum Install: String, Codable, Sendable { case assigned, published }
        public enum Upgrade: String, Codable, Sendable { case optional, required }
        public var version: String
        public var install: Install = .assigned
        public var upgrade: Upgrade = .optional
        public var uninstallWhenOutOfScope: Bool = false
        public var rollout: Rollout?

        enum CodingKeys: String, CodingKey, CaseIterable {
            case version, install, upgrade, uninstallWhenOutOfScope, rollout
        }
        public init(from decoder: any Decoder) throws {
            try decoder.refuseUnknownKeys(CodingKeys.allCases.map(\.rawValue))
            let c = try decoder.container(keyedBy: CodingKeys.self)
            version = try c.decode(String.self, forKey: .version)
            install = try c.decodeIfPresent(Install.self, forKey: .install) ?? .assigned
            upgrade = try c.decodeIfPresent(Upgrade.self, forKey: .upgrade) ?? .optional
            uninstallWhenOutOfScope = try c.decodeIfPresent(Bool.self, forKey: .uninstallWhenOutOfScope) ?? false
            rollout = try c.decodeIfPresent(Rollout.self, forKey: .rollout)
        }
    }

    public struct Rollout: Codable, Sendable, Equatable {
        public struct Ring: Codable, Sendable, Equatable {
            public var name: String
            /// Members by group (DN) …
            public var groups: [String]?
            /// … or a stable share of all targets (a hash of the target's stable id and the rollout: the policy and
            /// its package version), 0–100.
            public var percent: Double?
            public var start: Date
            public var deferralDays: Int?
            public var paused: Bool?

            enum CodingKeys: String, CodingKey, CaseIterable {
                case name, groups, percent, start, deferralDays, paused
            }

            public init(from decoder: any Decoder) throws {
                try decoder.refuseUnknownKeys(CodingKeys.allCases.map(\.rawValue))
                let c = try decoder.container(keyedBy: CodingKeys.self)
                name = try c.decode(String.self, forKey: .name)
                groups = try c.decodeIfPresent([String].self, forKey: .groups)
                percent = try c.decodeIfPresent(Double.self, forKey: .percent)
                start = try c.decode(Date.self, forKey: .start)
                deferralDays = try c.decodeIfPresent(Int.self, forKey: .deferralDays)
                paused = try c.decodeIfPresent(Bool.self, forKey: .paused)
                if let percent, !(0...100).contains(percent) {
                    throw DecodingError.dataCorruptedError(
                        forKey: .percent, in: c, debugDescription: "must be from 0 to 100 (a share of all targets)")
                }
                if let deferralDays, !(0...30).contains(deferralDays) {
                    throw DecodingError.dataCorruptedError(
                        forKey: .deferralDays, in: c, debugDescription: "must be from 0 to 30 days")
                }
            }
        }
        /// The version targets get until their ring is live, and everyone gets after a halt.
        public var previousVersion: String
        public var rings: [Ring]
        public var halted: Bool?

        enum CodingKeys: String, CodingKey, CaseIterable { case previousVersion, rings, halted }

        public init(from decoder: any Decoder) throws {
            try decoder.refuseUnknownKeys(CodingKeys.allCases.map(\.rawValue))
            let c = try decoder.container(keyedBy: CodingKeys.self)
            previousVersion = try c.decode(String.self, forKey: .previousVersion)
            rings = try c.decode([Ring].self, forKey: .rings)
            halted = try c.decodeIfPresent(Bool.self, forKey: .halted)
            // Each ring has a ClientInstall.ini of its own, in a folder named by the ring (`a b` is `a_b` there).
            var names = Set<String>()
            if let twice = rings.first(where: { !names.insert(ManifestBuilder.fileName($0.name).lowercased()).inserted }
            ) {
                throw DecodingError.dataCorruptedError(
                    forKey: .rings, in: c,
                    debugDescription:
                        "two rings are named '\(twice.name)' (ignoring case and punctuation); ring names are unique")
            }
        }

        /// When a ring goes live: its start plus its deferral.
        public func liveFrom(_ ring: Ring) -> Date {
            ring.start.addingTimeInterval(Double(ring.deferralDays ?? 0) * 86_400)
        }

        /// Whether `ring` gets the new version at `asOf`: not halted, not paused, and past its start and deferral.
        public func isLive(_ ring: Ring, asOf: Date) -> Bool {
            halted != true && ring.paused != true && asOf >= liveFrom(ring)
        }
    }

    /// One half's settings: client settings plus, for computers, the package and loopback.
    public struct Half: Codable, Sendable, Equatable {
        public var settings: [String: SettingValue] = [:]
        public var package: Package?
        public var loopback: Loopback?

        public enum Loopback: String, Codable, Sendable { case replace, merge }

        struct Key: CodingKey {
            var stringValue: String
            init(stringValue: String) { self.stringValue = stringValue }
            var intValue: Int? { nil }
            init?(intValue: Int) { nil }
        }

        public init() {}

        public init(from decoder: any Decoder) throws {
            let c = try decoder.container(keyedBy: Key.self)
            for key in c.allKeys {
                switch key.stringValue {
                case "package": package = try c.decode(Package.self, forKey: key)
                case "loopback": loopback = try c.decode(Loopback.self, forKey: key)
                default:
                    guard let kind = ClientSetting.kinds[key.stringValue] else {
                        throw DecodingError.dataCorruptedError(
                            forKey: key, in: c,
                            debugDescription:
                                "unknown setting '\(key.stringValue)'; the settings are: \(ClientSetting.kinds.keys.sorted().joined(separator: ", ")), package, loopback"
                        )
                    }
                    settings[key.stringValue] = try kind.decode(c, key)
                }
            }
        }

        public func encode(to encoder: any Encoder) throws {
            var c = encoder.container(keyedBy: Key.self)
            for (key, value) in settings { try c.encode(value, forKey: Key(stringValue: key)) }
            try c.encodeIfPresent(package, forKey: Key(stringValue: "package"))
            try c.encodeIfPresent(loopback, forKey: Key(stringValue: "loopback"))
        }
    }

    public var id: String
    public var name: String
    public var version: Version
    public var status: Status
    public var security: Security
    public var targeting: Targeting?
    public var user: Half
    public var computer: Half

    enum CodingKeys: String, CodingKey, CaseIterable {
        case id, name, version, status, security, targeting, user, computer
    }

    public init(from decoder: any Decoder) throws {
        try decoder.refuseUnknownKeys(CodingKeys.allCases.map(\.rawValue))
        let c = try decoder.container(keyedBy: CodingKeys.self)
        id = try c.decode(String.self, forKey: .id)
        name = try c.decodeIfPresent(String.self, forKey: .name) ?? id
        version = try c.decodeIfPresent(Version.self, forKey: .version) ?? Version(user: 0, computer: 0)
        status = try c.decodeIfPresent(Status.self, forKey: .status) ?? .enabled
        security = try c.decodeIfPresent(Security.self, forKey: .security) ?? Security()
        targeting = try c.decodeIfPresent(Targeting.self, forKey: .targeting)
        user = try c.decodeIfPresent(Half.self, forKey: .user) ?? Half()
        computer = try c.decodeIfPresent(Half.self, forKey: .computer) ?? Half()
        // ClientInstall.ini is written per policy and ring: two packages in one policy would share its files.
        if user.package != nil, computer.package != nil {
            throw DecodingError.dataCorruptedError(
                forKey: .computer, in: c,
                debugDescription:
                    "a package in both the user and the computer half; put one of them in a policy of its own")
        }
        // Loopback is a computer setting (it changes which user settings apply on that computer).
        if user.loopback != nil {
            throw DecodingError.dataCorruptedError(
                forKey: .user, in: c, debugDescription: "loopback belongs in the computer half")
        }
    }

    func halfEnabled(_ kind: TargetKind) -> Bool {
        switch status {
        case .enabled: true
        case .allDisabled: false
        case .userDisabled: kind == .computer
        case .computerDisabled: kind == .user
        }
    }

    func half(_ kind: TargetKind) -> Half { kind == .user ? user : computer }
}

/// A client setting's value: text, number or switch.
public enum SettingValue: Codable, Sendable, Equatable, CustomStringConvertible {
    case text(String), number(Int), flag(Bool)

    public init(from decoder: any Decoder) throws {
        let c = try decoder.singleValueContainer()
        if let flag = try? c.decode(Bool.self) {
            self = .flag(flag)
        } else if let number = try? c.decode(Int.self) {
            self = .number(number)
        } else {
            self = .text(try c.decode(String.self))
        }
    }

    public func encode(to encoder: any Encoder) throws {
        var c = encoder.singleValueContainer()
        switch self {
        case let .text(text): try c.encode(text)
        case let .number(number): try c.encode(number)
        case let .flag(flag): try c.encode(flag)
        }
    }

    public var description: String {
        switch self {
        case let .text(text): text
        case let .number(number): String(number)
        case let .flag(flag): flag ? "true" : "false"
        }
    }
}

/// The client settings a policy can set, and the type each must have.
public enum ClientSetting {
    enum Kind {
        case text, number, flag
        func decode<K: CodingKey>(_ c: KeyedDecodingContainer<K>, _ key: K) throws -> SettingValue {
            switch self {
            case .text: .text(try c.decode(String.self, forKey: key))
            case .number: .number(try c.decode(Int.self, forKey: key))
            case .flag: .flag(try c.decode(Bool.self, forKey: key))
            }
        }
    }

    static let kinds: [String: Kind] = [
        "webServiceAddress": .text, "autoStart": .flag, "autoLogin": .flag, "idleMinutesBeforeAway": .number,
        "statusWatchPopups": .flag, "notePopups": .flag, "cacheMinutes": .number,
    ]
}

/// Item-level targeting: AND/OR/NOT of group membership, OU, attribute match, or a named filter.
public indirect enum Targeting: Codable, Sendable, Equatable {
    case all([Targeting]), any([Targeting]), not(Targeting)
    case group(String), ou(String), attribute(name: String, equals: String), filter(String)

    enum CodingKeys: String, CodingKey { case all, any, not, group, ou, attribute, filter }
    struct AttributeMatch: Codable {
        var name: String
        var equals: String

        init(name: String, equals: String) {
            self.name = name
            self.equals = equals
        }

        init(from decoder: any Decoder) throws {
            try decoder.refuseUnknownKeys(["name", "equals"])
            let c = try decoder.container(keyedBy: CodingKeys.self)
            name = try c.decode(String.self, forKey: .name)
            equals = try c.decode(String.self, forKey: .equals)
        }
    }

    public init(from decoder: any Decoder) throws {
        // A key beside the one condition (a misspelt second one) is refused too, not dropped.
        let keys = try decoder.container(keyedBy: AnyPolicyKey.self).allKeys
        let c = try decoder.container(keyedBy: CodingKeys.self)
        guard keys.count == 1, let key = c.allKeys.first else {
            throw DecodingError.dataCorrupted(
                .init(
                    codingPath: decoder.codingPath,
                    debugDescription:
                        "a targeting condition has exactly one of: all, any, not, group, ou, attribute, filter"))
        }
        switch key {
        case .all: self = .all(try c.decode([Targeting].self, forKey: key))
        case .any: self = .any(try c.decode([Targeting].self, forKey: key))
        case .not: self = .not(try c.decode(Targeting.self, forKey: key))
        case .group: self = .group(try c.decode(String.self, forKey: key))
        case .ou: self = .ou(try c.decode(String.self, forKey: key))
        case .attribute:
            let match = try c.decode(AttributeMatch.self, forKey: key)
            self = .attribute(name: match.name, equals: match.equals)
        case .filter: self = .filter(try c.decode(String.self, forKey: key))
        }
    }

    public func encode(to encoder: any Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        switch self {
        case let .all(items): try c.encode(items, forKey: .all)
        case let .any(items): try c.encode(items, forKey: .any)
        case let .not(item): try c.encode(item, forKey: .not)
        case let .group(dn): try c.encode(dn, forKey: .group)
        case let .ou(dn): try c.encode(dn, forKey: .ou)
        case let .attribute(name, equals): try c.encode(AttributeMatch(name: name, equals: equals), forKey: .attribute)
        case let .filter(name): try c.encode(name, forKey: .filter)
        }
    }

    /// Named filters this expression uses.
    var filterNames: [String] {
        switch self {
        case let .all(items), let .any(items): items.flatMap(\.filterNames)
        case let .not(item): item.filterNames
        case let .filter(name): [name]
        default: []
        }
    }
}

/// Where policies are linked: the site, the domain or an OU (by DN), in `policy/links.yaml`.
public struct LinksDocument: Codable, Sendable {
    public struct Container: Codable, Sendable, Equatable {
        public var dn: String
        public var blockInheritance: Bool?
        public var links: [Link]?

        enum CodingKeys: String, CodingKey, CaseIterable { case dn, blockInheritance, links }

        public init(from decoder: any Decoder) throws {
            try decoder.refuseUnknownKeys(CodingKeys.allCases.map(\.rawValue))
            let c = try decoder.container(keyedBy: CodingKeys.self)
            dn = try c.decode(String.self, forKey: .dn)
            blockInheritance = try c.decodeIfPresent(Bool.self, forKey: .blockInheritance)
            links = try c.decodeIfPresent([Link].self, forKey: .links)
        }
    }

    public struct Link: Codable, Sendable, Equatable {
        public var policy: String
        public var order: Int
        public var enforced: Bool?
        public var enabled: Bool?

        enum CodingKeys: String, CodingKey, CaseIterable { case policy, order, enforced, enabled }

        public init(from decoder: any Decoder) throws {
            try decoder.refuseUnknownKeys(CodingKeys.allCases.map(\.rawValue))
            let c = try decoder.container(keyedBy: CodingKeys.self)
            policy = try c.decode(String.self, forKey: .policy)
            order = try c.decode(Int.self, forKey: .order)
            enforced = try c.decodeIfPresent(Bool.self, forKey: .enforced)
            enabled = try c.decodeIfPresent(Bool.self, forKey: .enabled)
        }
    }

    public var containers: [Container]
    public var filters: [String: Targeting]?

    enum CodingKeys: String, CodingKey, CaseIterable { case containers, filters }

    public init(from decoder: any Decoder) throws {
        try decoder.refuseUnknownKeys(CodingKeys.allCases.map(\.rawValue))
        let c = try decoder.container(keyedBy: CodingKeys.self)
        containers = try c.decode([Container].self, forKey: .containers)
        filters = try c.decodeIfPresent([String: Targeting].self, forKey: .filters)
    }
}

public enum TargetKind: String, Codable, Sendable { case user, computer }
