import CLDAP
import Foundation
import InboardTestSupport
import Testing

/// Proves the CLDAP shim links and talks to the real slapd: the base LDAPKit is built on.
@Suite struct RawBindTests {
    static func env(_ name: String) throws -> String { try TestEnvironment.require(name) }

    /// A simple bind whose password length is taken with strlen, as a C caller would.
    func bind(_ url: String, dn: String, password: String) -> Int32 {
        password.withCString { pw in
            var credentials = berval(bv_len: ber_len_t(strlen(pw)), bv_val: UnsafeMutablePointer(mutating: pw))
            return bind(url, dn: dn, credentials: &credentials)
        }
    }

    /// A simple bind sending exactly these password bytes.
    func bind(_ url: String, dn: String, passwordBytes: [UInt8]) -> Int32 {
        var bytes = passwordBytes.map { CChar(bitPattern: $0) }
        return bytes.withUnsafeMutableBufferPointer { buffer in
            var credentials = berval(bv_len: ber_len_t(buffer.count), bv_val: buffer.baseAddress)
            return bind(url, dn: dn, credentials: &credentials)
        }
    }

    private func bind(_ url: String, dn: String, credentials: inout berval) -> Int32 {
        var handle: OpaquePointer?
        guard ldap_initialize(&handle, url) == LDAP_SUCCESS, let ld = handle else { return -1 }
        defer { ldap_unbind_ext_s(ld, nil, nil) }
        var version = LDAP_VERSION3
        ldap_set_option(ld, LDAP_OPT_PROTOCOL_VERSION, &version)
        return ldap_sasl_bind_s(ld, dn, cldap_sasl_simple(), &credentials, nil, nil, nil)
    }

    @Test func bindsWithTheRightPasswordOnly() throws {
        let url = try Self.env("INBOARD_TEST_LDAP_URL")
        let dn = try Self.env("INBOARD_TEST_LDAP_READER_DN")
        #expect(bind(url, dn: dn, password: try Self.env("INBOARD_TEST_LDAP_READER_PASSWORD")) == LDAP_SUCCESS)
        #expect(bind(url, dn: dn, password: "wrong") == LDAP_INVALID_CREDENTIALS)
    }

    /// Why LDAPKit counts a password's bytes instead of calling strlen: through strlen, "\u{0}x" reaches the
    /// server as an empty password, an unauthenticated bind that slapd refuses (53) but Active Directory
    /// answers with "success"; counted, it is just a wrong password (49).
    @Test func strlenTurnsAPasswordStartingWithNULIntoAnUnauthenticatedBind() throws {
        let url = try Self.env("INBOARD_TEST_LDAP_URL")
        let dn = try Self.env("INBOARD_TEST_LDAP_READER_DN")
        #expect(bind(url, dn: dn, password: "\u{0}x") == LDAP_UNWILLING_TO_PERFORM)
        #expect(bind(url, dn: dn, passwordBytes: Array("\u{0}x".utf8)) == LDAP_INVALID_CREDENTIALS)
        let right = try Self.env("INBOARD_TEST_LDAP_READER_PASSWORD")
        #expect(bind(url, dn: dn, passwordBytes: Array(right.utf8)) == LDAP_SUCCESS)
        #expect(bind(url, dn: dn, passwordBytes: Array((right + "\u{0}").utf8)) == LDAP_INVALID_CREDENTIALS)
    }

    @Test func pagedControlRoundTrips() throws {
        var cookie = berval(bv_len: 0, bv_val: nil)
        var encoded = berval(bv_len: 0, bv_val: nil)
        #expect(cldap_encode_paged_control(500, &cookie, &encoded) == 0)
        #expect(encoded.bv_len > 0)
        ber_memfree(encoded.bv_val)
    }
}
