import Foundation
import InboardTestSupport
import Testing

/// `inboard doctor` on a database of its own, with the directory (the third slapd, which only the sync tests
/// use, in the parallel pass) and an SMTP server of its own stopped in turn: every check passes while all are
/// up, and each stopped service is the one named, with a fix, and a non-zero exit.
/// In scripts/test's one-at-a-time pass: it stops a shared slapd.
@Suite struct DoctorCommandTests {
    struct Finding: Decodable {
        let check: String
        let outcome: String
        let detail: String
        let fix: String?
    }

    static func doctor(_ setup: ServerOnOwnCluster) async throws -> (status: Int32, findings: [String: Finding]) {
        let result = try await runInboard(["doctor", "--json"], environment: setup.environment)
        let line = result.output.split(separator: "\n").last.map(String.init) ?? ""
        let findings = try JSONDecoder().decode([Finding].self, from: Data(line.utf8))
        return (result.status, Dictionary(uniqueKeysWithValues: findings.map { ($0.check, $0) }))
    }

    static func slapd3(_ action: String) async throws {
        let script = try TestEnvironment.require("INBOARD_TEST_SLAPD_CTL")
        let result = try await runProgram("/bin/bash", [script, "instance", "3", action])
        guard result.status == 0 else { throw ProgramFailed("slapd3 \(action): \(result.error)") }
    }

    /// A real SMTP server of this test's own (aiosmtpd, as the shared sink), on a free port.
    static func startMailServer(port: Int) throws -> ChildProcess {
        try ChildProcess(
            "/usr/bin/python3", ["-m", "aiosmtpd", "-n", "-l", "127.0.0.1:\(port)", "-c", "aiosmtpd.handlers.Sink"],
            capture: false)
    }

    static func waitForPort(_ port: Int) async throws {
        for _ in 0..<100 {
            if (try? await runProgram("/bin/bash", ["-c", "exec 3<>/dev/tcp/127.0.0.1/\(port)"]))?.status == 0 {
                return
            }
            try await Task.sleep(for: .milliseconds(100))
        }
        throw ProgramFailed("nothing listens on \(port)")
    }

    @Test(.timeLimit(.minutes(3)))
    func eachStoppedServiceIsNamedWithAFix() async throws {
        try await ServerOnOwnCluster.with(admins: 1) { setup in
            let folder = FileManager.default.temporaryDirectory.appendingPathComponent("doctor-\(UUID())")
            try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
            defer { try? FileManager.default.removeItem(at: folder) }
            let base = try TestEnvironment.require("INBOARD_TEST_LDAP_BASE")
            try "\(try TestEnvironment.require("INBOARD_TEST_LDAP_READER_PASSWORD"))\n".write(
                to: folder.appendingPathComponent("pw"), atomically: true, encoding: .utf8)
            let directoryFile = folder.appendingPathComponent("directory.yaml").path
            try """
            flavour: openldap
            servers: [\(try TestEnvironment.require("INBOARD_TEST_LDAP3_URL"))]
            bindDN: \(try TestEnvironment.require("INBOARD_TEST_LDAP_READER_DN"))
            bindPasswordFile: pw
            baseDN: ou=people,\(base)
            groupBaseDN: [ou=groups,\(base)]
            """.write(toFile: directoryFile, atomically: true, encoding: .utf8)
            let mailPort = try freeTCPPort()
            let smtpFile = folder.appendingPathComponent("smtp.yaml").path
            try """
            host: 127.0.0.1
            port: \(mailPort)
            security: none
            from: "Inboard <inboard@acme.test>"
            """.write(toFile: smtpFile, atomically: true, encoding: .utf8)
            for (command, file) in [("directory", directoryFile), ("smtp", smtpFile)] {
                let set = try await runInboard([command, "set", "--file", file], environment: setup.environment)
                #expect(set.status == 0, "\(command) set: \(set.error)")
            }
            try await Self.slapd3("start")
            var mail = try Self.startMailServer(port: mailPort)
            try await Self.waitForPort(mailPort)

            let healthy = try await Self.doctor(setup)
            let failing = healthy.findings.values.filter { $0.outcome == "failed" }.map { "\($0.check): \($0.detail)" }
            #expect(healthy.status == 0 && failing.isEmpty, "\(failing)")
            for check in ["database", "schema", "secret key", "directory", "smtp", "disk"] {
                #expect(
                    healthy.findings[check]?.outcome == "ok", "\(check): \(String(describing: healthy.findings[check]))"
                )
            }

            // The directory stopped.
            try await Self.slapd3("stop")
            let noDirectory = try await Self.doctor(setup)
            #expect(noDirectory.status != 0)
            #expect(noDirectory.findings["directory"]?.outcome == "failed")
            #expect(noDirectory.findings["directory"]?.fix?.contains("inboard directory test") == true)
            #expect(noDirectory.findings["smtp"]?.outcome == "ok" && noDirectory.findings["database"]?.outcome == "ok")
            try await Self.slapd3("start")

            // The mail server stopped.
            mail.signal(SIGTERM)
            _ = await mail.exit()
            let noMail = try await Self.doctor(setup)
            #expect(noMail.status != 0)
            #expect(noMail.findings["smtp"]?.outcome == "failed", "\(String(describing: noMail.findings["smtp"]))")
            #expect(noMail.findings["directory"]?.outcome == "ok")
            mail = try Self.startMailServer(port: mailPort)
            defer {
                mail.signal(SIGKILL)  // killed, not stopped: a defer cannot wait off the cooperative pool
                _ = mail.waitForExit()
            }
            try await Self.waitForPort(mailPort)

            // PostgreSQL stopped: named with its fix, quickly, and what needs it is skipped rather than failed.
            try await setup.cluster.stop()
            let started = Date()
            let noDatabase = try await Self.doctor(setup)
            #expect(Date().timeIntervalSince(started) < 20)
            #expect(noDatabase.status != 0)
            #expect(noDatabase.findings["database"]?.outcome == "failed")
            #expect(noDatabase.findings["database"]?.fix?.contains("INBOARD_DATABASE_URL") == true)
            #expect(noDatabase.findings["directory"]?.outcome == "skipped")

            // The key readable by others.
            try await setup.cluster.start()
            chmod(setup.keyFile, 0o644)
            let openKey = try await Self.doctor(setup)
            #expect(openKey.findings["secret key"]?.fix == "chmod 600 \(setup.keyFile)")
            #expect(openKey.status != 0)
        }
    }
}
