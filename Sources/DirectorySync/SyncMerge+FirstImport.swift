import PostgresNIO

extension SyncMerge {
    /// Runs `body` (on a first import, `firstImport`: a bulk insert into empty tables) with the tables' plain
    /// indexes dropped and built again afterwards, inside the sync's transaction: building an index once from all
    /// the rows is several times faster than updating it row by row. Unique indexes and keys stay, so the data is
    /// checked as it goes in; a failure rolls the drops back with everything else. The tables are locked until
    /// the commit, which on a first import nobody but the sync is reading. Otherwise `body` runs as it is.
    func rebuildingPlainIndexes<T>(of tables: [String], if firstImport: Bool, _ body: () async throws -> T)
        async throws -> T
    {
        guard firstImport else { return try await body() }
        // PostgreSQL quotes the names itself (quote_ident), as everywhere identifiers reach SQL here.
        let rows = try await connection.query(
            """
            SELECT quote_ident(index.relname), pg_get_indexdef(i.indexrelid) FROM pg_index i
            JOIN pg_class index ON index.oid = i.indexrelid JOIN pg_class t ON t.oid = i.indrelid
            WHERE t.relname = ANY(\(tables)) AND t.relnamespace = current_schema()::regnamespace
              AND NOT i.indisunique AND NOT i.indisprimary
            ORDER BY 1
            """, logger: logger)
        var indexes: [(name: String, definition: String)] = []
        for try await (name, definition) in rows.decode((String, String).self) { indexes.append((name, definition)) }
        for index in indexes { try await execute("DROP INDEX \(index.name)") }
        let result = try await body()
        for index in indexes { try await execute(index.definition) }
        return result
    }
}
