@testable import DirectorySync
import Foundation
import InboardCore
import InboardTestSupport
import LDAPKit
import Logging
import Testing

/// Failures read as each directory writes them.
@Suite struct DirectoryFailuresTests {
    @Test func failuresAreReadAsEachDirectoryWritesThem() {
        // 2027-01-15T00:00:00Z as FILETIME (100 ns since 1601).
        let fileTime = (1_799_971_200 + 11_644_473_600) * 10_000_000
        let ad = LDAPEntry(
            dn: "CN=x", attributes: ["badPwdCount": [Array("3".utf8)], "badPasswordTime": [Array("\(fileTime)".utf8)]])
        let moment = Date(timeIntervalSince1970: 1_799_971_200)
        #expect(DirectoryLockoutGuard.failures(of: ad, flavour: .activeDirectory).times == [moment, moment, moment])
        let none = LDAPEntry(dn: "CN=x", attributes: ["badPwdCount": [Array("0".utf8)]])
        #expect(DirectoryLockoutGuard.failures(of: none, flavour: .activeDirectory).times.isEmpty)
        // A count without its time is taken as failures just now, not as none.
        let untimed = LDAPEntry(dn: "CN=x", attributes: ["badPwdCount": [Array("2".utf8)]])
        #expect(
            DirectoryLockoutGuard.failures(of: untimed, flavour: .activeDirectory, now: moment).times == [
                moment, moment,
            ])
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
/// failures within 60 seconds: Inboard stops at 4.
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
        // Named: the strict policy; unnamed: slapd's default, which the guard cannot see: it takes the strictest it
        // can read (both sample policies are alike; LockoutPolicyTests combine unlike ones).
        if namesItsPolicy {
            ldif = ldif.replacingOccurrences(
                of: "sn: Guard\n", with: "sn: Guard\npwdPolicySubentry: cn=strict,ou=policies,\(base)\n")
        }
        try await admin("ldapadd", input: ldif)
        defer { Task { try? await admin("ldapdelete", arguments: [dn]) } }

        let (client, logger) = try readerClient()
        defer { Task { await client.shutdown() } }
        let guardian = DirectoryLockoutGuard(client: client, flavour: .openLDAP, logger: logger)
        func entry() async throws -> LDAPEntry {
            try #require(try await client.read(dn: dn, attributes: DirectoryLockoutGuard.attributes(for: .openLDAP)))
        }
        func nextBind() async throws -> Date? {
            let found = try await entry()
            let next = try await guardian.reserveBind(for: found, readAt: Date())
            if next == nil { await guardian.release(found, failed: false) }
            return next
        }
        #expect(try await nextBind() == nil)
        let firstFailure = Date()
        for _ in 0..<3 { _ = try? await client.bind(LDAPCredentials(bindName: dn, password: "wrong")) }
        #expect(try await nextBind() == nil, "three of ten")
        // A bind in flight counts, and so does one that failed since the entry was read: a parallel attempt
        // reading the same three failures waits.
        let readAt = Date()
        let three = try await entry()
        #expect(try await guardian.reserveBind(for: three, readAt: readAt) == nil)
        #expect(try await guardian.reserveBind(for: three, readAt: readAt) != nil, "two binds passed one reading")
        await guardian.release(three, failed: true)
        #expect(try await guardian.reserveBind(for: three, readAt: readAt) != nil, "a failure since the reading")
        #expect(
            try await guardian.reserveBind(for: try await entry(), readAt: Date()) == nil, "a reading after the failure"
        )
        await guardian.release(three, failed: false)
        _ = try? await client.bind(LDAPCredentials(bindName: dn, password: "wrong"))
        let next = try #require(try await nextBind(), "four of ten")
        // When the first failure (seconds, as slapd writes them) leaves the minute, with the guard's margin: timed
        // from it, not from now, which a loaded machine may have taken many seconds to reach.
        #expect((60...80).contains(next.timeIntervalSince(firstFailure)), "\(next), first failure at \(firstFailure)")
    }

    /// "Test connection" tells the admin what Inboard found and how much of it a login spends.
    @Test func theAdminIsToldThePolicyAndInboardsShare() async throws {
        let (client, logger) = try readerClient()
        defer { Task { await client.shutdown() } }
        let words = try await DirectoryLockoutGuard(client: client, flavour: .openLDAP, logger: logger)
            .describeDefaultPolicy()
        #expect(words.contains("after 10 wrong passwords within 1 min") && words.contains("at most 4"), "\(words)")
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
