import Foundation
import InboardStore
import Logging
import PostgresNIO

/// `pool-query`: `count` one-row statements (`SELECT 1`, read in full) by `concurrency` tasks, either through
/// `DatabasePool` (a lease each, watched against its connection closing: `WatchedConnection`) or, the baseline,
/// on `concurrency` PostgresConnections of their own with nothing around them. The difference is what a lease
/// costs.
enum PoolQueries {
    static func run(url: DatabaseURL, count: Int, concurrency: Int, throughPool: Bool) async throws -> (
        wall: Duration, cpu: Duration
    ) {
        let logger = {
            var logger = Logger(label: "bench")
            logger.logLevel = .error
            return logger
        }()
        if throughPool {
            let pool = try DatabasePool(url: url, size: concurrency, logger: logger)
            let running = Task { await pool.run() }
            defer {
                pool.shutDown()
                running.cancel()
            }
            return try await measure(count: count, concurrency: concurrency) { _ in
                _ = try await pool.query("SELECT 1", logger: logger).rows.count
            }
        }
        var connections: [PostgresConnection] = []
        for id in 0..<concurrency {
            connections.append(
                try await PostgresConnection.connect(
                    configuration: try url.connectionConfiguration(), id: id, logger: logger))
        }
        defer { for connection in connections { connection.close().whenComplete { _ in } } }
        let opened = connections
        return try await measure(count: count, concurrency: concurrency) { worker in
            var rows: [PostgresRow] = []
            for try await row in try await opened[worker].query("SELECT 1", logger: logger) { rows.append(row) }
        }
    }

    /// Warms every worker once, then times `count` calls shared among `concurrency` workers: the wall-clock time,
    /// and this process's CPU time (steadier on a shared machine than the wall clock).
    private static func measure(
        count: Int, concurrency: Int, _ call: @escaping @Sendable (Int) async throws -> Void
    ) async throws -> (wall: Duration, cpu: Duration) {
        try await everyWorker(concurrency, calls: 1, call)
        let cpuBefore = processCPUTime()
        let wall = try await ContinuousClock().measure {
            try await everyWorker(concurrency, calls: count / concurrency, call)
        }
        return (wall, processCPUTime() - cpuBefore)
    }

    private static func processCPUTime() -> Duration {
        var usage = rusage()
        getrusage(RUSAGE_SELF.rawValue, &usage)
        func duration(_ time: timeval) -> Duration { .seconds(time.tv_sec) + .microseconds(time.tv_usec) }
        return duration(usage.ru_utime) + duration(usage.ru_stime)
    }

    private static func everyWorker(
        _ concurrency: Int, calls: Int, _ call: @escaping @Sendable (Int) async throws -> Void
    ) async throws {
        try await withThrowingTaskGroup(of: Void.self) { group in
            for worker in 0..<concurrency {
                group.addTask { for _ in 0..<calls { try await call(worker) } }
            }
            try await group.waitForAll()
        }
    }
}
