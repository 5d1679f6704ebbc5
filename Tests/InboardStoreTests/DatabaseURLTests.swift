import InboardStore
import Testing

@Suite struct DatabaseURLTests {
    @Test func parsesAllParts() throws {
        let url = try DatabaseURL(
            "postgres://app:s%40cret@db.example:6543/inboard?sslmode=verify-full&sslrootcert=/ca.pem")
        #expect(url.host == "db.example")
        #expect(url.port == 6543)
        #expect(url.username == "app")
        #expect(url.password == "s@cret")
        #expect(url.database == "inboard")
        #expect(url.sslMode == .verifyFull)
        #expect(url.sslRootCertificate == "/ca.pem")
    }

    @Test func defaultsPortAndSSLMode() throws {
        let url = try DatabaseURL(DatabaseURL.defaultValue)
        #expect(url.port == 5432)
        #expect(url.sslMode == .disable)
        #expect(url.password == nil)
    }

    @Test func descriptionNeverShowsThePassword() throws {
        let url = try DatabaseURL("postgresql://app:hunter2@h/db")
        #expect(!url.description.contains("hunter2"))
        #expect(url.description.contains("app:****@h"))
    }

    @Test(arguments: [
        ("mysql://u@h/db", "scheme 'mysql'"),
        ("postgres://u@h", "names no database"),
        ("postgres://h/db", "names no user"),
        ("postgres://u@h/db?sslmode=maybe", "sslmode 'maybe'"),
        ("postgres://u@h/db?timeout=3", "unknown parameter 'timeout'"),
        ("not a url", "not a URL"),
    ])
    func rejectsWithReason(text: String, reason: String) {
        do {
            _ = try DatabaseURL(text)
            Issue.record("accepted \(text)")
        } catch {
            #expect(error.description.contains(reason), "\(error.description)")
            #expect(error.description.hasPrefix("INBOARD_DATABASE_URL"))
        }
    }

    @Test func badURLErrorMasksPassword() {
        do {
            _ = try DatabaseURL("postgres ://u:hunter2@h/db")
            Issue.record("accepted")
        } catch {
            #expect(!error.description.contains("hunter2"))
        }
    }
}
