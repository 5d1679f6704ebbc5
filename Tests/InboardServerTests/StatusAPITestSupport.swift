import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdBcrypt
import HummingbirdTesting
import InboardServer
import InboardStore
import InboardTestSupport
import Logging
import PostgresNIO
import Testing

/// A migrated database with four local people (password "password-1234"): ann and cat (users), dan (delegate), root (admin).
struct SeededPeople {
    static let password = "password-1234"
    var ids: [String: Int64] = [:]

    static func seed(_ db: TemporaryDatabase) async throws -> SeededPeople {
        let logger = Logger(label: "test")
        return try await db.database.withConnection { connection in
            var seeded = SeededPeople()
            _ = try await Migrator(catalog: try MigrationCatalog.embedded(), logger: logger).migrate(on: connection)
            let hash = Bcrypt.hash(password, cost: 4)
            for (name, role, department) in [
                ("ann", "user", "Sales"), ("cat", "user", "Support"), ("dan", "delegate", "Reception"),
                ("root", "admin", nil),
            ] {
                let rows = try await connection.query(
                    """
                    INSERT INTO people (username, display_name, source, role, password_hash, department)
                    VALUES (\(name), \(name.capitalized + " Example"), 'local', \(role), \(hash), \(department)) RETURNING id
                    """, logger: logger)
                for try await id in rows.decode(Int64.self) { seeded.ids[name] = id }
            }
            return seeded
        }
    }
}

/// JSON requests with a bearer token, answers as (status, body).
struct APIClient {
    let client: any TestClientProtocol

    func login(_ username: String) async throws -> String {
        let (status, body) = try await send(
            .post, "/api/v1/auth/login",
            json: "{\"username\":\"\(username)\",\"password\":\"\(SeededPeople.password)\"}")
        #expect(status == 200, "login \(username): \(String(decoding: body, as: UTF8.self))")
        return (try JSONSerialization.jsonObject(with: body) as? [String: Any])?["token"] as? String ?? ""
    }

    @discardableResult
    func send(_ method: HTTPRequest.Method, _ uri: String, json: String? = nil, token: String? = nil) async throws -> (
        Int, Data
    ) {
        var headers: HTTPFields = [:]
        if json != nil { headers[.contentType] = "application/json" }
        if let token { headers[.authorization] = "Bearer \(token)" }
        return try await client.execute(
            uri: uri, method: method, headers: headers, body: json.map { ByteBuffer(string: $0) }
        ) {
            (Int($0.status.code), Data(buffer: $0.body))
        }
    }

    func object(_ method: HTTPRequest.Method, _ uri: String, json: String? = nil, token: String?) async throws
        -> [String: Any]
    {
        let (status, body) = try await send(method, uri, json: json, token: token)
        #expect((200..<300).contains(status), "\(method) \(uri): \(status) \(String(decoding: body, as: UTF8.self))")
        return (try? JSONSerialization.jsonObject(with: body) as? [String: Any]) ?? [:]
    }
}

/// ISO 8601 `seconds` from now.
func isoDate(in seconds: Double) -> String { ISO8601DateFormatter().string(from: Date().addingTimeInterval(seconds)) }

/// A live server (a real port) on a fresh database with the seeded people: the client, the people, the database and
/// the port, for tests that attack the running server or read its streams with curl.
func withPeople(_ body: @escaping @Sendable (APIClient, SeededPeople, TemporaryDatabase, Int) async throws -> Void)
    async throws
{
    try await TemporaryDatabase.with { db in
        let people = try await SeededPeople.seed(db)
        try await makeTestApp(databaseURL: db.url).test(.live) { client in
            try await body(APIClient(client: client), people, db, try #require(client.port))
        }
    }
}
