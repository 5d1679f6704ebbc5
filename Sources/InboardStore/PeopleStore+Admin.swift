import Foundation
import PostgresNIO

/// What the People admin page lists and changes. Every change is audited with its before and after.
extension PeopleStore {
    public struct AdminRow: Sendable {
        public let id: Int64
        public let username: String
        public let displayName: String
        public let source: String
        public let role: Person.Role
        public let roleOverride: Person.Role?
        public let active: Bool
        public let disabledReason: String?
        public let liveSessions: Int

        public init(
            id: Int64, username: String, displayName: String, source: String, role: Person.Role,
            roleOverride: Person.Role?,
            active: Bool, disabledReason: String?, liveSessions: Int
        ) {
            self.id = id
            self.username = username
            self.displayName = displayName
            self.source = source
            self.role = role
            self.roleOverride = roleOverride
            self.active = active
            self.disabledReason = disabledReason
            self.liveSessions = liveSessions
        }
    }

    /// A LIKE pattern matching names that contain `text`, case-insensitively, with `\\`, `%` and `_` taken literally.
    static func containsPattern(_ text: String) -> String {
        "%"
            + text.lowercased().replacingOccurrences(of: "\\", with: "\\\\").replacingOccurrences(of: "%", with: "\\%")
            .replacingOccurrences(of: "_", with: "\\_") + "%"
    }

    public func adminList(search: String?, limit: Int = 200) async throws -> [AdminRow] {
        let pattern = search.map(Self.containsPattern)
        let rows = try await database.query(
            """
            SELECT p.id, p.username, p.display_name, p.source, p.role, p.role_override, p.active, p.disabled_reason,
                   (SELECT count(*) FROM sessions s WHERE s.person_id = p.id AND s.revoked_at IS NULL AND s.expires_at > now())::int
            FROM people p
            WHERE \(pattern)::text IS NULL OR lower(p.display_name) LIKE \(pattern) OR lower(p.username) LIKE \(pattern)
            ORDER BY lower(p.display_name), p.id LIMIT \(limit)
            """, logger: logger)
        var result: [AdminRow] = []
        for try await (id, username, name, source, role, override, active, reason, sessions)
            in rows.decode((Int64, String, String, String, String, String?, Bool, String?, Int).self)
        {
            result.append(
                AdminRow(
                    id: id, username: username, displayName: name, source: source,
                    role: Person.Role(rawValue: role) ?? .user,
                    roleOverride: override.flatMap(Person.Role.init(rawValue:)), active: active, disabledReason: reason,
                    liveSessions: sessions))
        }
        return result
    }

    /// Disables (locally: a sync does not re-enable it) or enables a person; disabling ends their sessions.
    public func setActive(_ id: Int64, _ active: Bool, by actor: String, from address: String?) async throws {
        defer { database.identityChanges.signal(person: id) }  // session caches forget, committed or not
        try await database.withTransaction(logger: logger) { connection in
            try await connection.query(
                """
                UPDATE people SET active = \(active), disabled_reason = CASE WHEN \(active) THEN NULL ELSE 'disabled in Inboard by ' || \(actor) END,
                    disabled_at = CASE WHEN \(active) THEN NULL ELSE now() END, disabled_by_sync = FALSE, updated_at = now()
                WHERE id = \(id)
                """, logger: logger)
            if !active {
                try await SessionStore.endAll(of: id, on: connection, logger: logger)
            }
            try await AuditLog.record(
                AuditEntry(
                    actor: actor, action: active ? "person.enable" : "person.disable", target: String(id),
                    after: try AuditEntry.json(["active": active]), address: address), on: connection, logger: logger)
        }
    }

    /// Sets or clears (nil) the role that overrides the one group mappings give.
    public func setRoleOverride(_ id: Int64, _ role: Person.Role?, by actor: String, from address: String?) async throws
    {
        defer { database.identityChanges.signal(person: id) }  // session caches forget, committed or not
        try await database.withTransaction(logger: logger) { connection in
            var before: String??
            for try await override in try await connection.query(
                "SELECT role_override FROM people WHERE id = \(id) FOR UPDATE", logger: logger
            )
            .decode(String?.self) { before = .some(override) }
            guard let before else { return }
            try await connection.query(
                "UPDATE people SET role_override = \(role?.rawValue), updated_at = now() WHERE id = \(id)",
                logger: logger)
            try await AuditLog.record(
                AuditEntry(
                    actor: actor, action: "person.role", target: String(id),
                    before: try AuditEntry.json(["roleOverride": before]),
                    after: try AuditEntry.json(["roleOverride": role?.rawValue]), address: address),
                on: connection, logger: logger)
        }
    }

    /// Ends every live session of a person (API tokens too).
    public func revokeSessions(_ id: Int64, by actor: String, from address: String?) async throws {
        defer { database.identityChanges.signal(person: id) }  // session caches forget, committed or not
        try await database.withTransaction(logger: logger) { connection in
            try await SessionStore.endAll(of: id, on: connection, logger: logger)
            try await AuditLog.record(
                AuditEntry(actor: actor, action: "sessions.revoke", target: String(id), address: address),
                on: connection, logger: logger)
        }
    }
}
