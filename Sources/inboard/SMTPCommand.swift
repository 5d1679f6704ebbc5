import ArgumentParser
import Foundation
import InboardStore
import Mailer

struct SMTPCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "smtp",
        abstract: "Set, show and test how Inboard sends mail.",
        subcommands: [Set.self, Show.self, Test.self])

    struct Set: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Save the SMTP settings from a YAML or JSON file.",
            discussion: """
                Keys: host, port, security (none | starttls | tls), caFile, insecureSkipVerify, username, password or
                passwordFile (stored encrypted, never shown back), from ("Inboard <inboard@example.com>"), and optionally
                enabled (default true), events ({noteLeft, watchChanged, syncHeld, syncFailed}: true/false; default all on)
                and quietHours ("22:00-07:00"). A file without a password keeps the stored one.
                """)
        @Option(help: "The settings file.") var file: String

        func run() async throws {
            let environment = try CommandEnvironment.load()
            let secrets = try environment.secrets()
            let settings: SMTPSettings
            do { settings = try SMTPSettings.load(file: file) } catch {
                throw CommandFailure(message: error.description)
            }
            try await environment.reporting {
                try await environment.requireCurrentSchema()
                try await environment.withPool { pool in
                    try await SMTPSettingsStore(database: pool, secrets: secrets, logger: environment.logger).save(
                        settings, by: "inboard smtp set", from: nil)
                }
                print(
                    "SMTP settings saved: \(settings.host):\(settings.port) (\(settings.security.rawValue)), mail \(settings.enabled ? "on" : "off")"
                )
            }
        }
    }

    struct Show: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Print the stored SMTP settings (never the password).")
        @Flag(help: "Print them as one JSON line.") var json = false

        func run() async throws {
            let environment = try CommandEnvironment.load()
            try await environment.reporting {
                let settings = try await SMTPCommand.storedSettings(environment)
                if json { print(settings.documentJSON); return }
                print(
                    """
                    mail:       \(settings.enabled ? "on" : "off")
                    server:     \(settings.host):\(settings.port) (\(settings.security.rawValue)\(settings.insecureSkipVerify ? ", certificate NOT verified" : ""))
                    caFile:     \(settings.caFile ?? "(system roots)")
                    username:   \(settings.username ?? "(no AUTH)")
                    password:   \(settings.password == nil ? "(none)" : "(stored, encrypted)")
                    from:       \(settings.fromName) <\(settings.fromAddress)>
                    quietHours: \(settings.quietHours ?? "(none)")
                    events:     \(SMTPSettings.eventNames.map { "\($0.key)=\(settings.events[$0.key] == true ? "on" : "off")" }.joined(separator: " "))
                    """)
            }
        }
    }

    struct Test: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Send a test message with the stored settings and print the server's answer.")
        @Option(help: "The address to send it to.") var to: String

        func run() async throws {
            let environment = try CommandEnvironment.load()
            try await environment.reporting {
                let settings = try await SMTPCommand.storedSettings(environment)
                switch await MailTester.send(
                    with: settings, to: to, sentBy: "inboard smtp test", logger: environment.logger)
                {
                case let .success(reply): print("sent to \(to); the server said: \(reply)")
                case let .failure(error): throw CommandFailure(message: error.description)
                }
            }
        }
    }

    /// The stored settings (password opened), or a clear error saying how to set them.
    static func storedSettings(_ environment: CommandEnvironment) async throws -> SMTPSettings {
        let secrets = try environment.secrets()
        try await environment.requireCurrentSchema()
        let settings = try await environment.withPool { pool in
            try await SMTPSettingsStore(database: pool, secrets: secrets, logger: environment.logger).load()
        }
        guard let settings else {
            throw CommandFailure(
                message: "no SMTP settings yet: 'inboard smtp set --file FILE' or the admin Notifications page")
        }
        return settings
    }
}
