import Foundation
import HummingbirdTesting
import InboardServer
import InboardStore
import InboardTestSupport
import Logging
import PostgresNIO
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

                    // cat and dan listen on the second process; ann acts through the first. Each wait ends when
                    // what it waits for arrives (a minute at most): no fixed window for a loaded machine to miss.
                    let catStream = try EventStreamReader(port: port, token: catToken)
                    let danStream = try EventStreamReader(port: port, token: danToken)
                    let (catOpen, danOpen) = (try await catStream.connected(), try await danStream.connected())
                    #expect(catOpen && danOpen, "the streams did not open")
                    _ = try await one.object(
                        .put, "/api/v1/me/status",
                        json:
                            "{\"type\":\"Lunch\",\"note\":\"secret\",\"noteHidden\":true,\"returnAt\":\"\(isoDate(in: 3600))\"}",
                        token: annToken)
                    _ = try await one.object(
                        .post, "/api/v1/people/\(cat)/notes", json: "{\"body\":\"Call me back\"}", token: annToken)
                    // A last change after them: once dan has it, anything meant for cat would have reached him.
                    _ = try await one.object(.put, "/api/v1/me/status", json: "{\"type\":\"In\"}", token: annToken)
                    let everything = ["status", "watch", "note", "status", "watch"]
                    #expect(
                        try await catStream.wait { _ in catStream.kinds == everything }, "cat got: \(catStream.text)")
                    #expect(try await danStream.wait { _ in danStream.kinds.count >= 2 }, "dan got: \(danStream.text)")
                    let (catEvents, danEvents) = (await catStream.stop(), await danStream.stop())

                    #expect(catEvents.contains("\"username\":\"ann\""), "cat got: \(catEvents)")
                    #expect(catEvents.contains("Call me back"))
                    #expect(!catEvents.contains("secret"), "a hidden note reached a user")
                    #expect(
                        danEvents.contains("event: status") && danEvents.contains("secret"),
                        "a delegate sees hidden notes: \(danEvents)")
                    #expect(
                        !danEvents.contains("event: watch") && !danEvents.contains("Call me back"),
                        "dan got events meant for cat: \(danEvents)")

                    // cat reconnects having seen nothing: everything visible to cat comes back, in order.
                    let replaying = try EventStreamReader(port: port, token: catToken, lastEventID: "0")
                    #expect(try await replaying.wait { _ in replaying.kinds.count >= everything.count })
                    let replay = await replaying.stop()
                    let kinds = replay.split(separator: "\n").filter { $0.hasPrefix("event: ") }.map {
                        String($0.dropFirst(7))
                    }
                    #expect(kinds == everything, "replay: \(replay)")
                    let ids = replay.split(separator: "\n").filter { $0.hasPrefix("id: ") }.compactMap {
                        Int64($0.dropFirst(4))
                    }
                    #expect(ids == ids.sorted() && ids.count == everything.count)
                    // Resuming from the last id replays nothing: the next live change is the first event to arrive.
                    let resumed = try EventStreamReader(
                        port: port, token: catToken, lastEventID: ids.last.map(String.init))
                    #expect(try await resumed.connected())
                    _ = try await one.object(.put, "/api/v1/me/status", json: "{\"type\":\"Remote\"}", token: annToken)
                    #expect(try await resumed.wait { _ in resumed.kinds.count >= 2 })
                    let laterKinds = resumed.kinds
                    let later = await resumed.stop()
                    #expect(
                        laterKinds == ["status", "watch"] && later.contains("\"Remote\""),
                        "events already seen were replayed: \(later)")

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

    /// A change's events handed to its own process's streams (not read back from the log) follow the same rules as
    /// those read: a hidden note reaches the person's delegate and not a colleague, a watch event only its watcher.
    @Test func aHiddenNoteHandedOverOnItsOwnServerReachesOnlyThoseWhoMayReadIt() async throws {
        try await TemporaryDatabase.with { db in
            let people = try await SeededPeople.seed(db)
            let ann = people.ids["ann"]!
            try await makeTestApp(databaseURL: db.url).test(.live) { server in
                let api = APIClient(client: server)
                let (annToken, catToken, danToken) = (
                    try await api.login("ann"), try await api.login("cat"), try await api.login("dan")
                )
                let port = try #require(server.port)
                try await api.send(.post, "/api/v1/watches", json: "{\"personId\":\(ann)}", token: catToken)
                let catStream = try EventStreamReader(port: port, token: catToken)
                let danStream = try EventStreamReader(port: port, token: danToken)
                let (catOpen, danOpen) = (try await catStream.connected(), try await danStream.connected())
                #expect(catOpen && danOpen, "the streams did not open")
                _ = try await api.object(
                    .put, "/api/v1/me/status",
                    json:
                        "{\"type\":\"Lunch\",\"note\":\"secret-7\",\"noteHidden\":true,\"returnAt\":\"\(isoDate(in: 3600))\"}",
                    token: annToken)
                #expect(try await catStream.wait { _ in catStream.kinds == ["status", "watch"] }, "\(catStream.text)")
                #expect(try await danStream.wait { _ in danStream.kinds == ["status"] }, "\(danStream.text)")
                let (catEvents, danEvents) = (await catStream.stop(), await danStream.stop())
                #expect(!catEvents.contains("secret-7"), "a hidden note reached a colleague: \(catEvents)")
                #expect(danEvents.contains("secret-7"), "the delegate did not get the hidden note: \(danEvents)")
            }
        }
    }

    /// An event whose transaction commits after a later one's (its id is lower) reaches a client that left in
    /// between and resumes with the id of the last frame it saw: that id names the ids still being committed.
    @Test func anEventCommittedLateReachesAClientThatResumesAfterALaterOne() async throws {
        try await TemporaryDatabase.with { db in
            let people = try await SeededPeople.seed(db)
            let cat = people.ids["cat"]!
            let pool = try db.database.makePool(size: 1)
            defer { pool.shutDown() }
            try await makeTestApp(databaseURL: db.url).test(.live) { client in
                let api = APIClient(client: client)
                let (annToken, catToken) = (try await api.login("ann"), try await api.login("cat"))
                let port = try #require(client.port)
                let first = try EventStreamReader(port: port, token: catToken)
                // Another of cat's streams stays open: the late event reaches it live before the first resumes.
                let staying = try EventStreamReader(port: port, token: catToken)
                #expect(try await first.connected())
                #expect(try await staying.connected())
                // A writer takes an event id and holds its transaction open.
                let (inserted, insertedNow) = AsyncStream<Void>.makeStream()
                let (commit, commitNow) = AsyncStream<Void>.makeStream()
                let writer = Task {
                    try await pool.withConnection { connection in
                        let logger = Logger(label: "test")
                        try await connection.query("BEGIN", logger: logger)
                        try await connection.query(
                            PostgresQuery(
                                unsafeSQL: "INSERT INTO events (kind, subject_id, recipient_id, payload) VALUES "
                                    + "('note', \(cat), \(cat), '{\"body\":\"committed late\"}')"), logger: logger)
                        insertedNow.yield()
                        for await _ in commit { break }
                        try await connection.query("COMMIT", logger: logger)
                    }
                }
                for await _ in inserted { break }
                // A later change commits first and reaches the stream; then the client goes away.
                _ = try await api.object(.put, "/api/v1/me/status", json: "{\"type\":\"Remote\"}", token: annToken)
                #expect(try await first.wait { _ in first.kinds.contains("status") })
                let seen = await first.stop()
                let lastID = try #require(
                    seen.split(separator: "\n").last { $0.hasPrefix("id: ") }.map { String($0.dropFirst(4)) })
                #expect(lastID.contains("."), "the frame's id names the id still being committed: \(seen)")
                commitNow.yield()
                try await writer.value
                #expect(try await staying.wait { $0.contains("committed late") }, "the hub never delivered it")
                _ = await staying.stop()
                let resumed = try EventStreamReader(port: port, token: catToken, lastEventID: lastID)
                #expect(try await resumed.wait { $0.contains("committed late") }, "the late note was lost")
                let text = await resumed.stop()
                #expect(!text.contains("event: status"), "the change it saw came again: \(text)")
            }
        }
    }

    /// A stream opened without Last-Event-ID is told where it starts, so a client that loses it before its first
    /// event and reconnects from there gets what happened while it was away.
    @Test func aStreamDroppedBeforeItsFirstEventResumesFromWhereItStarted() async throws {
        try await withPeople { api, _, _, port in
            let (annToken, catToken) = (try await api.login("ann"), try await api.login("cat"))
            let first = try EventStreamReader(port: port, token: catToken)
            #expect(try await first.connected())
            let preamble = await first.stop()
            let start = try #require(
                preamble.split(separator: "\n").first { $0.hasPrefix("id: ") }.flatMap { Int64($0.dropFirst(4)) },
                "no starting id: \(preamble)")
            #expect(!preamble.contains("event: "), "an event before any change: \(preamble)")

            _ = try await api.object(.put, "/api/v1/me/status", json: "{\"type\":\"Remote\"}", token: annToken)
            let resumed = try EventStreamReader(port: port, token: catToken, lastEventID: String(start))
            #expect(try await resumed.wait { _ in resumed.kinds.contains("status") })
            let text = await resumed.stop()
            #expect(text.contains("\"Remote\""), "the change made while away did not come: \(text)")
            #expect(
                !text.split(separator: "\n").contains { $0 == "id: \(start)" },
                "a resumed stream is not told a starting id again")
        }
    }

    /// A client that missed more than a replay holds is told so (`event: reset`, with the id live delivery starts
    /// after) instead of getting the oldest 1,000 and then live events with everything between silently skipped;
    /// one that missed exactly 1,000 gets them replayed.
    @Test func aClientTooFarBehindIsToldToReadTheBoardAgain() async throws {
        try await withPeople { api, people, db, port in
            let (annToken, catToken) = (try await api.login("ann"), try await api.login("cat"))
            let start = try await db.scalar("SELECT COALESCE(max(id), 0) FROM events")
            // A note for cat first (a replay of any part would show it), 1,100 events cat may not see (notes for dan),
            // then another note for cat among what cat missed.
            _ = try await api.object(
                .post, "/api/v1/people/\(people.ids["cat"]!)/notes", json: "{\"body\":\"first missed\"}",
                token: annToken)
            try await db.execute(
                """
                INSERT INTO events (kind, recipient_id, payload)
                SELECT 'note', \(people.ids["dan"]!), '{"from":"x","body":"for dan"}' FROM generate_series(1, 1100)
                """)
            _ = try await api.object(
                .post, "/api/v1/people/\(people.ids["cat"]!)/notes", json: "{\"body\":\"missed\"}", token: annToken)
            // Once this server's hub has read them all (a stream opened without Last-Event-ID starts where it is), cat
            // comes back from before them.
            func hubHasRead(_ id: Int64) async throws -> Bool {
                try await eventually(within: .seconds(60)) {
                    let probe = try EventStreamReader(port: port, token: annToken)
                    guard try await probe.connected() else { return false }
                    let preamble = await probe.stop()
                    let startsAt = preamble.split(separator: "\n").first { $0.hasPrefix("id: ") }.map {
                        Int64($0.dropFirst(4).prefix { $0.isNumber }) ?? 0
                    }
                    return (startsAt ?? 0) >= id
                }
            }
            let newest = try await db.scalar("SELECT max(id) FROM events")
            #expect(try await hubHasRead(newest), "the hub never read up to \(newest)")
            let resumed = try EventStreamReader(port: port, token: catToken, lastEventID: String(start))
            #expect(try await resumed.wait { _ in resumed.kinds.contains("reset") }, "no reset: \(resumed.text)")
            _ = try await api.object(.put, "/api/v1/me/status", json: "{\"type\":\"Remote\"}", token: annToken)
            #expect(try await resumed.wait { _ in resumed.kinds.contains("status") })
            let text = await resumed.stop()
            #expect(
                text.split(separator: "\n").first { $0.hasPrefix("event: ") } == "event: reset", "reset first: \(text)")
            #expect(!text.contains("missed") && !text.contains("for dan"), "a replay was sent with the reset: \(text)")
            let lines = text.split(separator: "\n")
            let resetID = try #require(
                lines.firstIndex { $0 == "event: reset" }.map { lines[$0 - 1] }.flatMap {
                    $0.hasPrefix("id: ") ? String($0.dropFirst(4)) : nil
                }, "the reset carries no id: \(text)")
            #expect(
                (Int64(resetID.prefix { $0.isNumber }) ?? 0) >= newest,
                "the reset's id is not where live delivery starts")
            // What cat missed is still there to read: the note waits in its notes.
            let notes = try #require(
                try await api.object(.get, "/api/v1/me/notes", token: catToken)["notes"] as? [[String: Any]])
            #expect(notes.contains { $0["body"] as? String == "missed" }, "\(notes)")
            #expect(notes.contains { $0["body"] as? String == "first missed" }, "\(notes)")

            // Exactly a replay's worth missed: replayed, no reset.
            let latest = try await db.scalar("SELECT max(id) FROM events")
            let replaying = try EventStreamReader(port: port, token: catToken, lastEventID: String(latest - 1000))
            #expect(try await replaying.connected())
            _ = try await api.object(.put, "/api/v1/me/status", json: "{\"type\":\"In\"}", token: annToken)
            #expect(try await replaying.wait { $0.contains("\"In\"") })
            let replayed = await replaying.stop()
            #expect(!replayed.contains("event: reset"), "a reset for 1,000 missed events: \(replayed.prefix(500))")
            #expect(replayed.contains("\"Remote\""), "the replay did not come: \(replayed.prefix(500))")

            // A few missed, but the oldest of them already deleted by housekeeping (the log keeps seven days): reset.
            let before = try await db.scalar("SELECT max(id) FROM events")
            _ = try await api.object(
                .put, "/api/v1/me/status", json: "{\"type\":\"Remote\",\"note\":\"pruned-change\"}", token: annToken)
            #expect(try await hubHasRead(before + 1), "the hub never read the change")
            try await db.execute("DELETE FROM events WHERE id <= \(before + 1)")
            let pruned = try EventStreamReader(port: port, token: catToken, lastEventID: String(before))
            #expect(try await pruned.wait { _ in pruned.kinds.contains("reset") }, "no reset after pruning")
            let prunedText = await pruned.stop()
            #expect(!prunedText.contains("pruned-change"), "a replay with a hole in it: \(prunedText)")
        }
    }

    /// The board page carries where the hub was before it read the board; its stream resumes from there, so a change
    /// made between the page's read and the stream opening reaches the page (a plain stream would start after it).
    @Test func theBoardPagesStreamGetsAChangeMadeBeforeItOpened() async throws {
        try await withPeople { api, _, _, port in
            let (annToken, catToken) = (try await api.login("ann"), try await api.login("cat"))
            let page = String(decoding: try await api.send(.get, "/", token: catToken).1, as: UTF8.self)
            let marker = #"data-stream-from=""#
            let from = try #require(
                page.range(of: marker).map { String(page[$0.upperBound...].prefix { $0 != "\"" }) },
                "the board page carries no stream position")
            #expect(!from.isEmpty && from.allSatisfy { "0123456789.:-".contains($0) }, "\(from)")
            _ = try await api.object(
                .put, "/api/v1/me/status", json: "{\"type\":\"Remote\",\"note\":\"between\"}", token: annToken)
            let stream = try EventStreamReader(port: port, token: catToken, lastEventID: from, inQuery: true)
            #expect(try await stream.wait { $0.contains("between") }, "the change before the stream opened was lost")
            _ = await stream.stop()
        }
    }

    /// A stream's frames come two ways: its replay, written by the response, and live frames the hub writes straight
    /// to the connection once the replay is out. Streams that resume while changes are being committed get each
    /// event exactly once, in order, whichever way it came.
    @Test func streamsResumingWhileChangesArriveGetEachEventOnceInOrder() async throws {
        try await TemporaryDatabase.with { db in
            _ = try await SeededPeople.seed(db)
            try await makeTestApp(databaseURL: db.url, statusChangeLimit: 0).test(.live) { client in
                let api = APIClient(client: client)
                let (annToken, catToken) = (try await api.login("ann"), try await api.login("cat"))
                let port = try #require(client.port)
                let (before, during) = (5, 60)
                for index in 0..<before {
                    _ = try await api.object(
                        .put, "/api/v1/me/status", json: "{\"type\":\"In\",\"note\":\"before \(index)\"}",
                        token: annToken)
                }
                let changes = Task {
                    for index in 0..<during {
                        _ = try await api.object(
                            .put, "/api/v1/me/status", json: "{\"type\":\"In\",\"note\":\"during \(index)\"}",
                            token: annToken)
                    }
                }
                var streams: [EventStreamReader] = []
                // As many as a person may hold, each replaying from the start while the changes go on.
                for _ in 0..<10 {
                    streams.append(try EventStreamReader(port: port, token: catToken, lastEventID: "0"))
                    try await Task.sleep(for: .milliseconds(15))
                }
                try await changes.value
                for stream in streams {
                    #expect(try await stream.wait { _ in stream.kinds.count >= before + during }, "got: \(stream.text)")
                    let text = await stream.stop()
                    let notes = text.split(separator: "\n").filter { $0.hasPrefix("data: ") }.compactMap { line in
                        line.range(of: "\"note\":\"[a-z]+ [0-9]+\"", options: .regularExpression).map {
                            String(line[$0])
                        }
                    }
                    let expected =
                        (0..<before).map { "\"note\":\"before \($0)\"" }
                        + (0..<during).map { "\"note\":\"during \($0)\"" }
                    #expect(
                        notes == expected, "a stream got \(notes.count) of \(expected.count), or twice, or out of order"
                    )
                }
            }
        }
    }
}
