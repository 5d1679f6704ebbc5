import Foundation
import HummingbirdTesting
import InboardServer
import InboardStore
import InboardTestSupport
import Testing

/// Security: an open SSE stream does not outlive its session (logout) or its person (disabled).
@Suite struct SessionStreamTests {
    /// Reads the stream with curl for at most `seconds`; returns how long it stayed open.
    static func streamLifetime(port: Int, token: String, seconds: Int) async throws -> TimeInterval {
        let started = Date()
        _ = try await runProgram(
            "/usr/bin/curl",
            [
                "-sN", "--max-time", String(seconds), "-H", "Authorization: Bearer \(token)",
                "http://127.0.0.1:\(port)/api/v1/events",
            ])
        return Date().timeIntervalSince(started)
    }

    @Test func logoutAndDisablingEndOpenStreamsWithinSeconds() async throws {
        try await TemporaryDatabase.with { db in
            _ = try await SeededPeople.seed(db)
            try await makeTestApp(databaseURL: db.url).test(.live) { client in
                let api = APIClient(client: client)
                let port = try #require(client.port)
                let (annToken, catToken, danToken) = (
                    try await api.login("ann"), try await api.login("cat"), try await api.login("dan")
                )
                async let ann = Self.streamLifetime(port: port, token: annToken, seconds: 25)
                async let cat = Self.streamLifetime(port: port, token: catToken, seconds: 25)
                async let dan = Self.streamLifetime(port: port, token: danToken, seconds: 12)
                try await Task.sleep(for: .seconds(1))
                try await api.send(.post, "/api/v1/auth/logout", token: annToken)
                try await db.execute(
                    "UPDATE people SET active = false, disabled_reason = 'test' WHERE username = 'cat'")
                let (annOpen, catOpen, danOpen) = try await (ann, cat, dan)
                #expect(annOpen < 9, "ann's stream stayed open \(annOpen) s after logout")
                #expect(catOpen < 9, "cat's stream stayed open \(catOpen) s after being disabled")
                #expect(danOpen >= 11, "dan's stream (still signed in) ended early: \(danOpen) s")
            }
        }
    }
}
