import ArgumentParser
import Foundation
import InboardServer

struct Inboard: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "inboard",
        abstract: "Inboard: an in/out board for organisations that run an LDAP or Active Directory directory.",
        discussion: """
            Process settings come from the environment (defaults in brackets):
            \(ServerConfiguration.documentation.map { "  \($0.variable) [\($0.defaultValue)]\n      \($0.meaning)" }.joined(separator: "\n"))

            What an administrator manages on the web (directory, SMTP, status types) is stored in PostgreSQL; \
            policies are the files in INBOARD_POLICY_DIR (a backup of the database does not hold them).
            """,
        version: "1.0.0.0",
        subcommands: [
            ServeCommand.self, MigrateCommand.self, AdminCommand.self, DirectoryCommand.self, SyncCommand.self,
            SMTPCommand.self, MailCommand.self, PolicyCommand.self, BackupCommand.self, RestoreCommand.self,
            UpgradeCommand.self, DoctorCommand.self, SetupCommand.self, MaintenanceCommand.self, SecretKeyCommand.self,
        ])
}

/// Runs the command line: help and usage errors as ArgumentParser prints them, every other failure as one
/// `error:` line on standard error and a non-zero exit, never a stack trace.
@main
enum InboardMain {
    static func main() async {
        do {
            var command = try Inboard.parseAsRoot()
            if var asyncCommand = command as? any AsyncParsableCommand {
                try await asyncCommand.run()
            } else {
                try command.run()
            }
        } catch let error as CommandFailure {
            FileHandle.standardError.write(Data("error: \(error.message)\n".utf8))
            exit(error.exitCode)
        } catch {
            // From ArgumentParser: help and --version exit cleanly; usage errors get one line and a pointer to help.
            if Inboard.exitCode(for: error) == .success { Inboard.exit(withError: error) }
            let message = Inboard.message(for: error).split(separator: "\n").first.map(String.init) ?? "\(error)"
            FileHandle.standardError.write(Data("error: \(message) (see 'inboard --help')\n".utf8))
            exit(Inboard.exitCode(for: error).rawValue)
        }
    }
}

/// A failure to report as one line.
struct CommandFailure: Error {
    let message: String
    var exitCode: Int32 = 1

    init(_ error: any Error) { self.message = "\(error)" }
    init(message: String, exitCode: Int32 = 1) {
        self.message = message
        self.exitCode = exitCode
    }
}
