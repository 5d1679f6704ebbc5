import DirectorySync
import Foundation
import InboardStore
import Logging
import PolicyEngine
import PostgresNIO

extension DirectorySnapshot {
    /// The synced people as policy targets: DN, username, every group they are in (nested too), department
    /// and office as attributes. The domain is the dc= part of the directory settings' first base DN.
    /// Computers are not synced: evaluate them from a snapshot file.
    static func load(from pool: PostgresClient, settings: DirectorySettings, logger: Logger) async throws -> DirectorySnapshot {
        guard let base = settings.baseDN.first else { throw CommandFailure(message: "the directory settings have no base DN") }
        let domain = base.split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) }.filter { $0.lowercased().hasPrefix("dc=") }.joined(separator: ",")
        let rows = try await pool.query("""
            SELECT p.username, p.dn, COALESCE(array_agg(g.dn) FILTER (WHERE g.dn IS NOT NULL), '{}'), COALESCE(p.department, ''), COALESCE(p.office, '')
            FROM people p LEFT JOIN memberships m ON m.person_id = p.id LEFT JOIN groups g ON g.id = m.group_id
            WHERE p.active AND p.dn IS NOT NULL GROUP BY p.id ORDER BY p.username
            """, logger: logger)
        var users: [Target] = []
        for try await (name, dn, groups, department, office) in rows.decode((String, String, [String], String, String).self) {
            users.append(Target(name: name, dn: dn, groups: groups, attributes: ["department": department, "office": office]))
        }
        return DirectorySnapshot(domain: domain, users: users)
    }
}
