import Foundation
import HummingbirdTesting
import InboardServer
import InboardStore
import InboardTestSupport
import Testing

/// The app's clock, not the machine's, decides overdue on every path, the cached whole board included.
@Suite struct InjectedClockTests {
    @Test func theCachedBoardJudgesOverdueByTheAppsClock() async throws {
        try await TemporaryDatabase.with { db in
            let people = try await SeededPeople.seed(db)
            let clock = TestClock(Date())
            try await makeTestApp(databaseURL: db.url, clock: { clock.now }).test(.router) { client in
                let api = APIClient(client: client)
                let token = try await api.login("ann")
                let back = ISO8601DateFormatter().string(from: clock.now.addingTimeInterval(3600))
                _ = try await api.object(
                    .put, "/api/v1/me/status", json: "{\"type\":\"Out\",\"returnAt\":\"\(back)\"}", token: token)
                clock.advance(by: 2 * 3600)
                let board = try #require(
                    try await api.object(.get, "/api/v1/people", token: token)["people"] as? [[String: Any]])
                let ann = try #require(
                    board.first {
                        $0["id"] as? Int64 == people.ids["ann"] || "\($0["id"] ?? "")" == "\(people.ids["ann"]!)"
                    })
                #expect((ann["status"] as? [String: Any])?["overdue"] as? Bool == true, "two hours past the return")
            }
        }
    }
}
