@testable import DirectorySync
import Foundation
import InboardTestSupport
import LDAPKit
import Logging
import Testing

/// How much of the directory's own lockout threshold a login may spend, counted as each directory counts.
@Suite struct LockoutPolicyTests {
    let start = Date(timeIntervalSince1970: 1_800_000_000)

    @Test func inboardSpendsHalfTheThresholdAndAtLeastOne() {
        #expect(LockoutPolicy(threshold: 10, window: nil).allowance == 5)
        #expect(LockoutPolicy(threshold: 5, window: nil).allowance == 2)
        #expect(LockoutPolicy(threshold: 3, window: nil).allowance == 1)
        #expect(LockoutPolicy(threshold: 1, window: nil).allowance == 1)
        #expect(LockoutPolicy.unreadable(window: .seconds(60)).allowance == 1)
    }

    /// Active Directory keeps a count and the last failure's time; the whole count ends a window after it.
    @Test func activeDirectorysCountEndsOneWindowAfterTheLastFailure() {
        let policy = LockoutPolicy(threshold: 4, window: .seconds(1800))
        let two = LockoutPolicy.Failures(times: [start, start])
        #expect(policy.nextBind(after: .init(times: [start]), now: start.addingTimeInterval(1)) == nil)
        #expect(policy.nextBind(after: two, now: start.addingTimeInterval(60)) == start.addingTimeInterval(1800))
        #expect(policy.nextBind(after: two, now: start.addingTimeInterval(1800)) == nil)
    }

    /// A password policy forgets each failure `pwdFailureCountInterval` after it happened.
    @Test func aPasswordPolicyForgetsEachFailureOnItsOwn() {
        let policy = LockoutPolicy(threshold: 4, window: .seconds(60))
        let three = LockoutPolicy.Failures(times: [20, 0, 10].map { start.addingTimeInterval($0) })
        // Three count; once the two oldest lapse one remains, under the allowance of two.
        #expect(policy.nextBind(after: three, now: start.addingTimeInterval(30)) == start.addingTimeInterval(70))
        #expect(policy.nextBind(after: three, now: start.addingTimeInterval(70)) == nil)
        let forever = LockoutPolicy(threshold: 4, window: nil)
        #expect(forever.nextBind(after: three, now: start.addingTimeInterval(86_400)) == .distantFuture)
    }

    @Test func theStricterPolicyAllowsFewerOrCountsLonger() {
        let (five, ten) = (LockoutPolicy(threshold: 10, window: .seconds(60)), LockoutPolicy(threshold: 4, window: nil))
        #expect(ten.isStricter(than: five) && !five.isStricter(than: ten))
        let longer = LockoutPolicy(threshold: 10, window: .seconds(600))
        #expect(longer.isStricter(than: five) && !five.isStricter(than: longer))
        #expect(LockoutPolicy(threshold: 10, window: nil).isStricter(than: longer))
    }

    @Test func failuresAreReadAsEachDirectoryWritesThem() {
        // 2027-01-15T00:00:00Z as FILETIME (100 ns since 1601).
        let fileTime = (1_799_971_200 + 11_644_473_600) * 10_000_000
        let ad = LDAPEntry(
            dn: "CN=x", attributes: ["badPwdCount": [Array("3".utf8)], "badPasswordTime": [Array("\(fileTime)".utf8)]])
        let moment = Date(timeIntervalSince1970: 1_799_971_200)
        #expect(DirectoryLockoutGuard.failures(of: ad, flavour: .activeDirectory).times == [moment, moment, moment])
        let none = LDAPEntry(dn: "CN=x", attributes: ["badPwdCount": [Array("0".utf8)]])
        #expect(DirectoryLockoutGuard.failures(of: none, flavour: .activeDirectory).times.isEmpty)
        let openLDAP = LDAPEntry(
            dn: "uid=x",
            attributes: ["pwdFailureTime": [Array("20270115000000.123456Z".utf8), Array("20270115000005Z".utf8)]])
        #expect(
            DirectoryLockoutGuard.failures(of: openLDAP, flavour: .openLDAP).times == [
                moment, moment.addingTimeInterval(5),
            ])
        #expect(DirectoryLockoutGuard.interval("-18000000000") == .seconds(1800))
    }
}

/// The guard against the test slapd, whose sample password policies (`default`, `strict`) lock after 10
/// failures within 60 seconds: Inboard stops at 5.
@Suite struct SlapdLockoutGuardTests {
    static func env(_ name: String) throws -> String { try TestEnvironment.require(name) }

    @Test(arguments: [true, false]) func failuresPastHalfThePolicyStopTheNextPassword(namesItsPolicy: Bool) async throws
    {
        let base = try Self.env("INBOARD_TEST_LDAP_BASE")
        let uid = "lk\(UUID().uuidString.prefix(8).lowercased())"
        let dn = "uid=\(uid),ou=people,\(base)"
        var ldif = """
            dn: \(dn)
            objectClass: inetOrgPerson
            uid: \(uid)
            cn: Lockout Guard
            sn: Guard
            userPassword: \(try Self.env("INBOARD_TEST_SAMPLE_PASSWORD"))

            """
        // Named: the strict policy; unnamed: slapd's default, which the guard cannot see and takes as the strictest.
        if namesItsPolicy {
            ldif = ldif.replacingOccurrences(
                of: "sn: Guard\n", with: "sn: Guard\npwdPolicySubentry: cn=strict,ou=policies,\(base)\n")
        }
        try await admin("ldapadd", input: ldif)
        defer { Task { try? await admin("ldapdelete", arguments: [dn]) } }

        let (client, logger) = try readerClient()
        defer { Task { await client.shutdown() } }
        let guardian = DirectoryLockoutGuard(client: client, flavour: .openLDAP, logger: logger)
        func nextBind() async throws -> Date? {
            let entry = try #require(
                try await client.read(dn: dn, attributes: DirectoryLockoutGuard.attributes(for: .openLDAP)))
            return try await guardian.nextBind(for: entry)
        }
        #expect(try await nextBind() == nil)
        for _ in 0..<4 { _ = try? await client.bind(LDAPCredentials(bindName: dn, password: "wrong")) }
        #expect(try await nextBind() == nil, "four of ten")
        _ = try? await client.bind(LDAPCredentials(bindName: dn, password: "wrong"))
        let next = try #require(try await nextBind(), "five of ten")
        #expect(next > Date().addingTimeInterval(45) && next <= Date().addingTimeInterval(61), "\(next)")
    }

    /// "Test connection" tells the admin what Inboard found and how much of it a login spends.
    @Test func theAdminIsToldThePolicyAndInboardsShare() async throws {
        let (client, logger) = try readerClient()
        defer { Task { await client.shutdown() } }
        let words = try await DirectoryLockoutGuard(client: client, flavour: .openLDAP, logger: logger)
            .describeDefaultPolicy()
        #expect(words.contains("after 10 wrong passwords within 1 min") && words.contains("at most 5"), "\(words)")
    }

    func readerClient() throws -> (LDAPClient, Logger) {
        var logger = Logger(label: "test")
        logger.logLevel = .error
        let client = try LDAPClient(
            configuration: LDAPConfiguration(servers: [try LDAPServerURL(Self.env("INBOARD_TEST_LDAP_URL"))]),
            serviceAccount: LDAPCredentials(
                bindName: try Self.env("INBOARD_TEST_LDAP_READER_DN"),
                password: try Self.env("INBOARD_TEST_LDAP_READER_PASSWORD")),
            logger: logger)
        return (client, logger)
    }

    func admin(_ tool: String, arguments: [String] = [], input: String? = nil) async throws {
        var all = [
            "-x", "-H", try Self.env("INBOARD_TEST_LDAP_URL"), "-D", try Self.env("INBOARD_TEST_LDAP_ADMIN_DN"), "-w",
            try Self.env("INBOARD_TEST_LDAP_ADMIN_PASSWORD"),
        ]
        let file = FileManager.default.temporaryDirectory.appendingPathComponent("lockout-\(UUID()).ldif")
        if let input {
            try input.write(to: file, atomically: true, encoding: .utf8)
            all += ["-f", file.path]
        }
        defer { try? FileManager.default.removeItem(at: file) }
        let result = try await runProgram("/usr/bin/\(tool)", all + arguments)
        guard result.status == 0 else { throw ProgramFailed("\(tool): \(result.error)") }
    }
}
