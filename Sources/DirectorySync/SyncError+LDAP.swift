import LDAPKit

extension SyncError {
    /// Names the setting behind an LDAP failure: `searching` is the setting whose base or filter was in use.
    static func explaining(_ error: any Error, searching setting: (base: String, filter: String)? = nil) -> any Error {
        guard let ldap = error as? LDAPError else { return error }
        let text = ldap.description
        switch ldap.kind {
        case .invalidCredentials, .emptyPassword:
            return SyncError.directory(
                setting: "bindPassword", message: "the directory refused the service account's DN or password: \(text)")
        case .serverDown, .timeout:
            return SyncError.directory(setting: "servers", message: "no configured directory server answered: \(text)")
        case .tls:
            return SyncError.directory(
                setting: "tls", message: "\(text); check tls, caFile and the server's certificate")
        case .noSuchObject:
            return SyncError.directory(
                setting: setting?.base ?? "baseDN", message: "the base DN does not exist on the server: \(text)")
        case .filterError:
            return SyncError.directory(
                setting: setting?.filter ?? "userFilter", message: "the server rejected the filter: \(text)")
        case .insufficientAccess:
            return SyncError.directory(setting: "bindDN", message: "the service account may not read this: \(text)")
        case .configuration:
            return SyncError.directory(setting: "servers", message: text)
        case .sizeLimitExceeded, .other:
            return error
        }
    }
}
