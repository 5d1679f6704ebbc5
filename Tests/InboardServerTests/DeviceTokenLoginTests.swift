import Crypto
import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
@testable import InboardServer
import InboardStore
import InboardTestSupport
import Testing

/// Anyone who knows a name can keep its account locked with wrong passwords; a client that signed in to that
/// account before brings its device token and is not held by that lock, while the token's own failures lock it.
@Suite struct DeviceTokenLoginTests {
    struct Answer {
        let status: Int
        let deviceToken: String?
    }

    /// The secret key the test servers use: a test can make tokens as the server would (`serverTokens`).
    static let secrets = try! SecretBox(keyBytes: (0..<32).map { _ in UInt8.random(in: 0...255) })
    static let serverTokens = DeviceTokens(key: secrets.derivedKey(for: "login device tokens"))

    func withServer(
        overTLS: Bool = false, _ body: @escaping @Sendable (any TestClientProtocol, SeededPeople) async throws -> Void
    ) async throws {
        try await TemporaryDatabase.with { db in
            let people = try await SeededPeople.seed(db)
            // A long first lock, so that a slow machine cannot outlast it between the attack's requests.
            // Behind a trusted proxy, so that each request can come from an address of its own.
            try await makeTestApp(
                databaseURL: db.url, secrets: Self.secrets, trustedProxies: "127.0.0.1", publicURLIsHTTPS: overTLS,
                loginFirstLock: .seconds(900)
            ).test(.live) { client in
                try await body(client, people)
            }
        }
    }

    func login(
        _ client: some TestClientProtocol, _ username: String, _ password: String, device: String? = nil,
        from address: String = "198.51.100.1"
    ) async throws -> Answer {
        var fields = ["username": username, "password": password]
        if let device { fields["deviceToken"] = device }
        let body = try JSONSerialization.data(withJSONObject: fields)
        return try await client.execute(
            uri: "/api/v1/auth/login", method: .post,
            headers: [.contentType: "application/json", HTTPField.Name("X-Forwarded-For")!: address],
            body: ByteBuffer(data: body)
        ) { response in
            let json = try? JSONSerialization.jsonObject(with: Data(buffer: response.body)) as? [String: Any]
            return Answer(status: Int(response.status.code), deviceToken: json?["deviceToken"] as? String)
        }
    }

    /// Six wrong passwords for `name` from a client without its token: the account is locked.
    func lockOut(_ client: some TestClientProtocol, _ name: String) async throws {
        for attempt in 0..<6 { _ = try await login(client, name, "wrong-\(attempt)") }
        let locked = try await login(client, name, SeededPeople.password)
        #expect(locked.status == 429, "the account was not locked: \(locked.status)")
    }

    @Test func anAccountLockedByOthersLetsItsOwnDeviceIn() async throws {
        try await withServer { client, _ in
            let first = try await login(client, "ann", SeededPeople.password)
            let device = try #require(first.deviceToken)
            let other = try #require(try await login(client, "cat", SeededPeople.password).deviceToken)
            try await lockOut(client, "ann")
            let withDevice = try await login(client, "ann", SeededPeople.password, device: device)
            #expect(withDevice.status == 200, "ann's own device was held by the lock others ran up")
            #expect(withDevice.deviceToken == device, "a valid token is kept, not replaced")
            #expect(try await login(client, "ANN", SeededPeople.password, device: device).status == 200)
            #expect(try await login(client, "ann", SeededPeople.password).status == 429, "no token: still locked")
            let borrowed = try await login(client, "ann", SeededPeople.password, device: other)
            #expect(borrowed.status == 429, "cat's token opened ann's lock")
            var forged = Array(device)
            let inCode = try #require(forged.lastIndex(of: ".")) + 5  // inside the HMAC
            forged[inCode] = forged[inCode] == "A" ? "B" : "A"
            #expect(try await login(client, "ann", SeededPeople.password, device: String(forged)).status == 429)
            #expect(try await login(client, "ann", SeededPeople.password, device: "garbage").status == 429)
        }
    }

    @Test func aDevicesOwnFailuresLockItAndLeaveTheAccountsLockAlone() async throws {
        try await withServer { client, _ in
            let device = try #require(try await login(client, "ann", SeededPeople.password).deviceToken)
            for attempt in 0..<6 {
                let answer = try await login(client, "ann", "wrong-\(attempt)", device: device)
                #expect(answer.status == 401)
            }
            let locked = try await login(client, "ann", SeededPeople.password, device: device)
            #expect(locked.status == 429, "a token's failures did not lock it: \(locked.status)")
            #expect(try await login(client, "ann", SeededPeople.password).status == 200, "the account was locked")
        }
    }

    /// Over TLS a `__Host-` cookie, which a sibling domain cannot plant (a planted plain one is ignored); without
    /// TLS a plain one sent to the login form only.
    @Test(arguments: [false, true])
    func theLoginPageKeepsItsDeviceTokenInAStrictCookie(overTLS: Bool) async throws {
        try await withServer(overTLS: overTLS) { client, _ in
            let (csrf, csrfCookie) = try await loginFormToken(client)
            let post = { @Sendable (cookies: String) in
                try await client.execute(
                    uri: "/login", method: .post,
                    headers: [.contentType: "application/x-www-form-urlencoded", .cookie: cookies],
                    body: ByteBuffer(string: "_csrf=\(csrf)&username=ann&password=\(SeededPeople.password)&next=%2F")
                ) { response in
                    (Int(response.status.code), response.headers[values: .setCookie])
                }
            }
            let (status, cookies) = try await post(csrfCookie)
            #expect(status == 303 || status == 302, "\(status)")
            let name = overTLS ? "__Host-inboard_device" : "inboard_device"
            let device = try #require(cookies.first { $0.hasPrefix(name + "=") })
            // Attributes compared whole, in any order (the header lists them as the cookie type chooses).
            let given = Set(device.split(separator: ";").dropFirst().map { $0.trimmingCharacters(in: .whitespaces) })
            let attributes = ["HttpOnly", "SameSite=Strict"] + (overTLS ? ["Path=/", "Secure"] : ["Path=/login"])
            for attribute in attributes {
                #expect(given.contains(attribute), "\(attribute) missing: \(device)")
            }
            try await lockOut(client, "ann")
            let token = String(device.split(separator: ";")[0].dropFirst(name.count + 1))
            let (again, _) = try await post(csrfCookie + "; \(name)=\(token)")
            #expect(again == 303 || again == 302, "the page's own device cookie was held by the lock: \(again)")
            if overTLS {
                let (planted, _) = try await post(csrfCookie + "; inboard_device=\(token)")
                #expect(planted == 429, "a plain cookie, which a sibling domain can plant, was believed: \(planted)")
            }
        }
    }

    /// Tokens cannot be hoarded into guesses: every token of one person shares a budget of twenty failures.
    @Test func allOfAPersonsTokensShareOneBudget() async throws {
        try await withServer { client, _ in
            var tokens: [String] = []
            for index in 0..<6 {
                let answer = try await login(client, "ann", SeededPeople.password, from: "198.51.100.\(10 + index)")
                tokens.append(try #require(answer.deviceToken))
            }
            #expect(Set(tokens).count == 6, "each login without a token gets a new one")
            var attempt = 0
            for token in tokens.prefix(5) {
                for _ in 0..<4 {  // under each token's own five
                    attempt += 1
                    let answer = try await login(client, "ann", "wrong", device: token, from: "203.0.113.\(attempt)")
                    #expect(answer.status == 401, "failure \(attempt) was refused: \(answer.status)")
                }
            }
            _ = try await login(client, "ann", "wrong", device: tokens[5], from: "203.0.113.99")  // the 21st
            let locked = try await login(client, "ann", SeededPeople.password, device: tokens[5], from: "192.0.2.1")
            #expect(locked.status == 429, "twenty-one failures across one person's tokens locked nothing")
        }
    }

    /// A token past half its life is replaced at the next sign-in, so a device in daily use never meets its end.
    @Test func anAgeingTokenIsReplaced() async throws {
        try await withServer { client, people in
            let ann = try #require(people.ids["ann"])
            let old = Self.serverTokens.issue(forPerson: ann, now: Date().addingTimeInterval(-200 * 86_400))
            let young = Self.serverTokens.issue(forPerson: ann, now: Date().addingTimeInterval(-10 * 86_400))
            let renewed = try await login(client, "ann", SeededPeople.password, device: old)
            #expect(renewed.status == 200 && renewed.deviceToken != nil && renewed.deviceToken != old)
            #expect(try await login(client, "ann", SeededPeople.password, device: young).deviceToken == young)
        }
    }

    @Test func aTokenNamesOnePersonUntilItEnds() throws {
        let tokens = DeviceTokens(key: SymmetricKey(size: .bits256))
        let now = Date()
        let token = tokens.issue(forPerson: 7, now: now)
        let device = try #require(tokens.device(token, now: now))
        #expect(device.person == 7 && device.personKey == LoginThrottle.accountKey("person:7"))
        #expect(tokens.device(tokens.issue(forPerson: 7, now: now), now: now)?.throttleKey != device.throttleKey)
        #expect(DeviceTokens(key: SymmetricKey(size: .bits256)).device(token, now: now) == nil, "another key")
        #expect(tokens.device(token, now: now.addingTimeInterval(366 * 86_400)) == nil, "expired")
        #expect(tokens.device(token, now: now.addingTimeInterval(-3600)) == nil, "issued in the future")
        let parts = token.split(separator: ".").map(String.init)
        let otherPerson = [parts[0], "8", parts[2], parts[3]].joined(separator: ".")
        let otherTime = [parts[0], parts[1], String(Int(parts[2])! + 1), parts[3]].joined(separator: ".")
        for bad in [
            "", "...", "a.b.c", token + ".x", String(repeating: "A", count: 300), token + "A", otherPerson,
            otherTime,
        ] {
            #expect(tokens.device(bad, now: now) == nil, "\(bad)")
        }
    }
}
