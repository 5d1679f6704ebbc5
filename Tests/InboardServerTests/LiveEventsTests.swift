import Foundation
import HummingbirdTesting
import InboardServer
import InboardStore
import InboardTestSupport
import Testing

/// Live updates over SSE with two server processes on one database: a change made through one reaches
/// clients of the other (LISTEN/NOTIFY), watchers get their own events, notes reach only their recipient,
/// and `Last-Event-ID` replays what a client missed.
@Suite struct LiveEventsTests {
    @Test func statusWatchAndNoteEventsCrossServerProcessesAndReplay() async throws {
        try await TemporaryDatabase.with { db in
            let people = try await SeededPeople.seed(db)
            let (ann, cat) = (people.ids["ann"]!, people.ids["cat"]!)
            try await makeTestApp(databaseURL: db.url).test(.live) { first in
                try await makeTestApp(databaseURL: db.url).test(.live) { second in
                    let one = APIClient(client: first), two = APIClient(client: second)
                    let (annToken, catToken, danToken) = (
                        try await one.login("ann"), try await two.login("cat"), try await two.login("dan")
                    )
                    let port = try #require(second.port)
                    try await one.send(.post, "/api/v1/watches", json: "{\"personId\":\(ann)}", token: catToken)
                    #expect(
                        try await one.object(.get, "/api/v1/me/watchers", token: annToken)["watchers"].map { "\($0)" }?
                            .contains("Cat Example") == true)

                    // cat and dan listen on the second process; ann acts through the first.
                    // Long enough for a loaded 2-core machine (CI saw 4 s run out before the note arrived).
                    async let catStream = readEvents(port: port, token: catToken, seconds: 10)
                    async let danStream = readEvents(port: port, token: danToken, seconds: 10)
                    try await Task.sleep(for: .seconds(1))
                    _ = try await one.object(
                        .put, "/api/v1/me/status",
                        json:
                            "{\"type\":\"Lunch\",\"note\":\"secret\",\"noteHidden\":true,\"returnAt\":\"\(isoDate(in: 3600))\"}",
                        token: annToken)
                    _ = try await one.object(
                        .post, "/api/v1/people/\(cat)/notes", json: "{\"body\":\"Call me back\"}", token: annToken)
                    let (catEvents, danEvents) = try await (catStream, danStream)

                    #expect(
                        catEvents.contains("event: status") && catEvents.contains("\"username\":\"ann\""),
                        "cat got: \(catEvents)")
                    #expect(catEvents.contains("event: watch"), "the watcher was not told")
                    #expect(catEvents.contains("event: note") && catEvents.contains("Call me back"))
                    #expect(!catEvents.contains("secret"), "a hidden note reached a user")
                    #expect(
                        danEvents.contains("event: status") && danEvents.contains("secret"),
                        "a delegate sees hidden notes: \(danEvents)")
                    #expect(
                        !danEvents.contains("event: watch") && !danEvents.contains("Call me back"),
                        "dan got events meant for cat")

                    // cat reconnects having seen nothing: everything visible to cat comes back, in order.
                    let replay = try await readEvents(port: port, token: catToken, seconds: 1, lastEventID: 0)
                    let kinds = replay.split(separator: "\n").filter { $0.hasPrefix("event: ") }.map {
                        String($0.dropFirst(7))
                    }
                    #expect(kinds == ["status", "watch", "note"], "replay: \(replay)")
                    let ids = replay.split(separator: "\n").filter { $0.hasPrefix("id: ") }.compactMap {
                        Int64($0.dropFirst(4))
                    }
                    #expect(ids == ids.sorted() && ids.count == 3)
                    let later = try await readEvents(port: port, token: catToken, seconds: 1, lastEventID: ids.last)
                    #expect(!later.contains("event: "), "events already seen were replayed: \(later)")

                    let notes = try #require(
                        try await two.object(.get, "/api/v1/me/notes", token: catToken)["notes"] as? [[String: Any]])
                    #expect(notes.count == 1 && notes.first?["from"] as? String == "Ann Example")
                    #expect(
                        (try await two.object(.get, "/api/v1/me/notes", token: catToken)["notes"] as? [Any])?.isEmpty
                            == true, "delivered notes came again")
                }
            }
        }
    }
}
