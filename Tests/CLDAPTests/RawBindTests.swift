import CLDAP
import Foundation
import InboardTestSupport
import Testing

/// Proves the CLDAP shim links and talks to the real slapd: the base LDAPKit is built on.
@Suite struct RawBindTests {
    static func env(_ name: String) throws -> String { try TestEnvironment.require(name) }

    func bind(_ url: String, dn: String, password: String) -> Int32 {
        var handle: OpaquePointer?
        guard ldap_initialize(&handle, url) == LDAP_SUCCESS, let ld = handle else { return -1 }
        defer { ldap_unbind_ext_s(ld, nil, nil) }
        var version = LDAP_VERSION3
        ldap_set_option(ld, LDAP_OPT_PROTOCOL_VERSION, &version)
        return password.withCString { pw in
            var credentials = berval(bv_len: ber_len_t(strlen(pw)), bv_val: UnsafeMutablePointer(mutating: pw))
            return ldap_sasl_bind_s(ld, dn, cldap_sasl_simple(), &credentials, nil, nil, nil)
        }
    }

    @Test func bindsWithTheRightPasswordOnly() throws {
        let url = try Self.env("INBOARD_TEST_LDAP_URL")
        let dn = try Self.env("INBOARD_TEST_LDAP_READER_DN")
        #expect(bind(url, dn: dn, password: try Self.env("INBOARD_TEST_LDAP_READER_PASSWORD")) == LDAP_SUCCESS)
        #expect(bind(url, dn: dn, password: "wrong") == LDAP_INVALID_CREDENTIALS)
    }

    @Test func pagedControlRoundTrips() throws {
        var cookie = berval(bv_len: 0, bv_val: nil)
        var encoded = berval(bv_len: 0, bv_val: nil)
        #expect(cldap_encode_paged_control(500, &cookie, &encoded) == 0)
        #expect(encoded.bv_len > 0)
        ber_memfree(encoded.bv_val)
    }
}
