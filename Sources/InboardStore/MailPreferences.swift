import Foundation
import Logging
import PostgresNIO

/// Which mails a person wants: per event (`note`, `watch`), on unless they turned it off.
public struct MailPreferencesStore: Sendable {
    public static let events: [(event: String, label: String)] = [
        ("note", "Mail me when someone leaves me a note"),
        ("watch", "Mail me when someone I watch changes status"),
        ("watchDigest", "Send those as one hourly digest instead of one mail each"),
    ]
    let database: DatabasePool
    let logger: Logger

    public init(database: DatabasePool, logger: Logger) {
        self.database = database
        self.logger = logger
    }

    public func load(_ person: Int64) async throws -> [String: Bool] {
        // digest is opt-in
        var choices = Dictionary(uniqueKeysWithValues: Self.events.map { ($0.event, $0.event != "watchDigest") })
        for try await json in try await database.query(
            "SELECT events::text FROM mail_preferences WHERE person_id = \(person)", logger: logger
        ).decode(String.self) {
            for (event, on) in (try? JSONDecoder().decode([String: Bool].self, from: Data(json.utf8))) ?? [:] {
                choices[event] = on
            }
        }
        return choices
    }

    public func save(_ person: Int64, _ choices: [String: Bool]) async throws {
        let json = String(decoding: try JSONEncoder().encode(choices), as: UTF8.self)
        try await database.query(
            """
            INSERT INTO mail_preferences (person_id, events) VALUES (\(person), \(json)::jsonb)
            ON CONFLICT (person_id) DO UPDATE SET events = EXCLUDED.events, updated_at = now()
            """, logger: logger)
    }
}
