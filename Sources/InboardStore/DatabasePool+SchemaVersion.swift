import Logging
import PostgresNIO

extension DatabasePool {
    /// The applied schema version in SQL (0 when no migration is recorded), for statements that hold only while
    /// the database's schema is the server's own (job and mail claims in a rolling upgrade).
    static let schemaVersionSQL = "(SELECT coalesce(max(version), 0) FROM schema_migrations)"

    /// The applied schema version, 0 for an empty database. Two statements: a query naming a missing table
    /// fails when it is parsed, whatever CASE guards it.
    public func schemaVersion(logger: Logger) async throws -> Int {
        let exists = try await query("SELECT to_regclass('public.schema_migrations') IS NOT NULL", logger: logger)
        for try await present in exists.decode(Bool.self) where !present { return 0 }
        let rows = try await query("SELECT \(unescaped: Self.schemaVersionSQL)", logger: logger)
        for try await version in rows.decode(Int.self) { return version }
        return 0
    }
}
