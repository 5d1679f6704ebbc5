import Foundation

/// Organisation-wide rules an admin sets: whether people may hide their note, the idle time before
/// auto-away and its status type, which contact fields people edit themselves.
public struct OrganisationSettings: Codable, Sendable, Equatable {
    public var allowHiddenNotes: Bool
    public var idleMinutes: Int
    public var awayType: String
    public var editableFields: [String]

    public init(
        allowHiddenNotes: Bool = true, idleMinutes: Int = 15, awayType: String = "Away",
        editableFields: [String] = ["mobile", "office"]
    ) {
        self.allowHiddenNotes = allowHiddenNotes
        self.idleMinutes = idleMinutes
        self.awayType = awayType
        self.editableFields = editableFields
    }

    /// Idle minutes before auto-away, the organisation's and a client's policy alike: up to a day.
    public static let idleMinutesAllowed = 1...1440
}
