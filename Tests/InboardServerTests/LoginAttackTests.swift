import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
@testable import InboardServer
import InboardStore
import InboardTestSupport
import Testing

/// Security: attacks on login against the live server (real HTTP, PostgreSQL and the sample slapd).
@Suite struct LoginAttackTests {
    let base = AuthAndAdminAPITests()

    func withServer(_ body: @escaping @Sendable (any TestClientProtocol) async throws -> Void) async throws {
        try await TemporaryDatabase.with { db in
            let secrets = try SecretBox(keyBytes: (0..<32).map { _ in UInt8.random(in: 0...255) })
            try await base.prepare(db, secrets: secrets)
            // A long first lock, so that a slow machine cannot outlast it between the attack's requests.
            try await makeTestApp(databaseURL: db.url, secrets: secrets, loginFirstLock: .seconds(900)).test(.live) {
                client in try await body(client)
            }
        }
    }

    func login(_ client: some TestClientProtocol, _ username: String, _ password: String) async throws -> (Int, String)
    {
        let body = try JSONSerialization.data(withJSONObject: ["username": username, "password": password])
        return try await client.execute(
            uri: "/api/v1/auth/login", method: .post, headers: [.contentType: "application/json"],
            body: ByteBuffer(data: body)
        ) { (Int($0.status.code), String(buffer: $0.body)) }
    }

    /// A NUL makes libldap send an empty password: an unauthenticated bind, which AD may take as a success.
    @Test func passwordsWithNULOrControlCharactersNeverReachTheDirectory() async throws {
        try await withServer { client in
            for password in ["\u{0}", "\u{0}x", "x\u{0}", "pass\u{1}word"] {
                let (status, body) = try await login(client, "alice", password)
                #expect(status == 400, "\(password.debugDescription): \(status) \(body)")
                #expect(
                    !body.lowercased().contains("dc=") && !body.contains("ldap://"), "leaks directory detail: \(body)")
            }
            let (nulUser, _) = try await login(client, "alice\u{0}", "whatever-password")
            #expect(nulUser == 400)
            // The web form, %00 form-encoded, with its double-submit token.
            let (token, cookie) = try await loginFormToken(client)
            let status = try await client.execute(
                uri: "/login", method: .post,
                headers: [.contentType: "application/x-www-form-urlencoded", .cookie: cookie],
                body: ByteBuffer(string: "_csrf=\(token)&username=alice&password=%00&next=%2F")
            ) { Int($0.status.code) }
            #expect(status == 400, "form login with %00: \(status)")
        }
    }

    /// A login with curl from a chosen loopback address (127.0.0.0/8 is all this machine), so that the
    /// per-address counter cannot hide a per-account one that leaks. A 503 (every database connection busy on a
    /// loaded machine: no password judged) is tried again a moment later, as a client would.
    static func curlLogin(port: Int, from address: String, _ username: String, _ password: String) async throws -> Int {
        let body = String(
            decoding: try JSONSerialization.data(withJSONObject: ["username": username, "password": password]),
            as: UTF8.self)
        var status = 0
        // A 503 (every connection busy on a loaded machine) is asked again, for up to two minutes.
        let deadline = ContinuousClock.now + .seconds(120)
        for attempt in 0... {
            if attempt > 0 { try await Task.sleep(for: .seconds(1)) }
            let result = try await runProgram(
                "/usr/bin/curl",
                [
                    "-s", "-o", "/dev/null", "-w", "%{http_code}", "--interface", address,
                    "-H", "Content-Type: application/json", "--data-binary", body,
                    "http://127.0.0.1:\(port)/api/v1/auth/login",
                ])
            status = Int(result.output) ?? 0
            if status != 503 || ContinuousClock.now > deadline { break }
        }
        return status
    }

    /// Every spelling of one account shares one budget, from many addresses and in parallel; a huge name is a 400.
    @Test func theThrottleCountsEverySpellingOfOneAccount() async throws {
        try await withServer { client in
            let port = try #require(client.port)
            let (huge, _) = try await login(client, String(repeating: "a", count: 5000), "x")
            #expect(huge == 400)
            let spellings = ["root", "ROOT", " root\n", "JUNK\\root", "root@anything", "Root"]
            let answers = try await withThrowingTaskGroup(of: Int.self) { group in
                for index in 0..<50 {
                    group.addTask {
                        try await Self.curlLogin(
                            port: port, from: "127.0.0.\(2 + index % 10)", spellings[index % spellings.count],
                            "wrong-password-\(index)")
                    }
                }
                return try await group.reduce(into: [Int]()) { $0.append($1) }
            }
            #expect(
                answers.filter { $0 == 401 }.count <= 6,
                "more wrong passwords judged than the budget: \(answers.sorted())")
            #expect(answers.filter { $0 == 429 }.count >= 44, "\(answers.sorted())")
            for (index, spelling) in spellings.enumerated() {
                let status = try await Self.curlLogin(port: port, from: "127.0.0.\(20 + index)", spelling, "wrong")
                #expect(status == 429, "\(spelling.debugDescription) got a fresh budget: \(status)")
            }
            let right = try await Self.curlLogin(
                port: port, from: "127.0.0.30", "root", AuthAndAdminAPITests.adminPassword)
            #expect(right == 429, "the right password must wait for the lock to end: \(right)")
        }
    }

    /// A DN can be spelled endlessly (hex escapes, attribute OIDs, case): the entry it leads to is what counts.
    @Test func escapedSpellingsOfOneDNShareOneBudget() async throws {
        try await withServer { client in
            let port = try #require(client.port)
            let base = try TestEnvironment.require("INBOARD_TEST_LDAP_BASE")
            // Rupert, whom no other test signs in, under a policy that never locks: the lockout guard would stop
            // these guesses at 4 of the sample policy's 10, before the throttle this test is about.
            try await exemptFromDirectoryLockout(uid: "rupert")
            let rest = ",ou=Finance,ou=NewYork,ou=people,\(base)"
            let name = Array("rupert")
            // Each spelling escapes other letters as \XX, so the typed names (and their canonical forms) all differ.
            var spellings: [String] = []
            for mask in 1..<32 {
                let uid = name.enumerated().map { index, letter in
                    mask & (1 << index) != 0 ? "\\" + String(letter.asciiValue!, radix: 16) : String(letter)
                }.joined()
                spellings.append((mask % 2 == 0 ? "UID=" : "0.9.2342.19200300.100.1.1=") + uid + rest)
            }
            var answers: [Int] = []
            for (index, spelling) in spellings.prefix(20).enumerated() {
                answers.append(
                    try await Self.curlLogin(port: port, from: "127.0.0.\(40 + index)", spelling, "wrong-\(index)"))
            }
            #expect(answers.filter { $0 == 401 }.count <= 6, "escaped spellings each got a budget: \(answers)")
            #expect(answers.suffix(10).allSatisfy { $0 == 429 }, "\(answers)")
        }
    }

    /// Login CSRF: a cross-site text/plain form must not log a victim into the attacker's account.
    @Test func jsonLoginTakesOnlyJSONAndSetsNoCookie() async throws {
        try await withServer { client in
            let body = "{\"username\":\"root\",\"password\":\"\(AuthAndAdminAPITests.adminPassword)\"}"
            let (plain, plainCookie) = try await client.execute(
                uri: "/api/v1/auth/login", method: .post, headers: [.contentType: "text/plain"],
                body: ByteBuffer(string: body)
            ) { (Int($0.status.code), $0.headers[.setCookie]) }
            #expect(plain == 415 && plainCookie == nil)
            let (json, jsonCookie) = try await client.execute(
                uri: "/api/v1/auth/login", method: .post, headers: [.contentType: "application/json"],
                body: ByteBuffer(string: body)
            ) { (Int($0.status.code), $0.headers[.setCookie]) }
            #expect(json == 200 && jsonCookie == nil)
        }
    }

    /// After login, `next` may only lead to a path on this site.
    @Test func loginRedirectsStayOnThisSite() async throws {
        for hostile in [
            "/\t/evil.example", "/%09/evil.example", "/\\evil.example", "/%5Cevil.example", "/%2F/evil.example",
            "//evil.example", "/\n/evil.example", "https://evil.example", "/%0a/evil.example", " /evil",
            "/\u{3000}/evil",
        ] {
            #expect(WebAuthController.safeNext(hostile) == "/", "\(hostile.debugDescription) passed")
        }
        #expect(WebAuthController.safeNext("/people/12?tab=notes") == "/people/12?tab=notes")
    }

    /// `"` followed by a combining mark is one grapheme but must still be escaped.
    @Test func templateValuesAreEscapedPerScalar() {
        let escaped = ScalarHTMLEscaping.escape("\"\u{301} onmouseover=alert(1) x='\u{301}<b>&")
        #expect(
            !escaped.unicodeScalars.contains("\"") && !escaped.unicodeScalars.contains("'")
                && !escaped.unicodeScalars.contains("<"))
        #expect(escaped.hasPrefix("&quot;\u{301}"))
    }
}
