import Foundation
import HummingbirdTesting
@testable import InboardServer
import InboardStore
import InboardTestSupport
import Testing

/// What an attacker's review found others could learn of accounts no board lists (the break-glass local admin)
/// and of leavers, each through an output the listing rule had not reached.
@Suite struct UnlistedAccountTests {
    /// A status the local admin set names "an administrator" as who set it, on the board, in the history and in
    /// live events: never the account's name (something to guess a password for).
    @Test func aStatusSetByTheLocalAdminNamesNoAccount() async throws {
        try await withPeople { api, people, _, port in
            let (annToken, rootToken) = (try await api.login("ann"), try await api.login("root"))
            let cat = people.ids["cat"]!
            let stream = try EventStreamReader(port: port, token: annToken)
            #expect(try await stream.connected())
            #expect(
                try await api.send(
                    .put, "/api/v1/people/\(cat)/status", json: "{\"type\":\"Remote\"}", token: rootToken
                )
                .0 == 200)
            #expect(try await stream.wait { $0.contains("event: status") }, "no live event: \(stream.text)")
            let live = await stream.stop()
            let board = String(decoding: try await api.send(.get, "/api/v1/people", token: annToken).1, as: UTF8.self)
            let history = String(
                decoding: try await api.send(.get, "/api/v1/people/\(cat)/history", token: annToken).1, as: UTF8.self)
            for (output, text) in [("live event", live), ("board", board), ("history", history)] {
                #expect(text.contains("\"setBy\":\"an administrator\""), "\(output): \(text)")
                #expect(!text.contains("Root Example") && !text.contains("\"root\""), "\(output) names root: \(text)")
            }
            // Someone the board lists is named as before.
            let danToken = try await api.login("dan")
            _ = try await api.send(.put, "/api/v1/people/\(cat)/status", json: "{\"type\":\"In\"}", token: danToken)
            let after = String(decoding: try await api.send(.get, "/api/v1/people", token: annToken).1, as: UTF8.self)
            #expect(after.contains("\"setBy\":\"Dan Example\""), "\(after)")
        }
    }

    /// Notes go only to people the board lists: a note to the local admin was accepted (201) where its card and
    /// watches answer 404, which found its id and let anyone flood it with notes and mail. A note the local admin
    /// leaves says it is from "an administrator", not the account's name.
    @Test func notesNeitherReachNorNameTheLocalAdmin() async throws {
        try await withPeople { api, people, db, _ in
            let (annToken, rootToken) = (try await api.login("ann"), try await api.login("root"))
            let (status, _) = try await api.send(
                .post, "/api/v1/people/\(people.ids["root"]!)/notes", json: "{\"body\":\"hello\"}", token: annToken)
            #expect(status == 404)
            #expect(try await db.scalar("SELECT count(*) FROM notes") == 0)
            let (left, answer) = try await api.send(
                .post, "/api/v1/people/\(people.ids["ann"]!)/notes", json: "{\"body\":\"call IT\"}", token: rootToken)
            #expect(left == 201, "\(String(decoding: answer, as: UTF8.self))")
            let notes = String(
                decoding: try await api.send(.get, "/api/v1/me/notes", token: annToken).1, as: UTF8.self)
            #expect(notes.contains("\"from\":\"an administrator\"") && !notes.contains("Root Example"), "\(notes)")
            let stored = try await db.scalar(
                "SELECT count(*) FROM events WHERE kind = 'note' AND payload->>'from' = 'an administrator'")
            #expect(stored == 1, "the live event and the mail carry the same payload")
            // Watching: the local admin watching ann is "an administrator" in her list of watchers.
            try await db.execute(
                "INSERT INTO watches (watcher_id, watched_id, only_in) VALUES (\(people.ids["root"]!), \(people.ids["ann"]!), false)"
            )
            let watchers = String(
                decoding: try await api.send(.get, "/api/v1/me/watchers", token: annToken).1, as: UTF8.self)
            #expect(watchers.contains("an administrator") && !watchers.contains("Root Example"), "\(watchers)")
        }
    }

    /// A leaver's timed status ending is no live event for colleagues: their entry (name, address, department)
    /// is for admins only once they are disabled.
    @Test func aDisabledPersonsExpiryIsNoLiveEvent() async throws {
        try await withPeople { api, _, db, port in
            let (annToken, catToken) = (try await api.login("ann"), try await api.login("cat"))
            let stream = try EventStreamReader(port: port, token: annToken)
            #expect(try await stream.connected())
            #expect(
                try await api.send(.put, "/api/v1/me/status", json: "{\"type\":\"Remote\"}", token: catToken).0 == 200)
            #expect(try await stream.wait { $0.contains("Cat Example") }, "cat's own change: \(stream.text)")
            try await db.execute("UPDATE people SET active = false, disabled_reason = 'left' WHERE username = 'cat'")
            try await db.execute(
                """
                UPDATE statuses SET expires_at = now() - interval '1 second'
                WHERE person_id = (SELECT id FROM people WHERE username = 'cat')
                """)
            try await LateStatusChangeTests().expireDue(db)  // or the server's own job did it first
            #expect(try await db.scalar("SELECT count(*) FROM statuses WHERE expires_at IS NOT NULL") == 0)
            // A change of ann's own after it: once it arrives, anything about cat would have too.
            _ = try await api.send(.put, "/api/v1/me/status", json: "{\"type\":\"Remote\"}", token: annToken)
            #expect(try await stream.wait { $0.contains("Ann Example") }, "no event: \(stream.text)")
            let text = await stream.stop()
            #expect(
                text.components(separatedBy: "\"username\":\"cat\"").count == 2,
                "a leaver's entry went to a colleague: \(text)")
        }
    }

    /// A local account's name spelled so that PostgreSQL finds the account but Swift lower-cases it otherwise
    /// ("ADMİN": dotted capital I) was counted under a name of its own: a fresh budget per spelling, also while
    /// the account was locked.
    @Test func everySpellingOfALocalAccountSharesItsLock() async throws {
        try await TemporaryDatabase.with { db in
            _ = try await SeededPeople.seed(db)
            try await db.execute(
                """
                INSERT INTO people (username, display_name, source, role, password_hash)
                SELECT 'admin', 'Admin', 'local', 'admin', password_hash FROM people WHERE username = 'root'
                """)
            try await makeTestApp(databaseURL: db.url, loginFirstLock: .seconds(900)).test(.live) { client in
                let api = APIClient(client: client)
                func login(_ name: String, _ password: String) async throws -> Int {
                    try await api.send(
                        .post, "/api/v1/auth/login",
                        json: "{\"username\":\"\(name)\",\"password\":\"\(password)\"}"
                    ).0
                }
                var answers: [Int] = []
                while answers.last != 429, answers.count < 10 { answers.append(try await login("admin", "wrong")) }
                #expect(answers.last == 429, "never locked: \(answers)")
                #expect(
                    try await login("ADM\u{130}N", SeededPeople.password) == 429,
                    "another spelling got past the lock with the right password")
            }
        }
    }
}
