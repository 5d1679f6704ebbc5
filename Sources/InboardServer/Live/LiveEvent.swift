import Foundation
import InboardStore

/// One row of the event log as it travels to SSE clients. Its frames are built once, when the row is read,
/// not once per stream: one with the note (for the person, delegates and admins) and, when the note is
/// hidden, one without it for everyone else.
struct LiveEvent: Sendable {
    let id: Int64
    let kind: String
    let recipientID: Int64?
    /// The person a board-entry event is about (nil for notes).
    private let entryID: Int64?
    private let fullFrame: String
    private let publicFrame: String

    init(_ stored: StoredEvent) {
        self.init(id: stored.id, kind: stored.kind, recipientID: stored.recipientID, payload: stored.payload)
    }

    /// `payload` is the JSON as stored: a board entry for status and watch events, a note for note events.
    init(id: Int64, kind: String, recipientID: Int64?, payload: String, now: Date = Date()) {
        self.id = id
        self.kind = kind
        self.recipientID = recipientID
        let frame = { (data: String) in "id: \(id)\nevent: \(kind)\ndata: \(data)\n\n" }
        let encode = { (entry: BoardEntry) in
            (try? String(decoding: APIJSON.makeEncoder().encode(entry), as: UTF8.self)) ?? payload
        }
        if kind != "note", let entry = try? BoardEntry.decoder.decode(BoardEntry.self, from: Data(payload.utf8)) {
            let fresh = entry.refreshed(now: now)
            entryID = entry.id
            fullFrame = frame(encode(fresh))
            publicFrame = fresh.status?.noteHidden == true ? frame(encode(fresh.withoutHiddenNote())) : fullFrame
        } else {
            entryID = nil
            fullFrame = frame(payload)
            publicFrame = fullFrame
        }
    }

    /// Whether `viewer` receives it: broadcasts go to everyone, the rest only to their recipient.
    func isVisible(to viewer: Person) -> Bool { recipientID == nil || recipientID == viewer.id }

    /// The SSE frame for `viewer`: hidden notes are removed unless the viewer may see them.
    func frame(for viewer: Person) -> String {
        entryID.map(viewer.mayReadHiddenNote(of:)) ?? (viewer.role >= .delegate) ? fullFrame : publicFrame
    }
}
