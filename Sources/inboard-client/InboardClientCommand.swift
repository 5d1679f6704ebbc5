import ArgumentParser
import Foundation
import InboardClient
import InboardCore

@main
struct InboardClientCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "inboard-client",
        abstract: "Inboard from the command line: your status, the board, watches and notes.",
        discussion: """
            The server comes from --server URL, INBOARD_SERVER, the config file (saved by 'login'), or \
            ClientInstall.ini (--install-ini FILE, else beside this program, else in the current folder: 'login' \
            sends a password to a server found there only when you confirm it); 'inboard-client where' says which. The token and settings live in $INBOARD_CLIENT_CONFIG_DIR, else \
            $XDG_CONFIG_HOME/inboard, else ~/.config/inboard (the token file is mode 600).

            Exit codes: 0 done; 1 the server refused (the message says why) or a local failure; 2 a wrong \
            command line; 3 not logged in, or the session ended; 4 the server cannot be reached or did not \
            answer; 5 the server is older than this client and must be upgraded first.
            """,
        version: "\(InboardVersion.current)",
        subcommands: [
            WhereCommand.self, LoginCommand.self, LogoutCommand.self, StatusCommand.self, SetCommand.self,
            BoardCommand.self, WhoCommand.self, WatchCommand.self, NotesCommand.self, NoteCommand.self,
            ListenCommand.self,
            PresenceCommand.self, ManifestCommand.self, UpdateCommand.self, AgentCommand.self,
        ])
}

/// Where the server is, for every command.
struct ConnectionOptions: ParsableArguments {
    @Option(help: "The server's address, e.g. https://inboard.example.org (wins over every other source).")
    var server: String?
    @Option(help: "A ClientInstall.ini to read the server's address from.")
    var installIni: String?
    @Option(help: "A PEM file of certificate authorities to trust for the server (besides the system's).")
    var caFile: String?
}

/// What a command works with: the config folder, the server and the API with the saved token.
struct ClientContext {
    let config: ClientConfig
    let found: ServerDiscovery.Found
    let api: InboardAPI

    init(_ options: ConnectionOptions) throws(ClientError) {
        config = ClientConfig()
        found = try ServerDiscovery(flag: options.server, installINI: options.installIni, config: config).resolve()
        // The token goes only to the server it was issued by (saved with it at login).
        let issuer = config.server.flatMap { try? ServerAddress($0) }
        let token = issuer == nil || issuer == found.address ? config.token : nil
        // A CA file saved at login belongs to the server it was saved with, like the token.
        let savedCA = issuer == found.address ? config.caFile : nil
        api = InboardAPI(http: ClientHTTP(server: found.address, caFile: options.caFile ?? savedCA), token: token)
    }

    /// Status changes queued while the server was away go first, in order; what became of each is told on
    /// standard error (standard output stays the command's own).
    func sendQueued() async throws {
        guard api.token != nil else { return }
        for line in try await OfflineQueue(config: config).flush(api) {
            FileHandle.standardError.write(Data("\(line)\n".utf8))
        }
    }
}

extension AsyncParsableCommand {
    /// Runs `body`; a failure is one `error:` line on standard error and its documented exit code.
    func reporting(_ body: () async throws -> Void) async throws {
        do { try await body() } catch let error as ClientError {
            FileHandle.standardError.write(Data("error: \(error)\n".utf8))
            throw ExitCode(error.exitCode)
        } catch let error as ExitCode {
            throw error
        } catch {
            FileHandle.standardError.write(Data("error: \(error)\n".utf8))
            throw ExitCode(1)
        }
    }
}

/// Prints `value` as one line of JSON.
func printJSON(_ value: Any) { print(jsonLine(value)) }

func jsonLine(_ value: Any) -> String {
    let data = (try? JSONSerialization.data(withJSONObject: value, options: [.sortedKeys])) ?? Data("null".utf8)
    return String(decoding: data, as: UTF8.self)
}

/// One line written at once (not buffered): for output another program reads as it comes.
func emit(_ line: String) { FileHandle.standardOutput.write(Data((line + "\n").utf8)) }
