import Foundation
import InboardStore
import Logging
import NIOPosix
import PostgresNIO

/// A database of its own for one test, created on the real PostgreSQL and dropped afterwards.
public struct TemporaryDatabase: Sendable {
    public let url: DatabaseURL
    public let name: String

    public static func with<T: Sendable>(_ body: (TemporaryDatabase) async throws -> T) async throws -> T {
        let admin = try DatabaseURL(try TestEnvironment.require("INBOARD_TEST_DATABASE_ADMIN_URL"))
        let name = "inboard_test_\(UInt32.random(in: 0...UInt32.max))"
        try await runAdmin("CREATE DATABASE \(name) OWNER inboard", on: admin)
        var url = try DatabaseURL(try TestEnvironment.require("INBOARD_DATABASE_URL"))
        url.database = name
        do {
            let result = try await body(TemporaryDatabase(url: url, name: name))
            try await runAdmin("DROP DATABASE IF EXISTS \(name) WITH (FORCE)", on: admin)
            return result
        } catch {
            try? await runAdmin("DROP DATABASE IF EXISTS \(name) WITH (FORCE)", on: admin)
            throw error
        }
    }

    public var database: Database { Database(url: url, logger: Logger(label: "test")) }

    /// Runs SQL as the owner of this database (for tests that tamper with it on purpose).
    public func execute(_ sql: String) async throws {
        _ = try await database.withConnection { connection in
            try await connection.query(PostgresQuery(unsafeSQL: sql), logger: Logger(label: "test"))
        }
    }

    /// The first column of the first row of `sql`, a whole number (a count, an id).
    public func scalar(_ sql: String) async throws -> Int64 {
        try await database.withConnection { connection in
            for try await value in try await connection.query(
                PostgresQuery(unsafeSQL: sql), logger: Logger(label: "test")
            )
            .decode(Int64.self) {
                return value
            }
            throw NoRow(sql: sql)
        }
    }

    static func runAdmin(_ sql: String, on url: DatabaseURL) async throws {
        _ = try await Database(url: url, logger: Logger(label: "test")).withConnection { connection in
            try await connection.query(PostgresQuery(unsafeSQL: sql), logger: Logger(label: "test"))
        }
    }
}

/// A query that should have answered a row answered none.
struct NoRow: Error {
    let sql: String
}
