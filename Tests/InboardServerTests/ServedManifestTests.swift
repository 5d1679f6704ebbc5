import Foundation
@testable import InboardServer
import PolicyEngine
import Testing

/// The manifest a client receives is the policy module's manifest, every field of it, with the assigned
/// package's files added beside the assignment's own keys.
@Suite struct ServedManifestTests {
    static let manifestJSON = """
        {"kind": "user", "name": "bob", "dn": "uid=bob,ou=paris,dc=acme,dc=test",
         "settings": {"idleMinutesBeforeAway": 5, "popUpOnNote": true, "webServiceAddress": "https://inboard.acme.test/"},
         "sources": {"idleMinutesBeforeAway": {"policy": "paris", "container": "ou=paris,dc=acme,dc=test"}},
         "package": {"version": "1.0.2", "install": "assigned", "upgrade": "required", "uninstallWhenOutOfScope": false,
                     "ring": "pilot", "policy": "client", "container": "dc=acme,dc=test"}}
        """

    static func object(_ data: Data) throws -> [String: Any] {
        try #require(try JSONSerialization.jsonObject(with: data) as? [String: Any])
    }

    @Test func everyFieldOfTheManifestIsServedAndThePackageGainsItsFiles() throws {
        var manifest = try JSONDecoder().decode(Manifest.self, from: Data(Self.manifestJSON.utf8))
        let file = ClientPackages.File(
            name: "inboard-client_1.0.2_amd64.deb", version: "1.0.2", platform: "amd64", size: 1234,
            sha256: String(repeating: "ab", count: 32))
        let own = try Self.object(JSONEncoder().encode(manifest))
        let served = try Self.object(JSONEncoder().encode(ServedManifest(manifest: manifest, files: [file])))

        #expect(Set(served.keys) == Set(own.keys))
        for key in own.keys where key != "package" {
            #expect(
                try JSONSerialization.data(withJSONObject: [served[key]!], options: .sortedKeys)
                    == JSONSerialization.data(withJSONObject: [own[key]!], options: .sortedKeys), "\(key)")
        }
        let package = try #require(served["package"] as? [String: Any])
        let ownPackage = try #require(own["package"] as? [String: Any])
        #expect(Set(package.keys) == Set(ownPackage.keys).union(["files"]))
        #expect(package["version"] as? String == "1.0.2" && package["ring"] as? String == "pilot")
        let files = try #require(package["files"] as? [[String: Any]])
        #expect(files.count == 1 && files[0]["path"] as? String == "/api/v1/clients/packages/\(file.name)")
        #expect(files[0]["sha256"] as? String == file.sha256 && files[0]["size"] as? Int == 1234)

        manifest.package = nil
        let withoutPackage = try Self.object(JSONEncoder().encode(ServedManifest(manifest: manifest, files: [])))
        #expect(withoutPackage["package"] == nil && Set(withoutPackage.keys) == Set(own.keys).subtracting(["package"]))
    }
}
