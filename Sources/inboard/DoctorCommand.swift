import ArgumentParser
import Foundation

struct DoctorCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "doctor",
        abstract: "Check the database, schema, secret key, directory, SMTP, clocks and disk; say how to fix each.",
        discussion: """
            Exits 0 only when every check passes (a check that does not apply, such as SMTP when none is \
            configured, is skipped, not failed). With --json, prints one JSON array of \
            {"check","outcome":"ok|failed|skipped","detail","fix"}.
            """)

    @Flag(help: "Print the findings as JSON.")
    var json = false

    func run() async throws {
        let environment = try CommandEnvironment.load()
        let findings = await Doctor(environment: environment).run()
        if json {
            let encoder = JSONEncoder()
            encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
            print(String(decoding: try encoder.encode(findings), as: UTF8.self))
        } else {
            for finding in findings {
                let mark = ["ok": "ok  ", "failed": "FAIL", "skipped": "skip"][finding.outcome.rawValue]!
                print("\(mark) \(finding.check): \(finding.detail)")
                if let fix = finding.fix { print("     fix: \(fix)") }
            }
        }
        let failed = findings.filter { $0.outcome == .failed }.map(\.check)
        if !failed.isEmpty { throw CommandFailure(message: "doctor found problems: \(failed.joined(separator: ", "))") }
    }
}
