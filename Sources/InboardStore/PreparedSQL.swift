import Logging
import PostgresNIO

/// SQL that PostgreSQL parses and plans once per pooled connection instead of on every call: for the
/// statements every request runs (the session lookup, a status change, the steps of a login).
public protocol PreparedSQL {
    static var sql: String { get }
    /// Whether its caller answers only once it has committed (`DatabasePool.confirmCommit`). By default, when it may
    /// write (`StatementEffect`); a statement whose answer promises nothing durable may say false.
    static var answeredAfterCommit: Bool { get }
}

extension PreparedSQL {
    public static var answeredAfterCommit: Bool { StatementEffect.mayWrite(sql) }
}

/// The PostgresNIO prepared statement for one `PreparedSQL`; rows come back undecoded.
struct Prepared<SQL: PreparedSQL>: PostgresPreparedStatement {
    static var name: String { "inboard." + String(describing: SQL.self) }
    static var sql: String { SQL.sql }
    let bindings: PostgresBindings

    func makeBindings() -> PostgresBindings { bindings }
    func decodeRow(_ row: PostgresRow) -> PostgresRow { row }
}

extension DatabasePool {
    /// Runs `sql` as a prepared statement on a pooled connection.
    func query<SQL: PreparedSQL>(prepared sql: SQL.Type, _ bindings: PostgresBindings, logger: Logger)
        async throws -> DatabaseRows
    {
        try await execute(Prepared<SQL>(bindings: bindings), confirmingCommit: SQL.answeredAfterCommit, logger: logger)
    }
}
