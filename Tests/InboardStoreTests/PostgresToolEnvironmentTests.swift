import Foundation
import Testing

@testable import InboardStore

/// pg_dump and pg_restore (backup, upgrade, restore) reach the database the way the server does.
@Suite struct PostgresToolEnvironmentTests {
    @Test func verifyFullWithoutARootFileUsesTheSystemRootsAsTheServerDoes() throws {
        let system = "/etc/ssl/certs/ca-certificates.crt"
        try #require(FileManager.default.isReadableFile(atPath: system), "Debian's CA bundle (ca-certificates)")
        let verified = try DatabaseURL("postgres://inboard@db.example/inboard?sslmode=verify-full")
        #expect(PostgresTool.connectionEnvironment(for: verified)["PGSSLROOTCERT"] == system)
        let named = try DatabaseURL("postgres://inboard@db.example/inboard?sslmode=verify-full&sslrootcert=/etc/ca.pem")
        #expect(PostgresTool.connectionEnvironment(for: named)["PGSSLROOTCERT"] == "/etc/ca.pem")
        let required = try DatabaseURL("postgres://inboard@db.example/inboard?sslmode=require")
        #expect(PostgresTool.connectionEnvironment(for: required)["PGSSLROOTCERT"] == nil)
    }
}
