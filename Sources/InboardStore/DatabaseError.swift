import NIOCore
import PostgresNIO

/// A database failure described for an operator: what went wrong and what to do, never the query's data.
public struct DatabaseError: Error, CustomStringConvertible {
    public let message: String
    public let sqlState: String?

    public init(_ message: String, sqlState: String? = nil) {
        self.message = message
        self.sqlState = sqlState
    }

    public var description: String { message }

    /// PostgreSQL could not be reached or is not accepting connections yet (starting up, shutting down):
    /// worth waiting for, unlike a refused login or a missing database.
    public var isUnreachable: Bool {
        guard let sqlState else { return message.hasPrefix("cannot reach PostgreSQL") }
        return Self.meansUnreachable(sqlState: sqlState)
    }

    /// The SQLSTATEs of a server that cannot take work now: connection failures (08xxx), shutting down or
    /// starting up (57P01–57P03), too many connections (53300). The pool and the start-up wait share it.
    static func meansUnreachable(sqlState: String) -> Bool {
        sqlState.hasPrefix("08") || ["57P01", "57P02", "57P03", "53300"].contains(sqlState)
    }

    /// Turns PostgresNIO's deliberately vague errors into a clear one-line message.
    public static func describing(_ error: any Error, url: DatabaseURL) -> DatabaseError {
        if let error = error as? DatabaseError { return error }
        if let error = error as? DatabaseUnavailable { return DatabaseError(error.reason, sqlState: "08000") }
        if let psql = error as? PSQLError {
            if let server = psql.serverInfo, let message = server[.message] {
                let state = server[.sqlState]
                return DatabaseError(Self.explain(serverMessage: message, sqlState: state, url: url), sqlState: state)
            }
            if psql.code == .connectionError || psql.code == .serverClosedConnection || psql.code == .uncleanShutdown {
                let cause = psql.underlying.map(Self.networkReason) ?? "the connection failed"
                return DatabaseError(
                    "cannot reach PostgreSQL at \(url.host):\(url.port) (\(cause)): is it running? Check \(url.setting)"
                )
            }
            return DatabaseError("PostgreSQL error (\(psql.code)) talking to \(url.host):\(url.port)")
        }
        if error is ChannelError || error is IOError || error is NIOConnectionError {
            return DatabaseError(
                "cannot reach PostgreSQL at \(url.host):\(url.port) (\(Self.networkReason(error))): is it running? Check \(url.setting)"
            )
        }
        return DatabaseError("database error: \(error)")
    }

    private static func explain(serverMessage: String, sqlState: String?, url: DatabaseURL) -> String {
        switch sqlState {
        case "3D000":
            return
                "\(serverMessage) on \(url.host):\(url.port): create it, or fix the database name in \(url.setting)"
        case "28P01", "28000": return "\(serverMessage): fix the user or password in \(url.setting)"
        default: return "PostgreSQL: \(serverMessage)"
        }
    }

    private static func networkReason(_ error: any Error) -> String {
        if let io = error as? IOError {
            switch io.errnoCode {
            case ECONNREFUSED: return "connection refused"
            case ETIMEDOUT: return "timed out"
            case EHOSTUNREACH, ENETUNREACH: return "host unreachable"
            default: return io.description
            }
        }
        if let connect = error as? NIOConnectionError {
            return connect.connectionErrors.first.map { networkReason($0.error) } ?? "could not connect"
        }
        if case ChannelError.connectTimeout = error { return "connect timed out" }
        return "\(error)"
    }
}

extension DatabaseError {
    /// What the log should say about a failed database call: PostgreSQL's own message (its errors hide it from
    /// their descriptions on purpose); for PostgresNIO's own errors, their code and cause; else the error's type.
    /// Never the query or its values.
    public static func logDetail(_ error: any Error) -> String {
        if let unavailable = error as? DatabaseUnavailable { return unavailable.reason }
        guard let psql = error as? PSQLError else { return String(reflecting: type(of: error)) }
        if let message = psql.serverInfo?[.message] { return message }
        // No server message: the client-side code (and what caused it) is what tells one failure from another.
        if DatabaseUnavailable.mayBeAProtocolFault(psql) {
            return "PostgreSQL sent a message PostgresNIO did not expect at that point, and the connection was closed"
                + " (PSQLError unexpectedBackendMessage: usually a backend ended between a statement and its"
                + " ReadyForQuery; if it recurs while PostgreSQL is up, a protocol fault between the two)"
        }
        let cause = psql.underlying.map { " caused by \(String(reflecting: type(of: $0))): \($0)" } ?? ""
        return "PostgresNIO.PSQLError \(psql.code)\(cause)"
    }

    /// The SQLSTATE PostgreSQL gave for `error`; nil for other errors.
    public static func sqlState(of error: any Error) -> String? {
        if let described = error as? DatabaseError { return described.sqlState }
        return (error as? PSQLError)?.serverInfo?[.sqlState]
    }

    /// A unique index refused the row (SQLSTATE 23505).
    public static func isUniqueViolation(_ error: any Error) -> Bool { sqlState(of: error) == "23505" }

    /// A value does not fit its column (SQLSTATE 22003, a number out of range; 22001, a text too long).
    public static func isOutOfRange(_ error: any Error) -> Bool { ["22003", "22001"].contains(sqlState(of: error)) }

    /// A foreign key refused the row: it names a row that does not exist (SQLSTATE 23503).
    public static func isForeignKeyViolation(_ error: any Error) -> Bool { sqlState(of: error) == "23503" }

    /// PostgreSQL refused to write because its disk is full (SQLSTATE 53100): nothing of the change was kept, and
    /// retrying helps only once an administrator frees space. (A full disk under the write-ahead log instead
    /// stops the server: that is `DatabaseUnavailable.isUnavailable`.)
    public static func isOutOfDiskSpace(_ error: any Error) -> Bool { sqlState(of: error) == "53100" }
}
