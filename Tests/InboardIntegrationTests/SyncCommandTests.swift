import Foundation
import InboardStore
import InboardTestSupport
import Logging
import Testing

/// `inboard directory …` and `inboard sync …` as an operator runs them, against the sample slapd.
@Suite struct SyncCommandTests {
    @Test func directorySetShowTestThenSyncPrintsTheContractsRunRecord() async throws {
        try await TemporaryDatabase.with { db in
            let key = try makeSecretKeyFile()
            defer { try? FileManager.default.removeItem(atPath: key) }
            let env = [
                "INBOARD_DATABASE_URL": db.url.urlString, "INBOARD_SECRET_KEY_FILE": key, "INBOARD_LOG_LEVEL": "error",
            ]
            let folder = FileManager.default.temporaryDirectory.appendingPathComponent("dir-\(UUID())")
            try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
            defer { try? FileManager.default.removeItem(at: folder) }
            let base = try TestEnvironment.require("INBOARD_TEST_LDAP_BASE")
            let password = try TestEnvironment.require("INBOARD_TEST_LDAP_READER_PASSWORD")
            try "\(password)\n".write(to: folder.appendingPathComponent("pw"), atomically: true, encoding: .utf8)
            let file = folder.appendingPathComponent("directory.yaml").path
            try """
            flavour: openldap
            servers: [\(try TestEnvironment.require("INBOARD_TEST_LDAP_URL"))]
            bindDN: \(try TestEnvironment.require("INBOARD_TEST_LDAP_READER_DN"))
            bindPasswordFile: pw
            baseDN: ou=people,\(base)
            groupBaseDN: [ou=groups,\(base)]
            attributes: {displayName: "{givenName} {sn}"}
            groups:
              - {group: "cn=inboard-admins,ou=groups,\(base)", role: admin}
            """.write(toFile: file, atomically: true, encoding: .utf8)

            let early = try await runInboard(["sync", "--full"], environment: env)
            #expect(early.status != 0 && early.error.contains("inboard migrate"), "\(early)")
            #expect(try await runInboard(["migrate"], environment: env).status == 0)
            let unset = try await runInboard(["sync", "--full"], environment: env)
            #expect(unset.status == 1 && unset.error.contains("inboard directory set"), "\(unset)")

            let set = try await runInboard(["directory", "set", "--file", file], environment: env)
            #expect(set.status == 0, "\(set)")
            let show = try await runInboard(["directory", "show"], environment: env)
            #expect(
                show.status == 0 && show.output.contains("bindPassword: set (hidden)")
                    && !show.output.contains(password), "\(show)")
            #expect(
                show.output.contains("displayName: '{givenName} {sn}'")
                    || show.output.contains("displayName: \"{givenName} {sn}\""), "\(show.output)")
            let test = try await runInboard(["directory", "test"], environment: env)
            #expect(test.status == 0 && test.output.contains("ok   users: 200 entries"), "\(test)")

            let sync = try await runInboard(["sync", "--full", "--json"], environment: env)
            #expect(sync.status == 0, "\(sync)")
            let last = try #require(sync.output.split(separator: "\n").last)
            let record = try #require(try JSONSerialization.jsonObject(with: Data(last.utf8)) as? [String: Any])
            for key in [
                "id", "mode", "state", "seen", "created", "updated", "moved", "disabled", "reenabled", "groups",
                "memberships", "durationMs", "errors",
            ] {
                #expect(record[key] != nil, "the run record lacks \(key)")
            }
            #expect(
                record["state"] as? String == "succeeded" && record["seen"] as? Int == 200
                    && record["created"] as? Int == 200)

            let dry = try await runInboard(["sync", "--incremental", "--dry-run"], environment: env)
            #expect(dry.status == 0 && dry.output.contains("(incremental, dry run): succeeded"), "\(dry)")
            let both = try await runInboard(["sync", "--full", "--incremental"], environment: env)
            #expect(both.status != 0 && both.error.contains("choose one"), "\(both)")
            let notHeld = try await runInboard(["sync", "--approve", "1"], environment: env)
            #expect(notHeld.status == 1 && notHeld.error.contains("only a held run can be approved"), "\(notHeld)")
            let history = try await runInboard(["sync", "--history"], environment: env)
            #expect(history.output.split(separator: "\n").count == 2, "the refused approval is not a run: \(history)")
        }
    }

    @Test func aWrongPasswordFileIsNamedAndNothingIsSaved() async throws {
        try await TemporaryDatabase.with { db in
            let key = try makeSecretKeyFile()
            defer { try? FileManager.default.removeItem(atPath: key) }
            let env = ["INBOARD_DATABASE_URL": db.url.urlString, "INBOARD_SECRET_KEY_FILE": key]
            #expect(try await runInboard(["migrate"], environment: env).status == 0)
            let file = FileManager.default.temporaryDirectory.appendingPathComponent("dir-\(UUID()).yaml").path
            defer { try? FileManager.default.removeItem(atPath: file) }
            try "servers: [ldap://127.0.0.1:3890]\nbindDN: cn=x\nbaseDN: dc=acme,dc=test\nuserFilter: (uid=a\n".write(
                toFile: file, atomically: true, encoding: .utf8)
            let result = try await runInboard(["directory", "set", "--file", file], environment: env)
            #expect(result.status == 1 && result.error.hasPrefix("error: directory setting 'userFilter'"), "\(result)")
            let show = try await runInboard(["directory", "show"], environment: env)
            #expect(show.status == 1 && show.error.contains("no directory settings yet"), "\(show)")
        }
    }
}
