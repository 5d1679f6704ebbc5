import Foundation
import InboardStore

/// One row of the event log as it travels to SSE clients.
struct LiveEvent: Sendable {
    let id: Int64
    let kind: String
    let subjectID: Int64?
    let recipientID: Int64?
    /// The JSON payload as stored (a board entry for status and watch events, a note for note events).
    let payload: String

    /// Whether `viewer` receives it: broadcasts go to everyone, the rest only to their recipient.
    func isVisible(to viewer: Person) -> Bool { recipientID == nil || recipientID == viewer.id }

    /// The SSE frame for `viewer`: hidden notes are removed from board entries unless the viewer may see them.
    func frame(for viewer: Person) -> String {
        var data = payload
        if kind != "note", let entry = try? BoardEntry.decoder.decode(BoardEntry.self, from: Data(payload.utf8)) {
            let visible = entry.redacted(for: viewer).refreshed(now: Date())
            data = (try? String(decoding: LiveEvent.encoder.encode(visible), as: UTF8.self)) ?? payload
        }
        return "id: \(id)\nevent: \(kind)\ndata: \(data)\n\n"
    }

    static let encoder: JSONEncoder = {
        let encoder = JSONEncoder()
        encoder.dateEncodingStrategy = .iso8601
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        return encoder
    }()
}
