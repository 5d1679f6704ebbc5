import Foundation
import InboardCore
import PostgresNIO

/// Board entries read as plain columns: the same entry as `entrySQL` (a test holds the two to the same
/// answers) without PostgreSQL building JSON for each person and the server parsing it again, which was most
/// of the time of a first page of 1,000 people. `entrySQL` stays for event payloads, which are stored JSON.
extension StatusStore {
    /// The columns of `entryFrom` that make an entry, in the order `entry(from:at:)` reads them.
    public static let entryColumns = """
        p.id, p.username, p.display_name, p.email, COALESCE(p.mapped_department, p.department), p.active,
        s.person_id IS NOT NULL, t.name, t.id, t.colour, t.presence, s.note, s.note_hidden, s.return_at,
        s.expires_at, s.set_at, \(setByNameSQL), s.auto_away
        """
    static let entryColumnCount = 18

    /// The entry in `row`'s first `entryColumnCount` columns; `overdue` as of `now` (`OverdueRule`).
    static func entry(from row: PostgresRandomAccessRow, now: Date) throws -> BoardEntry {
        var status: BoardEntry.Status?
        if try row[6].decode(Bool.self) {
            let presenceText = try row[10].decode(String.self)
            guard let presence = StatusType.Presence(rawValue: presenceText) else {
                throw StatusStoreError.unknownPresence(presenceText)
            }
            status = BoardEntry.Status(
                type: try row[7].decode(String.self), typeId: try row[8].decode(Int64.self),
                colour: try row[9].decode(String.self), presence: presence, note: try row[11].decode(String?.self),
                noteHidden: try row[12].decode(Bool.self), returnAt: try row[13].decode(Date?.self),
                expiresAt: try row[14].decode(Date?.self), setAt: try row[15].decode(Date.self),
                setBy: try row[16].decode(String?.self), autoAway: try row[17].decode(Bool.self), now: now)
        }
        return BoardEntry(
            id: try row[0].decode(Int64.self), username: try row[1].decode(String.self),
            displayName: try row[2].decode(String.self), email: try row[3].decode(String?.self),
            department: try row[4].decode(String?.self), active: try row[5].decode(Bool.self), status: status)
    }

    /// Entries from a query that selects `entryColumns` first (more columns may follow; `extra` reads them).
    func entries<Extra>(
        _ query: PostgresQuery, now: Date = Date(), extra: (PostgresRandomAccessRow) throws -> Extra
    ) async throws -> [(BoardEntry, Extra)] {
        var result: [(BoardEntry, Extra)] = []
        for try await row in try await database.query(query, logger: logger) {
            let cells = row.makeRandomAccess()
            result.append((try Self.entry(from: cells, now: now), try extra(cells)))
        }
        return result
    }
}
