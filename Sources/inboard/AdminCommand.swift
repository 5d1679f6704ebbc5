import ArgumentParser
import Foundation
import HummingbirdBcrypt
import InboardStore

struct AdminCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "admin",
        abstract: "Manage local administrator accounts (they log in even when the directory is down).",
        subcommands: [Create.self])

    struct Create: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Create a local admin account, or set its password when it exists.",
            discussion:
                "The password is read from a file (first line), stored as a bcrypt hash (cost 12) and never printed. "
                + "Setting another password on an existing account ends every session it had (the break-glass "
                + "reset); run again with the same password, it changes nothing.")

        @Option(help: "The account's username.")
        var username: String

        @Option(help: "A file whose first line is the password (at least 12 characters).")
        var passwordFile: String

        func validate() throws {
            if username.trimmingCharacters(in: .whitespaces).isEmpty { throw ValidationError("--username is empty") }
        }

        func run() async throws {
            let environment = try CommandEnvironment.load()
            let (username, file) = (self.username.trimmingCharacters(in: .whitespaces), passwordFile)
            guard let text = try? String(contentsOfFile: file, encoding: .utf8) else {
                throw CommandFailure(message: "--password-file \(file) cannot be read")
            }
            let password = String(text.split(separator: "\n", omittingEmptySubsequences: false).first ?? "")
            guard password.count >= 12 else {
                throw CommandFailure(
                    message:
                        "the password in \(file) is shorter than 12 characters; a local admin account bypasses the directory, so it must be strong"
                )
            }
            try await environment.reporting {
                try await environment.requireCurrentSchema()
                let outcome = try await environment.withPool { pool in
                    try await LocalAdminAccount.set(
                        username: username, password: password,
                        people: PeopleStore(database: pool, logger: environment.logger))
                }
                print("local admin \(outcome)")
            }
        }
    }
}
