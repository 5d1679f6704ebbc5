import Foundation
import InboardTestSupport
import Testing

@testable import InboardClient

/// A broken or hostile server cannot make the client hold an endless answer or wait for ever on a silent
/// stream, and a server older than a request field still logs the client in: a real HTTP server of the test's
/// own (Python) misbehaves on purpose.
@Suite struct ClientHTTPLimitsTests {
    static let misbehavingServer = #"""
        import gzip, http.server, json, sys, time
        class Handler(http.server.BaseHTTPRequestHandler):
            def log_message(self, *args): pass
            def answer(self, status, body):
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)
            refused = []
            def do_POST(self):  # a login as servers before device tokens answer it: unknown fields are a 400
                fields = json.loads(self.rfile.read(int(self.headers.get("Content-Length", "0"))))
                if "deviceToken" in fields:
                    Handler.refused.append(1)
                    self.answer(400, b'{"error":{"code":"bad_request","message":"field \'deviceToken\' is unknown; the fields are: password, username"}}')
                else:  # the token says whether a refusal came first
                    token = b"after-refusal" if Handler.refused else b"first-try"
                    self.answer(200, b'{"token":"' + token + b'","expiresAt":"2026-12-07T00:00:00Z","person":{"username":"bob"}}')
            def do_PUT(self):  # a change to "Busy" is one too many (429); any other, a server failing (500)
                change = json.loads(self.rfile.read(int(self.headers.get("Content-Length", "0"))))
                if change.get("type") == "Busy":
                    self.answer(429, b'{"error":{"code":"too_many_changes","message":"try again in a few minutes"}}')
                else:
                    self.answer(500, b'{"error":{"code":"internal","message":"Something went wrong (request 7)."}}')
            def do_GET(self):
                if self.path == "/api/v1/me":
                    self.answer(200, b'{"username":"bob"}')
                    return
                if self.path in ("/gzip", "/gzip-bomb", "/gzip-cut"):
                    asked = "gzip" in self.headers.get("Accept-Encoding", "")
                    plain = b"0" * (48 << 20) if self.path == "/gzip-bomb" else b'{"asked":true}' * 100
                    body = gzip.compress(plain) if asked else b'{"asked":false}'
                    if self.path == "/gzip-cut": body = body[:-6]
                    self.send_response(200)
                    self.send_header("Content-Type", "application/json")
                    if asked: self.send_header("Content-Encoding", "gzip")
                    self.send_header("Content-Length", str(len(body)))
                    self.end_headers()
                    self.wfile.write(body)
                    return
                stream = self.path != "/big"
                self.send_response(200)
                self.send_header("Content-Type", "text/event-stream" if stream else "application/json")
                self.end_headers()
                if self.path == "/ping":
                    self.wfile.write(b"ok")
                elif self.path == "/big":
                    for _ in range(48): self.wfile.write(b"x" * 65536)
                elif self.path == "/long-line":
                    for _ in range(48): self.wfile.write(b"y" * 65536); self.wfile.flush()
                    time.sleep(30)
                else:  # one event, then silence with the connection open
                    self.wfile.write(b"id: 1\ndata: {}\n\n"); self.wfile.flush()
                    time.sleep(30)
        http.server.ThreadingHTTPServer(("127.0.0.1", int(sys.argv[1])), Handler).serve_forever()
        """#

    /// `silence`: how long a stream may be quiet; short only where the test is about silence (a loaded machine
    /// can pause the test's server for longer between chunks).
    func withServer(silence: Duration = .seconds(30), _ body: (ClientHTTP) async throws -> Void) async throws {
        let port = try freeTCPPort()
        let script = FileManager.default.temporaryDirectory.appendingPathComponent("misbehave-\(UUID()).py").path
        try Self.misbehavingServer.write(toFile: script, atomically: true, encoding: .utf8)
        defer { try? FileManager.default.removeItem(atPath: script) }
        let server = try ChildProcess("/usr/bin/python3", [script, "\(port)"], capture: false)
        defer {
            server.signal(SIGKILL)
            _ = server.waitForExit()
        }
        var http = ClientHTTP(server: try ServerAddress("http://127.0.0.1:\(port)/"))
        http.maxAnswerBytes = 1 << 20
        http.streamSilence = silence
        for _ in 0..<100 {  // until it listens
            let probe = try await runProgram(
                "/usr/bin/curl", ["-s", "--max-time", "2", "-o", "/dev/null", "http://127.0.0.1:\(port)/ping"])
            if probe.status == 0 { break }
            try await Task.sleep(for: .milliseconds(100))
        }
        try await body(http)
    }

    @Test(.timeLimit(.minutes(1)))
    func anAnswerLargerThanTheLimitIsRefused() async throws {
        try await withServer { http in
            await #expect(throws: ClientError.answerTooLarge(limit: 1 << 20)) {
                _ = try await http.send(.GET, "/big")
            }
        }
    }

    @Test(.timeLimit(.minutes(1)))
    func aSilentStreamEndsAsATimeout() async throws {
        try await withServer(silence: .seconds(1)) { http in
            let started = ContinuousClock.now
            var lines: [String] = []
            await #expect(throws: ClientError.timedOut(.seconds(1))) {
                try await http.stream("/silent", onHead: { _ in }, onLine: { lines.append($0) })
            }
            #expect(lines.first == "id: 1", "the event before the silence arrived")
            #expect(ContinuousClock.now - started < .seconds(10), "ended soon after a second of silence")
        }
    }

    @Test(.timeLimit(.minutes(1)))
    func aLineWithoutEndIsRefused() async throws {
        try await withServer { http in
            await #expect(throws: ClientError.answerTooLarge(limit: 1 << 20)) {
                try await http.stream("/long-line", onHead: { _ in }, onLine: { _ in })
            }
        }
    }

    /// The client asks for gzip and reads a gzipped answer as the JSON it is; 48 MB of zeros gzipped into
    /// 48 KB is refused at the limit after inflating, as a plain answer that large is; a cut one is an error.
    @Test(.timeLimit(.minutes(1)))
    func gzippedAnswersAreInflatedWithinTheLimit() async throws {
        try await withServer { http in
            let answer = try await http.send(.GET, "/gzip")
            #expect(answer.text == String(repeating: #"{"asked":true}"#, count: 100))
            #expect(answer.header("Content-Encoding") == nil)
            await #expect(throws: ClientError.answerTooLarge(limit: 1 << 20)) {
                _ = try await http.send(.GET, "/gzip-bomb")
            }
            let cut = await #expect(throws: ClientError.self) { _ = try await http.send(.GET, "/gzip-cut") }
            #expect(
                "\(cut.map(String.init(describing:)) ?? "")".contains("gzipped answer"), "\(String(describing: cut))")
        }
    }

    /// A server that fails on a queued change (500: nothing of it was stored), or asks for a pause (429: too many
    /// changes lately), is no verdict on it: the offline queue keeps it, and what came after it, for the next try
    /// (it dropped it for good before).
    @Test(.timeLimit(.minutes(1)), arguments: [("Out", "kept: the server failed on"), ("Busy", "asked for a pause")])
    func aChangeTheServerFailedOnOrPausedStaysQueued(first: String, said: String) async throws {
        try await withServer { http in
            let folder = FileManager.default.temporaryDirectory.appendingPathComponent("queue-\(UUID())").path
            defer { try? FileManager.default.removeItem(atPath: folder) }
            let queue = OfflineQueue(config: ClientConfig(environment: ["INBOARD_CLIENT_CONFIG_DIR": folder]))
            for type in [first, "In"] {
                try queue.append(
                    OfflineQueue.Change(
                        body: ["type": type], madeAt: Date(), owner: "bob", session: OfflineQueue.session(of: "t")))
            }
            let report = try await queue.flush(InboardAPI(http: http, token: "t"))
            #expect(report.count == 1 && report[0].contains(said), "\(report)")
            #expect(queue.changes.map(\.type) == [first, "In"])
        }
    }

    @Test(.timeLimit(.minutes(1)))
    func aServerOlderThanDeviceTokensStillLogsTheClientIn() async throws {
        try await withServer { http in
            let answer = try await InboardAPI(http: http, token: nil).login(
                username: "bob", password: "secret", deviceToken: "kept-from-a-newer-server")
            #expect(answer.token == "after-refusal" && answer.deviceToken == nil, "\(answer.token)")
        }
    }
}
