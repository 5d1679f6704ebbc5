import LDAPKit
import Testing

@Suite struct ObjectGUIDTests {
    // The example from Microsoft's documentation of objectGUID's string form.
    let bytes: [UInt8] = [
        0x2A, 0x8F, 0x6A, 0xB2, 0x5A, 0x41, 0x4E, 0x4B, 0x9B, 0x3A, 0x40, 0xCB, 0x39, 0x31, 0x0B, 0x8C,
    ]

    @Test func firstThreeFieldsAreByteSwapped() throws {
        let guid = try #require(ObjectGUID(bytes: bytes))
        #expect(guid.description == "b26a8f2a-415a-4b4e-9b3a-40cb39310b8c")
    }

    @Test func roundTrips() throws {
        let guid = try #require(ObjectGUID("{B26A8F2A-415A-4B4E-9B3A-40CB39310B8C}"))
        #expect(guid.bytes == bytes)
        #expect(ObjectGUID(guid.description) == guid)
        #expect(guid.filterValue.hasPrefix(#"\2a\8f\6a\b2"#))
    }

    @Test(arguments: [
        "", "not-a-guid", "b26a8f2a415a4b4e9b3a40cb39310b8c", "b26a8f2a-415a-4b4e-9b3a-40cb39310b8",
        "zz6a8f2a-415a-4b4e-9b3a-40cb39310b8c",
    ])
    func rejectsMalformed(text: String) {
        #expect(ObjectGUID(text) == nil)
    }

    @Test func wrongLengthBytes() { #expect(ObjectGUID(bytes: [1, 2, 3]) == nil) }
}

@Suite struct ADBindFailureTests {
    @Test(arguments: [
        ("525", ADBindFailure.userNotFound), ("52e", .invalidCredentials), ("530", .notPermittedAtThisTime),
        ("531", .notPermittedAtThisWorkstation), ("532", .passwordExpired), ("533", .accountDisabled),
        ("701", .accountExpired), ("773", .mustChangePassword), ("775", .accountLockedOut),
    ])
    func parsesSubCodes(code: String, expected: ADBindFailure) {
        let message = "80090308: LdapErr: DSID-0C090439, comment: AcceptSecurityContext error, data \(code), v4563"
        #expect(ADBindFailure(diagnosticMessage: message) == expected)
        #expect(ADBindFailure(diagnosticMessage: message.uppercased()) == expected)
    }

    @Test func noSubCodeInOpenLDAPMessages() {
        #expect(ADBindFailure(diagnosticMessage: "Invalid credentials") == nil)
        #expect(ADBindFailure(diagnosticMessage: "data 999, v1") == nil)
    }

    @Test func onlyDistinctFailuresRevealTheAccount() {
        #expect(!ADBindFailure.userNotFound.revealsAccountExists)
        #expect(!ADBindFailure.invalidCredentials.revealsAccountExists)
        #expect(ADBindFailure.accountDisabled.revealsAccountExists)
        #expect(Set(ADBindFailure.allCases.map(\.message)).count == ADBindFailure.allCases.count)
    }

    @Test func errorDescriptionCarriesNoPassword() {
        let error = LDAPError(
            kind: .invalidCredentials, resultCode: 49, diagnosticMessage: "80090308: LdapErr: DSID, data 533, v1",
            operation: "bind as alice", server: "ldap://dc1")
        #expect(error.adFailure == .accountDisabled)
        #expect(error.description.contains("disabled"))
    }
}

@Suite struct LDAPServerURLTests {
    @Test func parsesDefaultsAndPorts() throws {
        #expect(try LDAPServerURL("ldap://dc1.example.test").port == 389)
        #expect(try LDAPServerURL("ldaps://dc1.example.test").port == 636)
        let url = try LDAPServerURL("LDAP://127.0.0.1:3890/")
        #expect(url.host == "127.0.0.1" && url.port == 3890 && !url.secure)
    }

    @Test(arguments: ["http://x", "ldap://", "ldap://h:0", "ldap://h:99999", "ldap://h:abc"])
    func rejects(text: String) {
        #expect(throws: LDAPError.self) { try LDAPServerURL(text) }
    }
}
