import Foundation
import HTTPTypes
import HummingbirdTesting
import InboardCore
@testable import InboardServer
import InboardStore
import InboardTestSupport
import Logging
import Testing

/// Security: what a plain user may read of others, what a delegate may change, and the abuse limits.
/// Seeded people: ann and cat (users), dan (delegate), root (local admin).
@Suite struct PrivacyAndAbuseTests {
    @Test func whereAStatusWasSetFromIsForThePersonAndAdmins() async throws {
        try await withPeople { api, people, _, _ in
            let ann = people.ids["ann"]!
            let (annToken, catToken, rootToken) = (
                try await api.login("ann"), try await api.login("cat"), try await api.login("root")
            )
            try await api.send(.put, "/api/v1/me/status", json: #"{"type":"In"}"#, token: annToken)
            func source(_ token: String) async throws -> Any? {
                let history =
                    try await api.object(.get, "/api/v1/people/\(ann)/history", token: token)["history"]
                    as? [[String: Any]]
                return history?.first?["source"]
            }
            #expect(try await source(catToken) == nil, "a colleague sees where ann set her status from")
            #expect(try await source(annToken) != nil)
            #expect(try await source(rootToken) != nil)
        }
    }

    @Test func disabledPeopleAreForAdminsAndLocalAdminsAreNotOnTheBoard() async throws {
        try await withPeople { api, people, db, _ in
            let cat = people.ids["cat"]!
            let (annToken, rootToken) = (try await api.login("ann"), try await api.login("root"))
            try await db.execute("UPDATE people SET active = false, disabled_reason = 'left' WHERE username = 'cat'")
            #expect(try await api.send(.get, "/api/v1/people/\(cat)", token: annToken).0 == 404)
            #expect(try await api.send(.get, "/people/\(cat)", token: annToken).0 == 404)
            #expect(try await api.send(.get, "/api/v1/people/\(cat)", token: rootToken).0 == 200)
            #expect(
                try await api.send(.get, "/api/v1/people/\(cat)/history", token: annToken).0 == 404,
                "a leaver's history")
            let root = people.ids["root"]!
            #expect(
                try await api.send(.get, "/api/v1/people/\(root)", token: annToken).0 == 404,
                "the break-glass account's card")
            #expect(try await api.send(.get, "/api/v1/people/\(root)/history", token: annToken).0 == 404)
            let watchRoot = "{\"personId\":\(root)}"
            #expect(
                try await api.send(.post, "/api/v1/watches", json: watchRoot, token: annToken).0 == 404,
                "watching the break-glass account")
            let board = String(decoding: try await api.send(.get, "/api/v1/people", token: annToken).1, as: UTF8.self)
            #expect(!board.contains("\"root\""), "the local admin account is listed on the board")
            #expect(board.contains("\"ann\"") && board.contains("\"dan\""))
        }
    }

    /// The board reads entries as columns; events carry them as JSON built in SQL. Both must say the same.
    @Test func anEntryReadAsColumnsIsTheEntryEventsCarry() async throws {
        try await TemporaryDatabase.with { db in
            _ = try await SeededPeople.seed(db)
            try await db.execute(
                """
                INSERT INTO statuses (person_id, type_id, note, note_hidden, return_at, expires_at, set_by, auto_away)
                SELECT p.id, t.id, 'note of ' || p.username, p.username = 'ann', now() - interval '1 hour',
                       CASE WHEN p.username = 'ann' THEN now() + interval '1 day' END,
                       (SELECT id FROM people WHERE username = 'dan'), p.username = 'cat'
                FROM people p, status_types t WHERE t.name = 'Out' AND p.username IN ('ann', 'cat', 'dan')
                """)
            try await db.execute("UPDATE people SET department = 'Sales', email = NULL WHERE username = 'cat'")
            let logger = Logger(label: "test")
            let pool = try db.database.makePool()
            async let running: Void = pool.run()
            let store = StatusStore(database: pool, logger: logger)
            var compared = 0
            for try await (id, json) in try await pool.query(
                "SELECT p.id, \(unescaped: StatusStore.entrySQL)::text \(unescaped: StatusStore.entryFrom)",
                logger: logger
            ).decode((Int64, String).self) {
                let fromJSON = try BoardEntry.decoder.decode(BoardEntry.self, from: Data(json.utf8))
                let fromColumns = try #require(try await store.entry(personID: id))
                var aligned = fromColumns  // timestamps: microseconds either way, as a Double or as a Date
                if let status = fromJSON.status, aligned.status != nil {
                    for (a, b) in [
                        (aligned.status?.returnAt, status.returnAt), (aligned.status?.expiresAt, status.expiresAt),
                        (aligned.status?.setAt, status.setAt),
                    ] {
                        #expect(abs((a?.timeIntervalSince1970 ?? 0) - (b?.timeIntervalSince1970 ?? 0)) < 0.000_01)
                    }
                    aligned.status?.returnAt = status.returnAt
                    aligned.status?.expiresAt = status.expiresAt
                    aligned.status?.setAt = status.setAt
                }
                #expect(aligned == fromJSON, "person \(id)")
                compared += fromJSON.status == nil ? 0 : 1
            }
            #expect(compared == 3)
            pool.shutDown()
            _ = await running
        }
    }

    @Test func theBoardListingRuleHasOneMeaningInSQLAndSwift() async throws {
        try await TemporaryDatabase.with { db in
            _ = try await SeededPeople.seed(db)
            try await db.execute(
                """
                INSERT INTO people (username, display_name, source, role, directory_id) VALUES
                  ('dirAdmin', 'Directory Admin', 'directory', 'admin', 'guid-1'), ('dirUser', 'Directory User', 'directory', 'user', 'guid-2')
                """)
            let logger = Logger(label: "test")
            let pool = try db.database.makePool()
            async let running: Void = pool.run()
            let listed = Set(try await StatusStore(database: pool, logger: logger).board().map(\.username))
            var expected = Set<String>()
            for try await (username, source, role) in try await pool.query(
                "SELECT username, source, role FROM people WHERE active", logger: logger
            )
            .decode((String, String, String).self)
            where PersonVisibilityRule.listsOnBoard(isLocalAccount: source == "local", role: role) {
                expected.insert(username)
            }
            #expect(listed == expected)
            pool.shutDown()
            _ = await running
        }
    }

    @Test func aDelegateSetsActiveColleaguesButNotAdminsOrLeavers() async throws {
        try await withPeople { api, people, db, _ in
            let danToken = try await api.login("dan"), rootToken = try await api.login("root")
            let body = #"{"type":"In"}"#
            #expect(
                try await api.send(.put, "/api/v1/people/\(people.ids["ann"]!)/status", json: body, token: danToken).0
                    == 200)
            #expect(
                try await api.send(.put, "/api/v1/people/\(people.ids["root"]!)/status", json: body, token: danToken).0
                    == 403)
            try await db.execute("UPDATE people SET active = false WHERE username = 'cat'")
            #expect(
                try await api.send(.put, "/api/v1/people/\(people.ids["cat"]!)/status", json: body, token: danToken).0
                    == 403)
            #expect(
                try await api.send(.put, "/api/v1/people/\(people.ids["cat"]!)/status", json: body, token: rootToken).0
                    == 200)
        }
    }

    @Test func notesAreRateLimitedPerAuthor() async throws {
        try await withPeople { api, people, _, _ in
            let annToken = try await api.login("ann")
            let cat = people.ids["cat"]!
            var statuses: [Int] = []
            for index in 0...NoteStore.rateLimit {
                statuses.append(
                    try await api.send(
                        .post, "/api/v1/people/\(cat)/notes", json: #"{"body":"ping \#(index)"}"#, token: annToken
                    ).0)
            }
            #expect(statuses.dropLast().allSatisfy { $0 == 201 }, "\(statuses)")
            #expect(statuses.last == 429)
        }
    }

    @Test func onePersonHoldsAtMostTenLiveStreams() async throws {
        try await withPeople { api, _, _, port in
            let annToken = try await api.login("ann")
            let streams = try (0..<EventHub.maxStreamsPerPerson).map { _ in
                try EventStreamReader(port: port, token: annToken)
            }
            // The ten are open once each has its first line (a loaded machine may take a while); then one more
            // is refused, however long the server takes to say so.
            var open = 0
            for stream in streams where try await stream.connected() { open += 1 }
            #expect(open == streams.count, "\(open) of \(streams.count) streams opened within a minute")
            let extra = try await runProgram(
                "/usr/bin/curl",
                [
                    "-s", "-o", "/dev/null", "-w", "%{http_code}", "--max-time", "30", "-H",
                    "Authorization: Bearer \(annToken)", "http://127.0.0.1:\(port)/api/v1/events",
                ]
            ).output
            #expect(extra == "429", "stream \(EventHub.maxStreamsPerPerson + 1): \(extra)")
            // A client that leaves gives its slot back at once, not at the next failed heartbeat (15-30 s on).
            for stream in streams { _ = await stream.stop() }
            // Well inside the 15 s before a heartbeat would notice, with room for a loaded machine.
            let deadline = ContinuousClock.now + .seconds(11)
            var again = ""
            repeat {
                if !again.isEmpty { try await Task.sleep(for: .milliseconds(100)) }
                again = try await runProgram(
                    "/usr/bin/curl",
                    [
                        "-s", "-o", "/dev/null", "-w", "%{http_code}", "--max-time", "3", "-H",
                        "Authorization: Bearer \(annToken)", "http://127.0.0.1:\(port)/api/v1/events",
                    ]
                ).output
            } while again != "200" && ContinuousClock.now < deadline
            #expect(again == "200", "a stream after the ten closed: \(again)")
        }
    }

    /// Over a real connection, with `Accept-Encoding: gzip`, the BREACH attack's setting: cat's own note guesses
    /// ann's hidden one. Cat's board comes gzipped and without it; a delegate's comes gzipped with the hidden note
    /// stored as it is, its bytes there verbatim (compressed, they would be coded against cat's guess and the
    /// answer's length would tell cat how good the guess was: BoardCompressionRule); so does ann's own.
    @Test func aHiddenNoteIsNeverCompressedWithAGuessAtIt() async throws {
        try await withPeople { api, _, _, port in
            let (annToken, catToken, danToken) = (
                try await api.login("ann"), try await api.login("cat"), try await api.login("dan")
            )
            let secret = "hidden-from-cat-4711"
            let hidden =
                "{\"type\":\"Lunch\",\"note\":\"\(secret)\",\"noteHidden\":true,\"returnAt\":\"\(isoDate(in: 3600))\"}"
            _ = try await api.object(.put, "/api/v1/me/status", json: hidden, token: annToken)
            _ = try await api.object(
                .put, "/api/v1/me/status", json: "{\"type\":\"In\",\"note\":\"\(secret)\"}", token: catToken)
            func board(_ token: String) async throws -> BoardOverTheWire {
                try await BoardOverTheWire.read("/api/v1/people", port: port, token: token)
            }
            let cat = try await board(catToken)
            #expect(cat.headers.contains("content-encoding: gzip"), "\(cat.headers)")
            #expect(
                cat.body.contains("\"username\":\"ann\"")
                    && !cat.body.contains("\"note\":\"\(secret)\",\"noteHidden\":true"))
            let dan = try await board(danToken)
            #expect(dan.headers.contains("content-encoding: gzip"), "\(dan.headers)")
            #expect(dan.body.contains("\"note\":\"\(secret)\",\"noteHidden\":true"), "\(dan.body)")
            #expect(dan.raw.contains(secret), "the hidden note is stored in the gzip stream as it is")
            // Ann's own board is read for her (her hidden note is on it), and gzipped the same way.
            let ann = try await board(annToken)
            #expect(ann.headers.contains("content-encoding: gzip"), "\(ann.headers)")
            #expect(ann.body.contains("\"note\":\"\(secret)\",\"noteHidden\":true"), "ann sees her own note")
            #expect(ann.raw.contains(secret), "her hidden note is stored as it is")
        }
    }

    /// The same attack on a later page and on a search (each compressed per request, not cached): with enough people
    /// that both are over the size that is sent plain, ann's hidden note and cat's guess on the same answer, the
    /// delegate's answer is gzipped with the hidden note stored as it is; cat's never holds it.
    @Test func aHiddenNoteOnALaterPageOrInASearchIsNeverCompressedWithAGuessAtIt() async throws {
        try await withPeople { api, _, db, port in
            // Thirty people sorted before ann, so that a page of twenty puts ann, cat and dan on the second one.
            try await db.execute(
                """
                INSERT INTO people (username, display_name, source, role, department)
                SELECT 'filler' || g, 'Aa Example ' || lpad(g::text, 2, '0'), 'local', 'user', 'Sales'
                FROM generate_series(1, 30) g
                """)
            let (annToken, catToken, danToken) = (
                try await api.login("ann"), try await api.login("cat"), try await api.login("dan")
            )
            let secret = "hidden-from-cat-0815"
            let hidden =
                "{\"type\":\"Lunch\",\"note\":\"\(secret)\",\"noteHidden\":true,\"returnAt\":\"\(isoDate(in: 3600))\"}"
            _ = try await api.object(.put, "/api/v1/me/status", json: hidden, token: annToken)
            _ = try await api.object(
                .put, "/api/v1/me/status", json: "{\"type\":\"In\",\"note\":\"\(secret)\"}", token: catToken)
            let first = try await BoardOverTheWire.read("/api/v1/people?limit=20", port: port, token: danToken)
            #expect(!first.body.contains("\"username\":\"ann\""), "ann is on the first page: \(first.body)")
            let next = try #require(first.next, "no next page: \(first.headers)")
            for path in [next, "/api/v1/people?q=example"] {
                let dan = try await BoardOverTheWire.read(path, port: port, token: danToken)
                #expect(dan.headers.contains("content-encoding: gzip"), "\(path): \(dan.headers)")
                #expect(dan.body.contains("\"note\":\"\(secret)\",\"noteHidden\":true"), "\(path): \(dan.body)")
                #expect(dan.raw.contains(secret), "\(path): the hidden note is stored in the gzip stream as it is")
                let ann = try await BoardOverTheWire.read(path, port: port, token: annToken)
                #expect(ann.headers.contains("content-encoding: gzip"), "\(path): \(ann.headers)")
                #expect(ann.raw.contains(secret), "\(path): ann's own hidden note is stored as it is")
                let cat = try await BoardOverTheWire.read(path, port: port, token: catToken)
                #expect(cat.headers.contains("content-encoding: gzip"), "\(path): \(cat.headers)")
                #expect(
                    cat.body.contains("\"username\":\"ann\"")
                        && !cat.body.contains("\"note\":\"\(secret)\",\"noteHidden\":true"), "\(path): \(cat.body)")
            }
        }
    }

    /// Last-Event-ID names ids a stream still waits for (`105.101-104`): a user who writes every earlier id there gets
    /// them through the same visibility rule as live frames (no one else's note, no hidden note), and an id this
    /// server could not have written is refused rather than read.
    @Test func aCraftedLastEventIDReadsNothingTheUserMayNotSee() async throws {
        try await withPeople { api, people, db, port in
            let (annToken, catToken) = (try await api.login("ann"), try await api.login("cat"))
            let hidden =
                "{\"type\":\"Lunch\",\"note\":\"hidden-from-cat\",\"noteHidden\":true,\"returnAt\":\"\(isoDate(in: 3600))\"}"
            _ = try await api.object(.put, "/api/v1/me/status", json: hidden, token: annToken)
            _ = try await api.object(
                .post, "/api/v1/people/\(people.ids["dan"]!)/notes", json: "{\"body\":\"for-dan-only\"}",
                token: annToken)
            let newest = try await db.scalar("SELECT max(id) FROM events")
            let noteID = try await db.scalar("SELECT max(id) FROM events WHERE kind = 'note'")
            // Every id so far as "still pending" (ann's status comes back, without its note), and the note's id alone
            // in the frame-id form.
            for (crafted, replaysAnn) in [
                ("\(newest + 1).1-\(newest)", true), ("\(noteID):\(newest + 1).\(noteID)", false),
            ] {
                let stream = try EventStreamReader(port: port, token: catToken, lastEventID: crafted)
                #expect(try await stream.connected(), "Last-Event-ID \(crafted)")
                // A change after the replay: once it arrives, everything the replay would send has been sent.
                _ = try await api.object(
                    .put, "/api/v1/me/status", json: "{\"type\":\"In\",\"note\":\"marker\"}", token: catToken)
                #expect(try await stream.wait { $0.contains("marker") }, "Last-Event-ID \(crafted)")
                let received = await stream.stop()
                #expect(received.contains("\"username\":\"ann\"") == replaysAnn, "the replay: \(received)")
                #expect(!received.contains("for-dan-only"), "another person's note: \(received)")
                #expect(!received.contains("hidden-from-cat"), "a hidden note: \(received)")
                #expect(!received.contains("event: note"), "a note event: \(received)")
            }
            let malformed = [
                "-1", "1.-5", "99999999999999999999", "\(newest + 20_000).1", "1:2:3", "١٢", "5.3-2", "5.5", "0:5",
                "5." + String(repeating: "1.", count: 40) + "1",
            ]
            for crafted in malformed {
                let code = try await runProgram(
                    "/usr/bin/curl",
                    [
                        "-s", "-o", "/dev/null", "-w", "%{http_code}", "--max-time", "10", "-H",
                        "Authorization: Bearer \(catToken)", "-H", "Last-Event-ID: \(crafted)",
                        "http://127.0.0.1:\(port)/api/v1/events",
                    ]
                ).output
                #expect(code == "400", "Last-Event-ID \(crafted): \(code)")
            }
        }
    }

    @Test func housekeepingPrunesOldRowsAndHistoryPastItsRetention() async throws {
        try await TemporaryDatabase.with { db in
            let people = try await SeededPeople.seed(db)
            let ann = people.ids["ann"]!, cat = people.ids["cat"]!
            for statement in [
                "INSERT INTO login_throttle (key, failures, last_failure_at) VALUES ('old', 3, now() - interval '2 days'), ('fresh', 1, now())",
                "INSERT INTO sessions (token_hash, person_id, kind, expires_at) VALUES ('\\x01', \(ann), 'api', now() - interval '2 days'), ('\\x02', \(ann), 'api', now() + interval '1 day')",
                // The third is as old as the first but has a later id than a recent one: it stays, so the log
                // left is every id from its first on (a replay finds no hole in it).
                "INSERT INTO events (kind, payload, at) VALUES ('status', '{}', now() - interval '8 days'), ('status', '{}', now()), ('status', '{}', now() - interval '8 days')",
                // Delivered a month ago: gone; a dead letter stays for the admin whatever its age.
                "INSERT INTO outbox (event, state, created_at) VALUES ('watch', 'sent', now() - interval '31 days'), ('watch', 'sent', now()), ('watch', 'dead', now() - interval '90 days')",
                // More old history than one batch (5,000), then recent rows that stay.
                "INSERT INTO status_history (person_id, type_id, set_at) SELECT \(ann), (SELECT min(id) FROM status_types), now() - interval '800 days' FROM generate_series(1, 7001)",
                "INSERT INTO status_history (person_id, type_id, note) SELECT \(ann), (SELECT min(id) FROM status_types), 'recent' FROM generate_series(1, 3)",
                // Cat's only row is as old, but it is the record of the status she still has: it stays.
                "INSERT INTO status_history (person_id, type_id, note, set_at) VALUES (\(cat), (SELECT min(id) FROM status_types), 'cat-only', now() - interval '900 days')",
            ] { try await db.execute(statement) }
            let pool = try db.database.makePool()
            async let running: Void = pool.run()
            let keepingAll = Housekeeping(database: pool, logger: Logger(label: "test"), historyRetention: nil)
            #expect(
                try await keepingAll.prune() == Housekeeping.Pruned(throttleRows: 1, sessions: 1, events: 1, mails: 1))
            let pruned = try await Housekeeping(database: pool, logger: Logger(label: "test")).prune()
            #expect(pruned == Housekeeping.Pruned(historyRows: 7001))
            #expect(
                try await db.scalar(
                    "SELECT count(*) FROM status_history WHERE set_at < now() - interval '1 year' AND person_id = \(ann)"
                )
                    == 0)
            #expect(try await db.scalar("SELECT count(*) FROM status_history WHERE note = 'recent'") == 3)
            #expect(try await db.scalar("SELECT count(*) FROM status_history WHERE note = 'cat-only'") == 1)
            #expect(try await db.scalar("SELECT max(id) - min(id) + 1 - count(*) FROM events") == 0, "ids in one run")
            #expect(try await db.scalar("SELECT count(*) FROM events") == 2)
            pool.shutDown()
            _ = await running
        }
    }
}

/// Security: a broken policy file shows its path and line to admins only.
@Suite struct PolicyErrorLeakTests {
    @Test func aBrokenPolicyFileShowsNoPathToAUser() async throws {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("inboard-broken-policy-\(UUID())")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: folder) }
        try "links: [unclosed\n".write(
            to: folder.appendingPathComponent("links.yaml"), atomically: true, encoding: .utf8)
        try await TemporaryDatabase.with { db in
            _ = try await SeededPeople.seed(db)
            try await makeTestApp(databaseURL: db.url, policyDir: folder.path).test(.live) { client in
                let api = APIClient(client: client)
                let (userStatus, userBody) = try await api.send(
                    .get, "/api/v1/clients/manifest", token: try await api.login("ann"))
                let userText = String(decoding: userBody, as: UTF8.self)
                #expect(
                    userStatus == 503 && !userText.contains(folder.path) && !userText.contains("links.yaml"),
                    "\(userStatus) \(userText)")
                #expect(userText.contains("request"))
                let (_, adminBody) = try await api.send(
                    .get, "/api/v1/clients/manifest", token: try await api.login("root"))
                #expect(
                    String(decoding: adminBody, as: UTF8.self).contains(folder.path),
                    "an admin should see which file to fix")
            }
        }
    }
}

/// One board answer read over a real connection with curl: the headers (lower-cased, to look for one) and the
/// bytes as sent when gzip is accepted, the next page's link as sent, and the body as JSON.
struct BoardOverTheWire {
    let headers: String
    let next: String?
    let raw: String
    let body: String

    static func read(_ path: String, port: Int, token: String) async throws -> BoardOverTheWire {
        let common = ["-s", "--max-time", "10", "-H", "Authorization: Bearer \(token)"]
        let url = "http://127.0.0.1:\(port)\(path)"
        let raw = try await runProgram(
            "/usr/bin/curl", common + ["-H", "Accept-Encoding: gzip", "-D", "/dev/stderr", url])
        let body = try await runProgram("/usr/bin/curl", common + ["--compressed", url])
        let link = raw.error.split(separator: "\r\n").first { $0.lowercased().hasPrefix("link:") }
        let next = link?.split(separator: "<").last?.split(separator: ">").first.map(String.init)
        return BoardOverTheWire(headers: raw.error.lowercased(), next: next, raw: raw.output, body: body.output)
    }
}
