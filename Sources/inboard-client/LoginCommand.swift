import ArgumentParser
import Foundation
import InboardClient

struct LoginCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "login",
        abstract: "Log in with your directory (or local) account and keep the session.",
        discussion: """
            The username may be the short name, user@domain, DOMAIN\\user or a DN. Without --password-file the \
            password is asked for without echo. The token is kept in the config folder (mode 600), and the \
            server's address in its config.json.
            """)
    @OptionGroup var connection: ConnectionOptions
    @Option(help: "Your username (asked for when not given).") var username: String?
    @Option(help: "A file whose first line is the password.") var passwordFile: String?
    @Flag(help: "Send the password to a server without TLS (not on this machine) all the same.") var allowHttp = false

    func run() async throws {
        try await reporting {
            let context = try ClientContext(connection)
            try context.found.address.requireTLS(for: "your password", allowHTTP: allowHttp)
            FileHandle.standardError.write(
                Data("server: \(context.found.address) (from \(context.found.source))\n".utf8))
            let name = try username ?? Terminal.ask("Username: ")
            let password: String
            if let passwordFile {
                guard let text = try? String(contentsOfFile: passwordFile, encoding: .utf8) else {
                    throw ClientError.local("cannot read \(passwordFile)")
                }
                let line = text.split(separator: "\n", omittingEmptySubsequences: false).first ?? ""
                password = String(line.hasSuffix("\r") ? line.dropLast() : line)
            } else {
                password = try Terminal.askSecret("Password for \(name): ")
            }
            guard !password.isEmpty else { throw ClientError.usage("the password is empty") }
            let (token, person) = try await context.api.login(username: name, password: password)
            try context.config.saveToken(token)
            try context.config.saveServer(context.found.address, caFile: context.api.http.caFile)
            print("logged in to \(context.found.address) as \(person["displayName"] as? String ?? name)")
        }
    }
}

struct LogoutCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "logout",
        abstract: "End the session on the server and forget the token and the cached board.",
        discussion: """
            Status changes queued while the server was away are sent first; any it cannot send are discarded, with a \
            warning: no session is left to send them, and the next login here may be someone else's.
            """)
    @OptionGroup var connection: ConnectionOptions

    func run() async throws {
        try await reporting {
            let context = try ClientContext(connection)
            guard context.api.token != nil else { throw ClientError.notLoggedIn }
            // Changes made offline go now if they can: after this, no session could send them, and the next login
            // here may be someone else's.
            try? await context.sendQueued()
            defer {
                context.config.removeToken()
                context.config.removeCache()
                let unsent = OfflineQueue(config: context.config).discard()
                if unsent > 0 {
                    FileHandle.standardError.write(
                        Data("discarded \(unsent) status change(s) made while the server was away: never sent\n".utf8))
                }
            }
            do { try await context.api.call(.POST, "/api/v1/auth/logout") } catch ClientError.sessionEnded {}
            print("logged out")
        }
    }
}
