import ArgumentParser
import Foundation
import InboardStore

struct SecretKeyCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "secret-key",
        abstract: "Manage the key that seals the directory and SMTP passwords in the database.",
        subcommands: [Rotate.self])

    struct Rotate: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Re-seal every stored secret with a new key, all of them or none.",
            discussion: """
                Reads the current key from INBOARD_SECRET_KEY_FILE and the new one from --new-key-file (32 bytes; \
                with --generate it is created, owned and readable like the current key, and must not exist yet). Stop every server first, rotate, \
                point INBOARD_SECRET_KEY_FILE at the new file (/etc/inboard/inboard.env), then start them: a server \
                still on the old key cannot open the re-sealed passwords. Keep the old key: backups made before the \
                rotation hold secrets sealed with it, so restore those with INBOARD_SECRET_KEY_FILE set to the old \
                file (and rotate again afterwards if you like). Sign-in sessions survive; CSRF tokens of open pages \
                are signed with a key derived from the secret key, so those pages need a reload.
                """)

        @Option(help: "The new key file.") var newKeyFile: String
        @Flag(help: "Create the new key file with 32 random bytes (owned like the current key); it must not exist yet.")
        var generate = false

        func run() async throws {
            let environment = try CommandEnvironment.load()
            let current = try environment.secrets()
            if generate {
                // Owned like the current key, so the account the servers run as can read it.
                let ownership = KeyFileOwnership.like(environment.configuration.secretKeyFile)
                do {
                    try PrivateFile.write(
                        SecretBox.newKeyBytes(), to: newKeyFile, mode: ownership.mode, user: ownership.user,
                        group: ownership.group, replacing: false)
                } catch { throw CommandFailure(message: "cannot create \(newKeyFile): \(error)") }
            }
            let next: SecretBox
            do { next = try SecretBox.load(keyFile: newKeyFile) } catch { throw CommandFailure(error) }
            let resealed = try await environment.reporting {
                try await environment.requireCurrentSchema()
                return try await environment.withPool { pool in
                    try await current.rotate(
                        to: next, on: pool, actor: "command line (\(NSUserName()))", logger: environment.logger)
                }
            }
            print(
                "re-sealed \(resealed.count) secret\(resealed.count == 1 ? "" : "s")"
                    + (resealed.isEmpty ? "" : " (\(resealed.joined(separator: ", ")))") + " with \(newKeyFile)")
            print(
                "now set INBOARD_SECRET_KEY_FILE=\(newKeyFile) for every server and start them; keep "
                    + "\(environment.configuration.secretKeyFile): backups made before now need it to restore")
        }
    }
}
