import Foundation
import LDAPKit

/// Checks that every attribute the settings name exists in the directory's schema, so a typo
/// (`mial`) is reported against its setting instead of silently mapping nothing.
struct DirectorySchemaCheck: Sendable {
    let settings: DirectorySettings

    func run(client: LDAPClient) async throws {
        let root = try await client.rootDSE(attributes: ["subschemaSubentry"])
        guard let subschema = root.string("subschemaSubentry"),
            let schema = try await client.read(dn: subschema, attributes: ["attributeTypes"])
        else { return }
        let known = Self.attributeNames(in: schema.strings("attributeTypes"))
        guard !known.isEmpty else { return }
        for (setting, name) in namedAttributes() where !known.contains(name.lowercased()) && !name.first!.isNumber {
            throw SyncError.directory(
                setting: setting, message: "attribute '\(name)' is not in the directory's schema (\(subschema))")
        }
    }

    private func namedAttributes() -> [(String, String)] {
        var named: [(String, String)] = [
            ("loginAttribute", settings.loginAttribute), ("identityAttribute", settings.identityAttribute),
            ("groupNameAttribute", settings.groupNameAttribute),
        ]
        named += settings.membershipAttributes.map { ("membershipAttribute", $0) }
        for (field, mapping) in settings.attributes.sorted(by: { $0.key < $1.key }) {
            named += mapping.attributes.map { ("attributes.\(field.rawValue)", $0) }
        }
        return named
    }

    /// Names from RFC 4512 attribute type descriptions: `( 2.5.4.3 NAME ( 'cn' 'commonName' ) ... )`.
    static func attributeNames(in descriptions: [String]) -> Set<String> {
        var names = Set<String>()
        for description in descriptions {
            guard let nameRange = description.range(of: " NAME ") else { continue }
            var rest = description[nameRange.upperBound...].drop(while: { $0 == " " })
            if rest.first == "(" {
                guard let close = rest.firstIndex(of: ")") else { continue }
                rest = rest[rest.index(after: rest.startIndex)..<close]
            } else if let end = rest.dropFirst().firstIndex(of: "'") {
                rest = rest[...end]
            }
            for quoted in rest.split(separator: "'") where !quoted.trimmingCharacters(in: .whitespaces).isEmpty {
                names.insert(quoted.lowercased())
            }
        }
        return names
    }
}
