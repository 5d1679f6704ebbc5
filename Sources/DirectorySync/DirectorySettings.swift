import LDAPKit

/// How Inboard reaches and reads the directory, as an admin sets it (`inboard directory set`, the admin
/// page). Unset values take the flavour's defaults; the bind password is kept apart (`bindPassword`) so it
/// is never encoded back out.
public struct DirectorySettings: Sendable, Equatable {
    public var flavour: DirectoryFlavour
    /// Explicit servers in order of preference, or a `domain` whose DNS SRV records list them.
    public var servers: [String]
    public var domain: String?
    public var tls: LDAPConfiguration.TLSMode
    public var caFile: String?
    public var insecureSkipVerify: Bool
    public var bindDN: String
    public var bindPassword: String?
    public var baseDN: [String]
    public var groupBaseDN: [String]
    public var userFilter: String
    public var groupFilter: String
    public var loginAttribute: String
    public var identityAttribute: String
    public var groupNameAttribute: String
    public var membershipAttributes: [String]
    /// Inboard field → mapping; fields absent here take the flavour's default.
    public var attributes: [PersonField: AttributeMapping]
    public var groups: [GroupMapping]
    public var guardSettings: SyncGuardSettings
    public var schedule: SyncSchedule

    public init(
        flavour: DirectoryFlavour, servers: [String] = [], domain: String? = nil,
        tls: LDAPConfiguration.TLSMode = .none,
        caFile: String? = nil, insecureSkipVerify: Bool = false, bindDN: String, bindPassword: String? = nil,
        baseDN: [String], groupBaseDN: [String] = [], userFilter: String? = nil, groupFilter: String? = nil,
        loginAttribute: String? = nil, identityAttribute: String? = nil, groupNameAttribute: String? = nil,
        membershipAttributes: [String]? = nil, attributes: [PersonField: AttributeMapping] = [:],
        groups: [GroupMapping] = [], guardSettings: SyncGuardSettings = .init(), schedule: SyncSchedule = .init()
    ) {
        self.flavour = flavour
        self.servers = servers
        self.domain = domain
        self.tls = tls
        self.caFile = caFile
        self.insecureSkipVerify = insecureSkipVerify
        self.bindDN = bindDN
        self.bindPassword = bindPassword
        self.baseDN = baseDN
        self.groupBaseDN = groupBaseDN.isEmpty ? baseDN : groupBaseDN
        self.userFilter = userFilter ?? flavour.defaultUserFilter
        self.groupFilter = groupFilter ?? flavour.defaultGroupFilter
        self.loginAttribute = loginAttribute ?? flavour.defaultLoginAttribute
        self.identityAttribute = identityAttribute ?? flavour.defaultIdentityAttribute
        self.groupNameAttribute = groupNameAttribute ?? flavour.defaultGroupNameAttribute
        self.membershipAttributes = membershipAttributes ?? flavour.defaultMembershipAttributes
        self.attributes = attributes
        self.groups = groups
        self.guardSettings = guardSettings
        self.schedule = schedule
    }

    /// Every field's mapping: the admin's, else the flavour's default; username always from the login attribute.
    public var effectiveAttributes: [PersonField: AttributeMapping] {
        var result = flavour.defaultAttributes.mapValues { AttributeMapping.attribute($0) }
        result.merge(attributes) { $1 }
        result[.username] = attributes[.username] ?? .attribute(loginAttribute)
        return result
    }

    /// An entry's stable identity as text: `objectGUID` in its usual 8-4-4-4-12 form, other attributes as they are.
    public func identity(of entry: LDAPEntry) -> String? {
        if identityAttribute.lowercased() == "objectguid" {
            return entry.bytes(identityAttribute).flatMap(ObjectGUID.init(bytes:))?.description
        }
        return entry.string(identityAttribute)
    }

    /// The attributes a user search asks for.
    var userSearchAttributes: [String] {
        var names = Set([identityAttribute, loginAttribute, flavour.changeAttribute] + flavour.stateAttributes)
        for mapping in effectiveAttributes.values { names.formUnion(mapping.attributes) }
        return names.sorted()
    }
}

/// A directory group given meaning in Inboard: its members' role, department or board.
public struct GroupMapping: Sendable, Equatable, Codable {
    public enum Role: String, Codable, Sendable, CaseIterable, Comparable {
        case user, delegate, admin
        public static func < (lhs: Self, rhs: Self) -> Bool {
            allCases.firstIndex(of: lhs)! < allCases.firstIndex(of: rhs)!
        }
    }

    public var group: String
    public var role: Role?
    public var department: String?
    public var board: String?

    public init(group: String, role: Role? = nil, department: String? = nil, board: String? = nil) {
        self.group = group
        self.role = role
        self.department = department
        self.board = board
    }
}

/// The mass-disable guard: a run that would disable more than this share of active people is held.
public struct SyncGuardSettings: Sendable, Equatable, Codable {
    public var maxDisableShare: Double
    public init(maxDisableShare: Double = 0.10) { self.maxDisableShare = maxDisableShare }
}

/// When the server runs syncs by itself; nil turns that kind of run off.
public struct SyncSchedule: Sendable, Equatable {
    public var incrementalEvery: Duration?
    public var fullEvery: Duration?
    public init(incrementalEvery: Duration? = .seconds(300), fullEvery: Duration? = .seconds(86_400)) {
        self.incrementalEvery = incrementalEvery
        self.fullEvery = fullEvery
    }
}
