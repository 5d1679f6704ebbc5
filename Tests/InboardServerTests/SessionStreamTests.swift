import Foundation
import HummingbirdTesting
import InboardServer
import InboardStore
import InboardTestSupport
import Testing

/// Security: an open SSE stream does not outlive its session (logout) or its person (disabled).
@Suite struct SessionStreamTests {
    /// Streams are re-checked every 5 s; the bound leaves a loaded machine as much again.
    static let bound: Duration = .seconds(10)

    @Test func logoutAndDisablingEndOpenStreamsWithinSeconds() async throws {
        try await withPeople { api, _, db, port in
            let (annToken, catToken, danToken) = (
                try await api.login("ann"), try await api.login("cat"), try await api.login("dan")
            )
            let (ann, cat, dan) = (
                try EventStreamReader(port: port, token: annToken), try EventStreamReader(port: port, token: catToken),
                try EventStreamReader(port: port, token: danToken)
            )
            // Open before anything ends them: a stream refused at the door would prove nothing.
            for stream in [ann, cat, dan] { #expect(try await stream.connected(), "a stream did not open") }
            try await api.send(.post, "/api/v1/auth/logout", token: annToken)
            try await db.execute("UPDATE people SET active = false, disabled_reason = 'test' WHERE username = 'cat'")
            #expect(try await ann.endedByServer(within: Self.bound), "ann's stream outlived her logout")
            #expect(try await cat.endedByServer(within: Self.bound), "cat's stream outlived her being disabled")
            // Another revalidation round later, the one still signed in still streams.
            try await Task.sleep(for: .seconds(6))
            #expect(dan.isOpen, "dan's stream (still signed in) was ended")
            for stream in [ann, cat, dan] { _ = await stream.stop() }
        }
    }
}
