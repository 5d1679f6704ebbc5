import Logging
import PostgresNIO

/// Creates Inboard's database and the login that owns it, from an administrator's URL, or takes an existing
/// one: what `inboard setup` does before it migrates. Looks first (`survey`), so that the review shows what will
/// happen, then changes only what is missing: a second run changes nothing.
public struct DatabaseProvisioner: Sendable {
    /// A superuser, or a login with CREATEROLE and CREATEDB.
    let admin: DatabaseURL
    /// The database and login Inboard will use.
    let target: DatabaseURL
    let logger: Logger

    public init(admin: DatabaseURL, target: DatabaseURL, logger: Logger) {
        self.admin = admin
        self.target = target
        self.logger = logger
    }

    public struct Survey: Sendable, Equatable {
        public var serverVersion: Int
        public var roleExists: Bool
        public var databaseOwner: String?
        /// Tables, views, sequences and functions in the target database (0 when it does not exist).
        public var tables: Int

        public var databaseExists: Bool { databaseOwner != nil }
    }

    /// Tables, views, sequences and functions outside PostgreSQL's own schemas: what makes a database not empty.
    static let userObjectsSQL: PostgresQuery = """
        SELECT (SELECT count(*) FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
                WHERE c.relkind IN ('r', 'p', 'v', 'm', 'S', 'f')
                  AND n.nspname NOT IN ('pg_catalog', 'information_schema') AND n.nspname NOT LIKE 'pg_toast%')
             + (SELECT count(*) FROM pg_proc p JOIN pg_namespace n ON n.oid = p.pronamespace
                WHERE n.nspname NOT IN ('pg_catalog', 'information_schema'))::int
        """

    /// What is there now, changing nothing.
    public func survey() async throws -> Survey {
        let (role, database) = (target.username, target.database)
        var survey = try await Database(url: admin, logger: logger).withConnection { connection in
            let rows = try await connection.query(
                """
                SELECT current_setting('server_version_num')::int,
                       EXISTS (SELECT 1 FROM pg_roles WHERE rolname = \(role)),
                       (SELECT pg_get_userbyid(datdba) FROM pg_database WHERE datname = \(database))
                """, logger: logger)
            for try await (version, roleExists, owner) in rows.decode((Int, Bool, String?).self) {
                return Survey(serverVersion: version, roleExists: roleExists, databaseOwner: owner, tables: 0)
            }
            throw DatabaseProvisionError.noAnswer
        }
        if survey.databaseExists {
            var inside = admin
            inside.database = database
            survey.tables = try await Database(url: inside, logger: logger).withConnection { connection in
                let rows = try await connection.query(Self.userObjectsSQL, logger: logger)
                for try await count in rows.decode(Int.self) { return count }
                return 0
            }
        }
        return survey
    }

    /// What `provision` would do to `survey`, in words; throws when it would refuse.
    public func plan(for survey: Survey) throws(DatabaseProvisionError) -> [String] {
        var steps: [String] = []
        if survey.serverVersion < 130_000 { throw .tooOld(survey.serverVersion) }
        for name in [target.username, target.database] where name.utf8.count > 63 {
            throw .nameTooLong(name)
        }
        if !survey.roleExists, let password = target.password, let problem = ScramVerifier.problem(with: password) {
            throw .unusablePassword(problem)
        }
        steps.append(
            survey.roleExists
                ? "login \(target.username) exists: kept as it is"
                : "create login \(target.username)\(target.password == nil ? " without a password (pg_hba.conf must admit it)" : "")"
        )
        switch survey.databaseOwner {
        case nil:
            steps.append("create database \(target.database) owned by \(target.username) (UTF8)")
        case target.username?:
            steps.append("database \(target.database) exists and is owned by \(target.username): kept")
        case let owner? where survey.tables == 0:
            steps.append("database \(target.database) exists, empty, owned by \(owner): give it to \(target.username)")
        case let owner?:
            throw .occupied(database: target.database, owner: owner, tables: survey.tables, login: target.username)
        }
        return steps
    }

    /// Creates what is missing; returns what it did (empty when everything was there).
    @discardableResult
    public func provision() async throws -> [String] {
        let survey = try await survey()
        _ = try plan(for: survey)
        let (role, database, password) = (target.username, target.database, target.password)
        return try await Database(url: admin, logger: logger).withConnection { connection in
            var done: [String] = []
            // Identifiers and the password are quoted by PostgreSQL itself (format's %I and %L), never pasted.
            func run(_ template: String, _ values: [String]) async throws {
                var bindings = PostgresBindings()
                for value in values { bindings.append(value) }
                let placeholders = values.indices.map { "$\($0 + 1)" }.joined(separator: ", ")
                let rows = try await connection.query(
                    PostgresQuery(unsafeSQL: "SELECT format('\(template)', \(placeholders))", binds: bindings),
                    logger: logger)
                var statements: [String] = []
                for try await statement in rows.decode(String.self) { statements.append(statement) }
                for statement in statements {
                    try await connection.query(PostgresQuery(unsafeSQL: statement), logger: logger)
                }
            }
            if !survey.roleExists {
                if let password {
                    // The verifier, never the password: nothing a statement log records could sign in.
                    try await run("CREATE ROLE %I LOGIN PASSWORD %L", [role, ScramVerifier.make(password: password)])
                } else {
                    try await run("CREATE ROLE %I LOGIN", [role])
                }
                done.append("created login \(role)")
                // An administrator who is not a superuser may give a database only to a role it belongs to.
                let superuser = try await connection.query(
                    "SELECT rolsuper FROM pg_roles WHERE rolname = current_user", logger: logger)
                var isSuperuser = false
                for try await value in superuser.decode(Bool.self) { isSuperuser = value }
                if !isSuperuser { try await run("GRANT %I TO CURRENT_USER", [role]) }
            }
            switch survey.databaseOwner {
            case nil:
                try await run("CREATE DATABASE %I OWNER %I ENCODING ''UTF8'' TEMPLATE template0", [database, role])
                done.append("created database \(database) owned by \(role)")
            case let owner? where owner != role:
                try await run("ALTER DATABASE %I OWNER TO %I", [database, role])
                done.append("gave the empty database \(database) to \(role)")
            default: break
            }
            return done
        }
    }
}

public enum DatabaseProvisionError: Error, CustomStringConvertible, Equatable {
    case noAnswer
    case tooOld(Int)
    case occupied(database: String, owner: String, tables: Int, login: String)
    case nameTooLong(String)
    case unusablePassword(String)

    public var description: String {
        switch self {
        case .noAnswer: return "PostgreSQL did not answer the survey query"
        case let .tooOld(version):
            return "PostgreSQL \(version / 10000) is too old: Inboard needs 13 or newer (15 is tested)"
        case let .unusablePassword(problem): return "the database password in the URL \(problem)"
        case let .nameTooLong(name):
            return "'\(name)' is longer than PostgreSQL's 63 bytes for a name: choose a shorter one"
        case let .occupied(database, owner, tables, login):
            return
                "database \(database) exists, is owned by \(owner) and holds \(tables) tables, views or functions: choose another "
                + "database name, or make \(login) its owner if it is Inboard's; nothing was changed"
        }
    }
}
