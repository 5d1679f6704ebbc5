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
            server's address and your username in its config.json. The server's device token is kept in its \
            device-token (mode 600), across logouts, and sent back only to that server: with it, the lock that \
            someone guessing your password elsewhere runs up on your account does not hold this client. Status changes you queued here while the server \
            was away (before a logout) are sent now.
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
            if context.found.fromCurrentFolder { try confirmServerFromCurrentFolder(context.found) }
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
            let server = context.found.address
            let (token, person, device) = try await context.api.login(
                username: name, password: password, deviceToken: context.config.deviceToken(for: server))
            try context.config.saveToken(token)
            if let device { try? context.config.saveDeviceToken(device, for: server) }
            try context.config.saveServer(
                context.found.address, caFile: context.api.http.caFile, account: person["username"] as? String)
            print("logged in to \(context.found.address) as \(person["displayName"] as? String ?? name)")
            // Changes this person queued here while the server was away (before a logout) go now.
            try? await ClientContext(connection).sendQueued()
        }
    }
}

struct LogoutCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "logout",
        abstract: "End the session on the server and forget the token and the cached board.",
        discussion: """
            Status changes queued while the server was away are sent first; any it cannot send stay queued for your \
            next login here (nobody else's session sends them), except those with a hidden note, those whose maker \
            this client does not know (a login made by an older client) and those more than 8 days old (the \
            server applies a change up to 7 days late), which are discarded with a warning.
            """)
    @OptionGroup var connection: ConnectionOptions

    func run() async throws {
        try await reporting {
            let context = try ClientContext(connection)
            guard context.api.token != nil else { throw ClientError.notLoggedIn }
            // Changes made offline go now if they can; those that cannot wait for this person's next login here.
            try? await context.sendQueued()
            defer {
                let queue = OfflineQueue(config: context.config)
                let left = queue.logout(context.api.token, account: context.config.account)
                context.config.removeToken()
                context.config.removeAccount()
                context.config.removeCache()
                let notices = [
                    (left.discarded, "status change(s) made while the server was away: never sent", "discarded"),
                    (
                        left.hidden,
                        "status change(s) with a hidden note made while the server was away: a hidden note is not "
                            + "left on this machine", "discarded"
                    ),
                    (
                        left.kept, "status change(s) made while the server was away: sent at your next login here",
                        "kept"
                    ),
                    (
                        left.expired,
                        "status change(s) made while the server was away, \(OfflineQueue.tooOldToApply)",
                        "discarded"
                    ),
                ]
                for (count, what, done) in notices where count > 0 {
                    FileHandle.standardError.write(Data("\(done) \(count) \(what)\n".utf8))
                }
            }
            do { try await context.api.call(.POST, "/api/v1/auth/logout") } catch ClientError.sessionEnded {}
            print("logged out")
        }
    }
}

extension LoginCommand {
    /// A ClientInstall.ini in the current folder was written by whoever gave you the folder: the password goes
    /// there only when the person at the terminal says so, and never without one (a script names its server).
    func confirmServerFromCurrentFolder(_ found: ServerDiscovery.Found) throws(ClientError) {
        let refusal = ClientError.usage(
            "\(found.address) comes from \(found.source) in the current folder; to send your password there, "
                + "name it: --install-ini \(found.source) or --server \(found.address)")
        guard isatty(STDIN_FILENO) == 1, passwordFile == nil else { throw refusal }
        let answer = try Terminal.ask("Send your password to \(found.address)? [y/N] ")
        guard ["y", "yes"].contains(answer.lowercased()) else { throw refusal }
    }
}
