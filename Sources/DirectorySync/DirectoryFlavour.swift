/// The kind of directory: it decides the defaults (filters, identity and login attributes, mappings) and
/// how disabled accounts and changes are recognised.
public enum DirectoryFlavour: String, Codable, Sendable, CaseIterable {
    case openLDAP = "openldap"
    case activeDirectory = "activedirectory"

    var defaultUserFilter: String {
        switch self {
        case .openLDAP: "(objectClass=inetOrgPerson)"
        case .activeDirectory: "(&(objectCategory=person)(objectClass=user))"
        }
    }

    var defaultGroupFilter: String {
        switch self {
        case .openLDAP: "(|(objectClass=groupOfNames)(objectClass=groupOfUniqueNames)(objectClass=posixGroup))"
        case .activeDirectory: "(objectClass=group)"
        }
    }

    var defaultLoginAttribute: String { self == .openLDAP ? "uid" : "sAMAccountName" }
    var defaultIdentityAttribute: String { self == .openLDAP ? "entryUUID" : "objectGUID" }
    var defaultGroupNameAttribute: String { self == .openLDAP ? "cn" : "sAMAccountName" }
    var defaultMembershipAttributes: [String] {
        self == .openLDAP ? ["member", "uniqueMember", "memberUid"] : ["member"]
    }
    /// What tells a change apart in incremental runs.
    var changeAttribute: String { self == .openLDAP ? "entryCSN" : "uSNChanged" }

    /// Attributes read to decide whether an account is disabled.
    var stateAttributes: [String] {
        switch self {
        case .openLDAP: ["pwdAccountLockedTime"]
        case .activeDirectory: ["userAccountControl", "accountExpires"]
        }
    }

    public var defaultAttributes: [PersonField: String] {
        switch self {
        case .openLDAP:
            [
                .displayName: "displayName", .givenName: "givenName", .surname: "sn", .email: "mail",
                .phone: "telephoneNumber", .mobile: "mobile", .title: "title", .department: "departmentNumber",
                .office: "l", .manager: "manager", .photo: "jpegPhoto", .employeeID: "employeeNumber",
            ]
        case .activeDirectory:
            [
                .displayName: "displayName", .givenName: "givenName", .surname: "sn", .email: "mail",
                .phone: "telephoneNumber", .mobile: "mobile", .title: "title", .department: "department",
                .office: "physicalDeliveryOfficeName", .manager: "manager", .photo: "thumbnailPhoto",
                .employeeID: "employeeID",
            ]
        }
    }
}

/// The fields of an Inboard person a directory attribute can fill.
public enum PersonField: String, Codable, Sendable, CaseIterable, Comparable {
    case username, displayName, givenName, surname, email, phone, mobile, title, department, office, manager, photo
    case employeeID = "employeeId"

    /// The `people` column it is stored in.
    var column: String {
        switch self {
        case .username: "username"
        case .displayName: "display_name"
        case .givenName: "given_name"
        case .surname: "surname"
        case .email: "email"
        case .phone: "phone"
        case .mobile: "mobile"
        case .title: "title"
        case .department: "department"
        case .office: "office"
        case .manager: "manager_dn"
        case .photo: "photo"
        case .employeeID: "employee_id"
        }
    }

    public static func < (lhs: Self, rhs: Self) -> Bool {
        allCases.firstIndex(of: lhs)! < allCases.firstIndex(of: rhs)!
    }

    /// Accepts the documented spelling and a few obvious aliases (`employeeID`, `mail`).
    init?(key: String) {
        let aliases: [String: PersonField] = [
            "employeeid": .employeeID, "mail": .email, "sn": .surname, "cn": .displayName,
        ]
        if let field = PersonField(rawValue: key) {
            self = field
        } else if let field = aliases[key.lowercased()] {
            self = field
        } else {
            return nil
        }
    }
}
