import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import InboardStore
import InboardTestSupport
import Testing

@testable import InboardServer

/// A loop of status changes no longer floods everyone watching (each change mails them): one person's status
/// takes `INBOARD_STATUS_CHANGE_LIMIT` changes per 10 minutes on a server, whoever makes them, then a 429 with
/// Retry-After. Before, every change went through.
@Suite struct StatusChangeLimitTests {
    @Test func aPersonsStatusTakesTheLimitThenA429WhoeverAsks() async throws {
        try await TemporaryDatabase.with { db in
            let people = try await SeededPeople.seed(db)
            try await makeTestApp(databaseURL: db.url, statusChangeLimit: 3).test(.router) { client in
                let api = APIClient(client: client)
                let (ann, dan, cat) = (
                    try await api.login("ann"), try await api.login("dan"), try await api.login("cat")
                )
                for type in ["In", "Remote", "In"] {
                    let (status, body) = try await api.send(
                        .put, "/api/v1/me/status", json: "{\"type\":\"\(type)\"}", token: ann)
                    #expect(status == 200, "\(String(decoding: body, as: UTF8.self))")
                }
                let refused = try await client.execute(
                    uri: "/api/v1/me/status", method: .put,
                    headers: [.contentType: "application/json", .authorization: "Bearer \(ann)"],
                    body: ByteBuffer(string: "{\"type\":\"Remote\"}")
                ) { ($0.status.code, $0.headers[.retryAfter], String(buffer: $0.body)) }
                #expect(refused.0 == 429 && refused.1 == "60" && refused.2.contains("too_many_changes"), "\(refused)")
                // Counted on the person whose status it is: a delegate's change and a presence report too.
                let annID = try #require(people.ids["ann"])
                #expect(
                    try await api.send(
                        .put, "/api/v1/people/\(annID)/status", json: "{\"type\":\"Remote\"}", token: dan
                    ).0 == 429)
                #expect(
                    try await api.send(.post, "/api/v1/me/presence", json: "{\"idleSeconds\":99999}", token: ann).0
                        == 429)
                // Nobody else's.
                #expect(
                    try await api.send(.put, "/api/v1/me/status", json: "{\"type\":\"Remote\"}", token: cat).0 == 200)
                let history = try await api.object(.get, "/api/v1/people/\(annID)/history", token: ann)
                #expect((history["history"] as? [Any])?.count == 3, "\(history)")
            }
        }
    }

    @Test func theWindowSlidesPerPerson() {
        let limiter = StatusChangeLimiter(perWindow: 2)
        let start = ContinuousClock.now
        #expect(limiter.admit(1, now: start) && limiter.admit(1, now: start + .seconds(1)))
        #expect(!limiter.admit(1, now: start + .seconds(2)))
        #expect(limiter.admit(2, now: start + .seconds(2)))
        #expect(!limiter.admit(1, now: start + .seconds(599)))
        #expect(limiter.admit(1, now: start + .seconds(600)), "the first change left the window")
        #expect(!limiter.admit(1, now: start + .seconds(600)))
        #expect((0..<100).allSatisfy { _ in StatusChangeLimiter(perWindow: 0).admit(1) })
    }
}
