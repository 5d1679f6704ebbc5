import PostgresNIO

extension SyncMerge {
    /// Groups, nesting and memberships. Direct memberships are kept for every group; memberships through
    /// nesting are kept for mapped groups (role, department, board), which is what logins and boards read.
    /// Nesting is resolved with a recursive query whose UNION stops at cycles.
    func mergeGroups() async throws -> (groups: Int, memberships: Int) {
        try await execute("""
            CREATE TEMP TABLE sync_groups ON COMMIT DROP AS
            SELECT DISTINCT ON (group_id) group_id AS directory_id, a AS dn, b AS name, c AS description
            FROM sync_group_rows WHERE kind = 'g' ORDER BY group_id
            """)
        try await execute("""
            CREATE TEMP TABLE sync_members ON COMMIT DROP AS
            SELECT group_id, lower(a) AS member, b = 'uid' AS by_uid FROM sync_group_rows WHERE kind = 'm'
            """)
        let stagedGroups = try await count("SELECT 1 FROM sync_groups")
        try await execute("""
            INSERT INTO groups (directory_id, dn, name, description)
            SELECT directory_id, dn, name, description FROM sync_groups
            ON CONFLICT (directory_id) DO UPDATE SET dn = EXCLUDED.dn, name = EXCLUDED.name, description = EXCLUDED.description,
                active = TRUE, updated_at = now()
            WHERE (groups.dn, groups.name, groups.description, groups.active) IS DISTINCT FROM (EXCLUDED.dn, EXCLUDED.name, EXCLUDED.description, TRUE)
            """)
        if full {
            try await execute("DELETE FROM groups g WHERE NOT EXISTS (SELECT 1 FROM sync_groups s WHERE s.directory_id = g.directory_id)")
        }
        let inChain = try await count("SELECT 1 FROM sync_inchain")
        let createdPeople = try await count("SELECT 1 FROM sync_people s JOIN people p USING (directory_id) WHERE p.created_at = now()")
        if stagedGroups > 0 || inChain > 0 || createdPeople > 0 {
            try await replaceDirectEdges()
            try await resolveMappedGroups()
        }
        let total = try await count("SELECT 1 FROM memberships")
        return (stagedGroups, total)
    }

    /// The staged groups' direct members (people by DN or username, groups by DN) replace what was stored for them.
    private func replaceDirectEdges() async throws {
        try await execute("ANALYZE sync_members")
        try await execute("""
            CREATE TEMP TABLE sync_direct ON COMMIT DROP AS
            SELECT DISTINCT g.id AS group_id, p.id AS person_id
            FROM sync_members m JOIN groups g ON g.directory_id = m.group_id
            JOIN people p ON lower(p.dn) = m.member WHERE NOT m.by_uid
            UNION
            SELECT g.id, p.id FROM sync_members m JOIN groups g ON g.directory_id = m.group_id
            JOIN people p ON lower(p.username) = m.member WHERE m.by_uid
            """)
        try await execute("""
            DELETE FROM group_nesting n USING groups g, sync_groups s
            WHERE n.parent_id = g.id AND g.directory_id = s.directory_id
            """)
        try await execute("""
            INSERT INTO group_nesting (parent_id, child_id)
            SELECT DISTINCT g.id, c.id FROM sync_members m JOIN groups g ON g.directory_id = m.group_id
            JOIN groups c ON lower(c.dn) = m.member WHERE NOT m.by_uid
            ON CONFLICT DO NOTHING
            """)
        try await execute("""
            DELETE FROM memberships m USING groups g, sync_groups s
            WHERE m.group_id = g.id AND g.directory_id = s.directory_id AND m.direct
              AND NOT EXISTS (SELECT 1 FROM sync_direct d WHERE d.group_id = m.group_id AND d.person_id = m.person_id)
            """)
        try await execute("""
            INSERT INTO memberships (group_id, person_id, direct) SELECT group_id, person_id, TRUE FROM sync_direct
            ON CONFLICT (group_id, person_id) DO UPDATE SET direct = TRUE WHERE NOT memberships.direct
            """)
    }

    /// Members of mapped groups through any depth of nesting (and, on AD, the DC's in-chain answer).
    private func resolveMappedGroups() async throws {
        let mapped = mappings.map { $0.group.lowercased() }
        try await connection.query("""
            CREATE TEMP TABLE sync_nested ON COMMIT DROP AS
            WITH RECURSIVE closure (ancestor, descendant) AS (
                SELECT id, id FROM groups WHERE lower(dn) = ANY(\(mapped))
                UNION
                SELECT c.ancestor, n.child_id FROM closure c JOIN group_nesting n ON n.parent_id = c.descendant
            )
            SELECT DISTINCT c.ancestor AS group_id, m.person_id
            FROM closure c JOIN memberships m ON m.group_id = c.descendant AND m.direct
            WHERE c.ancestor <> c.descendant
            UNION
            SELECT g.id, p.id FROM sync_inchain i JOIN groups g ON lower(g.dn) = lower(i.group_dn)
            JOIN people p ON p.directory_id = i.directory_id
            """, logger: logger)
        try await execute("""
            DELETE FROM memberships m WHERE NOT m.direct
              AND NOT EXISTS (SELECT 1 FROM sync_nested n WHERE n.group_id = m.group_id AND n.person_id = m.person_id)
            """)
        try await execute("""
            INSERT INTO memberships (group_id, person_id, direct) SELECT group_id, person_id, FALSE FROM sync_nested
            ON CONFLICT DO NOTHING
            """)
    }

    /// Marks mapped groups with their role, department and board, then gives each person the highest role
    /// and the first mapped department among their groups. Returns how many people changed (not counting
    /// people this run created).
    func applyGroupMappings() async throws -> Int {
        try await execute("UPDATE groups SET role = NULL, department = NULL, board = NULL WHERE role IS NOT NULL OR department IS NOT NULL OR board IS NOT NULL")
        for mapping in mappings {
            try await connection.query("""
                UPDATE groups SET role = \(mapping.role?.rawValue), department = \(mapping.department), board = \(mapping.board)
                WHERE lower(dn) = lower(\(mapping.group))
                """, logger: logger)
        }
        let order = mappings.map { $0.group.lowercased() }
        return try await count("""
            UPDATE people p SET role = x.role, mapped_department = x.department, updated_at = now()
            FROM (
                SELECT p.id,
                    COALESCE((SELECT g.role FROM memberships m JOIN groups g ON g.id = m.group_id
                              WHERE m.person_id = p.id AND g.role IS NOT NULL
                              ORDER BY CASE g.role WHEN 'admin' THEN 3 WHEN 'delegate' THEN 2 ELSE 1 END DESC LIMIT 1), 'user') AS role,
                    (SELECT g.department FROM memberships m JOIN groups g ON g.id = m.group_id
                     WHERE m.person_id = p.id AND g.department IS NOT NULL
                     ORDER BY array_position(\(order)::text[], lower(g.dn)) LIMIT 1) AS department
                FROM people p WHERE p.source = 'directory'
                  AND (p.role <> 'user' OR p.mapped_department IS NOT NULL
                       OR EXISTS (SELECT 1 FROM memberships m JOIN groups g ON g.id = m.group_id
                                  WHERE m.person_id = p.id AND (g.role IS NOT NULL OR g.department IS NOT NULL)))
            ) x
            WHERE p.id = x.id AND (p.role, p.mapped_department) IS DISTINCT FROM (x.role, x.department)
            RETURNING p.created_at < now() AS existed
            """, where: "existed")
    }
}
