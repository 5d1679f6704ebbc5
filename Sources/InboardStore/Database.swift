import Logging
import NIOPosix
import PostgresNIO

/// Opens connections and pools for a `DatabaseURL`, turning every failure into a `DatabaseError`.
public struct Database: Sendable {
    public let url: DatabaseURL
    public let logger: Logger

    public init(url: DatabaseURL, logger: Logger) {
        self.url = url
        self.logger = logger
    }

    /// One dedicated connection for the duration of `body` (migrations, setup): no pool needed. A connection that
    /// closes under `body` fails it with `DatabaseUnavailable` (`WatchedConnection`).
    public func withConnection<Result: Sendable>(
        _ body: sending @escaping (PostgresConnection) async throws -> Result
    ) async throws -> Result {
        let connection: PostgresConnection
        do {
            connection = try await PostgresConnection.connect(
                on: MultiThreadedEventLoopGroup.singleton.any(),
                configuration: try url.connectionConfiguration(), id: 1, logger: logger)
        } catch is CancellationError {
            throw CancellationError()  // the caller gave up: says nothing about PostgreSQL
        } catch {
            throw DatabaseError.describing(error, url: url)
        }
        do {
            let result = try await WatchedConnection(connection, logger: logger).run(body)
            try? await connection.close()
            return result
        } catch let error as PSQLError {
            try? await connection.close()
            throw DatabaseError.describing(error, url: url)
        } catch {
            // The caller's own errors (migrations, syncs) already say what went wrong.
            try? await connection.close()
            throw error
        }
    }

    /// A pool of at most `size` connections, opened on demand; run it as a service (`pool.run()`).
    public func makePool(size: Int = 10, acquireTimeout: Duration = DatabasePool.defaultAcquireTimeout) throws
        -> DatabasePool
    {
        try DatabasePool(url: url, size: size, logger: logger, acquireTimeout: acquireTimeout)
    }
}
