import Foundation
import Hummingbird
import HummingbirdTesting
import InboardServer
import InboardStore
import InboardTestSupport
import Logging
import Testing

/// A change an offline client sends late (`madeAt`): applied with its own time unless a newer status exists.
@Suite struct LateStatusChangeTests {
    /// The expiry job's work, now (the server's own job may have done it first).
    func expireDue(_ db: TemporaryDatabase) async throws {
        let pool = try db.database.makePool()
        _ = try await withThrowingTaskGroup(of: Int.self) { group in
            group.addTask {
                await pool.run()
                return 0
            }
            defer { group.cancelAll() }
            return try await StatusStore(database: pool, logger: Logger(label: "test")).expireDue()
        }
    }

    /// Ann logged in to a server of the test's own, on a database of its own.
    func asAnn(_ body: @escaping @Sendable (APIClient, TemporaryDatabase, SeededPeople, String) async throws -> Void)
        async throws
    {
        try await TemporaryDatabase.with { db in
            let people = try await SeededPeople.seed(db)
            try await makeTestApp(databaseURL: db.url).test(.live) { client in
                let api = APIClient(client: client)
                try await body(api, db, people, try await api.login("ann"))
            }
        }
    }

    @Test func aLateChangeKeepsItsTimeAndNeverOverwritesANewerOne() async throws {
        try await asAnn { api, db, people, token in
            let ann = people.ids["ann"]!
            // Made 10 minutes ago, while nothing newer was set: applied, with that time in the history.
            let madeAt = Date().addingTimeInterval(-600)
            let made = ISO8601DateFormatter().string(from: madeAt)
            let late = try await api.object(
                .put, "/api/v1/me/status", json: #"{"type":"Remote","note":"late","madeAt":"\#(made)"}"#,
                token: token)
            #expect((late["status"] as? [String: Any])?["note"] as? String == "late")
            // Compared with the change's own time, not with now: however slow the request, the same second.
            let recorded = try await db.scalar(
                "SELECT extract(epoch FROM set_at)::bigint FROM status_history WHERE person_id = \(ann) AND note = 'late'"
            )
            #expect(
                abs(recorded - Int64(madeAt.timeIntervalSince1970)) <= 1,
                "history time \(recorded), not the change's \(Int64(madeAt.timeIntervalSince1970))")

            // A status set now, then a change made 5 minutes ago arrives: refused, the newer one stays.
            _ = try await api.object(.put, "/api/v1/me/status", json: #"{"type":"In","note":"now"}"#, token: token)
            let (code, body) = try await api.send(
                .put, "/api/v1/me/status",
                json: #"{"type":"Remote","note":"stale","madeAt":"\#(isoDate(in: -300))"}"#,
                token: token)
            #expect(code == 409 && String(decoding: body, as: UTF8.self).contains("superseded"))
            #expect(try await db.scalar("SELECT count(*) FROM status_history WHERE note = 'stale'") == 0)
            #expect(
                try await db.scalar("SELECT count(*) FROM statuses WHERE person_id = \(ann) AND note = 'now'") == 1)

            // The same late change sent twice (a retry after a lost answer) is applied once. (Made after the
            // last change: ISO times here are to the second.)
            try await Task.sleep(for: .seconds(2.1))
            let twiceMadeAt = isoDate(in: -1)
            let resend = #"{"type":"Remote","note":"twice","madeAt":"\#(twiceMadeAt)"}"#
            #expect(try await api.send(.put, "/api/v1/me/status", json: resend, token: token).0 == 200)
            // The second is answered as applied (its answer may have been lost), not as superseded, and written once.
            let again = try await api.send(.put, "/api/v1/me/status", json: resend, token: token)
            #expect(again.0 == 200 && String(decoding: again.1, as: UTF8.self).contains("twice"), "\(again.0)")
            #expect(
                try await db.scalar("SELECT count(*) FROM events WHERE payload->'status'->>'note' = 'twice'") == 1)
            // Another change made at the same time is not the one applied: superseded.
            let other = #"{"type":"Remote","note":"other","madeAt":"\#(twiceMadeAt)"}"#
            #expect(try await api.send(.put, "/api/v1/me/status", json: other, token: token).0 == 409)
            #expect(try await db.scalar("SELECT count(*) FROM status_history WHERE note = 'twice'") == 1)

            // A delegate cannot date someone else's status back.
            let dan = try await api.login("dan")
            let (byDelegate, _) = try await api.send(
                .put, "/api/v1/people/\(people.ids["cat"]!)/status",
                json: #"{"type":"In","madeAt":"\#(isoDate(in: -600))"}"#, token: dan)
            #expect(byDelegate == 422)

            for (madeAt, field) in [(isoDate(in: -8 * 86_400), "madeAt"), (isoDate(in: 3600), "madeAt")] {
                let (code, body) = try await api.send(
                    .put, "/api/v1/me/status", json: #"{"type":"In","madeAt":"\#(madeAt)"}"#, token: token)
                #expect(code == 422 && String(decoding: body, as: UTF8.self).contains(field))
            }
        }
    }

    /// Made two hours ago while offline: "Lunch, back an hour ago" is what happened then (refused before, so the
    /// offline queue dropped it), its default expiry runs from when it was made; a return before then is refused.
    @Test func aLateChangeIsJudgedAsOfWhenItWasMade() async throws {
        try await asAnn { api, db, people, token in
            let ann = people.ids["ann"]!
            let cat = try await api.login("cat")
            _ = try await api.object(.post, "/api/v1/watches", json: "{\"personId\":\(ann)}", token: cat)
            let made = isoDate(in: -7200)
            let (early, earlyBody) = try await api.send(
                .put, "/api/v1/me/status",
                json: #"{"type":"Lunch","returnAt":"\#(isoDate(in: -7800))","madeAt":"\#(made)"}"#, token: token)
            #expect(early == 422 && String(decoding: earlyBody, as: UTF8.self).contains("returnAt"))
            let (code, body) = try await api.send(
                .put, "/api/v1/me/status",
                json: #"{"type":"Lunch","note":"queued","returnAt":"\#(isoDate(in: -3600))","madeAt":"\#(made)"}"#,
                token: token)
            #expect(code == 200, "\(String(decoding: body, as: UTF8.self))")
            #expect(try await db.scalar("SELECT count(*) FROM status_history WHERE note = 'queued'") == 1)
            // Lunch's default expiry (90 minutes) from when it was made, not from when it arrived.
            // (Read from the history: the expiry job may already have moved ann on.)
            let lasts = try await db.scalar(
                "SELECT extract(epoch FROM expires_at - set_at)::bigint FROM status_history WHERE person_id = \(ann) AND note = 'queued'"
            )
            #expect(lasts == 5400, "Lunch lasted \(lasts) s from when it was made")
            // Already over when it arrived: on the board's history, but no watch event or mail tells cat of it.
            let watchEvents = "SELECT count(*) FROM events WHERE kind = 'watch' AND payload->'status'->>'note' = "
            #expect(try await db.scalar(watchEvents + "'queued'") == 0)
            #expect(try await db.scalar("SELECT count(*) FROM outbox WHERE payload->'status'->>'note' = 'queued'") == 0)
            // It expired half an hour ago: its fallback starts then, so the change queued after it (made 20
            // minutes ago, sent next) still applies (stamped now, the fallback superseded it).
            try await expireDue(db)
            let fellBack = try await db.scalar(
                "SELECT extract(epoch FROM now() - set_at)::bigint FROM statuses WHERE person_id = \(ann)")
            #expect(abs(fellBack - 1800) <= 60, "the fallback starts when Lunch ended, \(fellBack) s ago")
            let (next, nextBody) = try await api.send(
                .put, "/api/v1/me/status",
                json: #"{"type":"Remote","note":"queued next","madeAt":"\#(isoDate(in: -1200))"}"#, token: token)
            #expect(next == 200, "\(String(decoding: nextBody, as: UTF8.self))")
            #expect(try await db.scalar(watchEvents + "'queued next'") == 1, "a change still current is told")
        }
    }

    /// Lunch set at 12:00 expires at 13:00 while the laptop is offline; "Out, back at 17:00" chosen at 12:45
    /// arrives at 13:30. The expiry's fallback stands for Lunch, so the change applies and the expiry that never
    /// should have happened leaves the history (it was refused as superseded, the board showing In); a change
    /// made before Lunch is still refused.
    @Test func aChangeMadeBeforeAnExpiryStillAppliesAfterIt() async throws {
        try await asAnn { api, db, people, token in
            let ann = people.ids["ann"]!
            _ = try await api.object(
                .put, "/api/v1/me/status", json: #"{"type":"Lunch","returnAt":"\#(isoDate(in: 3600))"}"#, token: token)
            // Lunch set 90 minutes ago, over 30 minutes ago (the history first: the server's own expiry job may
            // run at any moment once the status is due).
            for (table, rows) in [("status_history", "AND source IS DISTINCT FROM 'expiry'"), ("statuses", "")] {
                try await db.execute(
                    "UPDATE \(table) SET set_at = now() - interval '90 minutes', expires_at = now() - interval '30 minutes' WHERE person_id = \(ann) \(rows)"
                )
            }
            try await expireDue(db)
            #expect(try await db.scalar("SELECT count(*) FROM status_history WHERE source = 'expiry'") == 1)
            let stale = #"{"type":"Remote","madeAt":"\#(isoDate(in: -6000))"}"#
            #expect(try await api.send(.put, "/api/v1/me/status", json: stale, token: token).0 == 409)
            let (code, body) = try await api.send(
                .put, "/api/v1/me/status",
                json:
                    #"{"type":"Out","note":"offline","returnAt":"\#(isoDate(in: 7200))","madeAt":"\#(isoDate(in: -2700))"}"#,
                token: token)
            #expect(code == 200, "\(String(decoding: body, as: UTF8.self))")
            #expect(
                try await db.scalar("SELECT count(*) FROM statuses WHERE person_id = \(ann) AND note = 'offline'") == 1)
            #expect(try await db.scalar("SELECT count(*) FROM status_history WHERE source = 'expiry'") == 0)
        }
    }
}
