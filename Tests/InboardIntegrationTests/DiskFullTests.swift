import Foundation
import InboardTestSupport
import Testing

/// The database's disk, full.
struct DiskFullTests {
    typealias WriteLog = DatabaseOutageTests.WriteLog
    typealias LoadDeadline = DatabaseOutageTests.LoadDeadline

    static var runsAsRoot: Bool { getuid() == 0 }

    /// The database's disk fills up under write load (a 128 MB disk of its own, filled to the last byte): writes
    /// fail with a clear 503 and lose nothing acknowledged, the server stays up, and once the space is back writes
    /// resume without restarting it; the tables and indexes are checked with pg_amcheck afterwards. If the full
    /// disk stopped PostgreSQL itself (its write-ahead log could not grow), the test starts it as an administrator
    /// would, and says so.
    @Test(.timeLimit(.minutes(4)), .enabled(if: runsAsRoot, "mounting a disk of its own needs root"))
    func aFullDiskRefusesWritesClearlyLosesNothingAndRecovers() async throws {
        try await ServerOnOwnCluster.with(admins: 4, diskMegabytes: 128) { setup in
            let tokens = try await setup.startSignedIn(admins: 4)

            let log = WriteLog()
            let stop = LoadDeadline(Date().addingTimeInterval(150))
            async let load: Void = DatabaseOutageTests.writeLoad(
                setup, tokens: tokens, until: stop, log: log, pause: .milliseconds(20))
            try await Task.sleep(for: .seconds(2))
            let filled = try setup.cluster.fillDisk()
            let fullAt = Date()
            // Full until writes have been failing for a while (the first failures come when a table or the log
            // next needs a page), or 60 s.
            while Date().timeIntervalSince(fullAt) < 60 {
                try await Task.sleep(for: .milliseconds(250))
                if let first = await log.failureTimes.first, Date().timeIntervalSince(first) > 5 { break }
            }
            let board = await setup.send("GET", "/api/v1/people?limit=100", token: tokens[0])
            let failedWhileFull = await log.failures.values.reduce(0, +)
            try setup.cluster.freeDisk()
            let freed = Date()
            let postgresStopped = !(await setup.cluster.isRunning())
            if postgresStopped { try await setup.cluster.start() }
            stop.set(Date().addingTimeInterval(6))
            await load

            #expect(board.status == 200, "the board could not be read while the disk was full: \(board)")
            #expect(failedWhileFull > 0, "no write failed on a full disk (\(filled) bytes filled)")
            #expect(
                setup.serverIsAlive,
                "the server died when the disk filled: \(DatabaseOutageTests.crashReport(setup.serverLog))")
            let kinds = await log.failureKinds
            #expect(
                kinds.keys.allSatisfy { $0 == "503 database_full" || $0 == "503 database_unavailable" },
                "answers other than a clear 503 while the disk was full: \(kinds)")
            let slowest = await log.slowestFailure
            #expect(slowest < 10, "a write hung \(slowest) s on a full disk")
            let recovered = await log.firstSuccess(after: freed)
            #expect(recovered != nil, "no write succeeded after the space came back")

            let acknowledged = await log.acknowledged
            let stored = Set(
                try await setup.query("SELECT note FROM status_history WHERE note IS NOT NULL", as: String.self))
            let lost = acknowledged.filter { !stored.contains($0) }
            #expect(lost.isEmpty, "acknowledged but not stored: \(lost.prefix(10))")
            let corruption = try await setup.cluster.corruption()
            #expect(corruption == nil, "\(corruption ?? "")")
            print(
                "disk-full drill: \(filled / 1_048_576) MB filled; \(failedWhileFull) writes refused while full \(kinds); board read while full: \(board.status); PostgreSQL \(postgresStopped ? "stopped and was started again" : "stayed up"); first write after the space came back \(recovered.map { String(format: "%.2f s", $0.timeIntervalSince(freed)) } ?? "never"); \(acknowledged.count) writes acknowledged, \(lost.count) lost; pg_amcheck \(corruption == nil ? "clean" : "found damage")"
            )
        }
    }
}
