import DirectorySync
import Logging
import Testing

@testable import InboardServer

/// Logins that arrive together while the directory client is being built (the first after a start or a change of
/// settings) share one authenticator, and so one lockout guard: each used to build its own, and parallel wrong
/// passwords all passed one reading of the entry's failures (DirectoryLockoutTests' parallel guesses sometimes
/// made more binds than Inboard's share).
@Suite struct DirectoryClientCacheTests {
    @Test func loginsArrivingTogetherShareOneAuthenticator() async throws {
        let cache = DirectoryClientCache(logger: Logger(label: "test"))
        let settings = DirectorySettings(
            flavour: .openLDAP, servers: ["ldap://127.0.0.1:1"], bindDN: "cn=reader,dc=acme,dc=test",
            bindPassword: "not-used-here", baseDN: ["dc=acme,dc=test"])
        let clients = try await withThrowingTaskGroup(of: ObjectIdentifier?.self) { group in
            for _ in 0..<8 {
                group.addTask { try await cache.authenticator { settings }.map { ObjectIdentifier($0.client) } }
            }
            return try await group.reduce(into: [ObjectIdentifier?]()) { $0.append($1) }
        }
        #expect(Set(clients).count == 1 && clients.allSatisfy { $0 != nil }, "\(Set(clients).count) clients built")
        await cache.shutdown()
    }
}
