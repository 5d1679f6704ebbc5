import Foundation
import InboardStore
import InboardTestSupport
import Logging
import PostgresNIO
import Testing

/// The verifier `inboard setup` sends in place of a new login's password is the one PostgreSQL itself stores.
@Suite struct ScramVerifierTests {
    @Test(arguments: ["correct horse battery", "pässwörd-Ω", "n0-Spaces!#$%&'()*+,-./:;<=>?@[]^_`{|}~"])
    func matchesWhatPostgresComputesForTheSameSalt(password: String) async throws {
        let admin = try DatabaseURL(try TestEnvironment.require("INBOARD_TEST_DATABASE_ADMIN_URL"))
        let role = "inboard_scram_\(UInt32.random(in: 0...UInt32.max))"
        let logger = Logger(label: "test")
        let stored: String = try await Database(url: admin, logger: logger).withConnection { connection in
            try await connection.query("SET password_encryption = 'scram-sha-256'", logger: logger)
            let quoted = password.replacingOccurrences(of: "'", with: "''")
            try await connection.query(
                PostgresQuery(unsafeSQL: "CREATE ROLE \(role) PASSWORD '\(quoted)'"), logger: logger)
            var secret: String?
            for try await value in try await connection.query(
                "SELECT rolpassword FROM pg_authid WHERE rolname = \(role)", logger: logger
            ).decode(String.self) {
                secret = value
            }
            try await connection.query(PostgresQuery(unsafeSQL: "DROP ROLE \(role)"), logger: logger)
            return try #require(secret)
        }
        // SCRAM-SHA-256$<iterations>:<salt>$<StoredKey>:<ServerKey>
        let parts = stored.split(separator: "$")
        let header = try #require(parts.count == 3 ? parts[1].split(separator: ":") : nil)
        let iterations = try #require(Int(header[0]))
        let salt = try #require(Data(base64Encoded: String(header[1])))
        #expect(ScramVerifier.make(password: password, salt: Array(salt), iterations: iterations) == stored)
        #expect(ScramVerifier.make(password: password + "x", salt: Array(salt), iterations: iterations) != stored)
    }

    /// Passwords PostgreSQL would normalise (or, failing, hash as typed) while PostgresNIO hashes them as typed:
    /// setup refuses them before it creates anything.
    @Test(arguments: [
        "non\u{00A0}breaking", "soft\u{00AD}hyphen", "ｆｕｌｌｗｉｄｔｈ", "cafe\u{0301}", "Sommer☀️2024", "ｐａｓｓ\u{E000}",
    ])
    func passwordsThatSignInDifferentlyAreRefused(password: String) {
        #expect(ScramVerifier.problem(with: password) != nil)
    }

    @Test func eachVerifierHasItsOwnSalt() {
        #expect(ScramVerifier.problem(with: "pässwörd-Ω") == nil)
        #expect(ScramVerifier.make(password: "same") != ScramVerifier.make(password: "same"))
        #expect(ScramVerifier.make(password: "same").hasPrefix("SCRAM-SHA-256$4096:"))
    }
}
