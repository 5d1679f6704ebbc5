import Crypto
import Foundation
import InboardCore
import InboardStore
import Logging
import PostgresNIO

/// Keeps the directory settings in the `settings` table: the settings as JSON, the bind password sealed
/// with the server's secret key. Saving without a password keeps the stored one (the field is write-only).
public struct DirectorySettingsStore: Sendable {
    static let key = "directory"
    let secrets: SecretBox
    let logger: Logger

    public init(secrets: SecretBox, logger: Logger) {
        self.secrets = secrets
        self.logger = logger
    }

    /// The stored settings with the password opened, or nil when none were saved yet.
    public func load(on connection: PostgresConnection) async throws -> DirectorySettings? {
        let rows = try await connection.query(
            "SELECT value::text, secret FROM settings WHERE key = \(Self.key)", logger: logger)
        for try await (json, secret) in rows.decode((String, Data?).self) {
            var settings = try DirectorySettings.decode(json: json)
            if let secret { settings.bindPassword = try secrets.open(secret) }
            return settings
        }
        return nil
    }

    /// Saves and audits the change (the audit row never carries the password).
    public func save(_ settings: DirectorySettings, by actor: String, on connection: PostgresConnection) async throws {
        try settings.validate()
        let json = settings.json()
        let sealed = try settings.bindPassword.map { try secrets.seal($0) }
        if settings.bindPassword == nil {
            // A kept secret would go to the new servers: only when they are the ones it was saved for.
            let rows = try await connection.query(
                "SELECT value::text FROM settings WHERE key = \(Self.key) AND secret IS NOT NULL", logger: logger)
            for try await value in rows.decode(String.self) {
                // Stored settings that no longer read count as other servers.
                guard let stored = try? DirectorySettings.decode(json: value), settings.talksToSameServers(as: stored)
                else { throw DirectorySettings.retypePassword }
            }
        }
        try await connection.inTransaction(logger: logger) {
            var before: String?
            let rows = try await connection.query(
                "SELECT value::text FROM settings WHERE key = \(Self.key) FOR UPDATE", logger: logger)
            for try await value in rows.decode(String.self) { before = value }
            try await connection.query(
                """
                INSERT INTO settings (key, value, secret, updated_at, updated_by)
                VALUES (\(Self.key), \(json)::jsonb, \(sealed), now(), \(actor))
                ON CONFLICT (key) DO UPDATE SET value = EXCLUDED.value, secret = COALESCE(EXCLUDED.secret, settings.secret),
                    updated_at = now(), updated_by = EXCLUDED.updated_by
                """, logger: logger)
            let passwordNote = sealed == nil ? "unchanged" : "changed"
            try await AuditLog.record(
                AuditEntry(
                    actor: actor, action: "directory.settings.save", target: "directory", before: before,
                    after: try AuditEntry.jsonText(json, replacing: ["bindPassword": passwordNote])),
                on: connection, logger: logger)
        }
    }
}

extension DirectorySettings {
    /// Identifies what a sync reads: a change of any of it makes the next incremental run a full one.
    var fingerprint: String {
        let digest = SHA256.hash(data: Data(json().utf8))
        return digest.lowercaseHex
    }
}
