import LDAPKit
import Testing

/// Tests that stop and start the second slapd (10,000 people, size limit 1,000): serialised.
@Suite(.serialized) struct SlapdFailoverAndPagingTests {
    /// A uid that exists only in the second instance's 10,000-person directory.
    static let onlyInSecond = LDAPFilter.equal("employeeNumber", "E009999")

    @Test func pagedSearchReturnsEverythingPastTheServerSizeLimit() async throws {
        try await Slapd.secondInstance("start")
        let client = try Slapd.client([try Slapd.second])
        defer { Task { await client.shutdown() } }
        let people = LDAPFilter.equal("objectClass", "inetOrgPerson")
        var count = 0
        var uids = Set<String>()
        for try await entry in client.search(base: try Slapd.base, filter: people, attributes: ["uid"], pageSize: 500) {
            count += 1
            uids.insert(entry.string("uid") ?? "")
        }
        #expect(count == 10_000)
        #expect(uids.count == 10_000)
        // Without paging the same search stops at the server's limit.
        do {
            _ = try await collect(client.search(base: try Slapd.base, filter: people, pageSize: 0))
            Issue.record("an unpaged search past the size limit succeeded")
        } catch let error as LDAPError {
            #expect(error.kind == .sizeLimitExceeded)
        }
    }

    @Test func connectionKilledMidSearchFailsClearlyAndNextSearchWorks() async throws {
        try await Slapd.secondInstance("start")
        let client = try Slapd.client([try Slapd.second], retryDelay: .milliseconds(100))
        defer { Task { await client.shutdown() } }
        var seen = 0
        do {
            for try await _ in client.search(base: try Slapd.base, filter: .present("uid"), pageSize: 200) {
                seen += 1
                if seen == 300 { try await Slapd.secondInstance("stop") }
            }
            Issue.record("the search finished although its server was stopped")
        } catch let error as LDAPError {
            #expect(error.kind == .serverDown, "\(error)")
        }
        #expect(seen >= 300 && seen < 10_000)
        try await Slapd.secondInstance("start")
        try await Task.sleep(for: .milliseconds(300))
        #expect(try await collect(client.search(base: try Slapd.base, filter: Self.onlyInSecond)).count == 1)
    }

    @Test func failsOverToTheNextServerAndReturnsWhenTheFirstIsBack() async throws {
        try await Slapd.secondInstance("start")
        // Preferred: the second instance; fallback: the main one (which lacks E009999).
        let client = try Slapd.client([try Slapd.second, try Slapd.main], retryDelay: .milliseconds(500))
        defer { Task { await client.shutdown() } }
        #expect(try await collect(client.search(base: try Slapd.base, filter: Self.onlyInSecond)).count == 1)

        try await Slapd.secondInstance("stop")
        let start = ContinuousClock.now
        #expect(
            try await collect(client.search(base: try Slapd.base, filter: Self.onlyInSecond)).isEmpty,
            "answered by the fallback")
        #expect(ContinuousClock.now - start < .seconds(3), "the dead server was not skipped quickly")
        try await client.bind(
            LDAPCredentials(
                bindName: "uid=alice,ou=Engineering,ou=London,ou=people,\(try Slapd.base)",
                password: try Slapd.samplePassword))

        try await Slapd.secondInstance("start")
        try await Task.sleep(for: .seconds(2))  // past the back-off
        #expect(
            try await collect(client.search(base: try Slapd.base, filter: Self.onlyInSecond)).count == 1,
            "traffic did not return to the first server")
    }
}
