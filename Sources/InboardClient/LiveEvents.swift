import Foundation

/// One server-sent event: its id, kind (`status`, `watch`, `note`; `reset` when more was missed than the server
/// replays) and data (JSON).
public struct LiveEvent: Sendable, Equatable {
    /// The frame's id as the server sent it: the event's id, followed by where the stream is when earlier events
    /// were still being committed ("105.103", "103:105"). Opaque: handed back as it is to resume.
    public var streamID: String?
    /// The event's own id (the frame id's leading number).
    public var id: Int64? { streamID.flatMap { Int64($0.prefix(while: \.isNumber)) } }
    public var kind: String
    public var data: String

    /// Told to the person (`listen`, `agent`): watch events, notes for them, and a reset; not every board change.
    public var isPersonal: Bool { ["watch", "note", "reset"].contains(kind) }

    public var object: [String: Any] {
        (try? JSONSerialization.jsonObject(with: Data(data.utf8)) as? [String: Any]) ?? [:]
    }

    /// One line for a person: "watch: Carol King (carol): In", "note from Bob Jones: text".
    public var text: String {
        switch kind {
        case "note": NoteText.line(object)
        case "reset":
            "missed more than the server replays: `inboard-client notes` and `inboard-client board` show what changed"
        default: EntryText.printable(kind) + ": " + EntryText.line(object)
        }
    }
}

/// Lines of an SSE stream in, events out (comments and unknown fields skipped, per the EventSource rules).
public struct LiveEventParser: Sendable {
    private var id: String?
    private var kind = "message"
    private var data: [String] = []

    public init() {}

    /// The id of the last complete block that had one, with or without data (SSE's "last event ID": a server
    /// tells a new stream where it starts with an id and no data).
    public private(set) var lastEventID: String?

    public mutating func feed(_ line: String) -> LiveEvent? {
        if line.isEmpty {
            if let id { lastEventID = id }
            defer { kind = "message"; data = []; id = nil }
            return data.isEmpty ? nil : LiveEvent(streamID: id, kind: kind, data: data.joined(separator: "\n"))
        }
        if line.hasPrefix(":") { return nil }
        let field = line.prefix { $0 != ":" }
        var value = line.dropFirst(field.count).dropFirst()
        if value.hasPrefix(" ") { value = value.dropFirst() }
        switch field {
        case "id" where !value.contains("\u{0}"): id = String(value)  // as EventSource: an id with NUL is ignored
        case "event": kind = String(value)
        case "data": data.append(String(value))
        default: break
        }
        return nil
    }
}

public enum NoteText {
    public static func line(_ note: [String: Any]) -> String {
        EntryText.printable("note from \(note["from"] as? String ?? "?"): \(note["body"] as? String ?? "")")
    }
}
