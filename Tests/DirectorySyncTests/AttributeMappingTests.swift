import NIOCore
import Foundation
import Testing
@testable import DirectorySync
import LDAPKit

@Suite struct AttributeMappingTests {
    let entry = LDAPEntry(
        dn: "uid=ada,ou=people,dc=acme,dc=test",
        attributes: [
            "givenName": [Array("Ada".utf8)], "sn": [Array("Lovelace".utf8)], "mail": [Array("ada@acme.test".utf8)],
        ])

    @Test func attributeTemplateAndConstant() throws {
        #expect(try AttributeMapping(parsing: "mail").text(for: entry) == "ada@acme.test")
        #expect(try AttributeMapping(parsing: "{givenName} {sn}").text(for: entry) == "Ada Lovelace")
        #expect(try AttributeMapping(parsing: "{sn}, {givenName} ({title})").text(for: entry) == "Lovelace, Ada ()")
        #expect(try AttributeMapping(parsing: "=\"Acme\"").text(for: entry) == "Acme")
        #expect(try AttributeMapping(parsing: "{title}").text(for: entry) == nil)
        #expect(try AttributeMapping(parsing: "telephoneNumber").text(for: entry) == nil)
        #expect(try AttributeMapping(parsing: "{givenName} {sn}").attributes == ["givenName", "sn"])
    }

    @Test func malformedMappingsAreRefused() {
        for bad in ["{givenName", "sn}", "{bad name}", "mail address", "{}"] {
            #expect(throws: MappingSyntaxError.self, "\(bad)") { try AttributeMapping(parsing: bad) }
        }
    }

    @Test func copyEncodingEscapesEverythingCopyTreatsSpecially() {
        var encoder = CopyRowEncoder()
        encoder.text("a\tb\\c\nd\re")
        encoder.text(nil)
        encoder.bytea([0x00, 0xff, 0x10])
        encoder.bool(true)
        encoder.endRow()
        let text = String(buffer: encoder.take())
        #expect(text == "a\\tb\\\\c\\nd\\re\t\\N\t\\\\x00ff10\tt\n")
    }

    @Test func schemaNamesAreParsedFromAttributeTypeDescriptions() {
        let names = DirectorySchemaCheck.attributeNames(in: [
            "( 2.5.4.3 NAME ( 'cn' 'commonName' ) DESC 'RFC4519: common name(s)' SUP name )",
            "( 0.9.2342.19200300.100.1.3 NAME 'mail' EQUALITY caseIgnoreIA5Match )",
            "( 1.2.840.113556.1.4.656 NAME 'userPrincipalName' SYNTAX '1.3.6.1.4.1.1466.115.121.1.15' SINGLE-VALUE )",
        ])
        #expect(names == ["cn", "commonname", "mail", "userprincipalname"])
    }
}

@Suite struct SyncScheduleTests {
    let now = Date(timeIntervalSince1970: 1_800_000_000)
    let schedule = SyncSchedule(incrementalEvery: .seconds(300), fullEvery: .seconds(86_400))

    @Test func fullFirstThenIncrementalsThenFullAgain() {
        #expect(schedule.due(now: now, lastFull: nil, lastAny: nil) == .full)
        #expect(schedule.due(now: now, lastFull: now - 60, lastAny: now - 60) == nil)
        #expect(schedule.due(now: now, lastFull: now - 3600, lastAny: now - 301) == .incremental)
        #expect(schedule.due(now: now, lastFull: now - 86_401, lastAny: now - 10) == .full)
    }

    @Test func eachKindCanBeTurnedOff() throws {
        #expect(SyncSchedule(incrementalEvery: nil, fullEvery: nil).due(now: now, lastFull: nil, lastAny: nil) == nil)
        let onlyIncremental = SyncSchedule(incrementalEvery: .seconds(60), fullEvery: nil)
        #expect(onlyIncremental.due(now: now, lastFull: nil, lastAny: nil) == .incremental)
        #expect(onlyIncremental.due(now: now, lastFull: nil, lastAny: now - 30) == nil)
        #expect(try SyncSchedule.parse("off") == nil)
        #expect(try SyncSchedule.parse("15m") == .seconds(900))
        #expect(SyncSchedule.format(.seconds(86_400)) == "1d")
    }
}

@Suite struct YAMLDistinguishedNameTests {
    @Test func dnsInFlowCollectionsStayWhole() {
        #expect(
            YAMLDistinguishedNames.quoted("baseDN: [ou=people,dc=acme,dc=test]")
                == "baseDN: [\"ou=people,dc=acme,dc=test\"]")
        #expect(
            YAMLDistinguishedNames.quoted("baseDN: [ou=a,dc=x, ou=b,dc=x]") == "baseDN: [\"ou=a,dc=x\", \"ou=b,dc=x\"]")
        #expect(
            YAMLDistinguishedNames.quoted("  - {group: cn=admins,ou=groups,dc=acme,dc=test, role: admin}")
                == "  - {group: \"cn=admins,ou=groups,dc=acme,dc=test\", role: admin}")
        #expect(
            YAMLDistinguishedNames.quoted("servers: [ldap://127.0.0.1:3890, ldaps://dc2:636]")
                == "servers: [ldap://127.0.0.1:3890, ldaps://dc2:636]")
        #expect(
            YAMLDistinguishedNames.quoted("groups: [{group: \"cn=x,dc=y\", role: admin}]")
                == "groups: [{group: \"cn=x,dc=y\", role: admin}]")
        #expect(
            YAMLDistinguishedNames.quoted("baseDN: ou=people,dc=acme,dc=test") == "baseDN: ou=people,dc=acme,dc=test")
        #expect(
            YAMLDistinguishedNames.quoted("attributes: {displayName: cn, email: mail}")
                == "attributes: {displayName: cn, email: mail}")
    }
}

@Suite struct CleartextWarningTests {
    @Test func plainLDAPToAnotherMachineIsWarnedAboutAndLoopbackOrTLSIsNot() throws {
        var settings = DirectorySettings(
            flavour: .openLDAP, servers: ["ldap://ldap.example.org"], bindDN: "cn=reader", bindPassword: "x",
            baseDN: ["dc=example,dc=org"])
        let remote = try LDAPServerURL("ldap://ldap.example.org"), local = try LDAPServerURL("ldap://127.0.0.1:3890")
        #expect(settings.cleartextWarning(for: [remote])?.contains("in clear") == true)
        #expect(settings.cleartextWarning(for: [local]) == nil)
        #expect(settings.cleartextWarning(for: [try LDAPServerURL("ldaps://ldap.example.org")]) == nil)
        settings.tls = .startTLS
        #expect(settings.cleartextWarning(for: [remote]) == nil)
    }
}
