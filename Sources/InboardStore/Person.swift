import InboardCore
/// A person as the API shows them.
public struct Person: Codable, Sendable, Equatable {
    public enum Role: String, Codable, Sendable, Comparable, CaseIterable {
        case user, delegate, admin
        public static func < (lhs: Self, rhs: Self) -> Bool {
            allCases.firstIndex(of: lhs)! < allCases.firstIndex(of: rhs)!
        }
    }

    public let id: Int64
    public let username: String
    public let displayName: String
    public let email: String?
    public let department: String?
    /// The effective role: an admin's override, else the one the directory's group mappings give.
    public let role: Role
    public let active: Bool
    public let source: String
    public let directoryID: String?

    public init(
        id: Int64, username: String, displayName: String, email: String?, department: String?, role: Role, active: Bool,
        source: String, directoryID: String?
    ) {
        self.id = id
        self.username = username
        self.displayName = displayName
        self.email = email
        self.department = department
        self.role = role
        self.active = active
        self.source = source
        self.directoryID = directoryID
    }

    enum CodingKeys: String, CodingKey {
        case id, username, displayName, email, department, role, active, source
        case directoryID = "directoryId"
    }
}

extension Person {
    /// Whether `viewer` may see this person at all (card, history, watching): `PersonVisibilityRule`.
    public func isShown(to viewer: Person) -> Bool {
        let admin = viewer.role >= .admin
        return (active || PersonVisibilityRule.showsDisabledPerson(toAdmin: admin))
            && (PersonVisibilityRule.listsOnBoard(isLocalAccount: source == "local", role: role.rawValue) || admin
                || viewer.id == id)
    }

    /// Whether this person may read `subject`'s hidden status note (see `HiddenNoteRule`).
    public func mayReadHiddenNote(of subject: Int64) -> Bool {
        HiddenNoteRule.reveals(noteOf: subject, toViewer: id, viewerIsDelegateOrAdmin: role >= .delegate)
    }
}
