import ArgumentParser
import InboardClient

struct WhereCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "where", abstract: "Print the server's address and where it came from.")
    @OptionGroup var connection: ConnectionOptions
    @Flag(help: "One JSON object: {\"server\",\"source\"}.") var json = false

    func run() async throws {
        try await reporting {
            let found = try ServerDiscovery(
                flag: connection.server, installINI: connection.installIni, config: ClientConfig()
            ).resolve()
            if json {
                printJSON(["server": found.address.description, "source": found.source])
            } else {
                print("\(found.address) (from \(found.source))")
            }
        }
    }
}
