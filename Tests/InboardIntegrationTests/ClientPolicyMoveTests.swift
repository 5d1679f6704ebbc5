import Foundation
import InboardTestSupport
import Testing

/// The policy loop end to end: a person moves to another OU in the directory (slapd3, which this suite may
/// change), an incremental sync runs, and the manifest `inboard-client` receives carries the new OU's idle
/// setting. Serial (scripts/test's time-bound pass): other suites reset and kill slapd3 in the parallel pass.
struct ClientPolicyMoveTests {
    @Test(.timeLimit(.minutes(2)))
    func movingToAnotherOUChangesTheClientsManifest() async throws {
        try await DoctorCommandTests.slapd3("start")
        let base = try TestEnvironment.require("INBOARD_TEST_LDAP_BASE")
        let url = try TestEnvironment.require("INBOARD_TEST_LDAP3_URL")
        let tag = "move-" + UUID().uuidString.prefix(8).lowercased()
        let top = "ou=\(tag),\(base)"
        let (paris, london) = ("ou=Paris,\(top)", "ou=London,\(top)")
        let password = "Move-\(UUID().uuidString)"
        func person(_ uid: String, in ou: String) -> String {
            """
            dn: uid=\(uid),\(ou)
            objectClass: inetOrgPerson
            uid: \(uid)
            cn: \(uid)
            sn: Mover
            mail: \(uid)@acme.test
            userPassword: \(password)
            """ + "\n\n"
        }
        let entries =
            ["dn: \(top)\nobjectClass: organizationalUnit\nou: \(tag)\n\n"]
            + [paris, london].map {
                "dn: \($0)\nobjectClass: organizationalUnit\nou: \($0.dropFirst(3).prefix { $0 != "," })\n\n"
            }
            + [person("\(tag)-pat", in: london), person("\(tag)-sam", in: paris)]
        var failure: (any Error)?
        do {
            try await Self.ldap("ldapadd", entries.joined(), url: url)
            try await Self.moveAndFollow(tag: tag, password: password, ous: (top, paris, london), url: url)
        } catch {
            failure = error
        }
        try? await Self.ldap("ldapdelete", top + "\n", url: url, extra: ["-r"])
        if let failure { throw failure }
    }

    static func moveAndFollow(
        tag: String, password: String, ous: (top: String, paris: String, london: String), url: String
    ) async throws {
        let (top, paris, london) = ous
        try await ServerOnOwnCluster.with(admins: 1) { setup in
            let folder = FileManager.default.temporaryDirectory.appendingPathComponent("move-\(UUID())").path
            let policyDir = folder + "/policy"
            try FileManager.default.createDirectory(atPath: policyDir + "/policies", withIntermediateDirectories: true)
            defer { try? FileManager.default.removeItem(atPath: folder) }
            for (id, minutes) in [("paris-idle", 5), ("london-idle", 30)] {
                try "id: \(id)\nuser:\n  idleMinutesBeforeAway: \(minutes)\n".write(
                    toFile: "\(policyDir)/policies/\(id).yaml", atomically: true, encoding: .utf8)
            }
            try """
            containers:
              - {dn: "\(paris)", links: [{policy: paris-idle, order: 1}]}
              - {dn: "\(london)", links: [{policy: london-idle, order: 1}]}
            filters: {}
            """.write(toFile: policyDir + "/links.yaml", atomically: true, encoding: .utf8)
            setup.extraEnvironment = ["INBOARD_POLICY_DIR": policyDir]
            let (directory, _) = try writeServiceSettings(in: folder, ldapServer: url, peopleBase: top)
            #expect(
                try await runInboard(["directory", "set", "--file", directory], environment: setup.environment).status
                    == 0)
            let first = try await runInboard(["sync", "--full"], environment: setup.environment)
            #expect(first.status == 0, "\(first)")
            try await setup.startReadyServer()

            let client = ClientCommandTests.Client(
                folder: folder + "/client", server: "http://127.0.0.1:\(setup.port)/")
            try "\(password)\n".write(toFile: folder + "/password", atomically: true, encoding: .utf8)
            let login = try await client.run(
                ["login", "--username", "\(tag)-pat", "--password-file", folder + "/password"])
            #expect(login.status == 0, "\(login)")
            func idleSetting() async throws -> (minutes: Int?, policy: String?) {
                let shown = try await client.run(["manifest", "--json"])
                let manifest = try JSONSerialization.jsonObject(with: Data(shown.output.utf8)) as? [String: Any]
                let settings = manifest?["settings"] as? [String: Any]
                let sources = manifest?["sources"] as? [String: [String: String]]
                return (
                    settings?["idleMinutesBeforeAway"] as? Int, sources?["idleMinutesBeforeAway"]?["policy"]
                )
            }
            let before = try await idleSetting()
            #expect(before.minutes == 30 && before.policy == "london-idle", "\(before)")

            // Pat moves to Paris; the next incremental sync sees it, and so does the client's next manifest.
            try await Self.ldap(
                "ldapmodrdn", "uid=\(tag)-pat,\(london)\nuid=\(tag)-pat\n", url: url, extra: ["-s", paris])
            let incremental = try await runInboard(["sync", "--incremental"], environment: setup.environment)
            #expect(incremental.status == 0, "\(incremental)")
            let after = try await idleSetting()
            #expect(after.minutes == 5 && after.policy == "paris-idle", "\(after)\n\(incremental.output)")
            // Still the same person: the login survived the move.
            #expect(try await client.run(["status"]).status == 0)
        }
    }

    static func ldap(_ tool: String, _ input: String, url: String, extra: [String] = []) async throws {
        let file = FileManager.default.temporaryDirectory.appendingPathComponent("move-\(UUID()).ldif")
        try input.write(to: file, atomically: true, encoding: .utf8)
        defer { try? FileManager.default.removeItem(at: file) }
        let result = try await runProgram(
            "/usr/bin/\(tool)",
            [
                "-x", "-H", url, "-D", try TestEnvironment.require("INBOARD_TEST_LDAP_ADMIN_DN"), "-w",
                try TestEnvironment.require("INBOARD_TEST_LDAP_ADMIN_PASSWORD"),
            ] + extra + ["-f", file.path],
            environment: ["LDAPTLS_CACERT": try TestEnvironment.require("INBOARD_TEST_CA_FILE")])
        guard result.status == 0 else { throw ProgramFailed("\(tool): \(result.error)") }
    }
}
