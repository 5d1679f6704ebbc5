import Foundation
import LDAPKit

extension DirectorySettings {
    /// Everything that can be checked without the directory. The first problem is thrown.
    public func validate() throws(DirectorySettingsError) {
        if servers.isEmpty && (domain ?? "").isEmpty {
            throw .init(
                setting: "servers",
                message: "give at least one ldap:// or ldaps:// URL, or a domain for DNS SRV discovery")
        }
        for server in servers {
            do { _ = try LDAPServerURL(server) } catch {
                throw .init(setting: "servers", message: error.diagnosticMessage ?? "\(error)")
            }
        }
        if let caFile, !FileManager.default.isReadableFile(atPath: caFile) {
            throw .init(setting: "caFile", message: "\(caFile) does not exist or cannot be read")
        }
        if bindDN.isEmpty {
            throw .init(setting: "bindDN", message: "the service account's DN is required (it needs read rights only)")
        }
        if bindPassword?.allSatisfy(\.isWhitespace) == true {
            throw .init(setting: "bindPassword", message: "is empty: an empty password would be an anonymous bind")
        }
        if baseDN.isEmpty { throw .init(setting: "baseDN", message: "at least one base DN is required") }
        for (setting, dns) in [("baseDN", baseDN), ("groupBaseDN", groupBaseDN)] {
            for dn in dns {
                do { _ = try DistinguishedName(dn) } catch {
                    throw .init(setting: setting, message: "'\(dn)': \(error)")
                }
            }
        }
        for (setting, filter) in [("userFilter", userFilter), ("groupFilter", groupFilter)] {
            do { _ = try LDAPFilter(parsing: filter) } catch {
                throw .init(setting: setting, message: "'\(filter)': \(error)")
            }
        }
        for (setting, name) in [
            ("loginAttribute", loginAttribute), ("identityAttribute", identityAttribute),
            ("groupNameAttribute", groupNameAttribute),
        ]
        where !AttributeMapping.isAttributeName(name) {
            throw .init(setting: setting, message: "'\(name)' is not an attribute name")
        }
        for name in membershipAttributes where !AttributeMapping.isAttributeName(name) {
            throw .init(setting: "membershipAttribute", message: "'\(name)' is not an attribute name")
        }
        for (index, mapping) in groups.enumerated() {
            do { _ = try DistinguishedName(mapping.group) } catch {
                throw .init(setting: "groups[\(index)].group", message: "'\(mapping.group)': \(error)")
            }
            if mapping.role == nil && mapping.department == nil && mapping.board == nil {
                throw .init(
                    setting: "groups[\(index)]",
                    message: "maps \(mapping.group) to nothing: give a role, a department or a board")
            }
        }
        guard (0...1).contains(guardSettings.maxDisableShare) else {
            throw .init(
                setting: "guard.maxDisableShare",
                message: "\(guardSettings.maxDisableShare) is not a share between 0 and 1 (0.10 means 10%)")
        }
    }
}
