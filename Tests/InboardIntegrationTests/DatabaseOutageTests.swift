import Foundation
import InboardStore
import InboardTestSupport
import Synchronization
import Testing

/// The server (the real binary) while its PostgreSQL restarts, stops for a while, or is not up yet at start.
struct DatabaseOutageTests {
    /// Writers: each changes its own admin's status in a loop and remembers which notes were acknowledged.
    actor WriteLog {
        var acknowledged: [String] = []
        var failures: [Int: Int] = [:]
        /// Failures by status and the API's error code ("503 database_full").
        var failureKinds: [String: Int] = [:]
        var successTimes: [Date] = []
        var failureTimes: [Date] = []
        var slowestFailure: TimeInterval = 0
        func record(note: String, status: Int, started: Date, body: String = "") {
            if status == 200 {
                acknowledged.append(note)
                successTimes.append(Date())
            } else {
                failures[status, default: 0] += 1
                let code = (try? JSONDecoder().decode(APIErrorBody.self, from: Data(body.utf8)))?.error.code
                failureKinds["\(status) \(code ?? "-")", default: 0] += 1
                failureTimes.append(Date())
                slowestFailure = max(slowestFailure, Date().timeIntervalSince(started))
            }
        }
        struct APIErrorBody: Decodable {
            struct Detail: Decodable { let code: String }
            let error: Detail
        }
        func firstSuccess(after instant: Date) -> Date? { successTimes.filter { $0 >= instant }.min() }
    }

    /// When the writers stop; a test may move it once it knows when the interesting part ended.
    final class LoadDeadline: Sendable {
        private let value: Mutex<Date>
        init(_ date: Date) { value = Mutex(date) }
        var date: Date { value.withLock { $0 } }
        func set(_ date: Date) { value.withLock { $0 = date } }
    }

    /// A dead server's log from its first fatal line on (the tail alone is register dumps), or its tail.
    static func crashReport(_ log: String) -> String {
        guard let start = log.range(of: "Fatal error") ?? log.range(of: "crashed") else {
            return String(log.suffix(2000))
        }
        return String(log[start.lowerBound...].prefix(6000))
    }

    static func writeLoad(
        _ setup: ServerOnOwnCluster, tokens: [String], until stop: LoadDeadline, log: WriteLog, pause: Duration = .zero
    ) async {
        await withTaskGroup(of: Void.self) { group in
            for (writer, token) in tokens.enumerated() {
                group.addTask {
                    var count = 0
                    while Date() < stop.date {
                        count += 1
                        let note = "w\(writer)-\(count)"
                        let started = Date()
                        let (status, body) = await setup.send(
                            "PUT", "/api/v1/me/status", json: #"{"type":"in","note":"\#(note)"}"#, token: token)
                        await log.record(note: note, status: status, started: started, body: body)
                        if pause > .zero { try? await Task.sleep(for: pause) }
                    }
                }
            }
        }
    }

    @Test(.timeLimit(.minutes(3)))
    func restartUnderWriteLoadWithAnSSEClient() async throws {
        try await ServerOnOwnCluster.with(admins: 4) { setup in
            let tokens = try await setup.startSignedIn(admins: 4)
            let firstEvent =
                try await setup.query("SELECT COALESCE(max(id), 0)::bigint FROM events", as: Int64.self).first ?? 0

            // An SSE client for the whole run (curl, as a browser would keep it open), subscribed before any write.
            let stream = try EventStreamReader(port: setup.port, token: tokens[0])
            #expect(try await stream.connected(), "the stream did not open")
            let log = WriteLog()
            // The writers go on until 4 s after PostgreSQL is back, however long its restart takes.
            let stop = LoadDeadline(Date().addingTimeInterval(40))
            async let load: Void = Self.writeLoad(
                setup, tokens: tokens, until: stop, log: log, pause: .milliseconds(10))
            try await Task.sleep(for: .seconds(3))
            try await setup.cluster.restart()
            let acceptingAgain = Date()
            stop.set(acceptingAgain.addingTimeInterval(4))
            await load

            #expect(
                setup.serverIsAlive, "the server died when PostgreSQL restarted: \(Self.crashReport(setup.serverLog))")
            let recovered = await log.firstSuccess(after: acceptingAgain)
            #expect(recovered != nil, "no write succeeded after the restart")
            if let recovered {
                #expect(
                    recovered.timeIntervalSince(acceptingAgain) < 2,
                    "first write \(recovered.timeIntervalSince(acceptingAgain)) s after PostgreSQL was back")
            }

            let acknowledged = await log.acknowledged
            let stored = Set(
                try await setup.query("SELECT note FROM status_history WHERE note IS NOT NULL", as: String.self))
            let lost = acknowledged.filter { !stored.contains($0) }
            #expect(acknowledged.count > 50, "too little load to mean anything: \(acknowledged.count) writes")
            #expect(lost.isEmpty, "acknowledged but not stored: \(lost.prefix(10))")
            let failures = await log.failures
            #expect(
                failures.keys.allSatisfy { $0 == 503 || $0 == 0 },
                "errors other than 503 during the restart: \(failures)")

            let committed = Set(try await setup.query("SELECT id FROM events WHERE id > \(firstEvent)", as: Int64.self))
            try await stream.wait { committed.isSubset(of: eventIDs(inStream: $0)) }
            let streamText = await stream.stop()
            let missed = committed.subtracting(eventIDs(inStream: streamText))
            #expect(!committed.isEmpty)
            #expect(missed.isEmpty, "the SSE client missed \(missed.count) of \(committed.count) committed events")
            print(
                "restart drill: \(acknowledged.count) writes acknowledged, failures \(failures), recovered in \(recovered.map { String(format: "%.2f s", $0.timeIntervalSince(acceptingAgain)) } ?? "never"), \(committed.count) events streamed"
            )
        }
    }

    /// Stopped for a while (INBOARD_TEST_OUTAGE_SECONDS, 60 by default) under light load: quick 503s meanwhile,
    /// everything back afterwards without a restart.
    @Test(.timeLimit(.minutes(4)))
    func stoppedForAMinuteUnderLightLoad() async throws {
        let outage = Double(ProcessInfo.processInfo.environment["INBOARD_TEST_OUTAGE_SECONDS"] ?? "") ?? 60
        try await ServerOnOwnCluster.with(admins: 1) { setup in
            let token = try await setup.startSignedIn(admins: 1)[0]

            try await setup.cluster.stop()
            let log = WriteLog()
            let stop = LoadDeadline(Date().addingTimeInterval(outage))
            async let load: Void = Self.writeLoad(
                setup, tokens: [token], until: stop, log: log, pause: .milliseconds(250))
            // While it is away: readiness and the API answer 503 at once, the page says so too.
            let started = Date()
            let ready = await setup.send("GET", "/health/ready")
            #expect(ready.status == 503 && Date().timeIntervalSince(started) < 3, "readiness: \(ready)")
            let databasePort = "\(try setup.cluster.url.port)"
            #expect(
                !ready.body.contains("127.0.0.1") && !ready.body.contains(databasePort),
                "readiness shows where the database is: \(ready.body)")
            let put = await setup.send("PUT", "/api/v1/me/status", json: #"{"type":"in"}"#, token: token)
            #expect(put.status == 503 && put.body.contains("database_unavailable"), "PUT while down: \(put)")
            let page = await setup.send("GET", "/", token: token)
            #expect(
                page.status == 503 && page.body.contains("database is unavailable"), "page while down: \(page.status)")
            await load
            let failures = await log.failures
            #expect(await log.acknowledged.isEmpty)
            #expect(failures.keys.allSatisfy { $0 == 503 }, "answers while down: \(failures)")
            let slowest = await log.slowestFailure
            #expect(slowest < 3, "a request hung for \(slowest) s while the database was down")

            try await setup.cluster.start()
            let back = Date()
            #expect(await setup.waitFor("/health/ready", status: 200, seconds: 10))
            var status = 0
            while status != 200, Date().timeIntervalSince(back) < 10 {
                status = await setup.send(
                    "PUT", "/api/v1/me/status", json: #"{"type":"in","note":"after"}"#, token: token
                ).status
            }
            #expect(status == 200, "writes did not resume")
            #expect(setup.serverIsAlive)
        }
    }

    /// PostgreSQL ends the server's backends again and again under write load (a failover, an administrator's
    /// pg_terminate_backend): each request is answered (a 503 at worst), and the server serves normally afterwards.
    /// A statement written to a connection that had just closed used to wait for ever, its request with it, and the
    /// pool lost that connection's slot for good (`WatchedConnection`).
    @Test(.timeLimit(.minutes(2)))
    func backendsEndedUnderWriteLoadLeaveNoRequestWaitingAndNoSlotLost() async throws {
        try await ServerOnOwnCluster.with(admins: 4) { setup in
            let tokens = try await setup.startSignedIn(admins: 4)
            let log = WriteLog()
            let stop = LoadDeadline(Date().addingTimeInterval(4))
            async let load: Void = Self.writeLoad(setup, tokens: tokens, until: stop, log: log)
            var ended: Int64 = 0
            while Date() < stop.date {
                ended +=
                    try await setup.query(
                        """
                        SELECT count(*) FILTER (WHERE pg_terminate_backend(pid))::bigint FROM pg_stat_activity
                        WHERE datname = current_database() AND pid <> pg_backend_pid() AND backend_type = 'client backend'
                        """, as: Int64.self
                    ).first ?? 0
                try await Task.sleep(for: .milliseconds(40))
            }
            await load
            let failures = await log.failures
            #expect(ended > 20, "too few backends ended to mean anything: \(ended)")
            #expect(await log.acknowledged.count > 20, "too little load to mean anything")
            // URLSession gives up after 10 s: status 0 is a request that waited that long.
            #expect(failures[0] == nil, "requests left waiting: \(failures)")
            #expect(
                failures.keys.allSatisfy { $0 == 503 },
                "answers other than 503: \(failures); the server's errors: \(setup.serverErrors)")
            // Every slot of the pool still works: more concurrent writes than slots (twice the largest default pool,
            // 10) all succeed, quickly (once the last ended connections are seen closed and the pool's pause after a
            // failed connect is over).
            #expect(await setup.waitFor("/health/ready", status: 200, seconds: 10))
            try await Task.sleep(for: .milliseconds(500))
            let started = Date()
            let after = await withTaskGroup(of: Int.self) { group in
                for index in 0..<20 {
                    group.addTask {
                        await setup.send(
                            "PUT", "/api/v1/me/status", json: #"{"type":"in","note":"after"}"#,
                            token: tokens[index % tokens.count]
                        ).status
                    }
                }
                return await group.reduce(into: [Int: Int]()) { $0[$1, default: 0] += 1 }
            }
            #expect(after == [200: 20], "writes afterwards: \(after)")
            #expect(
                Date().timeIntervalSince(started) < 5, "writes afterwards took \(Date().timeIntervalSince(started)) s")
            #expect(setup.serverIsAlive, "the server died: \(Self.crashReport(setup.serverLog))")
            print(
                "backends-ended drill: \(ended) backends ended, \(await log.acknowledged.count) writes acknowledged, failures \(failures)"
            )
        }
    }

    @Test(.timeLimit(.minutes(2)))
    func serverStartedBeforeItsDatabaseWaitsForIt() async throws {
        try await ServerOnOwnCluster.with(admins: 1) { setup in
            try await setup.cluster.stop()
            try setup.startServer()
            try await Task.sleep(for: .seconds(3))
            #expect(setup.serverIsAlive, "the server exited instead of waiting: \(setup.serverLog)")
            #expect(setup.serverLog.contains("waiting for PostgreSQL"))
            try await setup.cluster.start()
            #expect(
                await setup.waitFor("/health/ready", status: 200, seconds: 15),
                "not ready after the database started: \(setup.serverLog)")
            _ = try await setup.login("admin1")
        }
    }
}
