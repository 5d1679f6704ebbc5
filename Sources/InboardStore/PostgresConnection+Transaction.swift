import Logging
import PostgresNIO

extension PostgresConnection {
    /// Throws `DatabaseUnavailable` if the connection has closed: a statement written to it now would never be
    /// answered (see `WatchedConnection`), so one sent after a long wait checks first.
    public func ensureOpen() throws {
        if isClosed { throw DatabaseUnavailable(reason: "the connection to PostgreSQL closed") }
    }

    /// Runs `body` in a transaction opened with `begin`, and commits it when `body` returns a value `commitIf`
    /// accepts; rolls it back otherwise, and when `body` throws (its error comes out as itself). The one home of
    /// Inboard's transactions: nothing is sent to a connection that has closed (PostgreSQL rolled its transaction
    /// back, and a statement written to it would never be answered), so `body` may wait long (on the directory, on
    /// pg_dump) and the caller still hears at once; a ROLLBACK the server refuses closes the connection, which must
    /// not be used again in a transaction still open.
    public func inTransaction<Value: Sendable>(
        _ begin: PostgresQuery = "BEGIN", logger: Logger, commitIf shouldCommit: (Value) -> Bool = { _ in true },
        _ body: () async throws -> Value
    ) async throws -> Value {
        try ensureOpen()
        try await query(begin, logger: logger)
        let value: Value
        do {
            value = try await body()
            try ensureOpen()
        } catch {
            await rollBack(logger: logger)
            throw error
        }
        if shouldCommit(value) {
            try await query("COMMIT", logger: logger)
        } else {
            do { try await query("ROLLBACK", logger: logger) } catch {
                try? await close()
                throw error
            }
        }
        return value
    }

    private func rollBack(logger: Logger) async {
        guard !isClosed else { return }
        do {
            try await query("ROLLBACK", logger: logger)
        } catch {
            logger.warning(
                "a transaction could not be rolled back; its connection is closed",
                metadata: ["error": "\(DatabaseError.logDetail(error))"])
            try? await close()
        }
    }
}
