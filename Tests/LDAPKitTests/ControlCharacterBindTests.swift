import InboardTestSupport
import LDAPKit
import Testing

/// A password or bind name holding NUL (or any other C0 control character, or DEL) is refused before any
/// network call. A C string ends at the first NUL: "\u{0}x" sent through strlen would reach the server as
/// an empty password, which Active Directory takes for an unauthenticated bind, and answers "success".
@Suite struct ControlCharacterBindTests {
    static let hostilePasswords = ["\u{0}", "\u{0}x", "x\u{0}", "pass\u{1}word", "Passw0rd!\u{7F}", "\u{1F}"]
    static let hostileNames = [
        "uid=alice\u{0},dc=acme,dc=test", "uid=alice,dc=acme,dc=test\u{0}junk", "alice\u{1B}@acme.test", "\u{0}",
    ]

    /// No server listens on port 1: a refusal there can only have come before any network call.
    @Test(arguments: hostilePasswords)
    func passwordIsRefusedBeforeAnyNetworkCall(password: String) async throws {
        let client = try Slapd.client([try LDAPServerURL("ldap://127.0.0.1:1")])
        defer { Task { await client.shutdown() } }
        let error = try await bindFailure(
            client, LDAPCredentials(bindName: "uid=alice,dc=acme,dc=test", password: password))
        #expect(error.kind == .invalidCredentials, "\(error)")
        #expect(error.resultCode == 0, "the refusal came from a server: \(error)")
        #expect(!error.description.contains(password), "the password is in the description")
    }

    @Test(arguments: hostileNames)
    func bindNameIsRefusedBeforeAnyNetworkCall(name: String) async throws {
        let client = try Slapd.client([try LDAPServerURL("ldap://127.0.0.1:1")])
        defer { Task { await client.shutdown() } }
        let error = try await bindFailure(client, LDAPCredentials(bindName: name, password: "Passw0rd!"))
        #expect(error.kind == .invalidCredentials, "\(error)")
        #expect(!error.description.contains("\u{0}"), "a NUL in the description")
    }

    /// The server's own log shows that none of these binds (nor even a connection) reached it, while a bind
    /// with the right password does.
    @Test func noBindReachesTheServer() async throws {
        try await withPrivateSlapd { slapd in
            let client = try Slapd.client([slapd.url])
            defer { Task { await client.shutdown() } }
            let before = try slapd.traffic()
            for password in Self.hostilePasswords {
                let error = try await bindFailure(client, LDAPCredentials(bindName: slapd.aliceDN, password: password))
                #expect(error.kind == .invalidCredentials, "\(error)")
            }
            for name in Self.hostileNames {
                _ = try await bindFailure(client, LDAPCredentials(bindName: name, password: try Slapd.samplePassword))
            }
            try await Task.sleep(for: .milliseconds(200))  // let slapd write its log
            let after = try slapd.traffic()
            #expect(after.binds == before.binds, "binds reached the server")
            #expect(after.connections == before.connections, "connections reached the server")

            try await client.bind(LDAPCredentials(bindName: slapd.aliceDN, password: try Slapd.samplePassword))
            try await Task.sleep(for: .milliseconds(200))
            #expect(try slapd.traffic().binds == before.binds + 1, "the log does not show binds")
        }
    }

    @Test func serviceAccountWithControlCharacterIsRefusedAtSetup() throws {
        #expect(throws: LDAPError.self) {
            try LDAPClient(
                configuration: .init(servers: [try Slapd.main]),
                serviceAccount: LDAPCredentials(bindName: "cn=reader", password: "\u{0}secret"))
        }
    }

    /// A password with characters beyond ASCII reaches the server as its UTF-8 bytes (a wrong one is refused
    /// by the server, not locally).
    @Test func nonASCIIPasswordIsSentAsUTF8() async throws {
        let client = try Slapd.client([try Slapd.main])
        defer { Task { await client.shutdown() } }
        let error = try await bindFailure(
            client,
            LDAPCredentials(
                bindName: "uid=alice,ou=Engineering,ou=London,ou=people,\(try Slapd.base)", password: "Pässwörd✓"))
        #expect(error.kind == .invalidCredentials)
        #expect(error.resultCode == 49)
    }
}

func bindFailure(_ client: LDAPClient, _ credentials: LDAPCredentials) async throws -> LDAPError {
    do {
        try await client.bind(credentials)
    } catch let error as LDAPError {
        return error
    }
    throw ProgramFailed("bind as \(credentials.bindName) succeeded")
}
