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
        /// Groups, users or computers (DNs) that may apply the policy (a group for its members); empty means every
        /// authenticated user and computer.
        public var apply: [String] = []
        /// Groups, users or computers denied: a deny wins over any apply.
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
        public var upgrade: Upgrade = .required
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
            upgrade = try c.decodeIfPresent(Upgrade.self, forKey: .upgrade) ?? .required
            uninstallWhenOutOfScope = try c.decodeIfPresent(Bool.self, forKey: .uninstallWhenOutOfScope) ?? false
            rollout = try c.decodeIfPresent(Rollout.self, forKey: .rollout)
        }
    }

    public struct Rollout: Codable, Sendable, Equatable {
        public struct Ring: Codable, Sendable, Equatable {
            public var name: String
            /// Members by group (DN) …
            public let groups: [String]?
            /// Groups (DNs) whose members are never in this ring, whatever its groups or share (Intune's excluded
            /// groups): they go on to the next ring.
            public let exclude: [String]?
            /// `groups` and `exclude` normalised once, when read: a build asks for every target.
            let memberDNs: Set<String>
            let excludedDNs: Set<String>
            /// … or a stable share of all targets (a hash of the target's stable id and the rollout: the policy and
            /// its package version), 0–100.
            public var percent: Double?
            public var start: Date
            public var deferralDays: Int?
            public var paused: Bool?

            enum CodingKeys: String, CodingKey, CaseIterable {
                case name, groups, exclude, percent, start, deferralDays, paused
            }

            public init(from decoder: any Decoder) throws {
                try decoder.refuseUnknownKeys(CodingKeys.allCases.map(\.rawValue))
                let c = try decoder.container(keyedBy: CodingKeys.self)
                name = try c.decode(String.self, forKey: .name)
                groups = try c.decodeIfPresent([String].self, forKey: .groups)
                exclude = try c.decodeIfPresent([String].self, forKey: .exclude)
                memberDNs = Set((groups ?? []).map(DN.normalised))
                excludedDNs = Set((exclude ?? []).map(DN.normalised))
                percent = try c.decodeIfPresent(Double.self, forKey: .percent)
                start = try c.decode(Date.self, forKey: .start)
                deferralDays = try c.decodeIfPresent(Int.self, forKey: .deferralDays)
                paused = try c.decodeIfPresent(Bool.self, forKey: .paused)
                if groups?.isEmpty ?? true, percent == nil {
                    throw DecodingError.dataCorruptedError(
                        forKey: .name, in: c,
                        debugDescription: "ring '\(name)' takes no one: give it groups, a percent, or both")
                }
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
