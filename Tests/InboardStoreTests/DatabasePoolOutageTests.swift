import Foundation
import InboardStore
import InboardTestSupport
import Logging
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
