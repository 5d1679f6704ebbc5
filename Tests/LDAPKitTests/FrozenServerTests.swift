import Foundation
@testable import LDAPKit
import Testing

/// A frozen server (SIGSTOP: the kernel still accepts connections, nothing answers) must cost an operation
/// no more than its timeout, and a login must fail over to the next server. Each test freezes a slapd of its
/// own (PrivateSlapd), never a shared instance; serialised so that timings are not measured on a machine
/// busy with the other tests of this suite.
@Suite(.serialized) struct FrozenServerTests {
    static let timeout = Duration.seconds(2)
    /// Scheduling allowance on a busy 2-core machine.
    static let slack = Duration.seconds(6)  // the whole suite runs at once on 2 cores (5.4 s seen against 5)
    /// How long a test waits before it calls an operation hung (and thaws the server to free it).
    static let hung = Duration.seconds(20)

    func client(
        _ servers: [LDAPServerURL], tls: LDAPConfiguration.TLSMode = .none,
        retryDelay: Duration = .milliseconds(500)
    ) throws -> LDAPClient {
        try Slapd.client(
            servers, tls: tls, caFile: tls == .none && !servers.contains(where: \.secure) ? nil : try Slapd.caFile,
            operationTimeout: Self.timeout, retryDelay: retryDelay)
    }

    /// `operation` must fail with `.timeout` within `limit`.
    func expectTimeout(
        _ what: String, within limit: Duration = timeout + slack,
        _ operation: @escaping @Sendable () async throws -> Void
    ) async {
        let start = ContinuousClock.now
        let result = await outcome(within: Self.hung, operation)
        let elapsed = ContinuousClock.now - start
        switch result {
        case nil:
            Issue.record("\(what) still hung after \(Self.hung)")
        case .success:
            Issue.record("\(what) succeeded on a frozen server after \(elapsed)")
        case let .failure(error):
            #expect((error as? LDAPError)?.kind == .timeout, "\(what): \(error)")
            #expect(elapsed < limit, "\(what) took \(elapsed)")
        }
    }

    @Test func bindAndSearchOnOpenConnectionsTimeOut() async throws {
        try await withPrivateSlapd { slapd in
            let client = try client([slapd.url])
            defer { Task { await client.shutdown() } }
            let base = try Slapd.base
            let alice = LDAPCredentials(bindName: slapd.aliceDN, password: try Slapd.samplePassword)
            try await client.bind(alice)
            #expect(try await collect(client.search(base: base, filter: PrivateSlapd.marker)).count == 1)
            await slapd.whileFrozen {
                await expectTimeout("bind") { try await client.bind(alice) }
                await expectTimeout("search") {
                    _ = try await collect(client.search(base: base, filter: PrivateSlapd.marker))
                }
                await expectTimeout("lookup") { _ = try await client.lookup(base: base, filter: PrivateSlapd.marker) }
                #expect(await client.bindPool.counts() == (0, 0), "a timed-out bind connection was kept")
                #expect(await client.searchPool.counts() == (0, 0), "a timed-out search connection was kept")
            }
            try await Task.sleep(for: .seconds(1))  // past the back-off
            try await client.bind(alice)
            #expect(
                try await client.lookup(base: base, filter: PrivateSlapd.marker).count == 1,
                "the thawed server is not used again")
        }
    }

    /// Connecting: TCP succeeds, then the service account's bind gets no answer.
    @Test func newConnectionsToAFrozenServerTimeOut() async throws {
        try await withPrivateSlapd { slapd in
            let client = try client([slapd.url])
            defer { Task { await client.shutdown() } }
            let base = try Slapd.base,
                alice = LDAPCredentials(bindName: slapd.aliceDN, password: try Slapd.samplePassword)
            await slapd.whileFrozen {
                await expectTimeout("search") { _ = try await client.lookup(base: base, filter: PrivateSlapd.marker) }
                await expectTimeout("bind") { try await client.bind(alice) }
            }
        }
    }

    @Test func startTLSWithAFrozenServerTimesOut() async throws {
        try await withPrivateSlapd { slapd in
            let base = try Slapd.base
            let warm = try client([slapd.url], tls: .startTLS)
            #expect(
                try await warm.lookup(base: base, filter: PrivateSlapd.marker).count == 1,
                "StartTLS does not work at all")
            await warm.shutdown()
            let client = try client([slapd.url], tls: .startTLS)
            defer { Task { await client.shutdown() } }
            await slapd.whileFrozen {
                await expectTimeout("StartTLS") { _ = try await client.lookup(base: base, filter: PrivateSlapd.marker) }
            }
        }
    }

    /// libldap 2.5 ignores its own timeouts during a TLS handshake: without a deadline of LDAPKit's, a frozen
    /// LDAPS server keeps a thread spinning for as long as it stays frozen.
    @Test func ldapsHandshakeWithAFrozenServerTimesOut() async throws {
        try await withPrivateSlapd { slapd in
            let base = try Slapd.base
            let warm = try client([slapd.tlsURL])
            #expect(
                try await warm.lookup(base: base, filter: PrivateSlapd.marker).count == 1, "LDAPS does not work at all")
            await warm.shutdown()
            let client = try client([slapd.tlsURL])
            defer { Task { await client.shutdown() } }
            await slapd.whileFrozen {
                // TCP connects at once; the handshake has the operation timeout (the connect timeout is TCP's).
                await expectTimeout("LDAPS connect", within: Self.timeout + Self.slack) {
                    _ = try await client.lookup(base: base, filter: PrivateSlapd.marker)
                }
            }
        }
    }

    /// Two servers, the first frozen while the client holds connections to it: a login (search, then bind)
    /// succeeds on the second within about one operation timeout, and traffic returns to the first once
    /// it is thawed.
    @Test func loginFailsOverFromAFrozenServer() async throws {
        try await withPrivateSlapd { slapd in
            let main = try Slapd.main
            // A back-off long enough that a loaded machine still sees it when the login returns.
            let backOff = Duration.seconds(5)
            let client = try client([slapd.url, main], retryDelay: backOff)
            defer { Task { await client.shutdown() } }
            let base = try Slapd.base, password = try Slapd.samplePassword
            let alice = LDAPFilter.equal("uid", "alice")
            @Sendable func login() async throws -> LDAPEntry {
                let entry = try #require(
                    try await client.lookup(base: base, filter: alice, attributes: ["employeeNumber"]).first)
                try await client.bind(LDAPCredentials(bindName: entry.dn, password: password))
                return entry
            }
            #expect(try await login().string("employeeNumber") == "PRIVATE-ONLY")
            await slapd.whileFrozen {
                let start = ContinuousClock.now
                switch await outcome(within: Self.hung, login) {
                case nil: Issue.record("the login still hung after \(Self.hung)")
                case let .failure(error): Issue.record("the login failed: \(error)")
                case let .success(entry):
                    #expect(entry.string("employeeNumber") != "PRIVATE-ONLY", "answered by the frozen server?")
                }
                let elapsed = ContinuousClock.now - start
                #expect(elapsed < Self.timeout + Self.slack, "the login took \(elapsed)")
                #expect(await client.preferredServers().first == main, "the frozen server is still preferred")
            }
            try await Task.sleep(for: backOff + .milliseconds(500))
            #expect(
                try await login().string("employeeNumber") == "PRIVATE-ONLY",
                "traffic did not return to the thawed server")
        }
    }

    /// A page that gets no answer ends the search with `.timeout` (it is never retried: entries have been
    /// delivered), and the next search works on a new connection.
    @Test func pagedSearchWhosePageTimesOutFailsCleanly() async throws {
        try await withPrivateSlapd(people: 300) { slapd in
            let client = try client([slapd.url])
            defer { Task { await client.shutdown() } }
            let base = try Slapd.base
            let search = client.search(base: base, filter: .present("uid"), attributes: ["uid"], pageSize: 10)
            let frozenAt = Moment()
            let result = await outcome(within: Self.hung) { () -> (seen: Int, error: (any Error)?) in
                var seen = 0
                do {
                    for try await _ in search {
                        seen += 1
                        if seen == 1 { slapd.freeze(); frozenAt.set() }
                    }
                } catch {
                    return (seen, error)
                }
                return (seen, nil)
            }
            let elapsed = frozenAt.elapsed()
            slapd.thaw()
            switch result {
            case nil:
                Issue.record("the paged search still hung after \(Self.hung)")
            case let .success((seen, error)):
                #expect((error as? LDAPError)?.kind == .timeout, "\(String(describing: error))")
                #expect(await client.searchPool.counts() == (0, 0), "the timed-out connection was kept")
                #expect(seen >= 10 && seen < 301, "\(seen) entries before the failure")
                #expect(elapsed < Self.timeout + Self.slack, "the search failed \(elapsed) after the freeze")
            case let .failure(error):
                Issue.record("\(error)")
            }
            try await Task.sleep(for: .seconds(1))  // past the back-off
            #expect(
                try await collect(client.search(base: base, filter: .present("uid"), attributes: ["uid"], pageSize: 10))
                    .count == 301)
        }
    }
}

/// When something happened, read from another task.
private final class Moment: @unchecked Sendable {
    private let lock = NSLock()
    private var start: ContinuousClock.Instant?

    func set() { lock.withLock { start = ContinuousClock.now } }
    func elapsed() -> Duration { lock.withLock { start.map { ContinuousClock.now - $0 } ?? .zero } }
}
