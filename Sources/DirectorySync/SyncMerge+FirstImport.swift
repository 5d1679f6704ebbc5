import PostgresNIO

extension SyncMerge {
    /// Runs `body` (on a first import, `firstImport`: a bulk insert into empty tables) with the tables' indexes
    /// dropped and built again afterwards, inside the sync's transaction: building an index once from all the
    /// rows is several times faster than updating it row by row. Unique indexes and keys are built again too (an
    /// index behind a constraint as that constraint), and building them checks every row, so a duplicate still
    /// fails the sync (and rolls the drops back with everything else); only an index a foreign key relies on
    /// stays. The tables are locked until the commit, which on a first import nobody but the sync is reading.
    /// Otherwise `body` runs as it is.
    func rebuildingIndexes<T>(of tables: [String], if firstImport: Bool, _ body: () async throws -> T)
        async throws -> T
    {
        guard firstImport else { return try await body() }
        // PostgreSQL quotes the names itself (quote_ident), as everywhere identifiers reach SQL here.
        let rows = try await connection.query(
            """
            SELECT quote_ident(index.relname), pg_get_indexdef(i.indexrelid), quote_ident(t.relname),
                   quote_ident(c.conname), pg_get_constraintdef(c.oid)
            FROM pg_index i JOIN pg_class index ON index.oid = i.indexrelid JOIN pg_class t ON t.oid = i.indrelid
            LEFT JOIN pg_constraint c ON c.conindid = i.indexrelid AND c.conrelid = t.oid AND c.contype IN ('p', 'u', 'x')
            WHERE t.relname = ANY(\(tables)) AND t.relnamespace = current_schema()::regnamespace
              AND NOT EXISTS (SELECT 1 FROM pg_constraint f WHERE f.contype = 'f' AND f.conindid = i.indexrelid)
            ORDER BY i.indisunique DESC, 1  -- keys first: a duplicate fails the run before the other builds
            """, logger: logger)
        var drops: [String] = []
        var builds: [String] = []
        for try await (index, definition, table, constraint, constraintDefinition) in rows.decode(
            (String, String, String, String?, String?).self)
        {
            if let constraint, let constraintDefinition {
                drops.append("ALTER TABLE \(table) DROP CONSTRAINT \(constraint)")
                builds.append("ALTER TABLE \(table) ADD CONSTRAINT \(constraint) \(constraintDefinition)")
            } else {
                drops.append("DROP INDEX \(index)")
                builds.append(definition)
            }
        }
        for drop in drops { try await execute(drop) }
        let result = try await body()
        for build in builds { try await execute(build) }
        return result
    }
}
