import InboardStore
import NIOCore

extension BoardPageBody {
    /// The page as `APIJSON.makeEncoder()` writes it (a test holds the two to the same bytes), written directly:
    /// JSONEncoder took most of the time of a first page of 1,000 people.
    func json() -> ByteBuffer {
        var out = JSONBytes(capacity: 320 * people.count + 64)
        out.beginObject()
        out.string("next", ifPresent: next)
        out.key("people")
        out.beginArray()
        for person in people { Self.write(person, to: &out) }
        out.endArray()
        out.endObject()
        return ByteBuffer(bytes: out.bytes)
    }

    /// One entry, its members in sorted order.
    static func write(_ entry: BoardEntry, to out: inout JSONBytes) {
        out.beginObject()
        out.key("active")
        out.bool(entry.active)
        out.string("department", ifPresent: entry.department)
        out.key("displayName")
        out.string(entry.displayName)
        out.string("email", ifPresent: entry.email)
        out.key("id")
        out.number(entry.id)
        if let status = entry.status {
            out.key("status")
            out.beginObject()
            out.key("autoAway")
            out.bool(status.autoAway)
            out.key("colour")
            out.string(status.colour)
            out.date("expiresAt", ifPresent: status.expiresAt)
            out.string("note", ifPresent: status.note)
            out.key("noteHidden")
            out.bool(status.noteHidden)
            out.key("overdue")
            out.bool(status.overdue)
            out.key("presence")
            out.string(status.presence.rawValue)
            out.date("returnAt", ifPresent: status.returnAt)
            out.key("setAt")
            out.date(status.setAt)
            out.string("setBy", ifPresent: status.setBy)
            out.key("type")
            out.string(status.type)
            out.key("typeId")
            out.number(status.typeId)
            out.endObject()
        }
        out.key("username")
        out.string(entry.username)
        out.endObject()
    }
}
