import Foundation
import Logging
import PostgresNIO

extension SecretBox {
    /// Re-seals every stored secret (the `secret` column of `settings`: the directory's bind password, the SMTP
    /// password) from this key to `next`, in one transaction with its audit row: all of them or none. Returns
    /// the settings whose secret was re-sealed. A secret this key cannot open stops it, changing nothing (the
    /// database was sealed with another key).
    public func rotate(to next: SecretBox, on database: DatabasePool, actor: String, logger: Logger) async throws
        -> [String]
    {
        try await database.withTransaction(logger: logger) { connection in
            var sealed: [(key: String, secret: Data)] = []
            for try await (key, secret) in try await connection.query(
                "SELECT key, secret FROM settings WHERE secret IS NOT NULL ORDER BY key FOR UPDATE", logger: logger
            ).decode((String, Data).self) {
                sealed.append((key, secret))
            }
            for (key, secret) in sealed {
                let plain: String
                do { plain = try open(secret) } catch {
                    throw SecretRotationError.cannotOpen(setting: key)
                }
                let resealed = try next.seal(plain)
                try await connection.query(
                    "UPDATE settings SET secret = \(resealed), updated_at = now(), updated_by = \(actor) WHERE key = \(key)",
                    logger: logger)
            }
            try await AuditLog.record(
                AuditEntry(
                    actor: actor, action: "secret-key.rotate",
                    after: try AuditEntry.json(["resealed": sealed.map(\.key)])), on: connection, logger: logger)
            return sealed.map(\.key)
        }
    }
}

public enum SecretRotationError: Error, CustomStringConvertible, Equatable {
    case cannotOpen(setting: String)

    public var description: String {
        switch self {
        case let .cannotOpen(setting):
            "the current key cannot open the stored '\(setting)' secret (was it sealed with another key?); nothing was changed"
        }
    }
}
