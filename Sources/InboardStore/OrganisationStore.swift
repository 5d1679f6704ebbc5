import Foundation
import Logging
import PostgresNIO

/// Reads and saves the organisation's rules (`settings`, key `organisation`); a save is audited.
public struct OrganisationStore: Sendable {
    let database: DatabasePool
    let logger: Logger

    public init(database: DatabasePool, logger: Logger) {
        self.database = database
        self.logger = logger
    }

    /// The saved rules, or the defaults when none are saved (or they no longer decode).
    public func load() async throws -> OrganisationSettings {
        for try await row in try await database.query(prepared: LoadSQL.self, PostgresBindings(), logger: logger) {
            return Self.decode(try row.decode(String.self))
        }
        return OrganisationSettings()
    }

    enum LoadSQL: PreparedSQL {
        static let sql = "SELECT value::text FROM settings WHERE key = 'organisation'"
    }

    static func decode(_ json: String) -> OrganisationSettings {
        (try? JSONDecoder().decode(OrganisationSettings.self, from: Data(json.utf8))) ?? OrganisationSettings()
    }

    public func save(_ settings: OrganisationSettings, by actor: String, from address: String?) async throws {
        let json = try AuditEntry.json(settings)
        try await database.withTransaction(logger: logger) { connection in
            var before: String?
            for try await value in try await connection.query(
                "SELECT value::text FROM settings WHERE key = 'organisation' FOR UPDATE", logger: logger
            )
            .decode(String.self) { before = value }
            try await connection.query(
                """
                INSERT INTO settings (key, value, updated_at, updated_by) VALUES ('organisation', \(json)::jsonb, now(), \(actor))
                ON CONFLICT (key) DO UPDATE SET value = EXCLUDED.value, updated_at = now(), updated_by = EXCLUDED.updated_by
                """, logger: logger)
            try await AuditLog.record(
                AuditEntry(
                    actor: actor, action: "organisation.save", target: "organisation", before: before, after: json,
                    address: address), on: connection, logger: logger)
        }
    }
}
