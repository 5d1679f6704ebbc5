import Foundation
import InboardCore
import PostgresNIO

/// The board read in pages, in one order (name, then id), and counted over the whole filtered organisation.
extension StatusStore {
    /// People on the board: active ones, filtered by a name search, a department or a board (a mapped group).
    /// `PersonVisibilityRule.listsOnBoard` in SQL (a test holds the two to the same answers).
    public static let boardListingSQL = listingSQL("p")

    /// `PersonVisibilityRule.listsOnBoard` for the people row `alias`.
    static func listingSQL(_ alias: String) -> String {
        "NOT (\(alias).source = 'local' AND COALESCE(\(alias).role_override, \(alias).role) = 'admin')"
    }

    /// An account's name as every output gives it (the people row `alias`; NULL when the row is missing): an
    /// account no board lists is `PersonVisibilityRule.unlistedAccountName`, never its username (the break-glass
    /// account's name, for guessing). Who set a status, who wrote a note and who watches a person all use it.
    static func accountNameSQL(_ alias: String) -> String {
        """
        CASE WHEN \(alias).id IS NULL THEN NULL WHEN \(listingSQL(alias)) THEN \(alias).display_name
             ELSE '\(PersonVisibilityRule.unlistedAccountName)' END
        """
    }

    /// Who set a status (the people row `sb`).
    public static let setByNameSQL = accountNameSQL("sb")

    /// `OverdueRule` in SQL, for counts only (entries get it from the rule as they are decoded); `$1` is now.
    /// A test holds the two to the same answers.
    static let overdueSQL = "(t.presence = 'out' AND s.return_at IS NOT NULL AND s.return_at < $1)"

    /// The filter's conditions on `p`, with its values bound from `$first` on (four of them).
    static func filterSQL(from first: Int) -> String {
        let (search, department, board, inactive) = ("$\(first)", "$\(first + 1)", "$\(first + 2)", "$\(first + 3)")
        return """
            (p.active OR \(inactive)) AND \(boardListingSQL)
              AND (\(search)::text IS NULL OR lower(p.display_name) LIKE \(search) OR lower(p.username) LIKE \(search))
              AND (\(department)::text IS NULL OR lower(COALESCE(p.mapped_department, p.department)) = lower(\(department)))
              AND (\(board)::text IS NULL OR EXISTS (SELECT 1 FROM memberships m JOIN groups g ON g.id = m.group_id
                                              WHERE m.person_id = p.id AND lower(g.board) = lower(\(board))))
            """
    }

    static func bind(_ filter: BoardFilter, into binds: inout PostgresBindings) {
        binds.append(filter.search.map(PeopleStore.containsPattern))
        binds.append(filter.department)
        binds.append(filter.board)
        binds.append(filter.includeInactive)
    }

    /// One page: at most `limit` people after `cursor` (from the start without one), and the next page's cursor.
    /// Keyset paging on `people_board_order_idx`: any page costs what the first does.
    public func board(_ filter: BoardFilter, after cursor: BoardCursor?, limit: Int) async throws -> BoardSlice {
        var binds = PostgresBindings()
        Self.bind(filter, into: &binds)
        binds.append(limit + 1)
        var after = ""
        if let cursor {
            binds.append(cursor.sortName)
            binds.append(cursor.id)
            after = "AND (lower(p.display_name), p.id) > ($6, $7)"
        }
        let sql = """
            SELECT \(Self.entryColumns), lower(p.display_name) \(Self.entryFrom)
            WHERE \(Self.filterSQL(from: 1)) \(after)
            ORDER BY lower(p.display_name), p.id LIMIT $5
            """
        let rows = try await entries(PostgresQuery(unsafeSQL: sql, binds: binds)) { cells in
            try cells[Self.entryColumnCount].decode(String.self)
        }
        let page = rows.prefix(limit)
        return BoardSlice(
            entries: page.map(\.0), cursors: page.map { BoardCursor(sortName: $0.1, id: $0.0.id) },
            hasMore: rows.count > limit)
    }

    /// In, out and overdue over the whole filtered board, as of `now`.
    public func boardCounts(_ filter: BoardFilter, now: Date) async throws -> BoardCounts {
        var binds = PostgresBindings()
        binds.append(now)
        Self.bind(filter, into: &binds)
        let sql = """
            SELECT count(*), count(*) FILTER (WHERE t.presence = 'in'), count(*) FILTER (WHERE t.presence = 'out'),
                   count(*) FILTER (WHERE \(Self.overdueSQL))
            \(Self.entryFrom) WHERE \(Self.filterSQL(from: 2))
            """
        for try await (total, present, away, overdue) in try await database.query(
            PostgresQuery(unsafeSQL: sql, binds: binds), logger: logger
        ).decode((Int, Int, Int, Int).self) {
            return BoardCounts(total: total, in: present, out: away, overdue: overdue)
        }
        return BoardCounts(total: 0, in: 0, out: 0, overdue: 0)
    }

    /// The departments active people are in (the mapped one where a group gives it), for board filters.
    public func departments() async throws -> [String] {
        var names: [String] = []
        let rows = try await database.query(
            """
            SELECT DISTINCT COALESCE(mapped_department, department) FROM people
            WHERE active AND COALESCE(mapped_department, department) IS NOT NULL ORDER BY 1
            """, logger: logger)
        for try await name in rows.decode(String.self) { names.append(name) }
        return names
    }

    /// The boards there are: names given to groups by group mappings.
    public func boards() async throws -> [String] {
        var names: [String] = []
        for try await name in try await database.query(
            "SELECT DISTINCT board FROM groups WHERE board IS NOT NULL ORDER BY 1", logger: logger
        ).decode(String.self) {
            names.append(name)
        }
        return names
    }
}
