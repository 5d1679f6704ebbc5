import Foundation

/// An admin-defined kind of status ("In", "Out", "Lunch"): whether it counts as in or out, whether it
/// needs a return time, how long it lasts by default and what it falls back to when it expires.
public struct StatusType: Codable, Sendable, Equatable, Identifiable {
    public enum Presence: String, Codable, Sendable { case `in`, out }

    public var id: Int64
    public var name: String
    public var colour: String
    public var icon: String
    public var presence: Presence
    public var needsReturnTime: Bool
    public var defaultExpiryMinutes: Int?
    public var fallbackTypeID: Int64?
    public var sortOrder: Int
    public var active: Bool

    public init(
        id: Int64, name: String, colour: String, icon: String = "", presence: Presence, needsReturnTime: Bool = false,
        defaultExpiryMinutes: Int? = nil, fallbackTypeID: Int64? = nil, sortOrder: Int = 0, active: Bool = true
    ) {
        self.id = id
        self.name = name
        self.colour = colour
        self.icon = icon
        self.presence = presence
        self.needsReturnTime = needsReturnTime
        self.defaultExpiryMinutes = defaultExpiryMinutes
        self.fallbackTypeID = fallbackTypeID
        self.sortOrder = sortOrder
        self.active = active
    }

    enum CodingKeys: String, CodingKey {
        case id, name, colour, icon, presence, needsReturnTime, defaultExpiryMinutes, sortOrder, active
        case fallbackTypeID = "fallbackTypeId"
    }
}
