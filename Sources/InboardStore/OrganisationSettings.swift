import Foundation
import Logging
import PostgresNIO

/// Organisation-wide rules an admin sets: whether people may hide their note, the idle time before
/// auto-away and its status type, which contact fields people edit themselves.
public struct OrganisationSettings: Codable, Sendable, Equatable {
    public var allowHiddenNotes: Bool
    public var idleMinutes: Int
    public var awayType: String
    public var editableFields: [String]

    public init(allowHiddenNotes: Bool = true, idleMinutes: Int = 15, awayType: String = "Away", editableFields: [String] = ["mobile", "office"]) {
        self.allowHiddenNotes = allowHiddenNotes
        self.idleMinutes = idleMinutes
        self.awayType = awayType
        self.editableFields = editableFields
    }

    public static func load(from database: DatabasePool, logger: Logger) async throws -> OrganisationSettings {
        for try await row in try await database.query(prepared: LoadSQL.self, PostgresBindings(), logger: logger) {
            let json = try row.decode(String.self)
            return (try? JSONDecoder().decode(OrganisationSettings.self, from: Data(json.utf8))) ?? OrganisationSettings()
        }
        return OrganisationSettings()
    }

    enum LoadSQL: PreparedSQL {
        static let sql = "SELECT value::text FROM settings WHERE key = 'organisation'"
    }

    public func save(to database: DatabasePool, by actor: String, logger: Logger) async throws {
        let json = String(decoding: try JSONEncoder().encode(self), as: UTF8.self)
        try await database.query("""
            INSERT INTO settings (key, value, updated_at, updated_by) VALUES ('organisation', \(json)::jsonb, now(), \(actor))
            ON CONFLICT (key) DO UPDATE SET value = EXCLUDED.value, updated_at = now(), updated_by = EXCLUDED.updated_by
            """, logger: logger)
    }
}
