import Foundation
import InboardCore
import InboardStore
import Logging
import PostgresNIO

/// Who a batch's rows go to: each row's person (when active, with an address, and not opted out of the
/// event), or for the admin events (sync held or failed) every active admin with an address. One query per
/// batch, not per row.
struct MailRecipients {
    private var people: [Int64: MailAddress] = [:]
    private var optedOut: Set<String> = []  // "personID event"
    private var admins: [MailAddress] = []
    private var digestReaders: Set<Int64> = []
    private var delegatesAndAdmins: Set<Int64> = []

    /// Whether `recipient` (nil: the administrators) may read `subject`'s hidden note.
    func revealsHiddenNote(of subject: Int64, to recipient: Int64?) -> Bool {
        guard let recipient else { return false }
        return HiddenNoteRule.reveals(
            noteOf: subject, toViewer: recipient, viewerIsDelegateOrAdmin: delegatesAndAdmins.contains(recipient))
    }

    func wantsDigest(_ person: Int64) -> Bool { digestReaders.contains(person) }

    static func load(for items: [OutboxItem], database: DatabasePool, logger: Logger) async throws -> MailRecipients {
        var result = MailRecipients()
        let ids = Array(Set(items.compactMap(\.recipientID)))
        let rows = try await database.query(
            """
            SELECT p.id, p.email, p.display_name, COALESCE(m.events::text, '{}'), COALESCE(p.role_override, p.role)
            FROM people p LEFT JOIN mail_preferences m ON m.person_id = p.id
            WHERE p.active AND p.email IS NOT NULL AND p.email <> ''
              AND (p.id = ANY(\(ids)) OR (\(items.contains { $0.recipientID == nil }) AND COALESCE(p.role_override, p.role) = 'admin'))
            ORDER BY p.id
            """, logger: logger)
        for try await (id, email, name, choices, role) in rows.decode((Int64, String, String, String, String).self) {
            guard let address = try? MailAddress(email, name: name) else { continue }
            let isAdmin = role == "admin"
            if role == "admin" || role == "delegate" { result.delegatesAndAdmins.insert(id) }
            if ids.contains(id) { result.people[id] = address }
            if isAdmin { result.admins.append(address) }
            let off = (try? JSONDecoder().decode([String: Bool].self, from: Data(choices.utf8))) ?? [:]
            for (event, on) in off where !on { result.optedOut.insert("\(id) \(event)") }
            if off["watchDigest"] == true { result.digestReaders.insert(id) }
        }
        return result
    }

    func addresses(for item: OutboxItem) -> [MailAddress] {
        guard let person = item.recipientID else { return admins }
        guard let address = people[person], !optedOut.contains("\(person) \(item.event)") else { return [] }
        return [address]
    }
}
