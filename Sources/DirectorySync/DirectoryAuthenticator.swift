import Foundation
import LDAPKit
import Logging

/// Search-then-bind: the service account finds the person's entry by the login forms people type (short
/// name, `user@domain`, `DOMAIN\user` or a DN), every typed value escaped, then a bind as that entry's DN
/// checks the password on a pooled connection.
public struct DirectoryAuthenticator: Sendable {
    public let settings: DirectorySettings
    public let client: LDAPClient
    /// Keeps logins from locking accounts in the directory (see `DirectoryLockoutGuard`).
    public let lockout: DirectoryLockoutGuard

    public init(settings: DirectorySettings, client: LDAPClient, logger: Logger = Logger(label: "inboard.login")) {
        self.settings = settings
        self.client = client
        self.lockout = DirectoryLockoutGuard(client: client, flavour: settings.flavour, logger: logger)
    }

    public enum Failure: Error, Sendable, Equatable, CustomStringConvertible {
        case unknownUser
        case ambiguous(count: Int)
        /// The directory holds as many failures against the entry as Inboard may cause; a password may go at `until`.
        case lockoutNear(until: Date)

        public var description: String {
            switch self {
            case .unknownUser: "no directory entry matches this username under the configured base DN and user filter"
            case let .ambiguous(count):
                "\(count) directory entries match this username: the login attribute must be unique"
            case let .lockoutNear(until):
                "the directory holds enough failed logins against this account that Inboard sends no password for it before \(until) (it never lets the directory lock an account)"
            }
        }
    }

    /// The filter that finds `username` (escaped) among the entries the user filter selects.
    public func filter(for username: String) -> LDAPFilter {
        let login = settings.loginAttribute
        let trimmed = username.trimmingCharacters(in: .whitespaces)
        var alternatives: [LDAPFilter] = [.equal(login, trimmed)]
        if let backslash = trimmed.firstIndex(of: "\\") {
            alternatives = [.equal(login, String(trimmed[trimmed.index(after: backslash)...]))]
        } else if let at = trimmed.lastIndex(of: "@") {
            alternatives.append(.equal(login, String(trimmed[..<at])))
            alternatives.append(.equal(settings.flavour == .activeDirectory ? "userPrincipalName" : "mail", trimmed))
        }
        return .and([.raw(settings.userFilter), alternatives.count == 1 ? alternatives[0] : .or(alternatives)])
    }

    /// The one entry `username` names; a DN is accepted when it is inside the configured scope.
    public func findEntry(_ username: String, attributes: [String]) async throws -> LDAPEntry {
        var matches: [LDAPEntry] = []
        if let dn = try? DistinguishedName(username), dn.rdns.count > 1 {
            for base in settings.baseDN
            where (try? DistinguishedName(base)).map({ dn == $0 || dn.isDescendant(of: $0) }) == true {
                do {
                    matches += try await client.lookup(
                        base: username, scope: .base, filter: .raw(settings.userFilter), attributes: attributes)
                } catch let error as LDAPError where error.kind == .noSuchObject {
                    continue  // a DN that does not exist is an unknown user, like a name that matches nothing
                }
            }
        } else {
            for base in settings.baseDN {
                matches += try await client.lookup(base: base, filter: filter(for: username), attributes: attributes)
            }
        }
        guard let first = matches.first else { throw Failure.unknownUser }
        guard matches.count == 1 else { throw Failure.ambiguous(count: matches.count) }
        return first
    }

    /// Finds the entry and checks the password by binding as it. Empty passwords never reach a bind.
    /// `beforeBind` sees the entry the name led to before its password is tried (the login throttle counts
    /// the entry itself there, however the name was spelled) and answers whether the attempt comes from a device
    /// the person signed in on before, which may spend more of the directory's own lockout threshold
    /// (`DirectoryLockoutGuard`; `Failure.lockoutNear` past it).
    public func authenticate(
        _ username: String, password: String, attributes: [String] = [],
        beforeBind: @Sendable (LDAPEntry) async throws -> Bool = { _ in false }
    ) async throws -> LDAPEntry {
        guard !password.allSatisfy(\.isWhitespace) else {
            throw LDAPError(kind: .emptyPassword, operation: "bind as \(username)")
        }
        let readAt = Date()
        let entry = try await findEntry(
            username, attributes: attributes + DirectoryLockoutGuard.attributes(for: settings.flavour))
        let ownDevice = try await beforeBind(entry)
        if let next = try await lockout.reserveBind(for: entry, readAt: readAt, ownDevice: ownDevice) {
            throw Failure.lockoutNear(until: next)
        }
        do {
            try await client.bind(LDAPCredentials(bindName: entry.dn, password: password))
        } catch {
            // A bind that timed out or lost its connection may have reached the directory: counted, to be safe.
            let refused =
                (error as? LDAPError).map { [.invalidCredentials, .timeout, .serverDown].contains($0.kind) } ?? true
            await lockout.release(entry, failed: refused)
            throw error
        }
        await lockout.release(entry, failed: false)
        return entry
    }
}
