import Foundation
import HummingbirdTesting
import InboardCore
import InboardServer
import InboardStore
import InboardTestSupport
import Testing

/// Security behind a reverse proxy: one client's failures lock out that client only, a client cannot pick
/// its own address, and an https public URL makes cookies Secure with HSTS.
@Suite struct ReverseProxyTests {
    static func curlLogin(
        port: Int, from address: String, forwardedFor: String?, _ username: String, _ password: String
    ) async throws -> Int {
        var arguments = [
            "-s", "-o", "/dev/null", "-w", "%{http_code}", "--interface", address, "-H",
            "Content-Type: application/json",
            "--data-binary", #"{"username":"\#(username)","password":"\#(password)"}"#,
        ]
        if let forwardedFor { arguments += ["-H", "X-Forwarded-For: \(forwardedFor)"] }
        return Int(
            try await runProgram("/usr/bin/curl", arguments + ["http://127.0.0.1:\(port)/api/v1/auth/login"]).output)
            ?? 0
    }

    /// Wrong logins (25 unless told), each for another name (so no account budget runs out first); the last answer.
    static func failManyTimes(
        _ times: Int = 25, port: Int, from address: String, forwardedFor: (Int) -> String
    ) async throws -> Int {
        var last = 0
        for index in 0..<times {
            last = try await curlLogin(
                port: port, from: address, forwardedFor: forwardedFor(index), "nobody\(index)", "wrong")
        }
        return last
    }

    /// Locks `address` (as the trusted proxy forwards it) with wrong logins for other names each time.
    static func lockAddress(port: Int, _ address: String) async throws {
        let last = try await failManyTimes(port: port, from: "127.0.0.1") { _ in address }
        #expect(last == 429, "the address was not locked: \(last)")
    }

    /// Runs `body` against a server behind a trusted proxy at 127.0.0.1 (first lock long enough for a slow machine).
    func behindTrustedProxy(_ body: @escaping @Sendable (Int) async throws -> Void) async throws {
        try await TemporaryDatabase.with { db in
            _ = try await SeededPeople.seed(db)
            try await makeTestApp(databaseURL: db.url, trustedProxies: "127.0.0.1", loginFirstLock: .seconds(900)).test(
                .live
            ) { client in
                try await body(try #require(client.port))
            }
        }
    }

    @Test func failuresBehindATrustedProxyLockOutOnlyTheirClient() async throws {
        try await behindTrustedProxy { port in
            try await Self.lockAddress(port: port, "203.0.113.5")
            let colleague = try await Self.curlLogin(
                port: port, from: "127.0.0.1", forwardedFor: "198.51.100.7", "ann", SeededPeople.password)
            #expect(colleague == 200, "a colleague behind the same proxy was locked out: \(colleague)")
        }
    }

    /// An IPv6 client picks any address in its /64: one address each try escaped the per-address budget, so a
    /// password spray over many names went on unthrottled. The /64 has a budget of its own (100).
    @Test func aClientChangingAddressesWithinItsSlash64IsThrottled() async throws {
        try await behindTrustedProxy { port in
            let last = try await Self.failManyTimes(102, port: port, from: "127.0.0.1") {
                "2001:db8:1:2::\(String($0 + 1, radix: 16))"
            }
            #expect(last == 429, "a client rotating addresses within its /64 was not throttled: \(last)")
            let neighbour = try await Self.curlLogin(
                port: port, from: "127.0.0.1", forwardedFor: "2001:db8:1:3::1", "ann", SeededPeople.password)
            #expect(neighbour == 200, "a client in another /64 was locked out: \(neighbour)")
        }
    }

    /// A refused attempt judges no password and counts nowhere: counted, a locked address (or an office's
    /// locked /64) ran up the account of every colleague who retried from it.
    @Test func anAttemptRefusedForItsAddressDoesNotCountAgainstTheAccount() async throws {
        try await behindTrustedProxy { port in
            try await Self.lockAddress(port: port, "203.0.113.5")
            for _ in 0..<8 {
                let refused = try await Self.curlLogin(
                    port: port, from: "127.0.0.1", forwardedFor: "203.0.113.5", "ann", "wrong")
                #expect(refused == 429)
            }
            let elsewhere = try await Self.curlLogin(
                port: port, from: "127.0.0.1", forwardedFor: "198.51.100.7", "ann", SeededPeople.password)
            #expect(elsewhere == 200, "refused attempts locked the account: \(elsewhere)")
        }
    }

    @Test func anUntrustedPeerCannotChooseItsAddress() async throws {
        try await behindTrustedProxy { port in
            let last = try await Self.failManyTimes(port: port, from: "127.0.0.9") { "192.0.2.\($0)" }
            #expect(last == 429, "a made-up X-Forwarded-For from an untrusted peer escaped the throttle: \(last)")
        }
    }

    @Test func anHTTPSPublicURLMakesCookiesSecureAndSendsHSTS() async throws {
        try await TemporaryDatabase.with { db in
            _ = try await SeededPeople.seed(db)
            try await makeTestApp(databaseURL: db.url, publicURLIsHTTPS: true).test(.live) { client in
                let (cookie, hsts) = try await client.execute(uri: "/login", method: .get) {
                    ($0.headers[.setCookie] ?? "", $0.headers[.init("Strict-Transport-Security")!])
                }
                #expect(cookie.contains("Secure"), "login cookie: \(cookie)")
                #expect(hsts?.contains("max-age=") == true)
            }
        }
    }

    @Test func trustedProxySettingsParse() throws {
        let proxies = try TrustedProxies(parsing: "10.0.0.0/8, 192.168.1.1 ,::1, fd00::/8")
        #expect(proxies.trusts("10.200.3.4") && proxies.trusts("192.168.1.1") && !proxies.trusts("192.168.1.2"))
        #expect(proxies.trusts("::1") && proxies.trusts("fd12:3456::1") && !proxies.trusts("fe80::1"))
        #expect(proxies.clientAddress(peer: "10.0.0.1", forwardedFor: "1.2.3.4, 5.6.7.8, 10.0.0.9") == "5.6.7.8")
        #expect(proxies.clientAddress(peer: "8.8.8.8", forwardedFor: "1.2.3.4") == "8.8.8.8")
        #expect(proxies.clientAddress(peer: "10.0.0.1", forwardedFor: "not-an-address") == "10.0.0.1")
        #expect(proxies.trusts("::ffff:10.1.2.3"), "an IPv4 proxy seen by a dual-stack listener")
        #expect(throws: TrustedProxies.Refusal.self) { try TrustedProxies(parsing: "10.0.0.0/33") }
        #expect(throws: TrustedProxies.Refusal.self) { try TrustedProxies(parsing: "example.org") }
    }
}
