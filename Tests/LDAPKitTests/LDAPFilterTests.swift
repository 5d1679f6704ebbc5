import LDAPKit
import Testing

@Suite struct LDAPFilterTests {
    @Test func escapesEverySpecialCharacter() {
        #expect(LDAPFilter.escape("a*b(c)d\\e\0f") == #"a\2ab\28c\29d\5ce\00f"#)
        #expect(LDAPFilter.escape("Zoë Müller") == "Zoë Müller")  // UTF-8 stays as it is
    }

    @Test func hostileValuesCannotChangeTheStructure() {
        let filter = LDAPFilter.and([.equal("objectClass", "inetOrgPerson"), .equal("uid", "*)(uid=*))(|(uid=*")])
        #expect(filter.description == #"(&(objectClass=inetOrgPerson)(uid=\2a\29\28uid=\2a\29\29\28|\28uid=\2a))"#)
    }

    @Test func rendersEveryKind() {
        #expect(LDAPFilter.or([.present("mail"), .not(.equal("cn", "x"))]).description == "(|(mail=*)(!(cn=x)))")
        #expect(
            LDAPFilter.greaterOrEqual("modifyTimestamp", "20260101000000Z").description
                == "(modifyTimestamp>=20260101000000Z)")
        #expect(LDAPFilter.lessOrEqual("uSNChanged", "5").description == "(uSNChanged<=5)")
        #expect(LDAPFilter.approx("sn", "smith").description == "(sn~=smith)")
        #expect(
            LDAPFilter.substring("cn", initial: "Jo", any: ["a*", ""], final: "n").description == #"(cn=Jo*a\2a*n)"#)
        #expect(LDAPFilter.substring("cn", initial: nil, any: [], final: nil).description == "(cn=*)")
        #expect(LDAPFilter.memberOfInChain("CN=G,DC=x").description == "(memberOf:1.2.840.113556.1.4.1941:=CN=G,DC=x)")
    }

    @Test func escapesBytes() {
        #expect(LDAPFilter.escape(bytes: [0x00, 0xAB, 0x2A]) == #"\00\ab\2a"#)
    }

    @Test(arguments: [
        "(objectClass=*)", "(&(objectClass=user)(!(userAccountControl:1.2.840.113556.1.4.803:=2)))",
        "(|(uid=a)(uid=b\\2a))", "(cn=Jo*n*)", "(modifyTimestamp>=20260101000000Z)", " (uid=x) ",
        "(memberOf:1.2.840.113556.1.4.1941:=CN=G,DC=x)",
    ])
    func acceptsValidTypedFilters(text: String) throws {
        _ = try LDAPFilter(parsing: text)
    }

    @Test(arguments: [
        ("uid=x", 1), ("(uid=x", 7), ("(uid=x))", 8), ("(&)", 3), ("(uid=a(b)", 7), ("(=x)", 2),
        ("(uid=\\zz)", 6), ("(uid>x)", 6), ("", 1),
    ])
    func refusesMalformedFiltersWithPosition(text: String, position: Int) {
        #expect(throws: LDAPFilterSyntaxError.self) { try LDAPFilter(parsing: text) }
        do { _ = try LDAPFilter(parsing: text) } catch {
            #expect(error.description.contains("character \(position)"), "\(error)")
        }
    }
}
