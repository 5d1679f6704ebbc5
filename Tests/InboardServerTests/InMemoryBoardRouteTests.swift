import CompressNIO
import Foundation
import Hummingbird
import HTTPTypes
import HummingbirdTesting
import InboardServer
import InboardStore
import InboardTestSupport
import Testing

/// The board's routes on in-memory stores and a hand-moved clock: no PostgreSQL, no sleeping. The database
/// behind the app is an address nothing listens on, so a route that reached PostgreSQL would answer 503.
@Suite struct InMemoryBoardRouteTests {
    static let nowhere = try! DatabaseURL("postgres://nobody@127.0.0.1:1/none")

    func app(_ stores: InMemoryStores) throws -> some ApplicationProtocol {
        try makeTestApp(
            databaseURL: Self.nowhere,
            boardStores: BoardStores(
                statuses: stores, people: stores, sessions: stores, watches: stores, notes: stores,
                organisation: stores,
                mailPreferences: stores),
            clock: { stores.clock.now })
    }

    func iso(_ date: Date) -> String { ISO8601DateFormatter().string(from: date) }

    /// The tokens of Ann, Del (a delegate) and Bob.
    func annDelAndBob(_ stores: InMemoryStores) async throws -> (ann: String, del: String, bob: String) {
        let ann = await stores.add("ann"), del = await stores.add("del", role: .delegate)
        let bob = await stores.add("bob")
        return (try await stores.token(for: ann), try await stores.token(for: del), try await stores.token(for: bob))
    }

    /// Out for an hour, with `note` hidden (only the person, delegates and admins see it).
    func hideNote(_ note: String, of token: String, api: APIClient, stores: InMemoryStores) async throws {
        let back = iso(stores.clock.now.addingTimeInterval(3600))
        _ = try await api.object(
            .put, "/api/v1/me/status",
            json: "{\"type\":\"Out\",\"note\":\"\(note)\",\"noteHidden\":true,\"returnAt\":\"\(back)\"}", token: token)
    }

    /// A type changed under every write (another server saving it again and again) is read again each time, up to
    /// three writes; then 409 `type_changed`, and nothing was written.
    @Test func aTypeChangedUnderEveryWriteEndsIn409AndWritesNothing() async throws {
        let stores = InMemoryStores()
        let ann = await stores.add("ann")
        let token = try await stores.token(for: ann)
        try await app(stores).test(.router) { client in
            let api = APIClient(client: client)
            #expect(try await api.send(.put, "/api/v1/me/status", json: "{\"type\":\"In\"}", token: token).0 == 200)
            await stores.changeTypesBeforeEachWrite(true)
            let readsBefore = await stores.versionedTypeReads
            let (code, body) = try await api.send(
                .put, "/api/v1/me/status", json: "{\"type\":\"In\",\"note\":\"never\"}", token: token)
            #expect(code == 409 && String(decoding: body, as: UTF8.self).contains("type_changed"))
            #expect(await stores.writesRefusedForTypeChange == 3)
            // The kept type for the first write, then one read before each of the other two (none after the last).
            #expect(await stores.versionedTypeReads - readsBefore == 2)
            #expect(await stores.history(personID: ann.id, limit: 10).count == 1, "the refused change was written")
            let card = try await api.object(.get, "/api/v1/people/\(ann.id)", token: token)
            #expect((card["status"] as? [String: Any])?["note"] == nil, "the refused change's note is shown")
            await stores.changeTypesBeforeEachWrite(false)
            #expect(try await api.send(.put, "/api/v1/me/status", json: "{\"type\":\"In\"}", token: token).0 == 200)
        }
    }

    @Test func overdueAndExpiryFollowTheClockWithoutSleeping() async throws {
        let stores = InMemoryStores()
        let ann = await stores.add("ann"), bob = await stores.add("bob")
        let (annToken, bobToken) = (try await stores.token(for: ann), try await stores.token(for: bob))
        try await app(stores).test(.router) { client in
            let api = APIClient(client: client)
            let back = stores.clock.now.addingTimeInterval(3600)
            let set = try await api.object(
                .put, "/api/v1/me/status",
                json: "{\"type\":\"Out\",\"note\":\"Dentist\",\"returnAt\":\"\(iso(back))\"}",
                token: annToken)
            #expect((set["status"] as? [String: Any])?["overdue"] as? Bool == false)
            stores.clock.advance(by: 2 * 3600)
            let card = try await api.object(.get, "/api/v1/people/\(ann.id)", token: bobToken)
            #expect((card["status"] as? [String: Any])?["overdue"] as? Bool == true, "two hours past the return time")

            // Lunch lasts 90 minutes by default, then falls back to In.
            _ = try await api.object(
                .put, "/api/v1/me/status",
                json: "{\"type\":\"Lunch\",\"returnAt\":\"\(iso(stores.clock.now.addingTimeInterval(1800)))\"}",
                token: bobToken)
            #expect(try await stores.expireDue() == 0)
            stores.clock.advance(by: 91 * 60)
            #expect(try await stores.expireDue() == 1)
            let history =
                try await api.object(.get, "/api/v1/people/\(bob.id)/history", token: annToken)["history"]
                as? [[String: Any]]
            #expect(history?.map { $0["type"] as? String } == ["In", "Lunch"])
        }
    }

    @Test func hiddenNotesLocalAdminsAndDisabledPeopleOnTheBoard() async throws {
        let stores = InMemoryStores()
        let ann = await stores.add("ann"), del = await stores.add("del", role: .delegate)
        await stores.add("root", role: .admin, source: "local")
        await stores.add("gone", active: false)
        let (annToken, delToken) = (try await stores.token(for: ann), try await stores.token(for: del))
        try await app(stores).test(.router) { client in
            let api = APIClient(client: client)
            _ = try await api.object(
                .put, "/api/v1/me/status", json: "{\"type\":\"Remote\",\"note\":\"secret\",\"noteHidden\":true}",
                token: annToken)
            for (token, seesNote) in [(delToken, true), (annToken, true)] {
                let (_, body) = try await api.send(.get, "/api/v1/people?q=", token: token)
                let text = String(decoding: body, as: UTF8.self)
                #expect(text.contains("secret") == seesNote)
                #expect(
                    !text.contains("\"root\"") && !text.contains("\"gone\""),
                    "a local admin or a disabled person is listed")
            }
            let bob = await stores.add("bob")
            let (status, body) = try await api.send(.get, "/api/v1/people?q=", token: try await stores.token(for: bob))
            let text = String(decoding: body, as: UTF8.self)
            #expect(status == 200 && text.contains("\"ann\"") && text.contains("Remote"), "\(status) \(text)")
            #expect(!text.contains("secret"), "a hidden note reached a colleague")
        }
    }

    @Test func delegatesNotesAndTheirLimit() async throws {
        let stores = InMemoryStores()
        let ann = await stores.add("ann"), del = await stores.add("del", role: .delegate),
            boss = await stores.add("boss", role: .admin)
        let (annToken, delToken) = (try await stores.token(for: ann), try await stores.token(for: del))
        try await app(stores).test(.router) { client in
            let api = APIClient(client: client)
            #expect(
                try await api.send(
                    .put, "/api/v1/people/\(ann.id)/status", json: "{\"type\":\"Sick\"}", token: delToken
                ).0 == 200)
            #expect(
                try await api.send(
                    .put, "/api/v1/people/\(boss.id)/status", json: "{\"type\":\"Sick\"}", token: delToken
                ).0 == 403)
            #expect(
                try await api.send(
                    .put, "/api/v1/people/\(del.id)/status", json: "{\"type\":\"Sick\"}", token: annToken
                ).0 == 403)

            for index in 0..<NoteStore.rateLimit {
                let (status, _) = try await api.send(
                    .post, "/api/v1/people/\(del.id)/notes", json: "{\"body\":\"n\(index)\"}", token: annToken)
                #expect(status == 201 || status == 200)
            }
            #expect(
                try await api.send(
                    .post, "/api/v1/people/\(del.id)/notes", json: "{\"body\":\"one more\"}", token: annToken
                ).0 == 429)
            stores.clock.advance(by: Double(NoteStore.rateWindow.components.seconds) + 1)
            let (later, _) = try await api.send(
                .post, "/api/v1/people/\(del.id)/notes", json: "{\"body\":\"later\"}", token: annToken)
            #expect(later == 201 || later == 200, "the window moved on with the clock")
            let notes = try await api.object(.get, "/api/v1/me/notes", token: delToken)["notes"] as? [[String: Any]]
            #expect(notes?.count == NoteStore.rateLimit + 1)
        }
    }

    @Test func anExpiredSessionEndsWithTheClock() async throws {
        let stores = InMemoryStores()
        let ann = await stores.add("ann")
        let token = try await stores.token(for: ann, lifetime: .seconds(60))
        try await app(stores).test(.router) { client in
            let api = APIClient(client: client)
            let (before, _) = try await api.send(.get, "/api/v1/me", token: token)
            stores.clock.advance(by: 61)
            let (after, _) = try await api.send(.get, "/api/v1/me", token: token)
            #expect(before == 200 && after == 401, "\(before) then \(after)")
        }
    }

    /// The whole board carries an ETag per viewer class: the same bytes again are a bodiless 304.
    @Test func unchangedBoardsAreNotModified() async throws {
        let stores = InMemoryStores()
        let (annToken, delToken, bobToken) = try await annDelAndBob(stores)
        try await app(stores).test(.router) { client in
            try await hideNote("private", of: annToken, api: APIClient(client: client), stores: stores)
            func board(_ token: String, ifNoneMatch: String? = nil) async throws -> (Int, String?, String?, Int) {
                var headers: HTTPFields = [.authorization: "Bearer \(token)"]
                if let ifNoneMatch { headers[.ifNoneMatch] = ifNoneMatch }
                return try await client.execute(uri: "/api/v1/people", method: .get, headers: headers) {
                    (Int($0.status.code), $0.headers[.eTag], $0.headers[.cacheControl], $0.body.readableBytes)
                }
            }
            let (status, tag, cacheControl, size) = try await board(bobToken)
            let bobTag = try #require(tag)
            #expect(status == 200 && size > 0 && cacheControl == "private, no-cache")
            let (again, againTag, _, againSize) = try await board(bobToken, ifNoneMatch: bobTag)
            #expect(again == 304 && againTag == bobTag && againSize == 0)
            #expect(try await board(bobToken, ifNoneMatch: "\"something-else\"").0 == 200)
            let (_, delegateTag, _, _) = try await board(delToken)
            #expect(delegateTag != nil && delegateTag != bobTag, "a delegate's board holds the hidden note")
            #expect(try await board(delToken, ifNoneMatch: bobTag).0 == 200, "a user's tag never matches theirs")
        }
    }

    /// A client that takes gzip gets the board gzipped, with its own ETag; in the board with hidden notes their
    /// text is stored as it is (BoardCompressionRule: compressed, its length would give the notes away).
    @Test func boardsAreGzippedForClientsThatTakeItHiddenNotesStoredApart() async throws {
        let stores = InMemoryStores()
        let (annToken, delToken, bobToken) = try await annDelAndBob(stores)
        for index in 0..<40 { _ = await stores.add("person\(index)") }
        try await app(stores).test(.router) { client in
            try await hideNote("secret plan", of: annToken, api: APIClient(client: client), stores: stores)
            struct Answer {
                var status: Int
                var encoding: String?
                var tag: String?
                var vary: String?
                var body: ByteBuffer
            }
            func board(_ token: String, accept: String?, ifNoneMatch: String? = nil) async throws -> Answer {
                var headers: HTTPFields = [.authorization: "Bearer \(token)"]
                if let accept { headers[.acceptEncoding] = accept }
                if let ifNoneMatch { headers[.ifNoneMatch] = ifNoneMatch }
                return try await client.execute(uri: "/api/v1/people", method: .get, headers: headers) {
                    Answer(
                        status: Int($0.status.code), encoding: $0.headers[.contentEncoding], tag: $0.headers[.eTag],
                        vary: $0.headers[.vary], body: $0.body)
                }
            }
            let plain = try await board(bobToken, accept: nil)
            let gzipped = try await board(bobToken, accept: "br;q=1.0, gzip;q=0.8, *;q=0.1")
            #expect(plain.status == 200 && plain.encoding == nil && plain.vary == "Accept-Encoding")
            #expect(gzipped.status == 200 && gzipped.encoding == "gzip" && gzipped.vary == "Accept-Encoding")
            #expect(gzipped.body.readableBytes < plain.body.readableBytes / 2)
            var compressed = gzipped.body
            let inflated = try compressed.decompress(with: .gzip())
            #expect(inflated == plain.body, "the same JSON, compressed")
            #expect(!String(buffer: inflated).contains("secret plan"))
            let gzipTag = try #require(gzipped.tag)
            #expect(gzipTag != plain.tag, "a strong validator names one encoding")
            #expect(try await board(bobToken, accept: "gzip", ifNoneMatch: gzipTag).status == 304)
            #expect(try await board(bobToken, accept: nil, ifNoneMatch: gzipTag).status == 200)
            #expect(try await board(bobToken, accept: "gzip;q=0").encoding == nil, "q=0 refuses gzip")
            #expect(try await board(bobToken, accept: "identity").encoding == nil)

            let delegates = try await board(delToken, accept: "gzip")
            let delegatesPlain = try await board(delToken, accept: nil)
            #expect(delegates.status == 200 && delegates.encoding == "gzip")
            #expect(delegates.body.readableBytes < delegatesPlain.body.readableBytes / 2)
            #expect(String(buffer: delegates.body).contains("secret plan"), "the hidden note stored as it is")
            var delegatesCompressed = delegates.body
            #expect(try delegatesCompressed.decompress(with: .gzip()) == delegatesPlain.body)
            #expect(delegates.tag != gzipTag && delegates.tag != delegatesPlain.tag)
        }
    }

    /// Other page sizes, later pages and searches are gzipped the same way (hidden notes stored apart); an answer
    /// that fits in a packet is sent as it is.
    @Test func everyPageAndSearchIsGzippedHiddenNotesStoredApart() async throws {
        let stores = InMemoryStores()
        let (annToken, delToken, bobToken) = try await annDelAndBob(stores)
        var added: [Person] = []
        for index in 0..<40 { added.append(await stores.add("person\(index)")) }
        let people = added
        try await app(stores).test(.router) { client in
            let api = APIClient(client: client)
            try await hideNote("secret plan", of: annToken, api: api, stores: stores)
            // Hidden notes all over the board, so that later pages and the search hold some too.
            var secrets = ["secret plan"]
            for person in people where person.id % 4 == 0 {
                secrets.append("hidden-\(person.id)")
                try await hideNote(
                    "hidden-\(person.id)", of: try await stores.token(for: person), api: api, stores: stores)
            }
            func get(_ uri: String, _ token: String, gzip: Bool) async throws -> (String?, String?, ByteBuffer, String?)
            {
                var headers: HTTPFields = [.authorization: "Bearer \(token)"]
                if gzip { headers[.acceptEncoding] = "gzip" }
                return try await client.execute(uri: uri, method: .get, headers: headers) {
                    #expect($0.status == .ok && $0.headers[.vary] == "Accept-Encoding")
                    return (
                        $0.headers[.contentEncoding], $0.headers[HTTPField.Name("Link")!], $0.body, $0.headers[.eTag]
                    )
                }
            }
            let firstPage = try await get("/api/v1/people?limit=20", bobToken, gzip: false)
            let next = try #require(firstPage.1?.split(separator: "<").last?.split(separator: ">").first)
            for uri in ["/api/v1/people?limit=20", String(next), "/api/v1/people?q=person"] {
                let plain = try await get(uri, delToken, gzip: false)
                let gzipped = try await get(uri, delToken, gzip: true)
                #expect(plain.0 == nil && gzipped.0 == "gzip", "\(uri)")
                #expect(gzipped.2.readableBytes < plain.2.readableBytes, "\(uri)")
                var compressed = gzipped.2
                let inflated = try compressed.decompress(with: .gzip())
                #expect(inflated == plain.2, "\(uri): the same JSON, compressed")
                #expect(plain.3 == nil && gzipped.3 == nil, "only the cached first page has a validator")
                let onPage = secrets.filter { String(buffer: plain.2).contains($0) }
                #expect(!onPage.isEmpty, "\(uri) holds no hidden note")
                for secret in onPage {
                    #expect(String(buffer: gzipped.2).contains(secret), "\(uri): \(secret) was compressed")
                }
            }
            let delegates = try await get("/api/v1/people?limit=20", delToken, gzip: true)
            #expect(String(buffer: delegates.2).contains("secret plan"), "the hidden note stored as it is")
            let small = try await get("/api/v1/people?q=bob", bobToken, gzip: true)
            #expect(small.0 == nil && String(buffer: small.2).contains("\"username\":\"bob\""))
        }
    }
}
