import Foundation
import InboardServer
import InboardStore
import InboardTestSupport
import Logging
import Synchronization
import Testing

/// Maintenance jobs on the real PostgreSQL: two "servers" (runners with different names) offer the same jobs,
/// and exactly one runs each at a time; failures and stale claims are recorded; the Jobs page and API are
/// for admins only.
@Suite struct JobRunnerTests {
    /// How many runs of a job are in progress now, the most ever at once, and how many there were.
    final class Tally: Sendable {
        private let state = Mutex((now: 0, most: 0, runs: 0))
        func enter() {
            state.withLock {
                $0.now += 1; $0.most = max($0.most, $0.now); $0.runs += 1
            }
        }
        func leave() { state.withLock { $0.now -= 1 } }
        /// At least `runs` runs, none in progress: a stop now cancels none (a run takes 300 ms of each second).
        func between(runs: Int) -> Bool { state.withLock { $0.runs >= runs && $0.now == 0 } }
        var most: Int { state.withLock { $0.most } }
        var runs: Int { state.withLock { $0.runs } }
    }

    static func countingJob(_ tally: Tally, every: Duration = .seconds(1)) -> MaintenanceJob {
        MaintenanceJob(name: "counting", every: every, staleAfter: .seconds(60)) {
            tally.enter()
            defer { tally.leave() }
            try await Task.sleep(for: .milliseconds(300))
            return "counted"
        }
    }

    /// A job store on a migrated database of the test's own, its pool running for `body`.
    static func withJobStore(_ body: (JobStore) async throws -> Void) async throws {
        try await TemporaryDatabase.with { db in
            _ = try await SeededPeople.seed(db)
            let pool = try db.database.makePool()
            async let running: Void = pool.run()
            do { try await body(JobStore(database: pool, logger: Logger(label: "test"))) } catch {
                pool.shutDown()
                _ = await running
                throw error
            }
            pool.shutDown()
            _ = await running
        }
    }

    @Test func twoServersRunEachJobOnceAtATime() async throws {
        try await Self.withJobStore { store in
            let tally = Tally()
            let schema = try MigrationCatalog.embedded().latestVersion
            let runners = ["server-a", "server-b"].map {
                JobRunner(
                    jobs: [Self.countingJob(tally)], store: store, logger: Logger(label: "test"), server: $0,
                    poll: .milliseconds(50), schemaVersion: schema)
            }
            let started = Date()
            try await withThrowingTaskGroup(of: Void.self) { group in
                for runner in runners { group.addTask { try await runner.run() } }
                // Stopped between runs, however slow the machine: a run cut short records no success.
                let ran = try await eventually(within: .seconds(60), every: .milliseconds(10)) {
                    tally.between(runs: 3)
                }
                group.cancelAll()
                #expect(ran, "\(tally.runs) runs in a minute")
            }
            let elapsed = Date().timeIntervalSince(started)
            #expect(tally.most == 1, "a job ran on two servers at once")
            // Due every second: about one run per second between the two of them, never one each.
            #expect(tally.runs >= 3 && Double(tally.runs) <= elapsed + 1, "\(tally.runs) runs in \(elapsed) s")
            let record = try #require(try await store.all().first { $0.name == "counting" })
            #expect(record.runs == Int64(tally.runs) && record.lastResult == "succeeded" && record.runningOn == nil)
            #expect(["server-a", "server-b"].contains(record.lastServer ?? ""))
        }
    }

    /// A rolling upgrade: one server migrated the schema and others still run the old version. Only servers of
    /// the database's schema run jobs; the old ones leave them (their SQL was written for the schema before).
    @Test func aServerLeftOnTheOldSchemaRunsNoJob() async throws {
        try await Self.withJobStore { store in
            let current = try MigrationCatalog.embedded().latestVersion
            let ran = Mutex<Set<String>>([])
            let runners = [("old", current - 1), ("new", current)].map { server, schema in
                JobRunner(
                    jobs: [
                        MaintenanceJob(name: "upgrade-safe", every: .seconds(1)) {
                            ran.withLock { _ = $0.insert(server) }
                            return "ran on \(server)"
                        }
                    ], store: store, logger: Logger(label: "test"), server: server, poll: .milliseconds(50),
                    schemaVersion: schema)
            }
            try await withThrowingTaskGroup(of: Void.self) { group in
                for runner in runners { group.addTask { try await runner.run() } }
                _ = try await eventually(within: .seconds(60)) {
                    try await store.all().first { $0.name == "upgrade-safe" }?.runs ?? 0 >= 2
                }
                group.cancelAll()
            }
            #expect(ran.withLock { $0 } == ["new"], "ran on \(ran.withLock { $0 })")
            let record = try #require(try await store.all().first { $0.name == "upgrade-safe" })
            #expect(record.runs >= 2 && record.lastServer == "new", "\(record)")
            try await store.register(name: "due", every: .seconds(60), staleAfter: .seconds(60))
            #expect(
                try await store.claim(name: "due", server: "old", schemaVersion: current - 1)
                    == .schemaDiffers(databaseVersion: current))
            #expect(try await store.claim(name: "due", server: "new", schemaVersion: current) == .claimed)
        }
    }

    @Test func aFailureIsRecordedAndAStaleClaimIsTakenOver() async throws {
        try await Self.withJobStore { store in
            struct Broken: Error, CustomStringConvertible { var description: String { "the disk is on fire" } }
            let failing = MaintenanceJob(name: "failing", every: .seconds(60)) { throw Broken() }
            let runner = JobRunner(
                jobs: [failing], store: store, logger: Logger(label: "test"), server: "a", poll: .milliseconds(50),
                schemaVersion: nil)
            try await withThrowingTaskGroup(of: Void.self) { group in
                group.addTask { try await runner.run() }
                _ = try await eventually(within: .seconds(60), every: .milliseconds(20)) {
                    try await store.all().first { $0.name == "failing" }?.runs == 1
                }
                group.cancelAll()
            }
            let failed = try #require(try await store.all().first { $0.name == "failing" })
            #expect(failed.lastResult == "failed" && failed.lastDetail == "the disk is on fire", "\(failed)")
            #expect(failed.runningOn == nil, "a failed run kept its claim")
            // A server that claimed a job and died: others wait until the claim is stale, then take it.
            try await store.register(name: "orphan", every: .seconds(1), staleAfter: .seconds(1))
            #expect(try await store.claim(name: "orphan", server: "dead") == .claimed)
            try await Task.sleep(for: .milliseconds(1100))
            #expect(
                try await store.claim(name: "orphan", server: "alive") == .claimed, "a stale claim was not taken over")
        }
    }

    @Test func theJobsPageAndAPIAreForAdminsOnly() async throws {
        try await withPeople { api, _, _, _ in
            let (annToken, rootToken) = (try await api.login("ann"), try await api.login("root"))
            // The server's own runner registers and runs the built-in jobs as it starts.
            var names: [String] = []
            for _ in 0..<100 where !names.contains("status-expiry") {
                let jobs =
                    try await api.object(.get, "/api/v1/admin/jobs", token: rootToken)["jobs"] as? [[String: Any]]
                names = (jobs ?? []).compactMap { $0["name"] as? String }
                try await Task.sleep(for: .milliseconds(50))
            }
            #expect(names.contains("status-expiry") && names.contains("housekeeping"), "\(names)")
            let (code, page) = try await api.send(.get, "/admin/jobs", token: rootToken)
            #expect(code == 200 && String(decoding: page, as: UTF8.self).contains("status-expiry"))
            #expect(try await api.send(.get, "/api/v1/admin/jobs", token: annToken).0 == 403)
            #expect(try await api.send(.get, "/admin/jobs", token: annToken).0 == 403)
            #expect(try await api.send(.get, "/api/v1/admin/jobs").0 == 401)
        }
    }
}
