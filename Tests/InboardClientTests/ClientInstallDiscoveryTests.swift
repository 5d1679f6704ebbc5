import Foundation
import InboardClient
import InboardCore
import Testing

/// How the client finds its server, and reads the file the policy module and setup write.
@Suite struct ClientInstallDiscoveryTests {
    @Test func theFileThePolicyModuleWritesIsReadBack() {
        let text = ClientInstallINI.text(
            address: "https://inboard.acme.test/", clientVersion: "1.0.0.0", installMode: "assigned")
        #expect(ClientInstallINI.webServiceAddress(in: text) == "https://inboard.acme.test/")
        #expect(ClientInstallINI.values(in: text)["InstallMode"] == "assigned")
    }

    @Test func otherSectionsCommentsAndLFLinesAreHandled() {
        let text =
            "\u{FEFF}; deployed by GPO\n[Other]\nWebServiceAddress=http://wrong/\n[startup defaults]\n  webserviceaddress = http://right:8080/ \n"
        #expect(ClientInstallINI.webServiceAddress(in: text) == "http://right:8080/")
        #expect(ClientInstallINI.webServiceAddress(in: "[Startup Defaults]\nClientVersion=1\n") == nil)
    }

    @Test func theSourcesWinInTheirOrder() throws {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("client-\(UUID())").path
        try FileManager.default.createDirectory(atPath: folder + "/bin", withIntermediateDirectories: true)
        try FileManager.default.createDirectory(atPath: folder + "/cwd", withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: folder) }
        let config = ClientConfig(environment: ["INBOARD_CLIENT_CONFIG_DIR": folder + "/config"])
        func discovery(_ flag: String? = nil, _ environment: [String: String] = [:], ini: String? = nil)
            -> ServerDiscovery
        {
            ServerDiscovery(
                flag: flag, installINI: ini, environment: environment, config: config,
                binaryFolder: folder + "/bin", currentFolder: folder + "/cwd")
        }
        #expect(throws: ClientError.noServer) { try discovery().resolve() }
        let ini = { (address: String) in
            ClientInstallINI.text(address: address, clientVersion: "1.0", installMode: "assigned")
        }
        try ini("http://from-cwd/").write(toFile: folder + "/cwd/ClientInstall.ini", atomically: true, encoding: .utf8)
        #expect(try discovery().resolve().source == folder + "/cwd/ClientInstall.ini")
        #expect(try discovery().resolve().fromCurrentFolder, "login asks before sending a password there")
        try ini("http://beside-binary/").write(
            toFile: folder + "/bin/ClientInstall.ini", atomically: true, encoding: .utf8)
        #expect(try discovery().resolve().address.host == "beside-binary")
        #expect(try !discovery().resolve().fromCurrentFolder)
        try ini("http://named/").write(toFile: folder + "/named.ini", atomically: true, encoding: .utf8)
        #expect(try discovery(ini: folder + "/named.ini").resolve().address.host == "named")
        try config.saveServer(try ServerAddress("https://saved.example:8443/inboard/"), caFile: nil, account: nil)
        let saved = try discovery(ini: folder + "/named.ini").resolve()
        #expect(
            saved.address.description == "https://saved.example:8443/inboard/" && saved.source.hasSuffix("config.json"))
        #expect(try discovery(nil, ["INBOARD_SERVER": "http://env/"]).resolve().source == "INBOARD_SERVER")
        #expect(try discovery("http://flag:81", ["INBOARD_SERVER": "http://env/"]).resolve().address.port == 81)
        #expect(throws: ClientError.badServerAddress("ftp://x")) { try discovery("ftp://x").resolve() }
    }

    @Test func theTokenFileIsPrivate() throws {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("client-\(UUID())").path
        defer { try? FileManager.default.removeItem(atPath: folder) }
        let config = ClientConfig(environment: ["INBOARD_CLIENT_CONFIG_DIR": folder])
        try config.saveToken("secret-token")
        try config.saveToken("second-token")
        #expect(config.token == "second-token")
        let mode = try FileManager.default.attributesOfItem(atPath: folder + "/token")[.posixPermissions] as? Int
        #expect(mode == 0o600)
        config.removeToken()
        #expect(config.token == nil)
    }
}
