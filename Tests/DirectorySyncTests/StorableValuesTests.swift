import NIOCore
import Testing
@testable import DirectorySync
import LDAPKit

/// Values PostgreSQL text cannot hold (a NUL byte, invalid UTF-8) are dropped with a warning naming the
/// entry and the attribute; every other value passes unchanged.
@Suite struct StorableValuesTests {
    static let dn = "uid=odd,ou=people,dc=acme,dc=test"
    let entry = LDAPEntry(
        dn: dn,
        attributes: [
            "title": [Array("test\u{0}NUL".utf8)], "description": [[0x61, 0xFF, 0x62]],
            "mail": [Array("odd@acme.test".utf8)],
            "cn": [Array("Ödön ✓".utf8)], "member": [Array("uid=a".utf8), [0x00], Array("uid=b".utf8)],
        ])

    @Test func droppedValuesAreNamedWithTheirEntryAndAttribute() {
        var values = StorableValues(entry)
        #expect(values.string("title") == nil)
        #expect(values.string("title") == nil)
        #expect(values.string("description") == nil)
        #expect(values.string("mail") == "odd@acme.test")
        #expect(values.string("cn") == "Ödön ✓")
        #expect(values.strings("member") == ["uid=a", "uid=b"])
        #expect(values.warnings.count == 3, "\(values.warnings)")
        #expect(values.warnings.contains { $0.contains(Self.dn) && $0.contains("title") && $0.contains("NUL") })
        #expect(values.warnings.contains { $0.contains(Self.dn) && $0.contains("description") && $0.contains("UTF-8") })
        #expect(values.warnings.contains { $0.contains(Self.dn) && $0.contains("member") })
    }

    @Test func templatesLeaveOutADroppedValue() throws {
        var values = StorableValues(entry)
        #expect(try AttributeMapping(parsing: "{cn} ({title})").text(reading: { values.string($0) }) == "Ödön ✓ ()")
        #expect(values.warnings.count == 1)
    }

    @Test func copyEncoderNeverWritesANULByte() {
        var encoder = CopyRowEncoder()
        encoder.text("a\u{0}b")
        encoder.text("ok")
        encoder.endRow()
        #expect(String(buffer: encoder.take()) == "\\N\tok\n")
    }
}
