import InboardStore
import NIOCore

/// The board API's answer; `next` is absent on the last page.
struct BoardPageBody: Encodable {
    let people: [BoardEntry]
    let next: String?

    /// The page as `APIJSON.makeEncoder()` writes it (a test holds the two to the same bytes), written directly:
    /// JSONEncoder took most of the time of a first page of 1,000 people.
    func json() -> ByteBuffer { encoded().body }

    /// The JSON, with where each hidden note's text lies in it (for `SecretIsolatingGzip`).
    func encoded() -> (body: ByteBuffer, hiddenNotes: [Range<Int>]) {
        var out = JSONBytes(capacity: 320 * people.count + 64)
        out.beginObject()
        out.member("next", next)
        out.key("people")
        out.beginArray()
        for person in people { Self.write(person, to: &out) }
        out.endArray()
        out.endObject()
        return (ByteBuffer(bytes: out.bytes), out.secrets)
    }

    /// One entry, its members in sorted order.
    static func write(_ entry: BoardEntry, to out: inout JSONBytes) {
        out.beginObject()
        out.member("active", entry.active)
        out.member("department", entry.department)
        out.member("displayName", entry.displayName)
        out.member("email", entry.email)
        out.member("id", entry.id)
        if let status = entry.status {
            out.key("status")
            out.beginObject()
            out.member("autoAway", status.autoAway)
            out.member("colour", status.colour)
            out.member("expiresAt", status.expiresAt)
            // The note a reader who may not see it never gets (`BoardEntry.withoutHiddenNote`): marked, so gzip
            // keeps it apart from text others write (BREACH, `BoardCompressionRule`).
            if status.noteHidden { out.member("note", secret: status.note) } else { out.member("note", status.note) }
            out.member("noteHidden", status.noteHidden)
            out.member("overdue", status.overdue)
            out.member("presence", status.presence.rawValue)
            out.member("returnAt", status.returnAt)
            out.member("setAt", status.setAt)
            out.member("setBy", status.setBy)
            out.member("type", status.type)
            out.member("typeId", status.typeId)
            out.endObject()
        }
        out.member("username", entry.username)
        out.endObject()
    }
}
