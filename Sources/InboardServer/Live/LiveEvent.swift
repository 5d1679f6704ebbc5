import Foundation
import InboardCore
import InboardStore
import NIOCore

/// One row of the event log as it travels to SSE clients. Its frames are built once, when the row is read,
/// not once per stream: one with the note (for the person, delegates and admins) and, when the note is
/// hidden, one without it for everyone else. Each is one buffer that every stream writes as it is (shared,
/// not copied).
struct LiveEvent: Sendable {
    let id: Int64
    let kind: String
    let recipientID: Int64?
    /// The person a board-entry event is about (nil for notes).
    private let entryID: Int64?
    private let fullFrame: ByteBuffer
    private let publicFrame: ByteBuffer
    /// False for a board entry that could not be read: it is never sent.
    private let deliverable: Bool
    /// False for the entry of a disabled person (a leaver's timed status ending): for admins only.
    private let aboutActivePerson: Bool

    /// `streamID` is the frame's SSE id (`EventPosition.frameID`), by default the event's own id.
    init(_ stored: StoredEvent, now: Date = Date(), streamID: String? = nil) {
        self.init(
            id: stored.id, kind: stored.kind, recipientID: stored.recipientID, payload: stored.payload, now: now,
            streamID: streamID)
    }

    /// `payload` is the JSON as stored: a board entry for status and watch events, a note for note events.
    init(id: Int64, kind: String, recipientID: Int64?, payload: String, now: Date = Date(), streamID: String? = nil) {
        self.id = id
        self.kind = kind
        self.recipientID = recipientID
        let streamID = streamID ?? String(id)
        let frame = { (data: String) in ByteBuffer(string: "id: \(streamID)\nevent: \(kind)\ndata: \(data)\n\n") }
        let encode = { (entry: BoardEntry) in
            (try? APIJSON.makeEncoder().encode(entry)).map { String(decoding: $0, as: UTF8.self) }
        }
        if kind == "note" {
            entryID = nil
            fullFrame = frame(payload)
            publicFrame = fullFrame
            deliverable = true
            aboutActivePerson = true
        } else if let entry = try? BoardEntry.decoder.decode(BoardEntry.self, from: Data(payload.utf8)).refreshed(
            now: now),
            let full = encode(entry),
            let redacted = entry.status?.noteHidden == true ? encode(entry.withoutHiddenNote()) : full
        {
            entryID = entry.id
            fullFrame = frame(full)
            publicFrame = frame(redacted)
            deliverable = true
            aboutActivePerson = entry.active
        } else {
            // A board entry this server cannot read (written by another version?) is never sent as it was
            // stored: its hidden note would reach everyone. Clients see it at their next full board read.
            entryID = nil
            fullFrame = ByteBuffer()
            publicFrame = ByteBuffer()
            deliverable = false
            aboutActivePerson = false
        }
    }

    /// Whether `viewer` receives it: broadcasts go to everyone, the rest only to their recipient; a disabled
    /// person's entry only to admins (`PersonVisibilityRule`), as their card is.
    func isVisible(to viewer: Person) -> Bool {
        deliverable && (recipientID == nil || recipientID == viewer.id)
            && (aboutActivePerson || PersonVisibilityRule.showsDisabledPerson(toAdmin: viewer.role >= .admin))
    }

    /// The SSE frame for `viewer`: hidden notes are removed unless the viewer may see them.
    func frameBuffer(for viewer: Person) -> ByteBuffer {
        entryID.map(viewer.mayReadHiddenNote(of:)) ?? (viewer.role >= .delegate) ? fullFrame : publicFrame
    }

    func frame(for viewer: Person) -> String { String(buffer: frameBuffer(for: viewer)) }
}
