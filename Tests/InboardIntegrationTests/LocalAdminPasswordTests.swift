import Foundation
import InboardTestSupport
import Testing

/// `inboard admin create` for an account that exists sets its password (the break-glass reset): every session of
/// the account ends, so whoever held the old password keeps none. They used to keep their 12-hour sessions. The
/// same password again changes nothing.
@Suite struct LocalAdminPasswordTests {
    @Test func settingThePasswordAgainEndsTheAccountsSessions() async throws {
        try await ServerOnOwnCluster.with(admins: 2, patient: true) { setup in
            let tokens = try await setup.startSignedIn(admins: 2)
            let passwordFile = setup.keyFile + ".new-password"
            try "a-new-password-after-a-leak\n".write(toFile: passwordFile, atomically: true, encoding: .utf8)
            defer { try? FileManager.default.removeItem(atPath: passwordFile) }
            let reset = try await runInboard(
                ["admin", "create", "--username", "admin1", "--password-file", passwordFile],
                environment: setup.environment)
            #expect(reset.status == 0 && reset.output.contains("its password was set"), "\(reset.error)")

            #expect(
                await setup.waitFor("/api/v1/me", status: 401, seconds: 60, token: tokens[0]),
                "the old session still works after the password was set")
            #expect(await setup.send("GET", "/api/v1/me", token: tokens[1]).status == 200, "another account's ended")
            let fresh = try await setup.login("admin1", password: "a-new-password-after-a-leak")
            // The same password again changes nothing: the new session stays.
            let again = try await runInboard(
                ["admin", "create", "--username", "admin1", "--password-file", passwordFile],
                environment: setup.environment)
            #expect(again.status == 0 && again.output.contains("unchanged"), "\(again.output) \(again.error)")
            #expect(await setup.send("GET", "/api/v1/me", token: fresh).status == 200, "the same password ended it")
            let audited = try await setup.query(
                "SELECT count(*)::int FROM audit_log WHERE action = 'admin.password.set'", as: Int.self)
            #expect(audited == [1])
        }
    }
}
