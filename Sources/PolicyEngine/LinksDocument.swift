import Foundation

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
