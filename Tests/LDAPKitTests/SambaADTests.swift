import Foundation
import InboardTestSupport
import LDAPKit
import Testing

/// Active Directory behaviour against Samba AD DC (scripts/services start --with-ad) and its sample organisation.
@Suite(.serialized) struct SambaADTests {
    static var url: LDAPServerURL { get throws { try LDAPServerURL(TestEnvironment.require("INBOARD_TEST_AD_URL")) } }
    static var ldapsURL: LDAPServerURL {
        get throws { try LDAPServerURL(TestEnvironment.require("INBOARD_TEST_ADS_URL")) }
    }
    static var base: String { get throws { try TestEnvironment.require("INBOARD_TEST_AD_BASE") } }
    static var administrator: LDAPCredentials {
        get throws {
            LDAPCredentials(
                bindName: try TestEnvironment.require("INBOARD_TEST_AD_ADMIN_DN"),
                password: try TestEnvironment.require("INBOARD_TEST_AD_ADMIN_PASSWORD"))
        }
    }

    func client(_ servers: [LDAPServerURL]? = nil, tls: LDAPConfiguration.TLSMode = .none, caFile: String? = nil) throws
        -> LDAPClient
    {
        try Slapd.client(servers ?? [try Self.url], tls: tls, caFile: caFile, account: try Self.administrator)
    }

    func dn(of sAMAccountName: String, _ client: LDAPClient) async throws -> String {
        let found = try await collect(
            client.search(
                base: try Self.base,
                filter: .and([.equal("objectClass", "user"), .equal("sAMAccountName", sAMAccountName)]),
                attributes: ["cn"]))
        return try #require(found.first).dn
    }

    /// Changes an account with ldapmodify as Administrator (setting up expired / must-change states).
    func modify(_ dn: String, _ changes: String) async throws {
        try await applyLDIF(
            "dn: \(dn)\nchangetype: modify\n\(changes)\n", tool: "ldapmodify", server: try Self.url,
            as: try Self.administrator)
    }

    func bindFailure(_ client: LDAPClient, _ name: String, password: String? = nil) async throws -> LDAPError {
        do {
            try await client.bind(LDAPCredentials(bindName: name, password: try password ?? Slapd.samplePassword))
        } catch let error as LDAPError {
            return error
        }
        throw ProgramFailed("bind as \(name) succeeded")
    }

    @Test func bindsAsDNUserPrincipalNameAndDownLevelName() async throws {
        let client = try client()
        defer { Task { await client.shutdown() } }
        let password = try Slapd.samplePassword
        for name in [try await dn(of: "alice", client), "alice@example.test", "EXAMPLE\\alice"] {
            try await client.bind(LDAPCredentials(bindName: name, password: password))
        }
        let wrong = try await bindFailure(client, "alice@example.test", password: "nope")
        #expect(wrong.adFailure == .invalidCredentials)
    }

    /// AD takes an empty simple-bind password for an unauthenticated bind and answers "success"; a password
    /// starting with NUL would be sent as one through strlen. LDAPKit refuses these itself: no result code
    /// and no AD sub-code, which only the server could give.
    @Test func controlCharacterPasswordsAreRefusedBeforeTheServer() async throws {
        let client = try client()
        defer { Task { await client.shutdown() } }
        for password in ControlCharacterBindTests.hostilePasswords {
            let error = try await bindFailure(client, "alice@example.test", password: password)
            #expect(error.kind == .invalidCredentials, "\(error)")
            #expect(error.resultCode == 0 && error.adFailure == nil, "the server answered: \(error)")
        }
    }

    @Test func disabledExpiredAndMustChangeAccountsGetDistinctErrors() async throws {
        let client = try client()
        defer { Task { await client.shutdown() } }
        // gen-org disables person 13 (peggy); persons 2 and 3 are set up here.
        #expect(try await bindFailure(client, "peggy@example.test").adFailure == .accountDisabled)
        try await modify(try await dn(of: "carol", client), "replace: accountExpires\naccountExpires: 1\n-")
        #expect(try await bindFailure(client, "carol@example.test").adFailure == .accountExpired)
        try await modify(try await dn(of: "dave", client), "replace: pwdLastSet\npwdLastSet: 0\n-")
        #expect(try await bindFailure(client, "dave@example.test").adFailure == .mustChangePassword)
    }

    @Test func logonHoursRestrictionIsNotPermittedAtThisTime() async throws {
        let client = try client()
        defer { Task { await client.shutdown() } }
        // 21 zero bytes: no hour of the week is allowed.
        try await modify(
            try await dn(of: "frank", client), "replace: logonHours\nlogonHours:: AAAAAAAAAAAAAAAAAAAAAAAAAAAA\n-")
        #expect(try await bindFailure(client, "frank@example.test").adFailure == .notPermittedAtThisTime)
    }

    /// Back-dates the password by 50 days, past the domain's default maximum age of 42, through Samba's
    /// local database (pwdLastSet accepts only 0 or -1 over LDAP).
    @Test func expiredPasswordIsPasswordExpired() async throws {
        let client = try client()
        defer { Task { await client.shutdown() } }
        let fileTime = (Int(Date().timeIntervalSince1970) - 50 * 86_400 + 11_644_473_600) * 10_000_000
        let ldif =
            "dn: \(try await dn(of: "grace", client))\nchangetype: modify\nreplace: pwdLastSet\npwdLastSet: \(fileTime)\n"
        let file = FileManager.default.temporaryDirectory.appendingPathComponent("pwdlastset-\(UUID()).ldif")
        try ldif.write(to: file, atomically: true, encoding: .utf8)
        defer { try? FileManager.default.removeItem(at: file) }
        let database = try TestEnvironment.require("INBOARD_TEST_AD_DIR") + "/private/sam.ldb"
        let result = try await runProgram(
            "/usr/bin/ldbmodify", ["-H", database, "--controls=local_oid:1.3.6.1.4.1.7165.4.3.20:0", file.path])
        guard result.status == 0 else { throw ProgramFailed("ldbmodify: \(result.error)") }
        #expect(try await bindFailure(client, "grace@example.test").adFailure == .passwordExpired)
    }

    /// A fine-grained policy (threshold 3) on an account no other test uses: the domain's own threshold would
    /// hold for every test's accounts (and Inboard's servers read it) while this test runs.
    @Test func lockedOutAccountIsRefusedEvenWithTheRightPassword() async throws {
        let client = try client()
        defer { Task { await client.shutdown() } }
        let policy = "pso-erin-\(UUID().uuidString.prefix(8))"
        try await sambaTool([
            "domain", "passwordsettings", "pso", "create", policy, "10", "--account-lockout-threshold=3",
            "--account-lockout-duration=30", "--reset-account-lockout-after=30",
        ])
        do {
            try await sambaTool(["domain", "passwordsettings", "pso", "apply", policy, "erin"])
            for _ in 0..<3 { _ = try await bindFailure(client, "erin@example.test", password: "wrong") }
            #expect(try await bindFailure(client, "erin@example.test").adFailure == .accountLockedOut)
        } catch {
            try? await sambaTool(["domain", "passwordsettings", "pso", "delete", policy])
            throw error
        }
        try await sambaTool(["user", "unlock", "erin"])
        try await sambaTool(["domain", "passwordsettings", "pso", "delete", policy])
        try await client.bind(LDAPCredentials(bindName: "erin@example.test", password: try Slapd.samplePassword))
    }

    /// samba-tool on the test domain's own database (local mode: no network credentials needed).
    func sambaTool(_ arguments: [String]) async throws {
        let config = try TestEnvironment.require("INBOARD_TEST_AD_DIR") + "/etc/smb.conf"
        let result = try await runProgram("/usr/bin/samba-tool", arguments + ["-s", config])
        guard result.status == 0 else {
            throw ProgramFailed("samba-tool \(arguments.joined(separator: " ")): \(result.error)")
        }
    }

    @Test func groupOfMoreThan1500MembersIsReadWholeThroughRanges() async throws {
        let client = try client()
        defer { Task { await client.shutdown() } }
        let group = "CN=big-group,OU=Groups,OU=Acme,\(try Self.base)"
        let firstChunk = try #require(try await client.read(dn: group, attributes: ["member;range=0-1499"]))
        let ranged = try #require(firstChunk.rangedValues("member"))
        #expect(ranged.values.count == 1500)
        #expect(ranged.nextStart == 1500)
        let all = try await client.allValues(of: "member", in: group)
        #expect(all.count == 1600)
        #expect(Set(all.map { String(decoding: $0, as: UTF8.self).lowercased() }).count == 1600)
    }

    @Test func nestedMembershipThroughTheInChainRule() async throws {
        let client = try client()
        defer { Task { await client.shutdown() } }
        let allStaff = "CN=all-staff,OU=Groups,OU=Acme,\(try Self.base)"
        let direct = try await collect(
            client.search(
                base: try Self.base, filter: .and([.equal("objectClass", "user"), .equal("memberOf", allStaff)]),
                attributes: ["cn"]))
        #expect(direct.isEmpty, "all-staff has only groups as direct members")
        let nested = try await collect(
            client.search(
                base: try Self.base, filter: .and([.equal("objectClass", "user"), .memberOfInChain(allStaff)]),
                attributes: ["sAMAccountName"]))
        #expect(nested.count == 1600)
    }

    @Test func objectGUIDRoundTripsAndFindsTheEntry() async throws {
        let client = try client()
        defer { Task { await client.shutdown() } }
        let alice = try #require(
            try await collect(
                client.search(
                    base: try Self.base, filter: .equal("sAMAccountName", "alice"), attributes: ["objectGUID"])
            ).first)
        let guidBytes = try #require(alice.bytes("objectGUID"))
        let guid = try #require(ObjectGUID(bytes: guidBytes))
        let parsed = try #require(ObjectGUID(guid.description))
        #expect(parsed == guid)
        let byGUID = try await collect(
            client.search(
                base: try Self.base, filter: .raw("(objectGUID=\(parsed.filterValue))"), attributes: ["sAMAccountName"])
        )
        #expect(byGUID.map { $0.string("sAMAccountName") } == ["alice"])
    }

    @Test func ldapsNeedsTheRightCA() async throws {
        let ca = try Slapd.caFile
        let good = try client([try Self.ldapsURL], tls: .ldaps, caFile: ca)
        #expect(
            try await good.rootDSE(attributes: ["defaultNamingContext"]).string("defaultNamingContext")?.lowercased()
                == (try Self.base).lowercased())
        await good.shutdown()
        let bad = try client(
            [try Self.ldapsURL], tls: .ldaps, caFile: ca.replacingOccurrences(of: "ca.pem", with: "other-ca.pem"))
        defer { Task { await bad.shutdown() } }
        do {
            _ = try await bad.rootDSE()
            Issue.record("LDAPS accepted a certificate from an unrelated CA")
        } catch let error as LDAPError {
            #expect(error.kind == .tls, "\(error)")
        }
    }

    @Test func discoversDomainControllersThroughDNSSRV() async throws {
        // Samba's own DNS answers for the test domain on loopback; the machine's resolver is not involved.
        // a loaded Samba answers slowly
        let discovery = LDAPDiscovery(dnsServer: "127.0.0.1", timeout: .seconds(15), resolveTargets: true)
        let servers = try await discovery.servers(forDomain: "example.test")
        #expect(servers.contains(LDAPServerURL(host: "127.0.0.1", port: 389, secure: false)), "\(servers)")
        #expect(
            try await discovery.servers(forDomain: "example.test", secure: true).allSatisfy {
                $0.secure && $0.port == 636
            })
        #expect(try await discovery.globalCatalogs(forDomain: "example.test").allSatisfy { $0.port == 3268 })
        let client = try client(servers)
        defer { Task { await client.shutdown() } }
        #expect(
            try await client.rootDSE(attributes: ["defaultNamingContext"]).string("defaultNamingContext")?.lowercased()
                == (try Self.base).lowercased())
        await #expect(throws: LDAPError.self) { try await discovery.servers(forDomain: "no-such-domain.test") }
    }

    @Test func subtreeSearchFromTheDomainRootIgnoresReferrals() async throws {
        let client = try client()
        defer { Task { await client.shutdown() } }
        let people = try await collect(
            client.search(
                base: try Self.base, filter: .and([.equal("objectCategory", "person"), .equal("objectClass", "user")]),
                attributes: ["sAMAccountName"], pageSize: 500))
        #expect(people.count >= 1600)
    }
}
