import Logging
import PostgresNIO

/// Reads people for logins and sessions, and keeps the local admin accounts.
public struct PeopleStore: Sendable {
    let database: DatabasePool
    let logger: Logger

    public init(database: DatabasePool, logger: Logger) {
        self.database = database
        self.logger = logger
    }

    static let columns = """
        id, username, display_name, email, COALESCE(mapped_department, department), COALESCE(role_override, role), active, source, directory_id
        """

    public func person(id: Int64) async throws -> Person? {
        try await first(
            PostgresQuery(unsafeSQL: "SELECT \(Self.columns) FROM people WHERE id = $1", binds: Self.bind(id)))
    }

    public func person(directoryID: String) async throws -> Person? {
        for try await row in try await database.query(
            prepared: ByDirectoryIDSQL.self, Self.bind(directoryID), logger: logger)
        {
            return try Self.decode(row)
        }
        return nil
    }

    /// A local account and its bcrypt hash, looked up case-insensitively.
    public func localAccount(username: String) async throws -> (person: Person, passwordHash: String)? {
        for try await row in try await database.query(
            prepared: LocalAccountSQL.self, Self.bind(username), logger: logger)
        {
            let columns = row.makeRandomAccess()
            return (try Self.decode(row), try columns[9].decode(String?.self) ?? "")
        }
        return nil
    }

    enum ByDirectoryIDSQL: PreparedSQL {
        static let sql = "SELECT \(columns) FROM people WHERE directory_id = $1"
    }

    enum LocalAccountSQL: PreparedSQL {
        static let sql =
            "SELECT \(columns), password_hash FROM people WHERE source = 'local' AND lower(username) = lower($1)"
    }

    /// Creates the local admin account, or, when it exists, sets its password and makes it an active admin again
    /// (what the command is asked for), ending every session it had: whoever held the old password keeps none.
    /// Returns whether it was created.
    public func upsertLocalAdmin(username: String, passwordHash: String, by actor: String = "command line")
        async throws -> Bool
    {
        let (id, created) = try await database.withTransaction(logger: logger) { connection -> (Int64, Bool) in
            let rows = try await connection.query(
                """
                INSERT INTO people (username, display_name, source, role, password_hash, active)
                VALUES (\(username), \(username), 'local', 'admin', \(passwordHash), TRUE)
                ON CONFLICT ((lower(username))) DO UPDATE SET password_hash = EXCLUDED.password_hash, role = 'admin',
                    active = TRUE, disabled_reason = NULL, disabled_at = NULL, updated_at = now()
                WHERE people.source = 'local'
                RETURNING id, (xmax = 0) AS created
                """, logger: logger)
            var upserted: (Int64, Bool)?
            for try await row in rows.decode((Int64, Bool).self) { upserted = row }
            guard let (id, created) = upserted else { throw PeopleStoreError.usernameTakenByDirectory(username) }
            if !created {
                try await SessionStore.endAll(of: id, on: connection, logger: logger)
                try await AuditLog.record(
                    AuditEntry(actor: actor, action: "admin.password.set", target: String(id)), on: connection,
                    logger: logger)
            }
            return (id, created)
        }
        if !created { database.identityChanges.signal(person: id) }  // this process's session cache, if any
        return created
    }

    func first(_ query: PostgresQuery) async throws -> Person? {
        for try await row in try await database.query(query, logger: logger) { return try Self.decode(row) }
        return nil
    }

    /// A person from the first nine columns (`columns`), starting at `offset`.
    static func decode(_ row: PostgresRow, offset: Int = 0) throws -> Person {
        let c = row.makeRandomAccess()
        return Person(
            id: try c[offset].decode(Int64.self), username: try c[offset + 1].decode(String.self),
            displayName: try c[offset + 2].decode(String.self), email: try c[offset + 3].decode(String?.self),
            department: try c[offset + 4].decode(String?.self),
            role: Person.Role(rawValue: try c[offset + 5].decode(String.self)) ?? .user,
            active: try c[offset + 6].decode(Bool.self),
            source: try c[offset + 7].decode(String.self), directoryID: try c[offset + 8].decode(String?.self))
    }

    static func bind(_ value: some PostgresNonThrowingEncodable) -> PostgresBindings {
        var binds = PostgresBindings()
        binds.append(value)
        return binds
    }
}

public enum PeopleStoreError: Error, CustomStringConvertible {
    case usernameTakenByDirectory(String)

    public var description: String {
        switch self {
        case let .usernameTakenByDirectory(name):
            return
                "'\(name)' is the username of a person synced from the directory; choose another name for the local admin account"
        }
    }
}

extension PeopleStore {
    /// A person's contact details that are set, labelled for a card: email, phones, office, title.
    public func contact(id: Int64) async throws -> [(label: String, value: String)] {
        let rows = try await database.query(
            "SELECT title, email, phone, mobile, office FROM people WHERE id = \(id)", logger: logger)
        for try await (title, email, phone, mobile, office) in rows.decode(
            (String?, String?, String?, String?, String?).self)
        {
            return [("Title", title), ("Email", email), ("Phone", phone), ("Mobile", mobile), ("Office", office)]
                .compactMap { label, value in value.flatMap { $0.isEmpty ? nil : (label, $0) } }
        }
        return []
    }
}
