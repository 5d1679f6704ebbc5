import Logging
import PostgresNIO

/// Applies `schema/` migrations to PostgreSQL: one transaction per file, recorded in `schema_migrations`,
/// serialised across processes by an advisory lock, and refusing (before any change) what `MigrationPlan` refuses.
public struct Migrator: Sendable {
    /// Arbitrary constant shared by every Inboard process: "only one migrator at a time".
    static let advisoryLockKey: Int64 = 0x1B0A_4D00_0001

    public let catalog: MigrationCatalog
    public let logger: Logger

    public init(catalog: MigrationCatalog, logger: Logger) {
        self.catalog = catalog
        self.logger = logger
    }

    /// The plan for this database, without changing anything (not even creating `schema_migrations`).
    public func plan(on connection: PostgresConnection) async throws -> MigrationPlan {
        try MigrationPlan(catalog: catalog, applied: try await appliedMigrations(on: connection))
    }

    /// Brings the database up to this binary's schema; returns what was applied.
    @discardableResult
    public func migrate(
        on connection: PostgresConnection,
        progress: @Sendable (Migration) -> Void = { _ in }
    ) async throws -> [Migration] {
        try await connection.query("SELECT pg_advisory_lock(\(Self.advisoryLockKey))", logger: logger)
        do {
            let plan = try await self.plan(on: connection)
            if !plan.pending.isEmpty { try await createHistoryTable(on: connection) }
            for migration in plan.pending {
                progress(migration)
                try await apply(migration, on: connection)
            }
            try await connection.query("SELECT pg_advisory_unlock(\(Self.advisoryLockKey))", logger: logger)
            return plan.pending
        } catch {
            _ = try? await connection.query("SELECT pg_advisory_unlock(\(Self.advisoryLockKey))", logger: logger)
            throw error
        }
    }

    /// The applied schema version, 0 for an empty database.
    public func currentVersion(on connection: PostgresConnection) async throws -> Int {
        try await appliedMigrations(on: connection).map(\.version).max() ?? 0
    }

    func appliedMigrations(on connection: PostgresConnection) async throws -> [AppliedMigration] {
        let exists = try await connection.query(
            "SELECT to_regclass('public.schema_migrations') IS NOT NULL", logger: logger)
        for try await present in exists.decode(Bool.self) where !present { return [] }
        let rows = try await connection.query(
            "SELECT version, name, checksum FROM schema_migrations ORDER BY version", logger: logger)
        var applied: [AppliedMigration] = []
        for try await (version, name, checksum) in rows.decode((Int, String, String).self) {
            applied.append(AppliedMigration(version: version, name: name, checksum: checksum))
        }
        return applied
    }

    private func createHistoryTable(on connection: PostgresConnection) async throws {
        try await connection.query(
            """
            CREATE TABLE IF NOT EXISTS schema_migrations (
                version    INTEGER PRIMARY KEY,
                name       TEXT NOT NULL,
                checksum   TEXT NOT NULL,
                applied_at TIMESTAMPTZ NOT NULL DEFAULT now()
            )
            """, logger: logger)
    }

    private func apply(_ migration: Migration, on connection: PostgresConnection) async throws {
        let script = SQLScript(migration.sql)
        try await connection.inTransaction(logger: logger) {
            for (index, statement) in script.statements.enumerated() {
                do {
                    try await connection.query(PostgresQuery(unsafeSQL: statement.sql), logger: logger)
                } catch let error as PSQLError {
                    let message = error.serverInfo?[.message] ?? "\(error.code)"
                    throw MigrationError.statementFailed(
                        file: migration.fileName, statement: index + 1, line: statement.line, message: message)
                }
            }
            try await connection.query(
                "INSERT INTO schema_migrations (version, name, checksum) VALUES (\(migration.version), \(migration.name), \(migration.checksum))",
                logger: logger)
        }
        logger.info(
            "applied schema migration", metadata: ["version": "\(migration.version)", "name": "\(migration.name)"])
    }
}
