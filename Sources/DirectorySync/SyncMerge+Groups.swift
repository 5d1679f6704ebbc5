import PostgresNIO

extension SyncMerge {
    /// Groups, nesting and memberships. Direct memberships are kept for every group; memberships through
    /// nesting are kept for mapped groups (role, department, board), which is what logins and boards read.
    /// Nesting is resolved with a recursive query whose UNION stops at cycles. Only groups whose member values
    /// changed have their direct members matched again, unless a change elsewhere can change what their members
    /// resolve to; memberships through nesting of mapped groups are recomputed when any group changed or was
    /// removed, the mapped groups changed, or (AD with mappings) on every run.
    func mergeGroups(peopleChanged: PeopleIdentityChange) async throws -> (
        groups: Int, memberships: Int, membershipsChanged: Bool
    ) {
        // Two entries with one identity (a misconfigured identity attribute) merge their members: no digest
        // stands for both, so such a group has none and is resolved on every run.
        try await execute(
            """
            CREATE TEMP TABLE sync_groups ON COMMIT DROP AS
            WITH staged AS (SELECT * FROM sync_group_rows WHERE kind = 'g'),
                 digests AS (SELECT group_id, count(DISTINCT d) AS n FROM staged GROUP BY group_id)
            SELECT DISTINCT ON (s.group_id) s.group_id AS directory_id, s.a AS dn, s.b AS name, s.c AS description,
                   CASE WHEN x.n = 1 THEN s.d END AS members_digest
            FROM staged s JOIN digests x USING (group_id) ORDER BY s.group_id
            """)
        let stagedGroups = try await count("SELECT 1 FROM sync_groups")
        let removedGroups =
            full
            ? try await count(
                "DELETE FROM groups g WHERE NOT EXISTS (SELECT 1 FROM sync_groups s WHERE s.directory_id = g.directory_id) RETURNING 1"
            ) : 0
        let newOrRenamedGroups = try await count(
            """
            SELECT 1 FROM sync_groups s LEFT JOIN groups g USING (directory_id) WHERE g.dn IS DISTINCT FROM s.dn
            """)
        // A member value may now name someone (or some group) else, or nobody: every staged group is resolved again.
        let everyGroup = peopleChanged.any || removedGroups > 0 || newOrRenamedGroups > 0
        try await execute(
            """
            CREATE TEMP TABLE sync_changed ON COMMIT DROP AS
            SELECT s.directory_id FROM sync_groups s LEFT JOIN groups g USING (directory_id)
            WHERE \(everyGroup ? "TRUE" : "s.members_digest IS NULL OR g.members_digest IS DISTINCT FROM s.members_digest")
            """)
        let changedGroups = try await count("SELECT 1 FROM sync_changed")
        if everyGroup && !full {
            // Groups this incremental run did not read keep memberships resolved against the people before it:
            // their digests no longer vouch for them, so the next full run resolves them again.
            try await execute(
                """
                UPDATE groups g SET members_digest = NULL
                WHERE members_digest IS NOT NULL AND NOT EXISTS (SELECT 1 FROM sync_changed s WHERE s.directory_id = g.directory_id)
                """)
        }
        try await execute(
            """
            INSERT INTO groups (directory_id, dn, name, description, members_digest)
            SELECT directory_id, dn, name, description, members_digest FROM sync_groups
            ON CONFLICT (directory_id) DO UPDATE SET dn = EXCLUDED.dn, name = EXCLUDED.name, description = EXCLUDED.description,
                members_digest = EXCLUDED.members_digest, active = TRUE, updated_at = now()
            WHERE (groups.dn, groups.name, groups.description, groups.members_digest, groups.active)
                IS DISTINCT FROM (EXCLUDED.dn, EXCLUDED.name, EXCLUDED.description, EXCLUDED.members_digest, TRUE)
            """)
        if changedGroups > 0 { try await replaceDirectEdges(onlyChanged: changedGroups < stagedGroups) }
        var resolveNesting = changedGroups > 0 || removedGroups > 0 || askedInChain
        if !resolveNesting { resolveNesting = try await mappedGroupsChanged() }
        var nestedChanged = 0
        if resolveNesting {
            nestedChanged = try await resolveMappedGroups()
            if changedGroups > 100 { try await execute("ANALYZE memberships") }
        }
        let total = try await count("SELECT 1 FROM memberships")
        return (stagedGroups, total, changedGroups > 0 || removedGroups > 0 || nestedChanged > 0)
    }

    /// The changed groups' direct members (people by DN or username, groups by DN) replace what was stored for
    /// them. DNs are matched exactly first (a plain hash join); only members left unmatched are compared
    /// case-insensitively, so the common case never lower-cases 300,000 strings.
    private func replaceDirectEdges(onlyChanged: Bool) async throws {
        // Filtering by the changed groups when they are all of them cost a first import 0.3 s.
        let changed = onlyChanged ? "AND group_id IN (SELECT directory_id FROM sync_changed)" : ""
        try await execute(
            """
            CREATE TEMP TABLE sync_links ON COMMIT DROP AS
            SELECT g.id AS group_id, m.member, m.by_uid, p.id AS person_id, c.id AS child_id
            FROM (SELECT group_id, a AS member, b = 'uid' AS by_uid FROM sync_group_rows WHERE kind = 'm' \(changed)) m
            JOIN groups g ON g.directory_id = m.group_id
            LEFT JOIN people p ON NOT m.by_uid AND p.dn = m.member
            LEFT JOIN groups c ON NOT m.by_uid AND c.dn = m.member
            """)
        try await execute(
            """
            CREATE TEMP TABLE sync_unmatched ON COMMIT DROP AS
            SELECT ctid AS link, lower(member) AS member, by_uid FROM sync_links WHERE person_id IS NULL AND child_id IS NULL
            """)
        try await execute(
            """
            UPDATE sync_links l SET person_id = p.id FROM sync_unmatched u, people p
            WHERE l.ctid = u.link AND p.source = 'directory'
              AND ((NOT u.by_uid AND lower(p.dn) = u.member) OR (u.by_uid AND lower(p.username) = u.member))
            """)
        try await execute(
            """
            UPDATE sync_links l SET child_id = c.id FROM sync_unmatched u, groups c
            WHERE l.ctid = u.link AND NOT u.by_uid AND lower(c.dn) = u.member
            """)
        try await execute(
            """
            DELETE FROM group_nesting n USING groups g, sync_changed s
            WHERE n.parent_id = g.id AND g.directory_id = s.directory_id
            """)
        try await execute(
            """
            INSERT INTO group_nesting (parent_id, child_id)
            SELECT DISTINCT group_id, child_id FROM sync_links WHERE child_id IS NOT NULL
            ON CONFLICT DO NOTHING
            """)
        if try await count("SELECT 1 FROM memberships LIMIT 1") == 0 {
            // Nothing stored to keep, remove or mark: the direct members go straight in, sorted.
            try await execute(
                """
                INSERT INTO memberships (group_id, person_id, direct)
                SELECT DISTINCT group_id, person_id, TRUE FROM sync_links WHERE person_id IS NOT NULL ORDER BY 1, 2
                """)
            return
        }
        try await execute(
            """
            CREATE TEMP TABLE sync_direct ON COMMIT DROP AS
            SELECT DISTINCT group_id, person_id FROM sync_links WHERE person_id IS NOT NULL
            """)
        try await execute(
            """
            DELETE FROM memberships m USING groups g, sync_changed s
            WHERE m.group_id = g.id AND g.directory_id = s.directory_id AND m.direct
              AND NOT EXISTS (SELECT 1 FROM sync_direct d WHERE d.group_id = m.group_id AND d.person_id = m.person_id)
            """)
        // Sorted, and only what is missing: far cheaper than ON CONFLICT on a large sync.
        try await execute(
            """
            INSERT INTO memberships (group_id, person_id, direct) SELECT d.group_id, d.person_id, TRUE FROM sync_direct d
            WHERE NOT EXISTS (SELECT 1 FROM memberships m WHERE m.group_id = d.group_id AND m.person_id = d.person_id)
            ORDER BY 1, 2
            """)
        try await execute(
            """
            UPDATE memberships m SET direct = TRUE FROM sync_direct d
            WHERE m.group_id = d.group_id AND m.person_id = d.person_id AND NOT m.direct
            """)
    }

    /// Whether the groups mapped now differ from those whose memberships through nesting were last resolved:
    /// a mapping added or removed by an administrator is resolved by the next run, with or without changes.
    private func mappedGroupsChanged() async throws -> Bool {
        let mapped = mappedGroupDNs
        return try await count(
            "SELECT 1 FROM groups WHERE nesting_resolved <> (lower(dn) = ANY(\(mapped))) LIMIT 1") > 0
    }

    /// Members of mapped groups through any depth of nesting (and, on AD, the DC's in-chain answer). Returns how
    /// many memberships through nesting it removed or added.
    private func resolveMappedGroups() async throws -> Int {
        let mapped = mappedGroupDNs
        try await connection.query(
            """
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
        let removed = try await count(
            """
            DELETE FROM memberships m WHERE NOT m.direct
              AND NOT EXISTS (SELECT 1 FROM sync_nested n WHERE n.group_id = m.group_id AND n.person_id = m.person_id)
            RETURNING 1
            """)
        let added = try await count(
            """
            INSERT INTO memberships (group_id, person_id, direct) SELECT n.group_id, n.person_id, FALSE FROM sync_nested n
            WHERE NOT EXISTS (SELECT 1 FROM memberships m WHERE m.group_id = n.group_id AND m.person_id = n.person_id)
            ORDER BY 1, 2
            RETURNING 1
            """)
        try await connection.query(
            """
            UPDATE groups SET nesting_resolved = (lower(dn) = ANY(\(mapped)))
            WHERE nesting_resolved <> (lower(dn) = ANY(\(mapped)))
            """, logger: logger)
        return removed + added
    }

    /// Marks mapped groups with their role, department and board, then gives each person the highest role
    /// and the first mapped department among their groups. Returns how many people changed (not counting
    /// people this run created).
    func applyGroupMappings() async throws -> Int {
        try await execute(
            "UPDATE groups SET role = NULL, department = NULL, board = NULL WHERE role IS NOT NULL OR department IS NOT NULL OR board IS NOT NULL"
        )
        for mapping in mappings {
            try await connection.query(
                """
                UPDATE groups SET role = \(mapping.role?.rawValue), department = \(mapping.department), board = \(mapping.board)
                WHERE lower(dn) = lower(\(mapping.group))
                """, logger: logger)
        }
        let order = mappedGroupDNs
        return try await count(
            """
            WITH mapped AS (
                SELECT m.person_id,
                       max(CASE g.role WHEN 'admin' THEN 3 WHEN 'delegate' THEN 2 WHEN 'user' THEN 1 END) AS rank,
                       (array_agg(g.department ORDER BY array_position(\(order)::text[], lower(g.dn)))
                            FILTER (WHERE g.department IS NOT NULL))[1] AS department
                FROM memberships m JOIN groups g ON g.id = m.group_id
                WHERE g.role IS NOT NULL OR g.department IS NOT NULL
                GROUP BY m.person_id
            ), target AS (
                SELECT p.id, CASE COALESCE(x.rank, 1) WHEN 3 THEN 'admin' WHEN 2 THEN 'delegate' ELSE 'user' END AS role, x.department
                FROM people p LEFT JOIN mapped x ON x.person_id = p.id
                WHERE p.source = 'directory' AND (x.person_id IS NOT NULL OR p.role <> 'user' OR p.mapped_department IS NOT NULL)
            )
            UPDATE people p SET role = t.role, mapped_department = t.department, updated_at = now()
            FROM target t WHERE p.id = t.id AND (p.role, p.mapped_department) IS DISTINCT FROM (t.role, t.department)
            RETURNING p.created_at < now() AS existed
            """, where: "existed")
    }
}
