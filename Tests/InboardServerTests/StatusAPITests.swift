import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import InboardServer
import InboardStore
import InboardTestSupport
import Logging
import Testing

/// Statuses, the board, history, expiry, hidden notes, status types, watches and notes through the API,
/// on a real database.
@Suite struct StatusAPITests {
    @Test func settingStatusesWithTheirRulesHistoryOverdueAndHiddenNotes() async throws {
        try await TemporaryDatabase.with { db in
            let people = try await SeededPeople.seed(db)
            let (ann, cat) = (people.ids["ann"]!, people.ids["cat"]!)
            // The app's clock is moved by hand (return times, overdue): no wall-clock margin for a loaded machine.
            let clock = TestClock(Date())
            let at: @Sendable (Double) -> String = {
                ISO8601DateFormatter().string(from: clock.now.addingTimeInterval($0))
            }
            try await makeTestApp(databaseURL: db.url, clock: { clock.now }).test(.live) { client in
                let api = APIClient(client: client)
                let (annToken, catToken, danToken, rootToken) = (
                    try await api.login("ann"), try await api.login("cat"), try await api.login("dan"),
                    try await api.login("root")
                )

                let out = try await api.object(
                    .put, "/api/v1/me/status",
                    json: "{\"type\":\"out\",\"note\":\" Dentist \",\"returnAt\":\"\(isoDate(in: 3600))\"}",
                    token: annToken)
                let status = try #require(out["status"] as? [String: Any])
                #expect(
                    status["type"] as? String == "Out" && status["note"] as? String == "Dentist"
                        && status["overdue"] as? Bool == false)

                for (body, expected, field) in [
                    ("{\"type\":\"Out\"}", 422, "returnAt"),
                    ("{\"type\":\"Out\",\"returnAt\":\"\(isoDate(in: -60))\"}", 422, "returnAt"),
                    ("{\"type\":\"In\",\"note\":\"\(String(repeating: "x", count: 281))\"}", 422, "note"),
                    ("{\"type\":\"Teleported\"}", 422, "type"),
                    ("{\"type\":\"Out\",\"returnAt\":\"tomorrow\"}", 400, "returnAt"),
                    ("{\"note\":\"no type\"}", 400, "type"),
                    ("{\"type\":\"Out\",\"retrunAt\":\"\(isoDate(in: 60))\"}", 400, "retrunAt"),
                    ("{\"type\":\"In\",\"noteHidden\":\"yes\"}", 400, "noteHidden"),
                ] {
                    let (code, answer) = try await api.send(.put, "/api/v1/me/status", json: body, token: annToken)
                    #expect(
                        code == expected && String(decoding: answer, as: UTF8.self).contains(field),
                        "\(body) → \(code) \(String(decoding: answer, as: UTF8.self))")
                }

                #expect(
                    try await api.send(.put, "/api/v1/people/\(cat)/status", json: "{\"type\":\"In\"}", token: annToken)
                        .0 == 403)
                let byDelegate = try await api.object(
                    .put, "/api/v1/people/\(cat)/status",
                    json: "{\"type\":\"Meeting\",\"returnAt\":\"\(isoDate(in: 1800))\"}", token: danToken)
                #expect((byDelegate["status"] as? [String: Any])?["setBy"] as? String == "Dan Example")

                _ = try await api.object(
                    .put, "/api/v1/me/status",
                    json:
                        "{\"type\":\"Lunch\",\"note\":\"private\",\"noteHidden\":true,\"returnAt\":\"\(at(3600))\"}",
                    token: annToken)
                let seenByCat =
                    try await api.object(.get, "/api/v1/people/\(ann)", token: catToken)["status"] as? [String: Any]
                #expect(
                    seenByCat?["note"] == nil && seenByCat?["noteHidden"] as? Bool == true, "a user saw a hidden note")
                #expect(
                    (try await api.object(.get, "/api/v1/people/\(ann)", token: danToken)["status"] as? [String: Any])?[
                        "note"] as? String == "private")
                #expect(
                    (try await api.object(.get, "/api/v1/people/\(ann)", token: annToken)["status"] as? [String: Any])?[
                        "note"] as? String == "private")
                let csvForCat = String(
                    decoding: try await api.send(.get, "/api/v1/people.csv", token: catToken).1, as: UTF8.self)
                #expect(
                    csvForCat.hasPrefix("name,username,") && csvForCat.contains("Ann Example")
                        && !csvForCat.contains("private"))
                let historyForCat = String(
                    decoding: try await api.send(.get, "/api/v1/people/\(ann)/history", token: catToken).1,
                    as: UTF8.self)
                #expect(!historyForCat.contains("private"), "history leaks the hidden note")

                clock.advance(by: 7200)
                let late =
                    try await api.object(.get, "/api/v1/people/\(ann)", token: catToken)["status"] as? [String: Any]
                #expect(
                    late?["type"] as? String == "Lunch" && late?["overdue"] as? Bool == true,
                    "overdue, never flipped to In")

                _ = try await api.object(
                    .put, "/api/v1/me/status", json: "{\"type\":\"Remote\",\"expiresAt\":\"\(at(3600))\"}",
                    token: annToken)
                // Expiry is the database's own clock: the expiry time is moved to now instead of waiting for it.
                try await db.execute("UPDATE statuses SET expires_at = now() WHERE person_id = \(ann)")
                let pool = try db.database.makePool()
                let expired = try await withThrowingTaskGroup(of: Void.self) { group in
                    group.addTask { await pool.run() }
                    defer { group.cancelAll() }
                    return try await StatusStore(database: pool, logger: Logger(label: "test")).expireDue()
                }
                #expect(expired <= 1, "the server's own maintenance may have expired it first")
                let history = try #require(
                    try await api.object(.get, "/api/v1/people/\(ann)/history", token: annToken)["history"]
                        as? [[String: Any]])
                #expect(history.map { $0["type"] as? String } == ["In", "Remote", "Lunch", "Out"])
                #expect(history.first?["source"] as? String == "expiry")

                let everyone = try #require(
                    try await api.object(.get, "/api/v1/people", token: catToken)["people"] as? [[String: Any]])
                #expect(
                    (everyone.first { $0["username"] as? String == "ann" }?["status"] as? [String: Any])?["type"]
                        as? String == "In",
                    "the cached board missed the latest change")
                let board = try #require(
                    try await api.object(.get, "/api/v1/people?department=support", token: catToken)["people"]
                        as? [[String: Any]])
                #expect(board.map { $0["username"] as? String } == ["cat"])
                let search = try #require(
                    try await api.object(.get, "/api/v1/people?q=EXAM", token: catToken)["people"] as? [[String: Any]])
                #expect(search.count == 3, "ann, cat and dan; root is a local admin account, not on the board")
                #expect(try await api.send(.get, "/api/v1/people", token: nil).0 == 401)
                _ = rootToken
            }
        }
    }

    /// PostgreSQL's text cannot hold U+0000: a note, a status note or a contact field holding one is a 400 that
    /// names the field (a note with one was a 500, found by the schemathesis drill), and nothing is stored.
    @Test func aNULCharacterIsRefusedWithItsFieldAndNothingIsStored() async throws {
        try await withPeople { api, people, db, _ in
            let annToken = try await api.login("ann")
            for (method, uri, json, field) in [
                (
                    HTTPRequest.Method.post, "/api/v1/people/\(people.ids["cat"]!)/notes", #"{"body":"a\u0000b"}"#,
                    "body"
                ),
                (.put, "/api/v1/me/status", #"{"type":"In","note":"x\u0000"}"#, "note"),
                (.put, "/api/v1/me/contact", #"{"phone":"\u0000"}"#, "phone"),
            ] {
                let (status, body) = try await api.send(method, uri, json: json, token: annToken)
                let text = String(decoding: body, as: UTF8.self)
                #expect(status == 400 && text.contains("'\(field)' holds a NUL"), "\(uri): \(status) \(text)")
            }
            #expect(try await db.scalar("SELECT count(*) FROM notes") == 0)
            // A backslash followed by u0000 is text, not NUL: stored as written.
            let (status, _) = try await api.send(
                .put, "/api/v1/me/status", json: #"{"type":"In","note":"C:\\u0000"}"#, token: annToken)
            #expect(status == 200)
        }
    }

    @Test func statusTypesAreManagedByAdminsOnly() async throws {
        try await withPeople { api, _, _, _ in
            let (catToken, rootToken) = (try await api.login("cat"), try await api.login("root"))
            let training =
                "{\"name\":\"Training\",\"colour\":\"#123456\",\"presence\":\"out\",\"needsReturnTime\":true}"
            #expect(
                try await api.send(.post, "/api/v1/admin/status-types", json: training, token: catToken).0 == 403)
            #expect(try await api.send(.get, "/api/v1/admin/status-types", token: catToken).0 == 403)
            let created = try await api.object(
                .post, "/api/v1/admin/status-types", json: training, token: rootToken)
            #expect(created["name"] as? String == "Training")
            #expect(
                try await api.send(.post, "/api/v1/admin/status-types", json: training, token: rootToken).0 == 409)
            #expect(
                try await api.send(
                    .post, "/api/v1/admin/status-types",
                    json: "{\"name\":\"X\",\"colour\":\"red\",\"presence\":\"out\"}", token: rootToken
                ).0 == 422)
            // A fallback that does not exist is the admin's mistake (422), not the server's (it was a 500).
            let (noFallback, noFallbackBody) = try await api.send(
                .post, "/api/v1/admin/status-types",
                json: "{\"name\":\"Y\",\"colour\":\"#123456\",\"presence\":\"out\",\"fallbackTypeId\":-7917}",
                token: rootToken)
            #expect(noFallback == 422 && String(decoding: noFallbackBody, as: UTF8.self).contains("fallbackTypeId"))
            // A number its column cannot hold is the caller's mistake too (it was a 500).
            let (tooBig, _) = try await api.send(
                .post, "/api/v1/admin/status-types",
                json: "{\"name\":\"Z\",\"colour\":\"#123456\",\"presence\":\"out\",\"sortOrder\":34657053834255}",
                token: rootToken)
            #expect(tooBig == 422)
            let id = created["id"] as? Int ?? 0
            _ = try await api.object(
                .put, "/api/v1/admin/status-types/\(id)",
                json: "{\"name\":\"Training\",\"colour\":\"#123456\",\"presence\":\"out\",\"active\":false}",
                token: rootToken)
            let offered = try #require(
                try await api.object(.get, "/api/v1/status-types", token: catToken)["statusTypes"]
                    as? [[String: Any]])
            #expect(!offered.contains { $0["name"] as? String == "Training" }, "an inactive type is still offered")
            let (code, body) = try await api.send(
                .put, "/api/v1/me/status", json: "{\"type\":\"Training\",\"returnAt\":\"\(isoDate(in: 600))\"}",
                token: catToken)
            #expect(code == 422 && String(decoding: body, as: UTF8.self).contains("no longer offered"))
        }
    }

    /// The server keeps the types changes name (a change does not read its type each time); a type changed
    /// since, by another server straight in the database, must judge the next change as it is now.
    @Test func aChangeIsJudgedAgainstItsTypeAsItIsNowNotAsItWasFirstRead() async throws {
        try await withPeople { api, people, db, _ in
            let annToken = try await api.login("ann")
            var applied = 0
            func put(_ json: String) async throws -> (Int, String) {
                let (code, body) = try await api.send(.put, "/api/v1/me/status", json: json, token: annToken)
                if code == 200 { applied += 1 }
                return (code, String(decoding: body, as: UTF8.self))
            }
            let ann = people.ids["ann"]!
            let historyBefore = try await db.scalar("SELECT count(*) FROM status_history WHERE person_id = \(ann)")
            #expect(try await put("{\"type\":\"Remote\"}").0 == 200)  // "Remote" is kept from here on
            // Kept as it was, the type took this change; written, it found the type changed: judged again.
            try await db.execute("UPDATE status_types SET needs_return_time = TRUE WHERE name = 'Remote'")
            let (needsReturn, needsReturnBody) = try await put("{\"type\":\"Remote\",\"note\":\"again\"}")
            #expect(needsReturn == 422 && needsReturnBody.contains("returnAt"), "\(needsReturnBody)")
            // Kept as it is now (needing a return time), the type refuses a change it no longer refuses: judged again.
            try await db.execute("UPDATE status_types SET needs_return_time = FALSE WHERE name = 'Remote'")
            #expect(try await put("{\"type\":\"Remote\",\"note\":\"no return time\"}").0 == 200)
            try await db.execute("UPDATE status_types SET active = FALSE WHERE name = 'Remote'")
            let (inactive, inactiveBody) = try await put("{\"type\":\"Remote\"}")
            #expect(inactive == 422 && inactiveBody.contains("no longer offered"), "\(inactiveBody)")
            try await db.execute("UPDATE status_types SET active = TRUE, name = 'Home' WHERE name = 'Remote'")
            #expect(try await put("{\"type\":\"home\"}").0 == 200)
            let (renamed, renamedBody) = try await put("{\"type\":\"Remote\"}")
            #expect(renamed == 422 && renamedBody.contains("is not a status type"), "\(renamedBody)")
            // Only the changes answered 200 were written, under the type they were judged by.
            let history = try await db.scalar("SELECT count(*) FROM status_history WHERE person_id = \(ann)")
            #expect(history - historyBefore == Int64(applied) && applied == 3)
            let stored = try await db.scalar(
                "SELECT count(*) FROM statuses s JOIN status_types t ON t.id = s.type_id WHERE s.person_id = \(ann) AND t.name = 'Home' AND s.note IS NULL"
            )
            #expect(stored == 1)
        }
    }
}

@Suite struct LoginThrottleTests {
    @Test func repeatedFailuresBackOffWithRetryAfterAndASuccessClearsThem() async throws {
        try await TemporaryDatabase.with { db in
            _ = try await SeededPeople.seed(db)
            // A first lock of a minute, so that no loaded machine sees it run out between two requests; the wait
            // itself is then played by moving the lock's end to now in the database.
            try await makeTestApp(databaseURL: db.url, loginFirstLock: .seconds(60)).test(.live) { client in
                let wrong = "{\"username\":\"ann\",\"password\":\"not-it\"}"
                for attempt in 1...6 {
                    let (code, _) = try await client.execute(
                        uri: "/api/v1/auth/login", method: .post, headers: [.contentType: "application/json"],
                        body: ByteBuffer(string: wrong)
                    ) { (Int($0.status.code), $0.headers[.retryAfter]) }
                    #expect(code == 401, "attempt \(attempt)")
                }
                let right = "{\"username\":\"ann\",\"password\":\"\(SeededPeople.password)\"}"
                let (blocked, retryAfter) = try await client.execute(
                    uri: "/api/v1/auth/login", method: .post, headers: [.contentType: "application/json"],
                    body: ByteBuffer(string: right)
                ) { (Int($0.status.code), $0.headers[.retryAfter]) }
                #expect(
                    blocked == 429 && (1...60).contains(Int(retryAfter ?? "") ?? 0),
                    "even the right password waits: \(blocked) \(retryAfter ?? "-")")
                try await db.execute("UPDATE login_throttle SET blocked_until = now() WHERE blocked_until IS NOT NULL")
                #expect(try await APIClient(client: client).login("ann").isEmpty == false)
                #expect(
                    try await APIClient(client: client).login("cat").isEmpty == false,
                    "another user from the same address is not blocked")
            }
        }
    }
}

@Suite struct PresenceTests {
    @Test func idleTurnsInIntoAwayAndActivityRestoresItButChosenStatusesStay() async throws {
        try await withPeople { api, _, _, _ in
            let token = try await api.login("ann")
            _ = try await api.object(
                .put, "/api/v1/me/status", json: "{\"type\":\"Remote\",\"note\":\"from home\"}", token: token)
            let early = try await api.object(
                .post, "/api/v1/me/presence", json: "{\"idleSeconds\":60}", token: token)
            #expect(early["changed"] as? Bool == false, "15 idle minutes are needed")
            let away = try await api.object(
                .post, "/api/v1/me/presence", json: "{\"idleSeconds\":900}", token: token)
            let awayStatus = (away["person"] as? [String: Any])?["status"] as? [String: Any]
            #expect(
                away["changed"] as? Bool == true && awayStatus?["type"] as? String == "Away"
                    && awayStatus?["autoAway"] as? Bool == true)
            let back = try await api.object(.post, "/api/v1/me/presence", json: "{\"idleSeconds\":0}", token: token)
            let backStatus = (back["person"] as? [String: Any])?["status"] as? [String: Any]
            #expect(
                backStatus?["type"] as? String == "Remote" && backStatus?["note"] as? String == "from home"
                    && backStatus?["autoAway"] as? Bool == false)

            _ = try await api.object(
                .put, "/api/v1/me/status", json: "{\"type\":\"Meeting\",\"returnAt\":\"\(isoDate(in: 3600))\"}",
                token: token)
            let kept = try await api.object(
                .post, "/api/v1/me/presence", json: "{\"idleSeconds\":3600}", token: token)
            #expect(kept["changed"] as? Bool == false, "a meeting the person chose was replaced")
            #expect(
                try await api.send(.post, "/api/v1/me/presence", json: "{\"idleSeconds\":-1}", token: token).0
                    == 400)
        }
    }
}

@Suite struct ContactAndOrganisationTests {
    @Test func peopleEditOnlyTheFieldsTheAdminLeftThemAndAdminsRevokeSessions() async throws {
        try await withPeople { api, people, _, _ in
            let (annToken, rootToken) = (try await api.login("ann"), try await api.login("root"))
            _ = try await api.object(
                .put, "/api/v1/me/contact", json: "{\"mobile\":\"+44 7700 900123\"}", token: annToken)
            let (code, body) = try await api.send(
                .put, "/api/v1/me/contact", json: "{\"email\":\"me@evil.test\"}", token: annToken)
            #expect(code == 403 && String(decoding: body, as: UTF8.self).contains("comes from the directory"))
            #expect(try await api.send(.put, "/api/v1/admin/organisation", json: "{}", token: annToken).0 == 403)
            let settings =
                "{\"allowHiddenNotes\":false,\"idleMinutes\":5,\"awayType\":\"Away\",\"editableFields\":[\"mobile\",\"email\"]}"
            _ = try await api.object(.put, "/api/v1/admin/organisation", json: settings, token: rootToken)
            _ = try await api.object(
                .put, "/api/v1/me/contact", json: "{\"email\":\"ann@acme.test\"}", token: annToken)
            #expect(
                try await api.object(.get, "/api/v1/people/\(people.ids["ann"]!)", token: annToken)["email"]
                    as? String == "ann@acme.test")
            let (hidden, hiddenBody) = try await api.send(
                .put, "/api/v1/me/status", json: "{\"type\":\"In\",\"note\":\"x\",\"noteHidden\":true}",
                token: annToken)
            #expect(
                hidden == 422 && String(decoding: hiddenBody, as: UTF8.self).contains("noteHidden"),
                "hiding is forbidden now")
            #expect(
                try await api.send(
                    .put, "/api/v1/admin/organisation",
                    json: settings.replacingOccurrences(of: "\"Away\"", with: "\"Nap\""), token: rootToken
                ).0 == 422)
            // Past a day of idle minutes (a huge one overflowed at every client's presence report and stopped
            // the server).
            for idle in ["0", "1441", "9223372036854775807"] {
                #expect(
                    try await api.send(
                        .put, "/api/v1/admin/organisation",
                        json: settings.replacingOccurrences(of: "\"idleMinutes\":5", with: "\"idleMinutes\":\(idle)"),
                        token: rootToken
                    ).0 == 422, "idleMinutes \(idle) was taken")
            }

            #expect(
                try await api.send(.delete, "/api/v1/admin/people/\(people.ids["ann"]!)/sessions", token: rootToken)
                    .0 == 204)
            #expect(
                try await api.send(.get, "/api/v1/me", token: annToken).0 == 401, "a revoked session still works")
        }
    }
}

/// Many parallel logins of one account from one address: each is a 200 or, past the throttle's budget, a 429;
/// never a 500 (the throttle's rows were once locked in different orders and PostgreSQL aborted logins with
/// "deadlock detected").
@Suite struct ParallelLoginTests {
    @Test func parallelLoginsOfOneAccountNeverFail() async throws {
        try await TemporaryDatabase.with { db in
            _ = try await SeededPeople.seed(db)
            try await makeTestApp(databaseURL: db.url).test(.live) { client in
                let body = "{\"username\":\"ann\",\"password\":\"\(SeededPeople.password)\"}"
                let codes = try await withThrowingTaskGroup(of: [Int].self) { group in
                    for _ in 0..<8 {
                        group.addTask {
                            var codes: [Int] = []
                            // 8 × 12: enough overlap to deadlock the old throttle; each login is a bcrypt
                            // check on the shared thread pool, which the parallel pass keeps busy.
                            for _ in 0..<12 {
                                codes.append(
                                    try await client.execute(
                                        uri: "/api/v1/auth/login", method: .post,
                                        headers: [.contentType: "application/json"], body: ByteBuffer(string: body)
                                    ) { Int($0.status.code) })
                            }
                            return codes
                        }
                    }
                    return try await group.reduce(into: []) { $0 += $1 }
                }
                #expect(codes.count == 96)
                #expect(
                    codes.allSatisfy { $0 == 200 || $0 == 429 },
                    "answers: \(Dictionary(grouping: codes) { $0 }.mapValues(\.count))")
                #expect(codes.contains(200))
            }
        }
    }
}
