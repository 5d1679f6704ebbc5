import LDAPKit
import Testing

@Suite struct DistinguishedNameTests {
    @Test func parsesEscapesAndMultiValuedRDNs() throws {
        let dn = try DistinguishedName(#"cn=Smith\, John+uid=js,ou=Sales \2B Ops,dc=acme,dc=test"#)
        #expect(dn.rdns.count == 4)
        #expect(dn.rdns[0].map(\.value) == ["Smith, John", "js"])
        #expect(dn.rdns[1][0].value == "Sales + Ops")
        #expect(dn.leafValue == "Smith, John")
        #expect(dn.parent?.description == "ou=Sales \\+ Ops,dc=acme,dc=test")
    }

    @Test func printsWithRFC4514Escaping() {
        let dn = DistinguishedName(rdns: [
            [.init(type: "cn", value: " #lead, \"q\" <x>;trail ")], [.init(type: "dc", value: "test")],
        ])
        #expect(dn.description == #"cn=\ #lead\, \"q\" \<x\>\;trail\ ,dc=test"#)
        #expect(DistinguishedName.escape("#x") == ##"\#x"##)
        #expect(DistinguishedName.escape("a\0b") == #"a\00b"#)
    }

    @Test func roundTripsHostileValues() throws {
        for value in ["a,b", "x+y", "#hash", " space ", "back\\slash", "quote\"", "Zoë", "semi;colon", "=eq"] {
            let dn = DistinguishedName(rdns: [[.init(type: "cn", value: value)], [.init(type: "dc", value: "x")]])
            #expect(try DistinguishedName(dn.description).rdns[0][0].value == value, "\(value)")
        }
    }

    @Test func comparesCaseInsensitivelyAndIgnoresSpacing() throws {
        #expect(try DistinguishedName("CN=Alice, OU=People,DC=Acme") == DistinguishedName("cn=alice,ou=people,dc=acme"))
        #expect(try DistinguishedName("cn=a,ou=x") != DistinguishedName("cn=b,ou=x"))
    }

    @Test func descendantTest() throws {
        let base = try DistinguishedName("ou=people,dc=acme,dc=test")
        #expect(try DistinguishedName("uid=a,ou=Sales,OU=People,dc=acme,dc=test").isDescendant(of: base))
        #expect(try !DistinguishedName("uid=a,ou=groups,dc=acme,dc=test").isDescendant(of: base))
        #expect(base.isDescendant(of: base))
    }

    @Test func hexEncodedUTF8() throws {
        #expect(try DistinguishedName(#"cn=Zo\C3\AB,dc=x"#).leafValue == "Zoë")
    }

    @Test(arguments: ["cn", "cn=a,", "=a", "cn=a\\", "cn=a\"b", "cn=a,,dc=x", "cn=\\q"])
    func refusesMalformed(text: String) {
        #expect(throws: DistinguishedNameError.self) { try DistinguishedName(text) }
    }

    @Test func emptyDNIsTheRoot() throws {
        #expect(try DistinguishedName("").rdns.isEmpty)
    }
}
