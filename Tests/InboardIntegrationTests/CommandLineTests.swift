import Foundation
import InboardTestSupport
import Testing
#if canImport(FoundationNetworking)
    import FoundationNetworking
#endif

/// The `inboard` binary as an operator meets it: each mistake is one clear `error:` line and a non-zero exit.
@Suite struct CommandLineTests {
    func expectOneClearLine(_ result: (status: Int32, output: String, error: String), containing text: String) {
        #expect(result.status != 0)
        let lines = result.error.split(separator: "\n").filter {
            !$0.contains(" info ") && !$0.contains(" notice ") && !$0.contains(" warning ")
        }  // log lines, not the error
        #expect(lines.count == 1, "stderr: \(result.error)")
        #expect(lines.first?.hasPrefix("error: ") == true, "stderr: \(result.error)")
        #expect(result.error.contains(text), "stderr: \(result.error)")
    }

    @Test func helpListsEnvironmentAndCommands() async throws {
        let result = try await runInboard(["--help"], environment: [:])
        #expect(result.status == 0)
        for text in ["INBOARD_DATABASE_URL", "INBOARD_HTTP_PORT", "INBOARD_SECRET_KEY_FILE", "serve", "migrate"] {
            #expect(result.output.contains(text), "\(text) missing from --help")
        }
        #expect(try await runInboard(["migrate", "--help"], environment: [:]).output.contains("schema_migrations"))
    }

    /// No settings, no database: the files alone are checked; a broken one is named with its line.
    @Test func policyValidateNeedsNoServerSettings() async throws {
        let sample = TestEnvironment.repositoryRoot.appendingPathComponent("policy").path
        let valid = try await runInboard(["policy", "validate", "--policy-dir", sample], environment: [:])
        #expect(valid.status == 0 && valid.output.contains("valid (the linked containers were not checked"), "\(valid)")
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("policy-\(UUID())").path
        try FileManager.default.copyItem(atPath: sample, toPath: folder)
        defer { try? FileManager.default.removeItem(atPath: folder) }
        try "id: broken\nname: [unclosed\n".write(
            toFile: folder + "/policies/broken.yaml", atomically: true, encoding: .utf8)
        expectOneClearLine(
            try await runInboard(["policy", "validate", "--policy-dir", folder], environment: [:]),
            containing: "broken.yaml:")
    }

    /// A user on a computer gets the package ring of the user (their groups and id), not the computer's.
    @Test func policyExplainGivesAUserOnAComputerTheirOwnRing() async throws {
        let sample = TestEnvironment.repositoryRoot.appendingPathComponent("policy").path
        let common = [
            "policy", "explain", "--policy-dir", sample, "--directory", sample + "/sample-directory.json", "--user",
            "alice", "--as-of", "2026-11-05T00:00:00Z",
        ]
        let alone = try await runInboard(common, environment: [:])
        let onComputer = try await runInboard(common + ["--computer", "LON-PC-001"], environment: [:])
        func package(_ output: String) -> String? {
            output.split(separator: "\n").first { $0.hasPrefix("Client package:") }.map(String.init)
        }
        #expect(package(alone.output)?.contains("ring pilot") == true, "\(alone)")
        #expect(package(onComputer.output) == package(alone.output), "\(onComputer)")
    }

    /// Modelling a user who does not exist, alone and on a kiosk that does not exist either (loopback merge:
    /// the kiosk's user settings win); a contractor is denied the kiosk policy; a site without a computer is
    /// refused.
    @Test func policyWhatIfModelsAUserOnAHypotheticalComputer() async throws {
        let sample = TestEnvironment.repositoryRoot.appendingPathComponent("policy").path
        let common = [
            "policy", "what-if", "--policy-dir", sample, "--directory", sample + "/sample-directory.json", "--user",
            "zoe, jr", "--ou", "ou=Paris,ou=people,dc=acme,dc=test", "--as-of", "2026-11-05T00:00:00Z",
        ]
        let staff = "cn=all-staff,ou=groups,dc=acme,dc=test"
        let kiosk = [
            "--computer-ou", "ou=kiosks,ou=computers,dc=acme,dc=test", "--computer-groups",
            "cn=kiosk-computers,ou=groups,dc=acme,dc=test", "--site", "Paris",
        ]
        let alone = try await runInboard(common + ["--groups", staff], environment: [:])
        #expect(
            alone.status == 0 && alone.output.contains("idleMinutesBeforeAway = 5    from paris-office"), "\(alone)")
        #expect(alone.output.contains("(cn=zoe\\, jr,ou=Paris"), "the name was not escaped in the DN: \(alone)")
        let onKiosk = try await runInboard(common + ["--groups", staff] + kiosk, environment: [:])
        #expect(onKiosk.output.contains("idleMinutesBeforeAway = 2    from kiosk"), "\(onKiosk)")
        let contractor = try await runInboard(
            common + ["--groups", staff + ";cn=contractors,ou=groups,dc=acme,dc=test"] + kiosk, environment: [:])
        #expect(
            contractor.output.contains(
                "kiosk at ou=kiosks,ou=computers,dc=acme,dc=test, order 1: security filtering: denied"), "\(contractor)"
        )
        expectOneClearLine(
            try await runInboard(common + ["--site", "Paris"], environment: [:]), containing: "give --computer-ou too")

        // A copy of the sample with a policy linked at the Paris site, and the kiosk policy denying Zoe by name.
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("what-if-\(UUID())").path
        try FileManager.default.copyItem(atPath: sample, toPath: folder)
        defer { try? FileManager.default.removeItem(atPath: folder) }
        try "id: paris-site\nname: Paris site\nuser:\n  cacheMinutes: 15\n".write(
            toFile: folder + "/policies/paris-site.yaml", atomically: true, encoding: .utf8)
        let links = try String(contentsOfFile: folder + "/links.yaml", encoding: .utf8)
        try links.replacingOccurrences(
            of: "containers:\n", with: "containers:\n  - dn: site:Paris\n    links: [{policy: paris-site, order: 1}]\n"
        ).write(toFile: folder + "/links.yaml", atomically: true, encoding: .utf8)
        let kioskPolicy = try String(contentsOfFile: folder + "/policies/kiosk.yaml", encoding: .utf8)
        try kioskPolicy.replacingOccurrences(
            of: "deny: [", with: "deny: [\"cn=zoe\\\\, jr,ou=paris,ou=people,dc=acme,dc=test\", "
        ).write(toFile: folder + "/policies/kiosk.yaml", atomically: true, encoding: .utf8)
        let copied = common.map {
            $0 == sample ? folder : $0 == sample + "/sample-directory.json" ? folder + "/sample-directory.json" : $0
        }
        let inParis = try await runInboard(copied + ["--groups", staff] + kiosk, environment: [:])
        #expect(inParis.output.contains("paris-site at site:Paris, order 1: applied"), "\(inParis)")
        #expect(
            inParis.output.contains(
                "kiosk at ou=kiosks,ou=computers,dc=acme,dc=test, order 1: security filtering: denied"), "\(inParis)")
        let elsewhere = try await runInboard(
            copied + ["--groups", staff] + kiosk.map { $0 == "Paris" ? "London" : $0 }, environment: [:])
        #expect(elsewhere.status == 0 && !elsewhere.output.contains("paris-site"), "\(elsewhere)")
    }

    @Test func unknownSubcommand() async throws {
        expectOneClearLine(try await runInboard(["frobnicate"], environment: [:]), containing: "inboard --help")
    }

    @Test func unreachableDatabase() async throws {
        let port = try freeTCPPort()
        expectOneClearLine(
            try await runInboard(
                ["migrate"], environment: ["INBOARD_DATABASE_URL": "postgres://inboard@127.0.0.1:\(port)/inboard"]),
            containing: "cannot reach PostgreSQL at 127.0.0.1:\(port)")
    }

    @Test func malformedDatabaseURL() async throws {
        expectOneClearLine(
            try await runInboard(["migrate"], environment: ["INBOARD_DATABASE_URL": "postgres://nobody"]),
            containing: "INBOARD_DATABASE_URL")
    }

    @Test func missingSecretKeyFile() async throws {
        let url = try TestEnvironment.require("INBOARD_DATABASE_URL")
        expectOneClearLine(
            try await runInboard(
                ["serve"], environment: ["INBOARD_DATABASE_URL": url, "INBOARD_SECRET_KEY_FILE": "/nonexistent/key"]),
            containing: "INBOARD_SECRET_KEY_FILE")
    }

    @Test func migrateThenServeThenGracefulStop() async throws {
        try await TemporaryDatabase.with { db in
            let key = try makeSecretKeyFile()
            defer { try? FileManager.default.removeItem(atPath: key) }
            let port = try freeTCPPort()
            let env = [
                "INBOARD_DATABASE_URL": db.url.urlString, "INBOARD_SECRET_KEY_FILE": key,
                "INBOARD_HTTP_PORT": "\(port)",
            ]

            expectOneClearLine(
                try await runInboard(["serve"], environment: env), containing: "run 'inboard migrate' first")
            let first = try await runInboard(["migrate"], environment: env)
            #expect(first.status == 0, "\(first.error)")
            #expect(first.output.contains("schema migrated to version"))
            let again = try await runInboard(["migrate"], environment: env)
            #expect(again.output.contains("nothing to do"))

            var serverEnv = env
            serverEnv["PATH"] = "/usr/bin:/bin"
            let server = try ChildProcess(try inboardBinary(), ["serve"], environment: serverEnv, capture: false)
            defer { if server.exitCodeIfExited() == nil { server.signal(SIGKILL); _ = server.waitForExit() } }
            #expect(try await waitForHTTP("http://127.0.0.1:\(port)/health/ready", status: 200))

            // A second server on the same port: one clear line.
            expectOneClearLine(try await runInboard(["serve"], environment: env), containing: "already in use")

            server.signal(SIGTERM)
            let deadline = Date().addingTimeInterval(60)  // a clean exit is the point, not its speed
            while server.exitCodeIfExited() == nil, Date() < deadline { try await Task.sleep(for: .milliseconds(100)) }
            #expect(server.exitCodeIfExited() == 0, "SIGTERM did not stop the server cleanly within 10 s")
        }
    }

    @Test func migrateRefusesANewerDatabase() async throws {
        try await TemporaryDatabase.with { db in
            let env = ["INBOARD_DATABASE_URL": db.url.urlString]
            #expect(try await runInboard(["migrate"], environment: env).status == 0)
            try await db.execute(
                "INSERT INTO schema_migrations (version, name, checksum) VALUES (9999, 'from_the_future', 'x')")
            expectOneClearLine(
                try await runInboard(["migrate"], environment: env), containing: "newer than this Inboard binary")
        }
    }
}

/// Polls a URL until it answers `status`, for at most 20 s.
func waitForHTTP(_ url: String, status: Int) async throws -> Bool {
    let deadline = Date().addingTimeInterval(90)
    while Date() < deadline {
        if let (_, response) = try? await URLSession.shared.data(from: URL(string: url)!),
            (response as? HTTPURLResponse)?.statusCode == status
        {
            return true
        }
        try await Task.sleep(for: .milliseconds(200))
    }
    return false
}
