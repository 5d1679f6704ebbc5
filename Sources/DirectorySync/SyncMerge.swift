import Logging
import PostgresNIO

/// Applies the staged directory to `people`, `groups`, `group_nesting` and `memberships` with set-based
/// statements inside the sync's transaction, counting what each one changed. Whether the transaction is
/// then committed (or rolled back: dry run, guard) is the caller's decision.
struct SyncMerge {
    let connection: PostgresConnection
    let logger: Logger
    let full: Bool
    let mappings: [GroupMapping]
    /// The DC's in-chain answer was asked for (AD): it is the truth for mapped groups on every run, even empty.
    var askedInChain = false
    /// Identities of entries staged after another with the same username (`settleUsernameClashes`).
    var clashing: [String] = []
    /// The settings differ from those of the last committed run (or there was none): the mappings, in their
    /// order, may give people other roles and departments even when no membership changed.
    var settingsChanged = true

    /// The mapped groups' DNs, lower-cased, in the mappings' order (the first mapped department wins).
    var mappedGroupDNs: [String] { mappings.map { $0.group.lowercased() } }

    static let fieldColumns = PersonField.allCases.map(\.column)
    static var differs: String {
        let columns = ["dn"] + fieldColumns
        return
            "(\(columns.map { "p.\($0)" }.joined(separator: ", "))) IS DISTINCT FROM (\(columns.map { "s.\($0)" }.joined(separator: ", ")))"
    }

    func run(clock: PhaseClock) async throws -> (counts: SyncCounts, warnings: [String]) {
        var counts = SyncCounts()
        var warnings: [String] = []
        var identities = PeopleIdentityChange()
        // On a first import there is nobody to disable, move or re-enable: skip those scans.
        let known = try await count("SELECT 1 FROM people WHERE source = 'directory' LIMIT 1")
        try await execute("CREATE INDEX ON sync_people (directory_id)")
        try await execute("ANALYZE sync_people (directory_id, username, dn)")
        warnings += try await settleUsernameClashes()
        if known > 0 {
            let freed = try await freeUsernames(leaversPossible: full)
            warnings += freed.warnings
            identities.usernamesFreed = freed.any
            try await findChanges()
            counts.moved = try await count("SELECT 1 FROM sync_diff WHERE moved")
            identities.dnChanged = try await count("SELECT 1 FROM sync_diff WHERE dn_changed")
            identities.usernameChanged = try await count(
                """
                UPDATE people p SET username = '~sync~' || p.id FROM sync_diff d WHERE p.id = d.id AND d.renamed RETURNING 1
                """)
            counts.updated = try await count(
                """
                UPDATE people p SET \(unescaped: Self.assignments), updated_at = now()
                FROM sync_diff d JOIN sync_people s USING (directory_id) WHERE p.id = d.id AND d.differs RETURNING 1
                """)
            counts.disabled = try await count(
                """
                UPDATE people p SET active = FALSE, disabled_reason = s.disabled_reason, disabled_at = now(), disabled_by_sync = TRUE
                FROM sync_diff d JOIN sync_people s USING (directory_id) WHERE p.id = d.id AND d.disable RETURNING 1
                """)
            if full {
                counts.disabled += try await count(
                    """
                    UPDATE people p SET active = FALSE, disabled_reason = 'no longer in the directory (deleted, moved out of the base DN or filtered out)',
                        disabled_at = now(), disabled_by_sync = TRUE
                    WHERE p.source = 'directory' AND p.active AND NOT EXISTS (SELECT 1 FROM sync_people s WHERE s.directory_id = p.directory_id)
                      AND NOT EXISTS (SELECT 1 FROM sync_skipped k WHERE k.directory_id = p.directory_id)
                    RETURNING 1
                    """)
            }
            counts.reenabled = try await count(
                """
                UPDATE people p SET active = TRUE, disabled_reason = NULL, disabled_at = NULL, disabled_by_sync = FALSE
                FROM sync_diff d WHERE p.id = d.id AND d.reenable RETURNING 1
                """)
            let skippedState = try await applySkippedPeoplesState()
            counts.disabled += skippedState.disabled
            counts.reenabled += skippedState.reenabled
        } else {
            // Local accounts may still hold a name the directory uses.
            warnings += try await freeUsernames(leaversPossible: false).warnings
        }
        // A first import fills empty tables: their indexes are built once at the end instead.
        counts.created = try await rebuildingIndexes(of: ["people"], if: known == 0) {
            try await count(
                """
                INSERT INTO people (directory_id, dn, \(unescaped: Self.fieldColumns.joined(separator: ", ")), source, active, disabled_reason, disabled_at, disabled_by_sync)
                SELECT s.directory_id, s.dn, \(unescaped: Self.fieldColumns.map { "s.\($0)" }.joined(separator: ", ")), 'directory',
                       s.disabled_reason IS NULL, s.disabled_reason, CASE WHEN s.disabled_reason IS NOT NULL THEN now() END, s.disabled_reason IS NOT NULL
                FROM sync_people s WHERE NOT EXISTS (SELECT 1 FROM people p WHERE p.directory_id = s.directory_id) RETURNING 1
                """)
        }
        if counts.created + counts.updated > 1000 {
            // The plans below join against people: give them today's sizes, not those from before this import.
            try await execute("ANALYZE people (id, directory_id, dn, username, source, active, role)")
        }
        clock.lap("merged people")
        identities.created = counts.created
        let groupChanges = try await rebuildingIndexes(of: ["memberships", "group_nesting"], if: known == 0) {
            try await mergeGroups(peopleChanged: identities)
        }
        clock.lap("merged groups and memberships")
        counts.groups = groupChanges.groups
        counts.memberships = groupChanges.memberships
        // Roles and departments follow from memberships and the mappings: with neither changed, they stand.
        if groupChanges.membershipsChanged || settingsChanged {
            counts.updated += try await applyGroupMappings()
            clock.lap("applied group mappings")
        }
        return (counts, warnings)
    }

    /// One pass over the staged and the stored people finds everyone the statements after it change (moved,
    /// renamed, any field, disabled or re-enabled in the directory), so each of those touches only its rows: on
    /// a run with few changes, one join of the two instead of five. The flags are exclusive where order
    /// matters (disabling needs a reason staged, re-enabling none), so computing them first changes nothing.
    private func findChanges() async throws {
        let disable = "p.active AND s.disabled_reason IS NOT NULL"
        let reenable = "NOT p.active AND p.disabled_by_sync AND s.disabled_reason IS NULL"
        try await execute(
            """
            CREATE TEMP TABLE sync_diff ON COMMIT DROP AS
            SELECT p.id, s.directory_id, lower(p.dn) <> lower(s.dn) AS moved, p.dn <> s.dn AS dn_changed,
                   p.username <> s.username AS renamed,
                   \(Self.differs) AS differs, \(disable) AS disable, \(reenable) AS reenable
            FROM sync_people s JOIN people p USING (directory_id)
            WHERE \(Self.differs) OR (\(disable)) OR (\(reenable))
            """)
    }

    static var assignments: String {
        (["dn"] + fieldColumns).map { "\($0) = s.\($0)" }.joined(separator: ", ")
    }

    func execute(_ sql: String) async throws {
        try await connection.query(PostgresQuery(unsafeSQL: sql), logger: logger)
    }

    /// How many rows `query` returned (its `RETURNING`), optionally only those matching `condition`.
    func count(_ query: PostgresQuery, where condition: String = "TRUE") async throws -> Int {
        let wrapped = PostgresQuery(
            unsafeSQL: "WITH changed AS (\(query.sql)) SELECT count(*)::bigint FROM changed WHERE \(condition)",
            binds: query.binds)
        let rows = try await connection.query(wrapped, logger: logger)
        for try await value in rows.decode(Int64.self) { return Int(value) }
        return 0
    }

    /// The strings a statement's `RETURNING` gives.
    func strings(_ sql: String) async throws -> [String] {
        try await strings(PostgresQuery(unsafeSQL: "WITH changed AS (\(sql)) SELECT * FROM changed"))
    }

    /// The strings `query` returns, run as it is (its values bound; a query with data-changing `WITH` steps of
    /// its own, which PostgreSQL allows only at the top).
    func strings(_ query: PostgresQuery) async throws -> [String] {
        let rows = try await connection.query(query, logger: logger)
        var result: [String] = []
        for try await value in rows.decode(String.self) { result.append(value) }
        return result
    }
}

/// What this run changed about the people a group's member value can name (by DN or by username): after any
/// of it, a group whose members are the same may still resolve to other people. A DN that changed only in
/// case counts: members are matched by exact DN first.
struct PeopleIdentityChange {
    var created = 0
    var dnChanged = 0
    var usernameChanged = 0
    var usernamesFreed = false

    var any: Bool { created > 0 || dnChanged > 0 || usernameChanged > 0 || usernamesFreed }
}
