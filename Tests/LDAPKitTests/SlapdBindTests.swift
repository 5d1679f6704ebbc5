import LDAPKit
import Testing

@Suite struct SlapdBindTests {
    @Test func bindsByDNWithTheRightPassword() async throws {
        let client = try Slapd.client([try Slapd.main])
        defer { Task { await client.shutdown() } }
        let base = try Slapd.base
        try await client.bind(
            LDAPCredentials(
                bindName: "uid=alice,ou=Engineering,ou=London,ou=people,\(base)", password: try Slapd.samplePassword))
    }

    @Test func wrongPasswordIsInvalidCredentials() async throws {
        let client = try Slapd.client([try Slapd.main])
        defer { Task { await client.shutdown() } }
        let base = try Slapd.base
        do {
            try await client.bind(
                LDAPCredentials(bindName: "uid=alice,ou=Engineering,ou=London,ou=people,\(base)", password: "not-it"))
            Issue.record("wrong password accepted")
        } catch let error as LDAPError {
            #expect(error.kind == .invalidCredentials)
            #expect(error.resultCode == 49)
            #expect(!error.description.contains("not-it"))
        }
    }

    /// No server exists at this address: the refusal can only have come before any network call.
    @Test(arguments: ["", " ", "\t\n"])
    func emptyPasswordIsRefusedLocally(password: String) async throws {
        let nowhere = try LDAPServerURL("ldap://127.0.0.1:1")
        let client = try Slapd.client([nowhere])
        defer { Task { await client.shutdown() } }
        do {
            try await client.bind(LDAPCredentials(bindName: "uid=alice,dc=acme,dc=test", password: password))
            Issue.record("empty password accepted")
        } catch let error as LDAPError {
            #expect(error.kind == .emptyPassword)
        }
    }

    @Test func emptyServiceAccountPasswordIsRefusedAtSetup() throws {
        #expect(throws: LDAPError.self) {
            try LDAPClient(
                configuration: .init(servers: [try Slapd.main]),
                serviceAccount: LDAPCredentials(bindName: "cn=x", password: ""))
        }
    }

    @Test func lockedAndDisabledAccountsCannotBind() async throws {
        let client = try Slapd.client([try Slapd.main])
        defer { Task { await client.shutdown() } }
        // gen-org: person 13 is disabled, person 17 locked.
        for employee in ["E000013", "E000017"] {
            let entry = try #require(
                try await collect(
                    client.search(base: try Slapd.base, filter: .equal("employeeNumber", employee), attributes: ["uid"])
                ).first)
            await #expect(throws: LDAPError.self) {
                try await client.bind(LDAPCredentials(bindName: entry.dn, password: try Slapd.samplePassword))
            }
        }
    }

    @Test func deadServerIsServerDownQuickly() async throws {
        let client = try Slapd.client([try LDAPServerURL("ldap://127.0.0.1:1")])
        defer { Task { await client.shutdown() } }
        let start = ContinuousClock.now
        do {
            _ = try await client.rootDSE()
            Issue.record("dead server answered")
        } catch let error as LDAPError {
            #expect(error.kind == .serverDown)
            #expect(error.description.contains("127.0.0.1:1"))
        }
        // Refused at once; the bound is loose because a loaded CI machine queues the blocking call (6.4 s seen),
        // and still far below the 30 s operation timeout a hang would take.
        #expect(ContinuousClock.now - start < .seconds(12))
    }
}
