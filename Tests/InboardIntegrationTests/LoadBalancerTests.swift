import Foundation
import InboardTestSupport
import Testing

/// Two servers on one PostgreSQL behind HAProxy (deploy/haproxy/inboard.cfg): they share sessions, live events,
/// the sync schedule and the outbox with no duplicate work, and losing one to `kill -9` loses nothing
/// acknowledged and no live event.
struct LoadBalancerTests {
    @Test(.timeLimit(.minutes(3)))
    func twoServersShareSessionsEventsTheSyncAndTheMail() async throws {
        try await ServersBehindHAProxy.with(admins: 1) { servers in
            let setup = servers.setup
            let (directory, smtp) = try Self.writeDirectoryAndSMTPSettings(in: servers.folder)
            for command in [["directory", "set", "--file", directory], ["smtp", "set", "--file", smtp]] {
                let done = try await runInboard(command, environment: setup.environment)
                #expect(done.status == 0, "\(command): \(done)")
            }
            try await servers.start()

            // The schedule's first full sync is due at once on both servers: exactly one runs it.
            var finished = 0
            let deadline = Date().addingTimeInterval(30)
            while finished == 0, Date() < deadline {
                finished =
                    try await setup.query(
                        "SELECT count(*)::int FROM sync_runs WHERE finished_at IS NOT NULL", as: Int.self
                    ).first ?? 0
                try await Task.sleep(for: .milliseconds(200))
            }
            try await Task.sleep(for: .seconds(2))
            let runs = try await setup.query("SELECT trigger FROM sync_runs", as: String.self)
            #expect(runs == ["schedule"], "sync runs: \(runs)\n\(servers.serverLog(0))\n\(servers.serverLog(1))")

            // A directory login through the balancer; the session works on both servers, read and write.
            let password = try TestEnvironment.require("INBOARD_TEST_SAMPLE_PASSWORD")
            let bob = try await setup.login("bob", password: password)
            let carol = try await setup.login("carol", password: password)
            var answeredBy: [String: Int] = [:]
            for index in 0..<8 {
                let answer =
                    index.isMultiple(of: 2)
                    ? await setup.request("GET", "/api/v1/me", token: bob)
                    : await setup.request("PUT", "/api/v1/me/status", json: #"{"type":"in"}"#, token: bob)
                #expect(answer.status == 200, "\(answer)")
                answeredBy[answer.servedBy ?? "none", default: 0] += 1
            }
            #expect(Set(answeredBy.keys) == Set(ServersBehindHAProxy.names), "served by: \(answeredBy)")
            for port in servers.serverPorts {
                #expect(await setup.request("GET", "/api/v1/me", port: port, token: bob).status == 200)
            }
            // The metrics stay on the servers' own ports, for Prometheus, not on the public address.
            #expect(await setup.request("GET", "/metrics").status == 404)
            #expect(await setup.request("GET", "/metrics", port: servers.serverPorts[0]).status == 200)
            // The sample's TLS front end (the test CA's certificate for 127.0.0.1).
            let overTLS = try await runProgram(
                "/usr/bin/curl",
                [
                    "-s", "-o", "/dev/null", "-w", "%{http_code}", "--cacert",
                    try TestEnvironment.require("INBOARD_TEST_CA_FILE"), "-H", "Authorization: Bearer \(bob)",
                    "https://127.0.0.1:\(servers.tlsPort)/api/v1/me",
                ])
            #expect(overTLS.output == "200", "through the balancer's TLS port: \(overTLS)")

            // A change written through one server reaches a stream held by the other.
            let note = "across-\(UUID().uuidString.prefix(8))"
            let stream = try EventStreamReader(port: servers.serverPorts[1], token: bob)
            #expect(try await stream.connected(), "the stream did not open")
            let written = await setup.request(
                "PUT", "/api/v1/me/status", port: servers.serverPorts[0], json: #"{"type":"in","note":"\#(note)"}"#,
                token: carol)
            #expect(written.status == 200, "\(written)")
            try await stream.wait { $0.contains(note) }
            let streamed = await stream.stop()
            #expect(streamed.contains(note), "the other server's stream did not carry the change: \(streamed)")

            // One notification, one mail, though both servers run a mail worker.
            let carolID = try #require(
                try await setup.query("SELECT id FROM people WHERE username = 'carol'", as: Int64.self).first)
            let watched = await setup.request(
                "POST", "/api/v1/watches", json: #"{"personId":\#(carolID)}"#, token: bob)
            #expect(watched.status == 204, "\(watched)")
            let mailed = "mailed\(UUID().uuidString.prefix(8).lowercased())"
            #expect(
                await setup.request(
                    "PUT", "/api/v1/me/status", json: #"{"type":"in","note":"\#(mailed)"}"#, token: carol
                ).status == 200)
            var sent = 0
            let mailDeadline = Date().addingTimeInterval(20)
            while sent == 0, Date() < mailDeadline {
                sent =
                    try await setup.query(
                        "SELECT count(*)::int FROM outbox WHERE state = 'sent' AND payload::text LIKE '%\(mailed)%'",
                        as: Int.self
                    ).first ?? 0
                try await Task.sleep(for: .milliseconds(200))
            }
            try await Task.sleep(for: .seconds(3))  // time for a second, duplicate delivery to show up
            let delivered = try Self.mails(containing: mailed)
            #expect(sent == 1 && delivered == 1, "outbox rows sent: \(sent), mails in the sink: \(delivered)")
        }
    }

    @Test(.timeLimit(.minutes(3)))
    func killingOneServerUnderLoadLosesNoWriteAndNoLiveEvent() async throws {
        try await ServersBehindHAProxy.with(admins: 4) { servers in
            let setup = servers.setup
            try await servers.start()
            var tokens: [String] = []
            for index in 1...4 { tokens.append(try await setup.login("admin\(index)")) }
            let firstEvent =
                try await setup.query("SELECT COALESCE(max(id), 0)::bigint FROM events", as: Int64.self).first ?? 0

            // Two streams through the balancer (least connections: one on each server), each resuming with
            // Last-Event-ID whenever its stream ends, as a browser's EventSource does.
            let streamsEnd = Date().addingTimeInterval(14)
            let clients = (0..<2).map { ResumingEventStream(folder: servers.folder, index: $0) }
            let streamToken = tokens[0], balancerPort = setup.port
            async let streamed = withTaskGroup(of: ResumingEventStream.Result.self) { group in
                for client in clients {
                    group.addTask { await client.run(port: balancerPort, token: streamToken, until: streamsEnd) }
                }
                return await group.reduce(into: []) { $0.append($1) }
            }
            _ = try await eventually(within: .seconds(60)) { clients[0].currentServer != nil }
            let victimName = try #require(clients[0].currentServer, "the first stream has no server yet")
            let victim = try #require(ServersBehindHAProxy.names.firstIndex(of: victimName))

            let log = DatabaseOutageTests.WriteLog()
            let stop = DatabaseOutageTests.LoadDeadline(Date().addingTimeInterval(7))
            async let load: Void = DatabaseOutageTests.writeLoad(
                setup, tokens: tokens, until: stop, log: log, pause: .milliseconds(10))
            try await Task.sleep(for: .seconds(3))
            let killedAt = Date()
            servers.kill(victim)
            await load
            let results = await streamed

            let survivor = 1 - victim
            #expect(
                servers.serverIsAlive(survivor),
                "the other server died: \(DatabaseOutageTests.crashReport(servers.serverLog(survivor)))")
            let acknowledged = await log.acknowledged
            let stored = Set(
                try await setup.query("SELECT note FROM status_history WHERE note IS NOT NULL", as: String.self))
            let lost = acknowledged.filter { !stored.contains($0) }
            #expect(acknowledged.count > 100, "too little load to mean anything: \(acknowledged.count) writes")
            #expect(lost.isEmpty, "acknowledged but not stored: \(lost.prefix(10))")
            let failures = await log.failures
            let failed = failures.values.reduce(0, +)
            // Only requests in flight on the killed server can fail (one per writer); none is retried.
            #expect(failed <= tokens.count, "failed requests: \(failures)")
            let recovered = await log.firstSuccess(after: killedAt)
            #expect(recovered.map { $0.timeIntervalSince(killedAt) < 2 } == true, "writes did not resume at once")

            let committed = Set(try await setup.query("SELECT id FROM events WHERE id > \(firstEvent)", as: Int64.self))
            #expect(!committed.isEmpty)
            for (index, result) in results.enumerated() {
                let missed = committed.subtracting(result.ids)
                #expect(
                    missed.isEmpty,
                    "stream \(index) missed \(missed.count) of \(committed.count) events (connections: \(result.connections), servers: \(result.servers))"
                )
            }
            let resumed = results.filter { $0.servers.contains(victimName) && $0.connections > 1 }
            #expect(!resumed.isEmpty, "no stream was cut and resumed: \(results.map { ($0.connections, $0.servers) })")
            print(
                "kill -9 drill: \(acknowledged.count) writes acknowledged, \(failed) failed (\(failures)), first success \(recovered.map { String(format: "%.2f s", $0.timeIntervalSince(killedAt)) } ?? "never") after the kill, \(committed.count) events, every stream complete (connections \(results.map(\.connections)))"
            )
        }
    }

    static func writeDirectoryAndSMTPSettings(in folder: String) throws -> (directory: String, smtp: String) {
        try writeServiceSettings(in: folder, schedule: "{incrementalEvery: 1h, fullEvery: 24h}")
    }

    /// Messages in the SMTP sink's maildir that hold `text`.
    static func mails(containing text: String) throws -> Int {
        let folder = try TestEnvironment.require("INBOARD_TEST_MAILDIR") + "/new"
        return try FileManager.default.contentsOfDirectory(atPath: folder).filter { name in
            (try? String(contentsOfFile: folder + "/" + name, encoding: .utf8))?.contains(text) == true
        }.count
    }
}

/// A live-event client like a browser's EventSource, made of curl runs: when a stream ends before `until`, it
/// connects again (through the balancer) with the last id it saw as Last-Event-ID.
final class ResumingEventStream: Sendable {
    struct Result: Sendable {
        var ids: Set<Int64> = []
        var connections = 0
        var servers: [String] = []
    }

    let headersFile: String

    init(folder: String, index: Int) { headersFile = "\(folder)/stream-\(index).headers" }

    /// The server holding the stream now (the balancer's X-Served-By of the current connection).
    var currentServer: String? {
        guard let headers = try? String(contentsOfFile: headersFile, encoding: .utf8) else { return nil }
        return headers.split(separator: "\r\n").first { $0.lowercased().hasPrefix("x-served-by:") }
            .map { $0.dropFirst("x-served-by:".count).trimmingCharacters(in: .whitespaces) }
    }

    func run(port: Int, token: String, until deadline: Date) async -> Result {
        var result = Result()
        var lastID: String?
        while case let remaining = deadline.timeIntervalSinceNow, remaining > 0.3 {
            try? FileManager.default.removeItem(atPath: headersFile)
            var arguments = [
                "-sN", "--max-time", String(format: "%.1f", remaining), "-D", headersFile,
                "-H", "Authorization: Bearer \(token)",
            ]
            if let lastID { arguments += ["-H", "Last-Event-ID: \(lastID)"] }
            arguments.append("http://127.0.0.1:\(port)/api/v1/events")
            guard let output = try? await runProgram("/usr/bin/curl", arguments).output else { break }
            result.connections += 1
            if let server = currentServer { result.servers.append(server) }
            // A frame's id names its event first; the whole id is handed back to resume, as EventSource does.
            for line in output.split(separator: "\n") where line.hasPrefix("id:") {
                let frameID = line.dropFirst(3).trimmingCharacters(in: .whitespaces)
                if let id = Int64(frameID.prefix(while: \.isNumber)) { result.ids.insert(id) }
                lastID = frameID
            }
            try? await Task.sleep(for: .milliseconds(200))
        }
        return result
    }
}
