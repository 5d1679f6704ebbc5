/// A person as the API shows them.
public struct Person: Codable, Sendable, Equatable {
    public enum Role: String, Codable, Sendable, Comparable, CaseIterable {
        case user, delegate, admin
        public static func < (lhs: Self, rhs: Self) -> Bool { allCases.firstIndex(of: lhs)! < allCases.firstIndex(of: rhs)! }
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

    enum CodingKeys: String, CodingKey {
        case id, username, displayName, email, department, role, active, source
        case directoryID = "directoryId"
    }
}
