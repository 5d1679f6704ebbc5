import InboardStore
import Foundation
import Logging
import PolicyEngine
import PostgresNIO

/// Synced people as policy targets: DN, username, directory id (what ring percentages hash), every group they are
/// in (nested too), department and office as attributes. The one reading of the database that `inboard policy`, the client manifest endpoint and the
/// admin Policies page share, so all three evaluate a person the same way. Computers are not synced: they come
/// from a snapshot file.
public struct PolicyTargets: Sendable {
    let database: DatabasePool
    let logger: Logger

    public init(database: DatabasePool, logger: Logger) {
        self.database = database
        self.logger = logger
    }

    public enum Selection: Sendable {
        /// Every active person (a whole build).
        case active
        case person(Int64)
        case username(String)
    }

    /// The domain policies are evaluated in: the dc= part of the directory settings' first base DN.
    public static func domain(of settings: DirectorySettings) -> String? {
        guard let base = settings.baseDN.first else { return nil }
        let domain = base.split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) }.filter {
            $0.lowercased().hasPrefix("dc=")
        }
        return domain.isEmpty ? nil : domain.joined(separator: ",")
    }

    public func load(_ selection: Selection, domain: String) async throws -> DirectorySnapshot {
        var person: Int64?, username: String?
        switch selection {
        case .active: break
        case let .person(id): person = id
        case let .username(name): username = name
        }
        let onlyActive = person == nil && username == nil
        let rows = try await database.query(
            """
            SELECT p.username, p.dn, COALESCE(array_agg(g.dn) FILTER (WHERE g.dn IS NOT NULL), '{}'), COALESCE(p.department, ''), COALESCE(p.office, ''), p.directory_id
            FROM people p LEFT JOIN memberships m ON m.person_id = p.id LEFT JOIN groups g ON g.id = m.group_id
            WHERE p.dn IS NOT NULL AND (p.active OR NOT \(onlyActive))
              AND (\(person)::bigint IS NULL OR p.id = \(person)) AND (\(username)::text IS NULL OR lower(p.username) = lower(\(username)))
            GROUP BY p.id ORDER BY p.username
            """, logger: logger)
        var users: [DirectorySnapshot.Target] = []
        for try await (name, dn, groups, department, office, id) in rows.decode(
            (String, String, [String], String, String, String?).self)
        {
            users.append(
                .init(
                    name: name, dn: dn, groups: groups, attributes: ["department": department, "office": office],
                    id: id))
        }
        return DirectorySnapshot(domain: domain, users: users)
    }
}
