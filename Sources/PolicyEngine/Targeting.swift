import Foundation

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
