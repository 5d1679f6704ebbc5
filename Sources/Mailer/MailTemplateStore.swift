import Foundation
import InboardStore
import Logging
import PostgresNIO

/// The admin's own templates (settings key `mail_templates`), over the defaults.
public struct MailTemplateStore: Sendable {
    let database: DatabasePool
    let logger: Logger

    public init(database: DatabasePool, logger: Logger) {
        self.database = database
        self.logger = logger
    }

    public func load() async throws -> MailTemplates {
        for try await json in try await database.query(
            "SELECT value::text FROM settings WHERE key = 'mail_templates'", logger: logger
        ).decode(String.self) {
            return MailTemplates(
                overrides: (try? JSONDecoder().decode([String: MailTemplate].self, from: Data(json.utf8))) ?? [:])
        }
        return MailTemplates()
    }

    /// Saves one event's template after checking that every part parses; audited.
    public func save(_ template: MailTemplate, for event: String, by actor: String) async throws {
        _ = try MailTemplates(overrides: [event: template]).render(event, values: [:])
        let json = String(decoding: try JSONEncoder().encode(template), as: UTF8.self)
        try await database.withTransaction(logger: logger) { connection in
            try await connection.query(
                """
                INSERT INTO settings (key, value, updated_at, updated_by) VALUES ('mail_templates', jsonb_build_object(\(event)::text, \(json)::jsonb), now(), \(actor))
                ON CONFLICT (key) DO UPDATE SET value = settings.value || EXCLUDED.value, updated_at = now(), updated_by = EXCLUDED.updated_by
                """, logger: logger)
            try await AuditLog.record(
                AuditEntry(actor: actor, action: "mail.template.save", target: event, after: json), on: connection,
                logger: logger)
        }
    }
}
