import LDAPKit
import Testing

@Suite struct SlapdSearchTests {
    @Test func hostileValuesAreEscapedNotInterpreted() async throws {
        let base = try Slapd.base
        try await Slapd.add(
            """
            dn: cn=Evil \\2A (x) \\5C,ou=service,\(base)
            objectClass: organizationalRole
            cn: Evil * (x) \\
            description: hostile

            """)
        let client = try Slapd.client([try Slapd.main])
        defer { Task { await client.shutdown() } }
        let exact = try await collect(
            client.search(base: base, filter: .equal("cn", "Evil * (x) \\"), attributes: ["cn"]))
        #expect(exact.map { $0.string("cn") } == ["Evil * (x) \\"])
        // As a wildcard "*" would match every entry; escaped it matches none.
        #expect(try await collect(client.search(base: base, filter: .equal("uid", "*"))).isEmpty)
        #expect(try await collect(client.search(base: base, filter: .equal("uid", "alice)(uid=*"))).isEmpty)
        #expect(try await collect(client.search(base: base, filter: .equal("cn", "a\0b"))).isEmpty)
        let accented = try await collect(
            client.search(base: base, filter: .equal("givenName", "Chloé"), attributes: ["givenName"]))
        #expect(!accented.isEmpty)
        #expect(accented.allSatisfy { $0.string("givenName") == "Chloé" })
    }

    @Test func readsEntriesAttributesAndBinaryValues() async throws {
        let client = try Slapd.client([try Slapd.main])
        defer { Task { await client.shutdown() } }
        let entries = try await collect(
            client.search(
                base: try Slapd.base, filter: .equal("uid", "alice"),
                attributes: ["uid", "mail", "entryUUID", "memberOf"]))
        let alice = try #require(entries.first)
        #expect(alice.dn.hasPrefix("uid=alice,"))
        #expect(alice.string("MAIL") == "alice@acme.test")  // names are case-insensitive
        #expect(alice.string("entryUUID")?.count == 36)
        #expect(try await client.read(dn: "uid=nobody,\(try Slapd.base)") == nil)
    }

    @Test func missingBaseDNIsNoSuchObjectWithMatchedDN() async throws {
        let client = try Slapd.client([try Slapd.main])
        defer { Task { await client.shutdown() } }
        do {
            _ = try await collect(client.search(base: "ou=missing,\(try Slapd.base)", filter: .present("objectClass")))
            Issue.record("missing base accepted")
        } catch let error as LDAPError {
            #expect(error.kind == .noSuchObject)
            #expect(error.matchedDN == (try Slapd.base))
            #expect(error.description.contains("base DN"))
        }
    }

    @Test func malformedRawFilterIsAFilterError() async throws {
        let client = try Slapd.client([try Slapd.main])
        defer { Task { await client.shutdown() } }
        await #expect(throws: LDAPError.self) {
            _ = try await collect(client.search(base: try Slapd.base, filter: .raw("(uid=alice")))
        }
    }

    @Test func startTLSAndLDAPSVerifyAgainstTheConfiguredCA() async throws {
        let ca = try Slapd.caFile
        let wrongCA = ca.replacingOccurrences(of: "ca.pem", with: "other-ca.pem")
        for (server, mode) in [(try Slapd.main, LDAPConfiguration.TLSMode.startTLS), (try Slapd.tlsURL, .ldaps)] {
            let good = try Slapd.client([server], tls: mode, caFile: ca)
            #expect(
                try await good.rootDSE(attributes: ["namingContexts"]).strings("namingContexts").contains(
                    try Slapd.base))
            await good.shutdown()
            let bad = try Slapd.client([server], tls: mode, caFile: wrongCA)
            do {
                _ = try await bad.rootDSE()
                Issue.record("\(mode) accepted a certificate from an unrelated CA")
            } catch let error as LDAPError {
                #expect(error.kind == .tls, "\(error)")
            }
            await bad.shutdown()
        }
    }
}
