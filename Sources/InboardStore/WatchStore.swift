import Foundation
import InboardCore
import Logging
import PostgresNIO

/// Who watches whom. Watching needs only that both people exist and are active.
public struct WatchStore: WatchStoring {
    let database: DatabasePool
    let logger: Logger

    public init(database: DatabasePool, logger: Logger) {
        self.database = database
        self.logger = logger
    }

    /// Returns false when the watched person does not exist or is inactive.
    public func watch(watcher: Int64, watched: Int64, onlyIn: Bool) async throws -> Bool {
        let rows = try await database.query(
            """
            INSERT INTO watches (watcher_id, watched_id, only_in) SELECT \(watcher), id, \(onlyIn) FROM people p WHERE id = \(watched) AND active AND \(unescaped: StatusStore.boardListingSQL)
            ON CONFLICT (watcher_id, watched_id) DO UPDATE SET only_in = EXCLUDED.only_in RETURNING watched_id
            """, logger: logger)
        for try await _ in rows.decode(Int64.self) { return true }
        return false
    }

    public func unwatch(watcher: Int64, watched: Int64) async throws {
        try await database.query(
            "DELETE FROM watches WHERE watcher_id = \(watcher) AND watched_id = \(watched)", logger: logger)
    }

    /// The board entries of the people `watcher` watches.
    public func watched(by watcher: Int64) async throws -> [BoardEntry] {
        try await StatusStore(database: database, logger: logger).entries(
            PostgresQuery(
                unsafeSQL: """
                    SELECT \(StatusStore.entryColumns) \(StatusStore.entryFrom) JOIN watches w ON w.watched_id = p.id
                    WHERE w.watcher_id = $1 AND p.active AND \(StatusStore.boardListingSQL) ORDER BY lower(p.display_name)
                    """, binds: PeopleStore.bind(watcher)))
    }

    public struct Watcher: Codable, Sendable, Equatable {
        public let id: Int64
        public let displayName: String
        public let onlyIn: Bool

        public init(id: Int64, displayName: String, onlyIn: Bool) {
            self.id = id
            self.displayName = displayName
            self.onlyIn = onlyIn
        }
    }

    /// Who watches `person`.
    public func watchers(of person: Int64) async throws -> [Watcher] {
        var result: [Watcher] = []
        let rows = try await database.query(
            """
            SELECT p.id, \(unescaped: StatusStore.accountNameSQL("p")), w.only_in
            FROM watches w JOIN people p ON p.id = w.watcher_id
            WHERE w.watched_id = \(person) ORDER BY lower(p.display_name)
            """, logger: logger)
        for try await (id, name, onlyIn) in rows.decode((Int64, String, Bool).self) {
            result.append(Watcher(id: id, displayName: name, onlyIn: onlyIn))
        }
        return result
    }
}
