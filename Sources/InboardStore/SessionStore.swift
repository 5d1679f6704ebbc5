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

    /// The LISTEN/NOTIFY channel on which the database itself (triggers of `0008_session_changes.sql`) says
    /// that a session ended or a person's identity changed: caches of sessions then forget what they hold.
    public static let changesChannel = "inboard_sessions"

    /// The payload a server sends on `changesChannel` to prove its LISTEN connection still hears it.
    public static let heartbeatPayload = "heartbeat"

    /// A live session as read from the database.
    public struct Found: Sendable {
        public let person: Person
        public let sessionID: Int64
        /// Until the session expires, by the database's clock (the server's may differ).
        public let secondsLeft: Double
        /// `last_seen_at` is over a minute old (`touch` it).
        public let lastSeenIsStale: Bool
    }

    /// The person a live token belongs to (not expired, not revoked, person active), nil otherwise.
    /// `last_seen_at` is written at most once a minute, so reading the board does not write a row per request.
    public func person(forToken token: String) async throws -> (person: Person, sessionID: Int64)? {
        guard let found = try await lookup(token: token) else { return nil }
        if found.lastSeenIsStale { try await touch(sessionID: found.sessionID) }
        return (found.person, found.sessionID)
    }

    /// The live session of `token` (nil when unknown, expired, revoked or the person is disabled); writes nothing.
    public func lookup(token: String) async throws -> Found? {
        for try await row in try await database.query(
            prepared: LookupSQL.self, try Self.bindHash(token), logger: logger)
        {
            let columns = row.makeRandomAccess()
            return Found(
                person: try PeopleStore.decode(row, offset: 1), sessionID: try columns[0].decode(Int64.self),
                secondsLeft: try columns[11].decode(Double.self), lastSeenIsStale: try columns[10].decode(Bool.self))
        }
        return nil
    }

    /// Notes that the session was used now.
    public func touch(sessionID: Int64) async throws {
        try await database.query("UPDATE sessions SET last_seen_at = now() WHERE id = \(sessionID)", logger: logger)
    }

    /// Calls `listening` when listening on `changesChannel` (re)starts, `changed` with every notification's
    /// payload and `lost` when the connection drops (changes may then go unheard), until the task is cancelled.
    public func listenForChanges(
        listening: @escaping @Sendable () async -> Void, changed: @escaping @Sendable (String) async -> Void,
        lost: @escaping @Sendable () async -> Void
    ) async {
        await ChannelListener(
            channel: Self.changesChannel, databaseURL: database.url, logger: logger, purpose: "session changes",
            connectionID: 10
        ).run(listening: listening, notified: changed, lost: lost)
    }

    /// Sends `heartbeatPayload` on `changesChannel`: every listener hears it, or learns it hears nothing.
    public func heartbeat() async throws {
        try await database.query("SELECT pg_notify(\(Self.changesChannel), \(Self.heartbeatPayload))", logger: logger)
    }

    /// This process's own changes to sessions and identities, told at once after they commit (the database's
    /// notification comes a moment later).
    public var localChanges: LocalSignal { database.identityChanges }

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

    /// Ends every live session of a person (API tokens too), inside the caller's transaction: the one statement
    /// a disable, a password reset and an admin's "end sessions" share.
    static func endAll(of person: Int64, on connection: PostgresConnection, logger: Logger) async throws {
        try await connection.query(
            "UPDATE sessions SET revoked_at = now() WHERE person_id = \(person) AND revoked_at IS NULL",
            logger: logger)
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
                   COALESCE(p.role_override, p.role), p.active, p.source, p.directory_id, s.last_seen_at < now() - interval '1 minute',
                   extract(epoch FROM s.expires_at - now())::float8
            FROM sessions s JOIN people p ON p.id = s.person_id
            WHERE s.token_hash = $1 AND s.revoked_at IS NULL AND s.expires_at > now() AND p.active
            """
    }

    static func bindHash(_ token: String) throws -> PostgresBindings {
        var binds = PostgresBindings()
        try binds.append(hash(token), context: .default)
        return binds
    }

    public static func hash(_ token: String) -> Data { Data(SHA256.hash(data: Data(token.utf8))) }
}
