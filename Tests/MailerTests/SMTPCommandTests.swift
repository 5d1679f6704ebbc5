import Foundation
import InboardTestSupport
import Testing

/// `inboard smtp set|show|test` as an operator runs them (the contract's names and file shape).
@Suite struct SMTPCommandTests {
    @Test func setShowAndTestWithAPasswordFileThatIsNeverShownBack() async throws {
        try await MailHarness.with { harness in
            let sink = try await SMTPSink.running(SMTPSink.tlsArguments + ["--starttls", "--auth", "mailer:pa55-word"])
            let folder = FileManager.default.temporaryDirectory.appendingPathComponent("smtp-\(UUID())")
            try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
            defer { try? FileManager.default.removeItem(at: folder) }
            try "pa55-word\n".write(to: folder.appendingPathComponent("pw"), atomically: true, encoding: .utf8)
            let file = folder.appendingPathComponent("smtp.yaml").path
            try """
            host: 127.0.0.1
            port: \(sink.port)
            security: starttls
            caFile: \(try TestEnvironment.require("INBOARD_TEST_CA_FILE"))
            username: mailer
            passwordFile: pw
            from: "Inboard Board <inboard@acme.test>"
            """.write(toFile: file, atomically: true, encoding: .utf8)
            let binary = try inboardBinary()
            let set = try await runProgram(binary, ["smtp", "set", "--file", file], environment: harness.environment)
            #expect(set.status == 0, "\(set)")
            let shown = try await runProgram(binary, ["smtp", "show", "--json"], environment: harness.environment)
            #expect(
                shown.status == 0 && shown.output.contains("\"passwordSet\":true")
                    && !shown.output.contains("pa55-word"), "\(shown)")
            #expect(shown.output.contains("\"from\":\"Inboard Board <inboard@acme.test>\""), "\(shown.output)")
            let test = try await runProgram(
                binary, ["smtp", "test", "--to", "bob@acme.test"], environment: harness.environment)
            #expect(test.status == 0 && test.output.contains("250"), "\(test)")
            #expect(sink.received.map(\.to) == [["bob@acme.test"]])
            let audit = try await runProgram(
                "/usr/bin/psql",
                [
                    "-qtA", harness.db.url.urlString, "-c",
                    "SELECT after::text FROM audit_log WHERE action = 'smtp.settings.save'",
                ])
            #expect(
                audit.output.contains("\"password\": \"changed\"") && !audit.output.contains("pa55-word"), "\(audit)")

            try "host: 127.0.0.1\nsecurity: sometimes\nfrom: inboard@acme.test\n".write(
                toFile: file, atomically: true, encoding: .utf8)
            let bad = try await runProgram(binary, ["smtp", "set", "--file", file], environment: harness.environment)
            #expect(
                bad.status != 0 && bad.error.contains("security") && bad.error.contains("none, starttls, tls"), "\(bad)"
            )
            try "host: 127.0.0.1\nfrom: \"Eve\\r\\nBcc: x@evil.test <inboard@acme.test>\"\n".write(
                toFile: file, atomically: true, encoding: .utf8)
            let injected = try await runProgram(
                binary, ["smtp", "set", "--file", file], environment: harness.environment)
            #expect(injected.status != 0 && injected.error.contains("from"), "\(injected)")
            let wrong = try await runProgram(
                binary, ["smtp", "test", "--to", "no-at-sign"], environment: harness.environment)
            #expect(wrong.status != 0 && wrong.error.contains("not an email address"), "\(wrong)")
        }
    }
}
