import Foundation
import Logging
import PostgresNIO

/// One administrative change: who, what, on which target, the value before and after (JSON), and from where.
public struct AuditEntry: Sendable, Equatable {
    public var actor: String
    public var action: String
    public var target: String?
    /// JSON text.
    public var before: String?
    /// JSON text.
    public var after: String?
    public var address: String?

    public init(
        actor: String, action: String, target: String? = nil, before: String? = nil, after: String? = nil,
        address: String? = nil
    ) {
        self.actor = actor
        self.action = action
        self.target = target
        self.before = before
        self.after = after
        self.address = address
    }

    /// `value` as JSON text, with top-level `keys` replaced (a password becomes "changed" or "unchanged").
    public static func json(_ value: some Encodable, replacing keys: [String: String] = [:]) throws -> String {
        try jsonText(String(decoding: try JSONEncoder().encode(value), as: UTF8.self), replacing: keys)
    }

    /// A JSON object's text with top-level `keys` replaced.
    public static func jsonText(_ text: String, replacing keys: [String: String]) throws -> String {
        guard !keys.isEmpty, var object = try JSONSerialization.jsonObject(with: Data(text.utf8)) as? [String: Any]
        else { return text }
        for (key, replacement) in keys { object[key] = replacement }
        return String(
            decoding: try JSONSerialization.data(withJSONObject: object, options: [.sortedKeys]), as: UTF8.self)
    }
}

/// A row of the audit log as the admin page shows it.
public struct AuditRecord: Sendable {
    public let at: String
    public let entry: AuditEntry
}

/// The audit log's only writer and reader. A change and its audit row are one transaction: stores call
/// `record(_:on:)` inside theirs.
public struct AuditLog: Sendable {
    let database: DatabasePool
    let logger: Logger

    public init(database: DatabasePool, logger: Logger) {
        self.database = database
        self.logger = logger
    }

    /// Records `entry` in the caller's transaction.
    public static func record(_ entry: AuditEntry, on connection: PostgresConnection, logger: Logger) async throws {
        try await connection.query(
            """
            INSERT INTO audit_log (actor, action, target, before, after, address)
            VALUES (\(entry.actor), \(entry.action), \(entry.target), \(entry.before)::jsonb, \(entry.after)::jsonb, \(entry.address))
            """, logger: logger)
    }

    /// The newest `limit` entries, newest first; times in UTC.
    public func recent(limit: Int = 200) async throws -> [AuditRecord] {
        let rows = try await database.query(
            """
            SELECT to_char(at AT TIME ZONE 'UTC', 'YYYY-MM-DD HH24:MI:SS'), actor, action, target, before::text, after::text, address
            FROM audit_log ORDER BY at DESC, id DESC LIMIT \(limit)
            """, logger: logger)
        var records: [AuditRecord] = []
        for try await (at, actor, action, target, before, after, address) in rows.decode(
            (String, String, String, String?, String?, String?, String?).self)
        {
            records.append(
                AuditRecord(
                    at: at,
                    entry: AuditEntry(
                        actor: actor, action: action, target: target, before: before, after: after, address: address)))
        }
        return records
    }
}
