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
                // Retry-After: when the first of the three leaves the window, ten minutes after it was made (less
                // the time the changes took, a minute at most on a loaded machine).
                #expect(
                    refused.0 == 429 && (540...600).contains(Int(refused.1 ?? "") ?? 0)
                        && refused.2.contains("too_many_changes"), "\(refused)")
                // Counted on the person whose status it is: a delegate's change and a presence report too.
                let annID = try #require(people.ids["ann"])
                #expect(
                    try await api.send(
                        .put, "/api/v1/people/\(annID)/status", json: "{\"type\":\"Remote\"}", token: dan
                    ).0 == 429)
                #expect(
                    try await api.send(.post, "/api/v1/me/presence", json: "{\"idleSeconds\":99999}", token: ann).0
                        == 429)
                // Nobody else's is touched, and a change the store refuses (superseded: made before the status
                // was set) counts for nothing: cat makes three more after it.
                #expect(
                    try await api.send(.put, "/api/v1/me/status", json: "{\"type\":\"Remote\"}", token: cat).0 == 200)
                let late = "{\"type\":\"In\",\"madeAt\":\"\(isoDate(in: -3600))\"}"
                #expect(try await api.send(.put, "/api/v1/me/status", json: late, token: cat).0 == 409)
                for type in ["In", "Remote"] {
                    #expect(
                        try await api.send(.put, "/api/v1/me/status", json: "{\"type\":\"\(type)\"}", token: cat).0
                            == 200, "a refused change was counted")
                }
                let history = try await api.object(.get, "/api/v1/people/\(annID)/history", token: ann)
                #expect((history["history"] as? [Any])?.count == 3, "\(history)")
            }
        }
    }

    @Test func theWindowSlidesPerPersonAndSaysWhenItHasRoom() {
        let limiter = StatusChangeLimiter(perWindow: 2)
        let start = ContinuousClock.now
        #expect(limiter.reserve(1, now: start) == nil && limiter.reserve(1, now: start + .seconds(1)) == nil)
        #expect(limiter.reserve(1, now: start + .seconds(2)) == .seconds(598), "room when the first leaves")
        #expect(limiter.reserve(2, now: start + .seconds(2)) == nil, "another person's window")
        #expect(limiter.reserve(1, now: start + .seconds(600)) == nil, "the first change left the window")
        #expect(limiter.reserve(1, now: start + .seconds(600)) == .seconds(1))
        limiter.refund(1)  // the change at 600 s was not applied
        #expect(limiter.reserve(1, now: start + .seconds(600)) == nil)
        #expect((0..<100).allSatisfy { _ in StatusChangeLimiter(perWindow: 0).reserve(1) == nil })
    }

    /// People whose changes all left the window are forgotten at the next sweep (at most a minute apart), not
    /// read at every change.
    @Test func peopleWhoChangedNothingLatelyAreForgotten() {
        let limiter = StatusChangeLimiter(perWindow: 30)
        let start = ContinuousClock.now
        for person in 0..<1_000 { _ = limiter.reserve(Int64(person), now: start + .seconds(61)) }
        #expect(limiter.remembered == 1_000)
        _ = limiter.reserve(5_000, now: start + .seconds(100))
        #expect(limiter.remembered == 1_001, "a sweep within a minute of the last")
        _ = limiter.reserve(5_001, now: start + .seconds(661))
        #expect(limiter.remembered == 2, "only the two who changed in the last 10 minutes: \(limiter.remembered)")
    }
}
