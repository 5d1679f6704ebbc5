import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import InboardCore
import InboardServer
import InboardStore
import InboardTestSupport
import Logging
import PostgresNIO
import Testing

/// The board of a large organisation: the API pages it with a cursor, the CSV export streams all of it, the
/// board page pages and counts the whole of it.
@Suite struct BoardPagingTests {
    /// Listed on the board besides the extra people: ann, cat and dan (root is a break-glass account).
    static let seededListed = 3
    static let extra = 2_345

    /// The seeded people plus `extra` more, many with the same name (the id breaks ties), a third of them in Sales.
    func withLargeBoard(_ body: @escaping @Sendable (APIClient, TemporaryDatabase) async throws -> Void) async throws {
        try await TemporaryDatabase.with { db in
            _ = try await SeededPeople.seed(db)
            try await db.execute(
                """
                INSERT INTO people (username, display_name, source, role, department)
                SELECT 'p' || g, 'Person ' || (g % 97), 'local', 'user', CASE WHEN g % 3 = 0 THEN 'Sales' ELSE 'Ops' END
                FROM generate_series(1, \(Self.extra)) g
                """)
            try await makeTestApp(databaseURL: db.url).test(.live) { client in
                try await body(APIClient(client: client), db)
            }
        }
    }

    static func page(_ body: Data) throws -> (ids: [Int64], names: [String], next: String?) {
        let object = try #require(try JSONSerialization.jsonObject(with: body) as? [String: Any])
        let people = try #require(object["people"] as? [[String: Any]])
        return (
            people.compactMap { ($0["id"] as? NSNumber)?.int64Value },
            people.compactMap { $0["displayName"] as? String },
            object["next"] as? String
        )
    }

    @Test func everyPageTogetherIsTheWholeBoardOnceInOrder() async throws {
        try await withLargeBoard { api, _ in
            let token = try await api.login("ann")
            let (status, first) = try await api.send(.get, "/api/v1/people", token: token)
            #expect(status == 200)
            let firstPage = try Self.page(first)
            #expect(firstPage.ids.count == BoardRequestLimits.defaultLimit && firstPage.next != nil)

            var ids: [Int64] = [], names: [String] = []
            var uri: String? = "/api/v1/people?limit=1000"
            var pages = 0
            while let next = uri {
                let (status, body) = try await api.send(.get, next, token: token)
                #expect(status == 200, "\(next): \(String(decoding: body, as: UTF8.self).prefix(200))")
                let page = try Self.page(body)
                ids += page.ids
                names += page.names
                pages += 1
                uri = page.next.map { "/api/v1/people?limit=1000&after=\($0)" }
                #expect(pages <= 3, "more pages than people")
                if pages > 3 { break }
            }
            #expect(pages == 3)
            #expect(ids.count == Self.extra + Self.seededListed)
            #expect(Set(ids).count == ids.count, "a person on two pages")
            let order = zip(names, ids).map { ($0.lowercased(), $1) }
            #expect(zip(order, order.dropFirst()).allSatisfy { $0 < $1 }, "pages out of order")
        }
    }

    @Test func theNextPageIsLinkedInTheHeaderWithTheSameFilters() async throws {
        try await withLargeBoard { api, _ in
            let token = try await api.login("ann")
            let headers: HTTPFields = [.authorization: "Bearer \(token)"]
            let link = try await api.client.execute(
                uri: "/api/v1/people?department=Sales&limit=10", method: .get, headers: headers
            ) { $0.headers[HTTPField.Name("Link")!] }
            let value = try #require(link)
            #expect(value.hasPrefix("</api/v1/people?department=Sales&limit=10&after="))
            #expect(value.hasSuffix(">; rel=\"next\""))
            let target = String(value.dropFirst().prefix { $0 != ">" })
            let (status, body) = try await api.send(.get, target, token: token)
            #expect(status == 200)
            #expect(try Self.page(body).ids.count == 10)
        }
    }

    @Test func aBadPageRequestIsAClearError() async throws {
        try await withLargeBoard { api, _ in
            let token = try await api.login("ann")
            for (uri, code) in [
                ("/api/v1/people?limit=0", "invalid_field"), ("/api/v1/people?limit=many", "invalid_field"),
                ("/api/v1/people?after=not-a-cursor", "invalid_cursor"),
                ("/api/v1/people.csv?after=%00", "invalid_cursor"),
                // A well-formed cursor whose name PostgreSQL cannot hold (NUL): 400, not a 500 and an error log.
                ("/api/v1/people?after=" + Data(#"{"n":"\u0000","i":1}"#.utf8).base64URLEncoded, "invalid_cursor"),
            ] {
                let (status, body) = try await api.send(.get, uri, token: token)
                #expect(status == 400, "\(uri)")
                #expect(String(decoding: body, as: UTF8.self).contains("\"\(code)\""), "\(uri)")
            }
            let (status, body) = try await api.send(.get, "/api/v1/people?limit=5000", token: token)
            #expect(status == 200)
            #expect(try Self.page(body).ids.count == 1000, "a limit above 1,000 is lowered to it")
            // Every route reads its query the same strict way: present but not of its type is a 400.
            let someone = try Self.page(body).ids[0]
            for uri in [
                "/api/v1/people?limit=", "/api/v1/people/\(someone)/history?limit=false",
                "/api/v1/people/\(someone)/history?limit=0", "/api/v1/me/notes?all=-1", "/api/v1/me/notes?all=",
                "/api/v1/events?lastEventId=abc", "/api/v1/people.csv?q=%00x", "/api/v1/people?department=a%00",
            ] {
                let (status, body) = try await api.send(.get, uri, token: token)
                #expect(status == 400 && String(decoding: body, as: UTF8.self).contains("invalid_field"), "\(uri)")
            }
            #expect(try await api.send(.get, "/api/v1/people/\(someone)/history?limit=9999", token: token).0 == 200)
            #expect(try await api.send(.get, "/api/v1/me/notes?all=true", token: token).0 == 200)
        }
    }

    @Test func theCSVExportHoldsTheWholeFilteredOrganisation() async throws {
        try await withLargeBoard { api, _ in
            let token = try await api.login("ann")
            let (status, body) = try await api.send(.get, "/api/v1/people.csv", token: token)
            #expect(status == 200)
            let lines = String(decoding: body, as: UTF8.self).split(separator: "\r\n")
            #expect(lines.first == "name,username,email,department,status,note,return_at,overdue")
            #expect(lines.count == 1 + Self.extra + Self.seededListed)
            #expect(Set(lines.dropFirst()).count == lines.count - 1, "a row twice")
            let sales = String(
                decoding: try await api.send(.get, "/api/v1/people.csv?department=sales", token: token).1, as: UTF8.self
            )
            #expect(sales.split(separator: "\r\n").count == 1 + Self.extra / 3 + 1, "Sales: every third, and ann")
        }
    }

    @Test func theBoardPageCountsEverybodyAndLinksTheNextPage() async throws {
        try await withLargeBoard { api, db in
            let outType = try await db.scalar("SELECT id FROM status_types WHERE presence = 'out' ORDER BY id LIMIT 1")
            try await db.execute(
                """
                INSERT INTO statuses (person_id, type_id, return_at)
                SELECT id, \(outType), now() - interval '1 hour' FROM people WHERE username LIKE 'p%' AND id % 5 = 0
                """)
            let token = try await api.login("ann")
            let (status, body) = try await api.send(.get, "/", token: token)
            let page = String(decoding: body, as: UTF8.self)
            #expect(status == 200)
            let out = try await db.scalar("SELECT count(*) FROM statuses")
            #expect(page.contains(">\(out) out<") && page.contains(">\(out) overdue<"), "counts of one page only")
            #expect(page.contains("of \(Self.extra + Self.seededListed)"))
            #expect(page.contains("1000 people on this page"))
            let next = try #require(page.range(of: #"href="(/\?after=[^"]+)" rel="next""#, options: .regularExpression))
            let link = String(page[next].dropFirst(6).prefix { $0 != "\"" })
            let second = String(decoding: try await api.send(.get, link, token: token).1, as: UTF8.self)
            #expect(second.contains("First page") && second.contains("rel=\"next\""))
        }
    }

    @Test func overdueMeansTheSameInTheCountsAsOnEveryEntry() async throws {
        try await TemporaryDatabase.with { db in
            _ = try await SeededPeople.seed(db)
            try await db.execute(
                """
                INSERT INTO people (username, display_name, source, role)
                SELECT 'p' || g, 'Person ' || g, 'local', 'user' FROM generate_series(1, 60) g
                """)
            try await db.execute(
                """
                INSERT INTO statuses (person_id, type_id, return_at)
                SELECT p.id, t.id, CASE p.id % 3 WHEN 0 THEN NULL WHEN 1 THEN now() - interval '5 minutes'
                                   ELSE now() + interval '5 minutes' END
                FROM people p JOIN status_types t ON t.id = (SELECT id FROM status_types ORDER BY id OFFSET p.id % 3 LIMIT 1)
                WHERE p.username LIKE 'p%'
                """)
            let pool = try db.database.makePool()
            async let running: Void = pool.run()
            let store = StatusStore(database: pool, logger: Logger(label: "test"))
            let now = Date()
            let entries = try await store.board(BoardFilter(), after: nil, limit: 1000).entries.map {
                $0.refreshed(now: now)
            }
            let counts = try await store.boardCounts(BoardFilter(), now: now)
            #expect(counts.overdue == entries.filter { $0.status?.overdue == true }.count)
            #expect(counts.overdue > 0)
            #expect(counts.in == entries.filter { $0.status?.presence == .in }.count)
            #expect(counts.out == entries.filter { $0.status?.presence == .out }.count)
            #expect(counts.total == entries.count)
            pool.shutDown()
            _ = await running
        }
    }
}

/// The API's page sizes as a client sees them.
enum BoardRequestLimits {
    static let defaultLimit = 1000
}
