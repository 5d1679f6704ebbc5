import ArgumentParser
import DirectorySync
import Foundation
import InboardStore

struct DirectoryCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "directory",
        abstract: "Manage how Inboard reaches the LDAP or Active Directory directory.",
        subcommands: [Set.self, Show.self, Test.self, Preview.self])

    struct Set: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Save directory settings from a YAML or JSON file (docs/admin-guide.md lists its fields).",
            discussion: """
                The bind password (bindPassword, or bindPasswordFile read relative to FILE) is stored encrypted \
                with INBOARD_SECRET_KEY_FILE and never shown back; a file without one keeps the stored password. \
                Every value is checked before anything is saved; the first problem is named by its setting.
                """)

        @Option(name: .long, help: "The settings file (YAML or JSON).")
        var file: String

        func run() async throws {
            let environment = try CommandEnvironment.load()
            let secrets = try environment.secrets()
            let path = file
            try await environment.reporting {
                let settings = try DirectorySettings.load(file: path)
                try await environment.requireCurrentSchema()
                try await environment.database.withConnection { connection in
                    try await DirectorySettingsStore(secrets: secrets, logger: environment.logger)
                        .save(settings, by: "cli:\(NSUserName())", on: connection)
                }
                print(
                    "directory settings saved (\(settings.flavour.rawValue), \(settings.servers.isEmpty ? "domain \(settings.domain ?? "")" : settings.servers.joined(separator: ", "))); check them with 'inboard directory test'"
                )
            }
        }
    }

    struct Show: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Show the stored directory settings (the password is never shown).")

        @Flag(help: "Print JSON instead of YAML.")
        var json = false

        func run() async throws {
            let environment = try CommandEnvironment.load()
            let secrets = try environment.secrets()
            let asJSON = json
            try await environment.reporting {
                let settings = try await loadSettings(environment, secrets)
                if asJSON {
                    print(settings.json(pretty: true))
                } else {
                    print(settings.yaml(), terminator: "")
                    print("bindPassword: \(settings.bindPassword == nil ? "not set" : "set (hidden)")")
                }
            }
        }
    }

    struct Test: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract:
                "Check the stored settings against the directory: reach, TLS, bind, schema, users and groups matched.",
            discussion:
                "With --login and --password-file, also finds that person and checks their password (search, then bind)."
        )

        @Option(help: "A username to test a login with.")
        var login: String?

        @Option(help: "A file holding that person's password.")
        var passwordFile: String?

        func run() async throws {
            let environment = try CommandEnvironment.load()
            let secrets = try environment.secrets()
            let (login, passwordFile) = (self.login, self.passwordFile)
            let steps = try await environment.reporting {
                var credentials: (String, String)?
                if let login {
                    guard let passwordFile, let password = try? String(contentsOfFile: passwordFile, encoding: .utf8)
                    else {
                        throw CommandFailure(message: "--login needs --password-file FILE with that person's password")
                    }
                    credentials = (login, password.trimmingCharacters(in: .newlines))
                }
                let settings = try await loadSettings(environment, secrets)
                return await DirectoryTester(settings: settings, logger: environment.logger).run(login: credentials)
            }
            for step in steps { print("\(step.ok ? "ok  " : "FAIL") \(step.name): \(step.detail)") }
            if let failed = steps.first(where: { !$0.ok }) {
                throw CommandFailure(message: "directory test failed at '\(failed.name)': \(failed.detail)")
            }
        }
    }

    struct Preview: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Show the first users as a sync would map them, from the stored settings or a draft file.")

        @Option(
            help:
                "A settings draft to preview instead of the stored settings (its password, or the stored one, is used)."
        )
        var file: String?

        @Option(help: "How many users.")
        var limit = 5

        func run() async throws {
            let environment = try CommandEnvironment.load()
            let secrets = try environment.secrets()
            let (file, limit) = (self.file, self.limit)
            try await environment.reporting {
                let settings: DirectorySettings
                if let file {
                    let stored = try await storedSettings(environment, secrets)
                    settings = try DirectorySettings.load(file: file).withStoredPassword(from: stored)
                } else {
                    settings = try await loadSettings(environment, secrets)
                }
                let people = try await DirectoryPreview(settings: settings, logger: environment.logger).firstUsers(
                    limit)
                let encoder = JSONEncoder()
                encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
                print(String(decoding: try encoder.encode(people), as: UTF8.self))
            }
        }
    }
}

/// The stored settings, or a clear error when there are none.
func loadSettings(_ environment: CommandEnvironment, _ secrets: SecretBox) async throws -> DirectorySettings {
    guard let stored = try await storedSettings(environment, secrets) else { throw SyncError.notConfigured }
    return stored
}

func storedSettings(_ environment: CommandEnvironment, _ secrets: SecretBox) async throws -> DirectorySettings? {
    try await environment.requireCurrentSchema()
    return try await environment.database.withConnection { connection in
        try await DirectorySettingsStore(secrets: secrets, logger: environment.logger).load(on: connection)
    }
}
