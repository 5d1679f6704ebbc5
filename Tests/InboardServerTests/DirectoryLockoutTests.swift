import DirectorySync
import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdBcrypt
import HummingbirdTesting
@testable import InboardServer
import InboardStore
import InboardTestSupport
import Logging
import Testing

/// Wrong passwords sent through Inboard must never lock an account in Active Directory, where the lock holds
/// everywhere (Windows logon, mail, VPN): Inboard spends less than half of the threshold that applies to the
/// account, and past it only a device the account signed in on before still tries a password, up to two short
/// of the threshold. Each test has an OU and accounts of its own under a fine-grained policy (a threshold of 5,
/// of which Inboard spends 2): the domain's policy is shared by every test.
@Suite struct DirectoryLockoutTests {
    static func env(_ name: String) throws -> String { try TestEnvironment.require(name) }

    struct Guarded {
        let ou: String
        /// Under the fine-grained policy.
        let name: String
        let dn: String
        /// A plain account of the same OU, which may not read the policy's numbers.
        let plainDN: String
    }

    @Test func guessesThroughInboardNeverLockTheDirectoryAccount() async throws {
        try await withGuardedAccount { account in
            try await withInboard(bindDN: try Self.env("INBOARD_TEST_AD_ADMIN_DN"), account) { client in
                let password = try Self.env("INBOARD_TEST_SAMPLE_PASSWORD")
                let first = try await login(client, account.name, password)
                #expect(first.status == 200, "\(first.body)")
                let device = try #require(first.deviceToken)

                #expect(try await login(client, account.name, "Wrong-1").status == 401)
                #expect(try await login(client, account.name, "Wrong-2").status == 401)
                // Two failures are Inboard's share of 5: the third guess is not sent; the directory holds two.
                let third = try await login(client, account.name, "Wrong-3")
                #expect(third.status == 429, "\(third.body)")
                #expect((third.retryAfter ?? 0) > 1_700, "the policy's window is 30 minutes: \(third.retryAfter ?? 0)")
                #expect(try await badPasswordCount(account.dn) == 2)
                #expect(try await login(client, account.name, "Wrong-4").status == 429)
                #expect(
                    try await login(client, account.name, password).status == 429, "a right password from elsewhere")
                #expect(try await badPasswordCount(account.dn) == 2, "the directory saw only Inboard's two")

                // The owner's own device still tries, and its success clears the directory's count.
                let own = try await login(client, account.name, password, device: device)
                #expect(own.status == 200, "\(own.body)")
                #expect(try await badPasswordCount(account.dn) == 0)
            }
        }
    }

    /// The wait comes in whole 5 minutes: the exact time would say when the person last mistyped, anywhere.
    @Test func retryAfterComesInWholeFiveMinutes() {
        let now = Date(timeIntervalSince1970: 1_800_000_000)
        #expect(LoginService.secondsUntil(now.addingTimeInterval(1), now: now) == 300)
        #expect(LoginService.secondsUntil(now.addingTimeInterval(1805), now: now) == 2100)
        #expect(LoginService.secondsUntil(now.addingTimeInterval(-5), now: now) == 300)
        #expect(LoginService.secondsUntil(.distantFuture, now: now) == 900)
    }

    /// A device the person signed in on before (a phone with an old saved password, a stolen token) may go up to
    /// two failures short of the threshold, and no further.
    @Test func aKnownDeviceStopsShortOfTheDirectoryLock() async throws {
        try await withGuardedAccount { account in
            try await withInboard(bindDN: try Self.env("INBOARD_TEST_AD_ADMIN_DN"), account) { client in
                let first = try await login(client, account.name, try Self.env("INBOARD_TEST_SAMPLE_PASSWORD"))
                let device = try #require(first.deviceToken, "\(first.body)")
                var answers: [Int] = []
                for attempt in 0..<6 {
                    answers.append(try await login(client, account.name, "Wrong-\(attempt)", device: device).status)
                }
                #expect(answers == [401, 401, 401, 429, 429, 429], "\(answers)")
                #expect(try await badPasswordCount(account.dn) == 3, "two short of the policy's 5")
            }
        }
    }

    /// Parallel guesses cannot all pass on one reading of the entry's failures.
    @Test func parallelGuessesStopAtInboardsShareToo() async throws {
        try await withGuardedAccount { account in
            try await withInboard(bindDN: try Self.env("INBOARD_TEST_AD_ADMIN_DN"), account, sync: false) { client in
                let answers = try await withThrowingTaskGroup(of: Int.self) { group in
                    for attempt in 0..<8 {
                        group.addTask { try await login(client, account.name, "Wrong-\(attempt)").status }
                    }
                    return try await group.reduce(into: [Int]()) { $0.append($1) }
                }
                let judged = answers.filter { $0 == 401 }.count
                #expect(judged >= 1 && judged <= 2, "\(answers.sorted())")
                #expect(answers.allSatisfy { $0 == 401 || $0 == 429 }, "\(answers.sorted())")
                #expect(try await badPasswordCount(account.dn) ?? 99 <= 2)
            }
        }
    }

    @Test func aPolicyTheServiceAccountCannotReadLeavesOneWrongPassword() async throws {
        try await withGuardedAccount { account in
            try await withInboard(bindDN: account.plainDN, account, sync: false) { client in
                #expect(try await login(client, account.name, "Wrong-1").status == 401)
                let second = try await login(client, account.name, "Wrong-2")
                #expect(second.status == 429, "\(second.body)")
                #expect(try await badPasswordCount(account.dn) == 1)
            }
        }
    }

    // MARK: - The accounts, Inboard, and what the directory holds

    func withGuardedAccount(_ body: (Guarded) async throws -> Void) async throws {
        let id = String(UUID().uuidString.prefix(8)).lowercased()
        let ou = "OU=lockout-\(id)"
        let domain = try Self.env("INBOARD_TEST_AD_BASE")
        let password = try Self.env("INBOARD_TEST_SAMPLE_PASSWORD")
        let (name, plain, policy) = ("lk\(id)", "sv\(id)", "pso-\(id)")
        try await sambaTool(["ou", "create", ou])
        do {
            for user in [name, plain] {
                try await sambaTool(["user", "add", user, password, "--userou=\(ou)", "--use-username-as-cn"])
            }
            try await sambaTool([
                "domain", "passwordsettings", "pso", "create", policy, "10", "--account-lockout-threshold=5",
                "--account-lockout-duration=30", "--reset-account-lockout-after=30",
            ])
            try await sambaTool(["domain", "passwordsettings", "pso", "apply", policy, name])
            try await body(
                Guarded(
                    ou: "\(ou),\(domain)", name: name, dn: "CN=\(name),\(ou),\(domain)",
                    plainDN: "CN=\(plain),\(ou),\(domain)"))
        } catch {
            await removeAccounts(ou: ou, policy: policy)
            throw error
        }
        await removeAccounts(ou: ou, policy: policy)
    }

    func removeAccounts(ou: String, policy: String) async {
        try? await sambaTool(["domain", "passwordsettings", "pso", "delete", policy])
        try? await sambaTool(["ou", "delete", ou, "--force-subtree-delete"])
    }

    /// A server whose directory is the test's OU, bound as `bindDN`; synced first unless `sync` is false.
    func withInboard(
        bindDN: String, _ account: Guarded, sync: Bool = true,
        _ body: @escaping @Sendable (any TestClientProtocol) async throws -> Void
    ) async throws {
        try await TemporaryDatabase.with { db in
            let secrets = try SecretBox(keyBytes: (0..<32).map { _ in UInt8.random(in: 0...255) })
            let bindPassword =
                bindDN == (try Self.env("INBOARD_TEST_AD_ADMIN_DN"))
                ? try Self.env("INBOARD_TEST_AD_ADMIN_PASSWORD") : try Self.env("INBOARD_TEST_SAMPLE_PASSWORD")
            let settings = DirectorySettings(
                flavour: .activeDirectory, servers: [try Self.env("INBOARD_TEST_ADS_URL")],
                caFile: try Self.env("INBOARD_TEST_CA_FILE"), bindDN: bindDN, bindPassword: bindPassword,
                baseDN: [account.ou], groupBaseDN: [account.ou])
            try await ActiveDirectoryLoginTests.store(settings, in: db, secrets: secrets)
            try await makeTestApp(databaseURL: db.url, secrets: secrets).test(.live) { client in
                if sync {
                    let root = try await login(client, "root", AuthAndAdminAPITests.adminPassword)
                    let token = try #require(root.token)
                    let run = try await ActiveDirectoryLoginTests.fullSync(client, token: token, within: .seconds(60))
                    try #require(run.state == "succeeded")
                }
                try await body(client)
            }
        }
    }

    struct Answer {
        let status: Int
        let body: String
        let retryAfter: Int?
        var json: [String: Any]? { try? JSONSerialization.jsonObject(with: Data(body.utf8)) as? [String: Any] }
        var token: String? { json?["token"] as? String }
        var deviceToken: String? { json?["deviceToken"] as? String }
    }

    /// With curl, which waits as long as a loaded Samba needs (the test client gives up after 20 s).
    func login(_ client: some TestClientProtocol, _ name: String, _ password: String, device: String? = nil)
        async throws -> Answer
    {
        var fields = ["username": name, "password": password]
        if let device { fields["deviceToken"] = device }
        let body = String(decoding: try JSONSerialization.data(withJSONObject: fields), as: UTF8.self)
        let result = try await runProgram(
            "/usr/bin/curl",
            [
                "-s", "-i", "--max-time", "120", "-H", "Content-Type: application/json", "--data-binary", body,
                "http://127.0.0.1:\(try #require(client.port))/api/v1/auth/login",
            ])
        let parts = result.output.components(separatedBy: "\r\n\r\n")
        let head = parts[0].components(separatedBy: "\r\n")
        let status = head.first.flatMap { Int($0.split(separator: " ").dropFirst().first ?? "") } ?? 0
        let retryAfter = head.first { $0.lowercased().hasPrefix("retry-after:") }
            .flatMap { Int($0.dropFirst("retry-after:".count).trimmingCharacters(in: .whitespaces)) }
        return Answer(status: status, body: parts.dropFirst().joined(separator: "\r\n\r\n"), retryAfter: retryAfter)
    }

    /// The directory's own count of wrong passwords for `dn`, read as its administrator.
    func badPasswordCount(_ dn: String) async throws -> Int? {
        let result = try await runProgram(
            "/usr/bin/ldapsearch",
            [
                "-x", "-LLL", "-H", "ldap://127.0.0.1:389", "-D", try Self.env("INBOARD_TEST_AD_ADMIN_DN"), "-w",
                try Self.env("INBOARD_TEST_AD_ADMIN_PASSWORD"), "-b", dn, "-s", "base", "badPwdCount",
            ])
        guard result.status == 0 else { throw ProgramFailed("ldapsearch: \(result.error)") }
        return result.output.split(separator: "\n").first { $0.hasPrefix("badPwdCount: ") }
            .flatMap { Int($0.dropFirst("badPwdCount: ".count)) }
    }

    /// samba-tool on the test domain's own database (local mode: no network credentials needed).
    func sambaTool(_ arguments: [String]) async throws {
        let config = try Self.env("INBOARD_TEST_AD_DIR") + "/etc/smb.conf"
        let result = try await runProgram("/usr/bin/samba-tool", arguments + ["-s", config])
        guard result.status == 0 else {
            throw ProgramFailed("samba-tool \(arguments.joined(separator: " ")): \(result.error)")
        }
    }
}
