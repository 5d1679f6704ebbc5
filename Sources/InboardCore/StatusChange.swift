import Foundation

/// A requested status change, checked against its type before anything is stored.
public struct StatusChange: Sendable, Equatable {
    public static let maxNoteLength = 280

    public var note: String?
    public var noteHidden: Bool
    public var returnAt: Date?
    public var expiresAt: Date?
    /// When the person made the change, for one sent late (a client's offline queue); nil means now.
    public var madeAt: Date?
    /// How late a change may arrive: an older one is refused rather than rewriting old history.
    public static let latestArrival: TimeInterval = 7 * 86_400

    public init(
        note: String? = nil, noteHidden: Bool = false, returnAt: Date? = nil, expiresAt: Date? = nil,
        madeAt: Date? = nil
    ) {
        self.note = note
        self.noteHidden = noteHidden
        self.returnAt = returnAt
        self.expiresAt = expiresAt
        self.madeAt = madeAt
    }

    /// The one rule for a change sent late: it is not applied over a status set at or after the time it was
    /// made (so sending it twice applies it once; the database's conditional update says the same). A fallback
    /// the expiry job applied stands for the status it ended and counts from when that one was set
    /// (`expiredStatusSetAt`): "Out, back at 17:00" chosen offline at 12:45 still applies after a 12:00 Lunch
    /// expired at 13:00, and the expiry is then undone, as the person had moved on before it.
    public static func isSuperseded(madeAt: Date?, currentSetAt: Date?, expiredStatusSetAt: Date? = nil) -> Bool {
        guard let madeAt, let currentSetAt else { return false }
        return (expiredStatusSetAt ?? currentSetAt) >= madeAt
    }

    /// What is stored: the note trimmed (empty becomes none), the type's default expiry when none is given.
    /// Throws the first rule the change breaks, naming its field.
    public func validated(for type: StatusType, now: Date, hidingAllowed: Bool) throws(StatusChangeError)
        -> StatusChange
    {
        guard type.active else {
            throw .init(field: "type", message: "'\(type.name)' is no longer offered; choose another status")
        }
        var result = self
        let trimmed = note?.trimmingCharacters(in: .whitespacesAndNewlines)
        result.note = trimmed?.isEmpty == false ? trimmed : nil
        if let note = result.note, note.limitLength > Self.maxNoteLength {
            throw .init(field: "note", message: "is \(note.limitLength) characters; at most \(Self.maxNoteLength)")
        }
        if noteHidden && !hidingAllowed {
            throw .init(field: "noteHidden", message: "your organisation does not allow hiding the note")
        }
        if type.needsReturnTime && returnAt == nil {
            throw .init(field: "returnAt", message: "'\(type.name)' needs a return time")
        }
        // A change sent late is judged as of when it was made: "Out, back at 14:00" made at 13:00 and sent at
        // 14:05 is what happened (and overdue now), and a type's default expiry runs from then.
        let madeAsOf = min(madeAt ?? now, now)
        if let returnAt, returnAt <= madeAsOf {
            throw .init(field: "returnAt", message: "is in the past")
        }
        if let expiresAt, expiresAt <= madeAsOf {
            throw .init(field: "expiresAt", message: "is in the past")
        }
        if let madeAt, madeAt > now.addingTimeInterval(60) {
            throw .init(field: "madeAt", message: "is in the future")
        }
        if let madeAt, madeAt < now.addingTimeInterval(-Self.latestArrival) {
            throw .init(field: "madeAt", message: "is more than 7 days ago: too old to apply")
        }
        if result.expiresAt == nil, let minutes = type.defaultExpiryMinutes {
            result.expiresAt = madeAsOf.addingTimeInterval(Double(minutes) * 60)
        }
        return result
    }
}

public struct StatusChangeError: Error, Sendable, Equatable, CustomStringConvertible {
    public let field: String
    public let message: String
    public init(field: String, message: String) {
        self.field = field
        self.message = message
    }
    public var description: String { "\(field) \(message)" }
}
