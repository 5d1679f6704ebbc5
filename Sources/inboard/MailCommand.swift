import ArgumentParser
import Foundation
import InboardStore
import Mailer

struct MailCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "mail",
        abstract: "Send what the outbox holds, send a test message, or show the outbox.",
        discussion: "The server sends mail by itself ('inboard serve' runs the mail worker); these commands are for set-up and troubleshooting.",
        subcommands: [Drain.self, Test.self, Status.self])

    struct Drain: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Send every message that is due now, then stop.")
        @Flag(help: "Print the outcome as one JSON line.") var json = false

        func run() async throws {
            let environment = try CommandEnvironment.load()
            let secrets = try environment.secrets()
            try await environment.reporting {
                try await environment.requireCurrentSchema()
                let clock = ContinuousClock(), started = clock.now
                let outcome = try await environment.withPool { pool in
                    try await MailWorker(database: pool, secrets: secrets, logger: environment.logger).drainUntilIdle()
                }
                let seconds = Double((clock.now - started).components.attoseconds) / 1e18 + Double((clock.now - started).components.seconds)
                if json {
                    let fields: [String: Any] = ["sent": outcome.sent, "retried": outcome.retried, "dead": outcome.dead, "skipped": outcome.skipped,
                                                 "seconds": seconds, "lastError": outcome.lastError ?? NSNull()]
                    print(String(decoding: try JSONSerialization.data(withJSONObject: fields, options: [.sortedKeys]), as: UTF8.self))
                } else {
                    print("\(outcome.sent) sent, \(outcome.retried) to retry, \(outcome.dead) dead letters, \(outcome.skipped) skipped in \(String(format: "%.2f", seconds)) s")
                    if let error = outcome.lastError { print("last error: \(error)") }
                }
            }
        }
    }

    struct Test: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Send a test message with the stored settings and print the server's answer.")
        @Option(help: "The address to send it to.") var to: String

        func run() async throws {
            let environment = try CommandEnvironment.load()
            let secrets = try environment.secrets()
            try await environment.reporting {
                try await environment.requireCurrentSchema()
                let settings = try await environment.withPool { pool in
                    try await SMTPSettingsStore(database: pool, secrets: secrets, logger: environment.logger).load()
                }
                guard let settings else { throw CommandFailure(message: "no notification settings yet: set them on the admin Notifications page") }
                switch await MailTester.send(with: settings, to: to, sentBy: "inboard mail test", logger: environment.logger) {
                case let .success(reply): print("sent to \(to); the server said: \(reply)")
                case let .failure(error): throw CommandFailure(message: error.description)
                }
            }
        }
    }

    struct Status: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Count the outbox's rows by state and list dead letters and pending retries.")

        func run() async throws {
            let environment = try CommandEnvironment.load()
            try await environment.reporting {
                try await environment.requireCurrentSchema()
                try await environment.withPool { pool in
                    let outbox = Outbox(database: pool, logger: environment.logger)
                    let counts = try await outbox.counts()
                    print(["pending", "sending", "sent", "dead", "skipped"].map { "\($0): \(counts[$0] ?? 0)" }.joined(separator: ", "))
                    for problem in try await outbox.problems(limit: 20) {
                        print("#\(problem.id) \(problem.event) \(problem.state) after \(problem.attempts) tries: \(problem.error)")
                    }
                }
            }
        }
    }
}
