import ArgumentParser
import Foundation
import InboardStore
import Mailer

struct MailCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "mail",
        abstract: "Send what the outbox holds now, or show the outbox.",
        discussion:
            "The server sends mail by itself ('inboard serve' runs the mail worker); these commands are for troubleshooting. Settings: 'inboard smtp'.",
        subcommands: [Drain.self, Status.self])

    struct Drain: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Send every message that is due now, then stop.")
        @Flag(help: "Print the outcome as one JSON line.") var json = false

        func run() async throws {
            let environment = try CommandEnvironment.load()
            let secrets = try environment.secrets()
            try await environment.reporting {
                try await environment.requireCurrentSchema()
                let clock = ContinuousClock(), started = clock.now
                var options = MailWorker.Options()
                options.schemaVersion = try MigrationCatalog.embedded().latestVersion
                let outcome = try await environment.withPool { [options] pool in
                    try await MailWorker(database: pool, secrets: secrets, logger: environment.logger, options: options)
                        .drainUntilIdle()
                }
                let seconds =
                    Double((clock.now - started).components.attoseconds) / 1e18
                    + Double((clock.now - started).components.seconds)
                if json {
                    let fields: [String: Any] = [
                        "sent": outcome.sent, "retried": outcome.retried, "dead": outcome.dead,
                        "skipped": outcome.skipped,
                        "seconds": seconds, "lastError": outcome.lastError ?? NSNull(),
                    ]
                    print(
                        String(
                            decoding: try JSONSerialization.data(withJSONObject: fields, options: [.sortedKeys]),
                            as: UTF8.self))
                } else {
                    print(
                        "\(outcome.sent) sent, \(outcome.retried) to retry, \(outcome.dead) dead letters, \(outcome.skipped) skipped in \(String(format: "%.2f", seconds)) s"
                    )
                    if let error = outcome.lastError { print("last error: \(error)") }
                }
            }
        }
    }

    struct Status: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Count the outbox's rows by state and list dead letters and pending retries.")

        func run() async throws {
            let environment = try CommandEnvironment.load()
            try await environment.reporting {
                try await environment.requireCurrentSchema()
                try await environment.withPool { pool in
                    let outbox = Outbox(database: pool, logger: environment.logger)
                    let counts = try await outbox.counts()
                    print(
                        ["pending", "sending", "sent", "dead", "skipped"].map { "\($0): \(counts[$0] ?? 0)" }.joined(
                            separator: ", "))
                    for problem in try await outbox.problems(limit: 20) {
                        print(
                            "#\(problem.id) \(problem.event) \(problem.state) after \(problem.attempts) tries: \(problem.error)"
                        )
                    }
                }
            }
        }
    }
}
