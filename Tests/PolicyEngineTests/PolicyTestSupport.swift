import Foundation
@testable import PolicyEngine
import PolicyFiles

/// A policy folder written from inline YAML, for one test.
struct PolicyFolder {
    let path: String

    init(policies: [String: String], links: String) throws {
        path = FileManager.default.temporaryDirectory.appendingPathComponent("policy-\(UUID())").path
        try FileManager.default.createDirectory(atPath: path + "/policies", withIntermediateDirectories: true)
        for (name, text) in policies {
            try text.write(toFile: path + "/policies/\(name).yaml", atomically: true, encoding: .utf8)
        }
        try links.write(toFile: path + "/links.yaml", atomically: true, encoding: .utf8)
    }

    func load() throws -> PolicySet { try PolicySet.load(folder: path) }
    func remove() { try? FileManager.default.removeItem(atPath: path) }
}

/// The sample tree: dc=acme,dc=test > ou=people > ou=Paris > ou=Sales; computers under ou=computers.
enum Sample {
    static let domain = "dc=acme,dc=test"
    static let staff = "cn=all-staff,ou=groups,dc=acme,dc=test"
    static let it = "cn=it,ou=groups,dc=acme,dc=test"
    static let contractors = "cn=contractors,ou=groups,dc=acme,dc=test"

    static func user(
        _ name: String, ou: String = "ou=Sales,ou=Paris,ou=people", groups: [String] = [staff],
        attributes: [String: String]? = nil
    ) -> DirectorySnapshot.Target {
        DirectorySnapshot.Target(name: name, dn: "uid=\(name),\(ou),\(domain)", groups: groups, attributes: attributes)
    }

    static func computer(
        _ name: String, ou: String = "ou=Paris,ou=computers", groups: [String] = [], site: String? = "HQ"
    ) -> DirectorySnapshot.Target {
        DirectorySnapshot.Target(name: name, dn: "cn=\(name),\(ou),\(domain)", groups: groups, site: site)
    }

    /// A policy that sets `idleMinutesBeforeAway` (and whatever else is given).
    static func policy(_ id: String, idle: Int, extra: String = "") -> String {
        "id: \(id)\nname: \(id)\nuser:\n  idleMinutesBeforeAway: \(idle)\n\(extra)"
    }
}
