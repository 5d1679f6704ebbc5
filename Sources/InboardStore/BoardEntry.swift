import Foundation
import InboardCore

/// A person on the board with their current status, as the API, the events and the CSV export show them.
public struct BoardEntry: Codable, Sendable, Equatable {
    public struct Status: Codable, Sendable, Equatable {
        public var type: String
        public var typeId: Int64
        public var colour: String
        public var presence: StatusType.Presence
        public var note: String?
        public var noteHidden: Bool
        public var returnAt: Date?
        public var expiresAt: Date?
        public var setAt: Date
        public var setBy: String?
        public var autoAway: Bool
        /// `OverdueRule` as of when the entry was read (`refreshed(now:)` sets it for another time).
        public var overdue: Bool

        enum CodingKeys: String, CodingKey {
            case type, typeId, colour, presence, note, noteHidden, returnAt, expiresAt, setAt, setBy, autoAway, overdue
        }

        /// A status as of `now`: `overdue` from `OverdueRule`.
        public init(
            type: String, typeId: Int64, colour: String, presence: StatusType.Presence, note: String?, noteHidden: Bool,
            returnAt: Date?, expiresAt: Date?, setAt: Date, setBy: String?, autoAway: Bool, now: Date = Date()
        ) {
            self.type = type
            self.typeId = typeId
            self.colour = colour
            self.presence = presence
            self.note = note
            self.noteHidden = noteHidden
            self.returnAt = returnAt
            self.expiresAt = expiresAt
            self.setAt = setAt
            self.setBy = setBy
            self.autoAway = autoAway
            overdue = OverdueRule.isOverdue(presence: presence, returnAt: returnAt, now: now)
        }

        public init(from decoder: any Decoder) throws {
            let c = try decoder.container(keyedBy: CodingKeys.self)
            type = try c.decode(String.self, forKey: .type)
            typeId = try c.decode(Int64.self, forKey: .typeId)
            colour = try c.decode(String.self, forKey: .colour)
            presence = try c.decode(StatusType.Presence.self, forKey: .presence)
            note = try c.decodeIfPresent(String.self, forKey: .note)
            noteHidden = try c.decode(Bool.self, forKey: .noteHidden)
            returnAt = try c.decodeIfPresent(Date.self, forKey: .returnAt)
            expiresAt = try c.decodeIfPresent(Date.self, forKey: .expiresAt)
            setAt = try c.decode(Date.self, forKey: .setAt)
            setBy = try c.decodeIfPresent(String.self, forKey: .setBy)
            autoAway = try c.decode(Bool.self, forKey: .autoAway)
            // Computed here, never taken from the stored JSON: one definition of overdue.
            overdue = OverdueRule.isOverdue(presence: presence, returnAt: returnAt, now: Date())
        }
    }

    public var id: Int64
    public var username: String
    public var displayName: String
    public var email: String?
    public var department: String?
    public var active: Bool
    public var status: Status?

    public init(
        id: Int64, username: String, displayName: String, email: String?, department: String?, active: Bool,
        status: Status?
    ) {
        self.id = id
        self.username = username
        self.displayName = displayName
        self.email = email
        self.department = department
        self.active = active
        self.status = status
    }

    /// What `viewer` may see: a hidden note only for the person, delegates and admins.
    public func redacted(for viewer: Person) -> BoardEntry {
        viewer.mayReadHiddenNote(of: id) ? self : withoutHiddenNote()
    }

    /// The entry as anyone may see it: a hidden note removed.
    public func withoutHiddenNote() -> BoardEntry {
        guard status?.noteHidden == true else { return self }
        var copy = self
        copy.status?.note = nil
        return copy
    }

    /// `overdue` as of `now` (stored entries carry the value from when they were read).
    public func refreshed(now: Date) -> BoardEntry {
        guard let status else { return self }
        var copy = self
        copy.status?.overdue = OverdueRule.isOverdue(presence: status.presence, returnAt: status.returnAt, now: now)
        return copy
    }
}

extension BoardEntry {
    /// One JSON object per person, built by PostgreSQL (see `StatusStore.entrySQL`).
    public static let decoder: JSONDecoder = {
        let decoder = JSONDecoder()
        decoder.dateDecodingStrategy = .custom { decoder in
            let seconds = try decoder.singleValueContainer().decode(Double.self)
            return Date(timeIntervalSince1970: seconds)
        }
        return decoder
    }()
}
