import Foundation
import InboardCore

/// Which server the client talks to, and why: `--server`, then `INBOARD_SERVER`, then the config file, then
/// `ClientInstall.ini` (`--install-ini FILE`, else beside the binary, else in the current folder), in that order.
public struct ServerDiscovery: Sendable {
    public struct Found: Sendable, Equatable {
        public let address: ServerAddress
        public let source: String
        /// Found in a ClientInstall.ini in the current folder: whoever gave you that folder (an archive, a clone)
        /// chose the server, so a password is not sent there without asking.
        public var fromCurrentFolder = false
    }

    public var flag: String?
    public var installINI: String?
    public var environment: [String: String]
    public var config: ClientConfig
    public var binaryFolder: String
    public var currentFolder: String

    public init(
        flag: String?, installINI: String?, environment: [String: String] = ProcessInfo.processInfo.environment,
        config: ClientConfig, binaryFolder: String = ServerDiscovery.executableFolder,
        currentFolder: String = FileManager.default.currentDirectoryPath
    ) {
        self.flag = flag
        self.installINI = installINI
        self.environment = environment
        self.config = config
        self.binaryFolder = binaryFolder
        self.currentFolder = currentFolder
    }

    /// This program's own folder, from the kernel (`/proc/self/exe`): `argv[0]` is a bare name when the shell
    /// found the program on PATH, and the current folder is nobody's to trust.
    public static var executableFolder: String { (executablePath as NSString).deletingLastPathComponent }

    public static var executablePath: String {
        (try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/exe"))
            ?? URL(fileURLWithPath: CommandLine.arguments[0]).resolvingSymlinksInPath().path
    }

    public func resolve() throws(ClientError) -> Found {
        if let flag { return Found(address: try ServerAddress(flag), source: "--server") }
        if let value = environment["INBOARD_SERVER"], !value.isEmpty {
            return Found(address: try ServerAddress(value), source: "INBOARD_SERVER")
        }
        if let saved = config.server {
            return Found(address: try ServerAddress(saved), source: config.folder + "/config.json")
        }
        if let installINI {
            guard let text = try? String(contentsOfFile: installINI, encoding: .utf8) else {
                throw .local("cannot read \(installINI)")
            }
            return try found(in: text, file: installINI)
        }
        for folder in [binaryFolder, currentFolder] {
            let file = folder + "/ClientInstall.ini"
            if let text = try? String(contentsOfFile: file, encoding: .utf8) {
                var found = try found(in: text, file: file)
                found.fromCurrentFolder = folder == currentFolder && folder != binaryFolder
                return found
            }
        }
        throw .noServer
    }

    private func found(in text: String, file: String) throws(ClientError) -> Found {
        guard let address = ClientInstallINI.webServiceAddress(in: text) else {
            throw .local("\(file) has no WebServiceAddress= line under [\(ClientInstallINI.section)]")
        }
        return Found(address: try ServerAddress(address), source: file)
    }
}
