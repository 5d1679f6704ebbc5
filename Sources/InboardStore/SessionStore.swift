import Crypto
import Foundation
import Logging
import PostgresNIO

/// Web sessions and API tokens. The token is 32 random bytes shown once to the client; only its SHA-256 is
/// stored, so a database dump reveals no usable token. Every server process shares them.
public struct SessionStore: Sendable {
    let database: DatabasePool
    let logger: Logger

    public init(database: DatabasePool, logger: Logger) {
        self.database = database
        self.logger = logger
    }

    public struct Issued: Sendable {
        public let token: String
        public let expiresAt: Date

        public init(token: String, expiresAt: Date) {
            self.token = token
            self.expiresAt = expiresAt
        }
    }

    public func create(personID: Int64, kind: String, lifetime: Duration, address: String?, userAgent: String?)
        async throws -> Issued
    {
        var bytes = [UInt8](repeating: 0, count: 32)
        for index in bytes.indices { bytes[index] = UInt8.random(in: 0...255) }
        let token = Data(bytes).base64URLEncoded
        let expires = Date().addingTimeInterval(Double(lifetime.components.seconds))
        var binds = PostgresBindings()
        try binds.append(Self.hash(token), context: .default)
        binds.append(personID)
        binds.append(kind)
        binds.append(expires)
        binds.append(address)
        binds.append(userAgent)
        for try await _ in try await database.query(prepared: InsertSQL.self, binds, logger: logger) {}
        return Issued(token: token, expiresAt: expires)
    }

    /// The person a live token belongs to (not expired, not revoked, person active), nil otherwise.
    /// `last_seen_at` is written at most once a minute, so reading the board does not write a row per request.
    public func person(forToken token: String) async throws -> (person: Person, sessionID: Int64)? {
        for try await row in try await database.query(
            prepared: LookupSQL.self, try Self.bindHash(token), logger: logger)
        {
            let columns = row.makeRandomAccess()
            let sessionID = try columns[0].decode(Int64.self)
            if try columns[10].decode(Bool.self) {
                try await database.query(
                    "UPDATE sessions SET last_seen_at = now() WHERE id = \(sessionID)", logger: logger)
            }
            return (try PeopleStore.decode(row, offset: 1), sessionID)
        }
        return nil
    }

    /// Which of these sessions are still good, and who they are now (role and all): for streams opened earlier,
    /// which must end at logout, revocation or disabling, and follow a role change.
    public func stillValid(_ sessionIDs: [Int64]) async throws -> [Int64: Person] {
        var valid: [Int64: Person] = [:]
        guard !sessionIDs.isEmpty else { return valid }
        let rows = try await database.query(
            """
            SELECT s.id, p.id, p.username, p.display_name, p.email, COALESCE(p.mapped_department, p.department),
                   COALESCE(p.role_override, p.role), p.active, p.source, p.directory_id
            FROM sessions s JOIN people p ON p.id = s.person_id
            WHERE s.id = ANY(\(sessionIDs)) AND s.revoked_at IS NULL AND s.expires_at > now() AND p.active
            """, logger: logger)
        for try await row in rows {
            valid[try row.makeRandomAccess()[0].decode(Int64.self)] = try PeopleStore.decode(row, offset: 1)
        }
        return valid
    }

    public func revoke(token: String) async throws {
        try await database.query(
            "UPDATE sessions SET revoked_at = now() WHERE token_hash = \(Self.hash(token)) AND revoked_at IS NULL",
            logger: logger)
    }

    enum InsertSQL: PreparedSQL {
        static let sql = """
            INSERT INTO sessions (token_hash, person_id, kind, expires_at, address, user_agent) VALUES ($1, $2, $3, $4, $5, $6)
            """
    }

    enum LookupSQL: PreparedSQL {
        static let sql = """
            SELECT s.id, p.id, p.username, p.display_name, p.email, COALESCE(p.mapped_department, p.department),
                   COALESCE(p.role_override, p.role), p.active, p.source, p.directory_id, s.last_seen_at < now() - interval '1 minute'
            FROM sessions s JOIN people p ON p.id = s.person_id
            WHERE s.token_hash = $1 AND s.revoked_at IS NULL AND s.expires_at > now() AND p.active
            """
    }

    static func bindHash(_ token: String) throws -> PostgresBindings {
        var binds = PostgresBindings()
        try binds.append(hash(token), context: .default)
        return binds
    }

    static func hash(_ token: String) -> Data { Data(SHA256.hash(data: Data(token.utf8))) }
}
