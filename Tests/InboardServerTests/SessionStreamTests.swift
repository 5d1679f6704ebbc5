import Foundation
import HummingbirdTesting
import InboardServer
import InboardStore
import InboardTestSupport
import Testing

/// Security: an open SSE stream does not outlive its session (logout) or its person (disabled).
@Suite struct SessionStreamTests {
    /// Reads the stream with curl for at most `seconds`: when it ended, and whether the server ended it (curl's
    /// exit 0) or curl's own time limit did (exit 28).
    static func stream(port: Int, token: String, seconds: Int) async throws -> (endedAt: Date, byServer: Bool) {
        let result = try await runProgram(
            "/usr/bin/curl",
            [
                "-sN", "--max-time", String(seconds), "-H", "Authorization: Bearer \(token)",
                "http://127.0.0.1:\(port)/api/v1/events",
            ])
        return (Date(), result.status == 0)
    }

    /// Streams are re-checked every 5 s; the bound leaves a loaded machine as much again.
    static let bound: TimeInterval = 10

    @Test func logoutAndDisablingEndOpenStreamsWithinSeconds() async throws {
        try await withPeople { api, people, db, port in
            let port = port
            let (annToken, catToken, danToken) = (
                try await api.login("ann"), try await api.login("cat"), try await api.login("dan")
            )
            async let ann = Self.stream(port: port, token: annToken, seconds: 30)
            async let cat = Self.stream(port: port, token: catToken, seconds: 30)
            async let dan = Self.stream(port: port, token: danToken, seconds: 15)
            try await Task.sleep(for: .seconds(1))
            try await api.send(.post, "/api/v1/auth/logout", token: annToken)
            let loggedOut = Date()
            try await db.execute(
                "UPDATE people SET active = false, disabled_reason = 'test' WHERE username = 'cat'")
            let disabled = Date()
            let (annEnd, catEnd, danEnd) = try await (ann, cat, dan)
            let annOpen = annEnd.endedAt.timeIntervalSince(loggedOut)
            let catOpen = catEnd.endedAt.timeIntervalSince(disabled)
            #expect(annEnd.byServer && annOpen < Self.bound, "ann's stream stayed open \(annOpen) s after logout")
            #expect(
                catEnd.byServer && catOpen < Self.bound,
                "cat's stream stayed open \(catOpen) s after being disabled")
            #expect(!danEnd.byServer, "dan's stream (still signed in) was ended by the server")
        }
    }
}
