import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import InboardServer
import InboardStore
import InboardTestSupport
import Testing

/// Security: a stored secret goes only to the server it was saved for, and the API reads no server files.
@Suite struct StoredSecretTests {
    let base = AuthAndAdminAPITests()

    func send(
        _ client: some TestClientProtocol, _ method: HTTPRequest.Method, _ uri: String, _ json: String, token: String
    ) async throws -> (Int, String) {
        try await client.execute(
            uri: uri, method: method, headers: [.contentType: "application/json", .authorization: "Bearer \(token)"],
            body: ByteBuffer(string: json)
        ) { (Int($0.status.code), String(buffer: $0.body)) }
    }

    @Test func aDraftForAnotherServerMustRetypeThePasswordAndFilePathsAreRefused() async throws {
        try await TemporaryDatabase.with { db in
            let secrets = try SecretBox(keyBytes: (0..<32).map { _ in UInt8.random(in: 0...255) })
            try await base.prepare(db, secrets: secrets)
            try await makeTestApp(databaseURL: db.url, secrets: secrets).test(.live) { client in
                let root = try await base.login(client, "root", AuthAndAdminAPITests.adminPassword)
                let ldapBase = try TestEnvironment.require("INBOARD_TEST_LDAP_BASE")
                let elsewhere =
                    #"{"flavour":"openldap","servers":["ldap://127.0.0.1:1"],"bindDN":"cn=reader,ou=service,\#(ldapBase)","baseDN":["ou=people,\#(ldapBase)"]}"#
                let (preview, previewBody) = try await send(
                    client, .post, "/api/v1/admin/directory/preview", elsewhere, token: root.token)
                #expect(
                    preview == 422 && previewBody.contains("type the bind password again"), "\(preview) \(previewBody)")
                let (save, saveBody) = try await send(
                    client, .put, "/api/v1/admin/directory", elsewhere, token: root.token)
                #expect(save == 422 && saveBody.contains("type the bind password again"), "\(save) \(saveBody)")

                let withFile =
                    #"{"flavour":"openldap","servers":["ldap://127.0.0.1:1"],"bindDN":"cn=x","bindPasswordFile":"/etc/shadow","baseDN":["ou=people,\#(ldapBase)"]}"#
                let (file, fileBody) = try await send(
                    client, .put, "/api/v1/admin/directory", withFile, token: root.token)
                #expect(file == 422 && fileBody.contains("bindPasswordFile"), "\(file) \(fileBody)")

                // The same servers may keep the stored password.
                let same =
                    #"{"flavour":"openldap","servers":["\#(try TestEnvironment.require("INBOARD_TEST_LDAP_URL"))"],"bindDN":"cn=reader,ou=service,\#(ldapBase)","baseDN":["ou=people,\#(ldapBase)"]}"#
                #expect(try await send(client, .put, "/api/v1/admin/directory", same, token: root.token).0 == 200)
                let (test, testBody) = try await send(
                    client, .post, "/api/v1/admin/directory/test", #"{"login":"alice","password":"\u0000x"}"#,
                    token: root.token)
                #expect(test == 400, "test login with a NUL: \(test) \(testBody)")
            }
        }
    }

    @Test func aStoredSMTPPasswordGoesOnlyToItsServer() throws {
        let stored = SMTPSettings(
            enabled: true, host: "smtp.example.org", port: 587, security: .starttls, username: "inboard",
            fromAddress: "inboard@example.org", fromName: "Inboard", events: [:], password: "s3cret")
        var draft = stored
        draft.password = nil
        #expect(try draft.withStoredPassword(from: stored).password == "s3cret")
        draft.host = "attacker.example"
        #expect(throws: SMTPSettingsError.self) { try draft.withStoredPassword(from: stored) }
        draft.host = "SMTP.example.org"
        draft.port = 2525
        #expect(throws: SMTPSettingsError.self) { try draft.withStoredPassword(from: stored) }
        draft.port = 587
        draft.security = .none  // the same host, but the password would go in clear
        #expect(throws: SMTPSettingsError.self) { try draft.withStoredPassword(from: stored) }
        draft.security = .starttls
        draft.insecureSkipVerify = true
        #expect(throws: SMTPSettingsError.self) { try draft.withStoredPassword(from: stored) }
    }
}
