import NIOConcurrencyHelpers
import Foundation
import InboardStore
import InboardTestSupport
import Logging
import PostgresNIO
import Testing

/// The pool while PostgreSQL is away and one of its connections is still held by a caller: a new lease fails at
/// once with `DatabaseUnavailable` (a 503 for a request). It used to retry until PostgreSQL came back, holding
/// requests for as long as a restart took.
@Suite struct DatabasePoolOutageTests {
    @Test(.timeLimit(.minutes(1)))
    func aLeaseFailsAtOnceWhilePostgresIsDownEvenWithAConnectionHeld() async throws {
        let cluster = try await TemporaryPostgresCluster.create()
        defer { Task { await cluster.destroy() } }
        try await cluster.start()
        var logger = Logger(label: "test")
        logger.logLevel = .critical
        let pool = try DatabasePool(url: try cluster.url, size: 4, logger: logger)
        let running = Task { await pool.run() }
        defer {
            running.cancel()
            pool.shutDown()
        }
        for try await _ in try await pool.query("SELECT 1", logger: logger) {}
        try await pool.withConnection { held in
            try await cluster.stop()
            let started = ContinuousClock.now
            await #expect(throws: DatabaseUnavailable.self) {
                _ = try await pool.query("SELECT 1", logger: logger)
            }
            let elapsed = ContinuousClock.now - started
            #expect(elapsed < .seconds(2), "a lease waited \(elapsed) for a database that is down")
            _ = held
        }
    }
}

/// A connection that closes between two statements of a lease (PostgreSQL restarted, or ended the backend):
/// PostgresNIO 1.33 writes a statement without a promise, so one written to a connection already closed was
/// dropped and its caller waited for ever, holding its slot of the pool for good (a restart under load could
/// leave a server whose every request waited for a connection). The lease now fails with `DatabaseUnavailable`.
@Suite struct DatabasePoolClosedConnectionTests {
    static let logger: Logger = {
        var logger = Logger(label: "test")
        logger.logLevel = .critical
        return logger
    }()

    /// Ends the backend behind `connection` from another connection, and waits until the client has seen it close.
    static func endBackend(of connection: PostgresConnection, in db: TemporaryDatabase) async throws {
        try await db.execute("SELECT pg_terminate_backend(\(try await backendPID(of: connection)))")
        #expect(try await eventually(within: .seconds(5), every: .milliseconds(5)) { connection.isClosed })
        try await Task.sleep(for: .milliseconds(200))  // NIO takes the closed channel's handlers away just after
    }

    static func backendPID(of connection: PostgresConnection) async throws -> Int32 {
        var pid: Int32 = 0
        for try await value in try await connection.query("SELECT pg_backend_pid()", logger: logger).decode(
            Int32.self)
        {
            pid = value
        }
        return pid
    }

    /// The lease ended, and as "PostgreSQL is unavailable" (a 503).
    static func expectUnavailable<T>(_ result: Result<T, any Error>?, sourceLocation: SourceLocation = #_sourceLocation)
    {
        guard let result else {
            Issue.record("the lease on a closed connection never ended", sourceLocation: sourceLocation)
            return
        }
        guard case let .failure(error) = result else {
            Issue.record("a lease on a closed connection succeeded", sourceLocation: sourceLocation)
            return
        }
        #expect(
            DatabaseUnavailable.isUnavailable(error), "not a 503: \(String(reflecting: error))",
            sourceLocation: sourceLocation)
    }

    func withPool(size: Int, _ body: @escaping @Sendable (DatabasePool, TemporaryDatabase) async throws -> Void)
        async throws
    {
        try await TemporaryDatabase.with { db in
            let pool = try DatabasePool(url: db.url, size: size, logger: Self.logger)
            let running = Task { await pool.run() }
            defer {
                running.cancel()
                pool.shutDown()
            }
            try await body(pool, db)
        }
    }

    @Test func aStatementAfterTheConnectionClosedFailsAndTheSlotComesBack() async throws {
        try await withPool(size: 1) { pool, db in
            let result = await outcome(within: .seconds(10)) {
                try await pool.withConnection { connection in
                    try await Self.endBackend(of: connection, in: db)
                    try await connection.query("SELECT 1", logger: Self.logger)
                }
            }
            Self.expectUnavailable(result)
            // The pool's one slot is free again: the next lease opens a new connection.
            let next = await outcome(within: .seconds(10)) { try await pool.query("SELECT 1", logger: Self.logger) }
            #expect(next.map { (try? $0.get()) != nil } == true, "the pool's only slot was not given back")
        }
    }

    @Test func aTransactionWhoseConnectionClosedBetweenTwoStatementsFails() async throws {
        try await withPool(size: 2) { pool, db in
            let result = await outcome(within: .seconds(10)) {
                try await pool.withTransaction(logger: Self.logger) { connection in
                    try await Self.endBackend(of: connection, in: db)
                    try await connection.query("SELECT 1", logger: Self.logger)
                }
            }
            Self.expectUnavailable(result)
        }
    }

    /// The statement in flight fails at the close (its rows are being read); the lease ends as a 503.
    @Test func aTransactionWhoseBackendEndsMidStatementFailsAsUnavailable() async throws {
        try await withPool(size: 2) { pool, db in
            let result = await outcome(within: .seconds(10)) {
                try await pool.withTransaction(logger: Self.logger) { connection in
                    let pid = try await Self.backendPID(of: connection)
                    let ender = Task {
                        try await Task.sleep(for: .milliseconds(300))
                        try await db.execute("SELECT pg_terminate_backend(\(pid))")
                    }
                    defer { ender.cancel() }
                    for try await _ in try await connection.query("SELECT pg_sleep(20)", logger: Self.logger) {}
                }
            }
            Self.expectUnavailable(result)
        }
    }

    struct CallersOwnError: Error {}

    /// A body that throws after its connection closed (it was waiting on something else meanwhile) ends the lease
    /// at once with its own error: no ROLLBACK is written to the closed connection (PostgresNIO's transactions
    /// wrote one, which was never answered, so the caller waited out the watch's second and got a 503 instead).
    @Test func aTransactionWhoseBodyThrowsAfterTheCloseEndsAtOnceWithItsError() async throws {
        try await withPool(size: 2) { pool, db in
            let closedAt = NIOLockedValueBox<ContinuousClock.Instant?>(nil)
            let result = await outcome(within: .seconds(10)) {
                try await pool.withTransaction(logger: Self.logger) { connection in
                    try await Self.endBackend(of: connection, in: db)
                    closedAt.withLockedValue { $0 = .now }
                    throw CallersOwnError()
                }
            }
            let after = closedAt.withLockedValue { $0 }.map { ContinuousClock.now - $0 }
            #expect(
                result.map { if case .failure(let error) = $0 { error is CallersOwnError } else { false } } == true,
                "\(String(describing: result))")
            #expect(after.map { $0 < .milliseconds(500) } == true, "it ended \(String(describing: after)) after")
        }
    }
}
