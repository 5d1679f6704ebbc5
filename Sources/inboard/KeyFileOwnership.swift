import Foundation

/// Who owns the secret key file: root, with the `inboard` group reading it (mode 640), when setup runs as root
/// and that group exists (the package made it): the service reads the key but cannot replace it. Otherwise the
/// user running setup alone (mode 600).
struct KeyFileOwnership: Equatable {
    static let serviceGroup = "inboard"

    let mode: mode_t
    let user: String?
    let group: String?

    static func forNewKey() -> KeyFileOwnership {
        geteuid() == 0 && getgrnam(serviceGroup) != nil
            ? KeyFileOwnership(mode: 0o640, user: "root", group: serviceGroup)
            : KeyFileOwnership(mode: 0o600, user: nil, group: nil)
    }

    /// Like an existing key file (a rotated key replaces it).
    static func like(_ path: String) -> KeyFileOwnership {
        let attributes = try? FileManager.default.attributesOfItem(atPath: path)
        let mode = (attributes?[.posixPermissions] as? Int).map { mode_t($0) & 0o640 } ?? 0o600
        return KeyFileOwnership(
            mode: mode | 0o600, user: attributes?[.ownerAccountName] as? String,
            group: attributes?[.groupOwnerAccountName] as? String)
    }

    /// Whether a key file's permissions (its `attributesOfItem`) keep it to its owner (and the service group,
    /// when root owns it).
    static func isPrivate(_ attributes: [FileAttributeKey: Any]) -> Bool {
        guard let mode = attributes[.posixPermissions] as? Int else { return false }
        if mode & 0o077 == 0 { return true }
        return mode & 0o037 == 0 && attributes[.ownerAccountName] as? String == "root"
            && attributes[.groupOwnerAccountName] as? String == serviceGroup
    }

    var description: String {
        mode == 0o640 ? "mode 640, root's, read by the \(Self.serviceGroup) group" : "mode 600"
    }
}
