import Testing

@testable import PolicyEngine

/// DNs are compared after `DN.normalised`: two spellings of one DN (RFC 4514) are one, two DNs stay two.
struct DNTests {
    @Test(arguments: [
        ("CN=Zoe,OU=Paris,DC=acme,DC=test", "cn=zoe,ou=paris,dc=acme,dc=test"),
        ("cn = zoe , ou=Paris,  dc=acme,dc=test", "cn=zoe,ou=paris,dc=acme,dc=test"),
        ("cn=zoe\\2C jr,ou=paris", "cn=zoe\\, jr,ou=paris"),
        ("cn=zoe\\2c jr,ou=paris", "cn=zoe\\, jr,ou=paris"),
        ("cn=\\5A\\6f\\65,ou=paris", "cn=zoe,ou=paris"),
        ("cn=Andr\\C3\\A9,ou=paris", "cn=andré,ou=paris"),
        ("cn=a + uid=B,ou=x", "cn=a+uid=b,ou=x"),
        ("cn=a\\=b,ou=x", "cn=a=b,ou=x"),
        ("cn=a\\3Db,ou=x", "cn=a=b,ou=x"),
        ("cn=a\\20b,ou=x", "cn=a b,ou=x"),
        ("cn=a\\23b,ou=x", "cn=a#b,ou=x"),
        ("cn=\\23b,ou=x", "cn=\\#b,ou=x"),
        ("cn=a\\20,ou=x", "cn=a\\ ,ou=x"),
    ])
    func spellingsOfOneDNAreOne(_ spelling: String, _ expected: String) {
        #expect(DN.normalised(spelling) == expected)
    }

    /// An escaped space is data: `cn=zoe\ ` (a name ending in a space) keeps its space, and its comma stays a
    /// separator (trimming it made `\,` of it and dropped the OU from the parent).
    @Test func anEscapedSpaceIsKept() {
        let dn = DN.normalised("cn=zoe\\ ,ou=Paris,dc=acme,dc=test")
        #expect(dn == "cn=zoe\\ ,ou=paris,dc=acme,dc=test")
        #expect(DN.parent(dn) == "ou=paris,dc=acme,dc=test")
        #expect(DN.normalised("cn=\\ zoe,ou=x") != DN.normalised("cn=zoe,ou=x"))
    }

    @Test func anEqualsSignInAValueIsData() {
        #expect(DN.normalised("cn=a = b,ou=x") != DN.normalised("cn=a=b,ou=x"))
        #expect(DN.normalised("cn = a = b,ou=x") == "cn=a = b,ou=x")
    }

    @Test func anEscapedCommaIsNotAContainersBoundary() {
        #expect(!DN.isWithin("cn=a\\,ou=x,dc=t", "ou=x,dc=t"))
        #expect(DN.isWithin("cn=a\\\\,ou=x,dc=t", "ou=x,dc=t"), "an escaped backslash, then a separator")
        #expect(DN.isWithin("cn=a,ou=x,dc=t", "OU=X, DC=t"))
    }

    @Test func differentNamesStayDifferent() {
        #expect(DN.normalised("cn=zoe\\, jr,ou=x") != DN.normalised("cn=zoe\\,jr,ou=x"))
        #expect(DN.normalised("cn=zoe\\,ou=x") != DN.normalised("cn=zoe,ou=x"))
    }

    @Test func normalisingTwiceChangesNothing() {
        for dn in [
            "cn=zoe\\ ,ou=Paris", "cn=a\\2Cb,ou=x", "cn=\\#1,ou=x", "cn=\\\\,ou=x", "CN=Ä,OU=x", "cn=a\\ \\ ,ou=x",
            "cn=\\ a,ou=x", "cn=a = b,ou=x", "cn=a\\5C41,ou=x",
        ] {
            #expect(DN.normalised(DN.normalised(dn)) == DN.normalised(dn), "\(dn)")
        }
    }
}
