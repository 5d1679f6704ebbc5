import ArgumentParser
import Foundation
import InboardClient

struct ManifestCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "manifest",
        abstract: "Your client settings from the server's policies, and which policy set each one.")
    @OptionGroup var connection: ConnectionOptions
    @Flag(help: "The manifest as the server sends it.") var json = false

    func run() async throws {
        try await reporting {
            let manifest = try await ClientContext(connection).api.call(.GET, "/api/v1/clients/manifest") ?? [:]
            if json { return printJSON(manifest) }
            let object = manifest as? [String: Any] ?? [:]
            let settings = object["settings"] as? [String: Any] ?? [:]
            let sources = object["sources"] as? [String: Any] ?? [:]
            print("\(object["kind"] as? String ?? "user") \(object["dn"] as? String ?? "")")
            for key in settings.keys.sorted() {
                let source = sources[key] as? [String: Any]
                let from = source.map {
                    " (from \($0["policy"] as? String ?? "?") at \($0["container"] as? String ?? "?"))"
                }
                print("  \(key) = \(settings[key].map { "\($0)" } ?? "")\(from ?? "")")
            }
            if let package = object["package"] as? [String: Any] {
                print("package \(package["version"] as? String ?? "?") (ring \(package["ring"] as? String ?? "?"))")
            }
        }
    }
}
