import ArgumentParser
import Foundation
import InboardClient

struct UpdateCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "update",
        abstract: "Install the client version your policy's ring assigns (or go back to the kept one after a halt).",
        discussion: """
            Versions live in $INBOARD_CLIENT_INSTALL_DIR (else $XDG_DATA_HOME/inboard-client, else \
            ~/.local/share/inboard-client) under versions/VERSION, with 'current' pointing at the one in use; \
            the previous version is kept. Once no policy assigns you a package, the installed version is removed if \
            the policy that assigned it set uninstallWhenOutOfScope, and stays otherwise. A download whose SHA-256 differs from the manifest's is refused, and a \
            version newer (major.minor) than the server is not installed (exit 5): the server is upgraded first.
            """)
    @OptionGroup var connection: ConnectionOptions
    @Flag(help: "Only say what would be done.") var check = false
    @Flag(help: "Install from a server without TLS (not on this machine) all the same.") var allowHttp = false

    func run() async throws {
        try await reporting {
            let context = try ClientContext(connection)
            // The digest travels with the file: without TLS anyone between could replace both.
            if !check { try context.found.address.requireTLS(for: "a program to install", allowHTTP: allowHttp) }
            let updater = ClientUpdater(api: context.api)
            let plan = try await updater.plan()
            if check { return print(plan.summary) }
            print(try await updater.apply(plan))
        }
    }
}
