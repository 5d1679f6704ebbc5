import DirectorySync
import Foundation
import InboardCore
import HummingbirdBcrypt
import InboardStore
import LDAPKit
import Logging
import NIOConcurrencyHelpers
import NIOPosix

/// Checks a username and password: a local account (bcrypt) first, else search-then-bind against the
/// directory, and the person must be synced and active in Inboard. Wrong user and wrong password get one
/// generic answer; states the directory reports (disabled, expired, locked, must change) get their own.
struct LoginService: Sendable {
    let people: any PeopleStoring
    let syncer: DirectorySyncer
    let directory: DirectoryClientCache
    var logger: Logger = Logger(label: "inboard.login")

    static let generic = APIError(.unauthorized, code: "invalid_credentials", message: "Wrong username or password.")

    /// `entryFound` gets the account key of the directory entry a name led to, before its password is tried,
    /// and answers whether the attempt comes from a device that account signed in on before (`DeviceTokens`):
    /// only such a device may still try a password that could bring the directory's own lockout near.
    func authenticate(
        username rawUsername: String, password: String,
        entryFound: @Sendable (String) async throws -> Bool = { _ in false }
    ) async throws -> Person {
        let username = rawUsername.trimmingCharacters(in: .whitespacesAndNewlines)
        guard !username.isEmpty, !password.allSatisfy(\.isWhitespace) else {
            throw APIError(.unauthorized, code: "missing_credentials", message: "Enter your username and password.")
        }
        if let local = try await people.localAccount(username: username) {
            // Counted under the account however the name was spelled: PostgreSQL matched it (`lower`), while the
            // throttle's own lower-casing may differ ("ADMİN"), which gave each spelling a fresh budget.
            _ = try await entryFound("person:\(local.person.id)")
            let matches = try await NIOThreadPool.singleton.runIfActive {
                Bcrypt.verify(password, hash: local.passwordHash)
            }
            guard matches, local.person.active else { throw Self.generic }
            return local.person
        }
        let syncer = self.syncer
        guard let authenticator = try await directory.authenticator({ try await syncer.storedSettings() }) else {
            throw APIError(
                .unauthorized, code: "invalid_credentials",
                message: "Wrong username or password (no directory is configured yet; only local accounts can log in).")
        }
        let settings = authenticator.settings
        let entry: LDAPEntry
        // The person the entry is synced as, read once before the bind (for the throttle) and used after it.
        let synced = NIOLockedValueBox<(identity: String, person: Person)?>(nil)
        do {
            let people = self.people
            entry = try await authenticator.authenticate(
                username, password: password, attributes: [settings.identityAttribute]
            ) { found in
                // However the name was spelled (escaped DN, full-width letters), the entry it found is one account.
                let identity = settings.identity(of: found)
                let person = try await identity.asyncFlatMap { try await people.person(directoryID: $0) }
                if let identity, let person { synced.withLockedValue { $0 = (identity, person) } }
                return try await entryFound(
                    person.map { "person:\($0.id)" } ?? "entry:" + LoginName.normalisedDN(found.dn))
            }
        } catch DirectoryAuthenticator.Failure.lockoutNear(let next) {
            throw APIError.tooManyAttempts(Self.secondsUntil(next))
        } catch is DirectoryAuthenticator.Failure {
            throw Self.generic
        } catch let error as LDAPError {
            let answer = Self.explain(error)
            if answer.code == Self.generic.code, error.kind != .invalidCredentials {
                logger.warning("directory login failed", metadata: ["error": "\(error)"])
            }
            throw answer
        }
        let known = synced.withLockedValue { $0 }
        guard let identity = settings.identity(of: entry),
            let person = known?.identity == identity
                ? known?.person : try await people.person(directoryID: identity)
        else {
            throw APIError(
                .forbidden, code: "not_synced",
                message: "Your directory account is not in Inboard yet; ask an administrator to run a directory sync.")
        }
        guard person.active else {
            throw APIError(
                .forbidden, code: "account_disabled", message: "Your Inboard account is disabled; ask an administrator."
            )
        }
        return person
    }

    /// Retry-After for a directory lockout's end, in whole 5 minutes (the exact time would tell anyone when the
    /// person last mistyped, anywhere); failures that count until a success elsewhere are looked at again after
    /// the throttle's longest wait.
    static func secondsUntil(_ next: Date, now: Date = Date()) -> Int {
        guard next != .distantFuture else { return 900 }
        return max(1, Int((next.timeIntervalSince(now) / 300).rounded(.up))) * 300
    }

    static func explain(_ error: LDAPError) -> APIError {
        switch error.kind {
        case .invalidCredentials:
            guard let ad = error.adFailure, ad.revealsAccountExists else { return generic }
            return APIError(.forbidden, code: "account_\(ad)", message: ad.message)
        case .emptyPassword:
            return APIError(.unauthorized, code: "missing_credentials", message: "Enter your username and password.")
        case .serverDown, .timeout, .tls:
            return APIError(
                .serviceUnavailable, code: "directory_unavailable",
                message:
                    "The directory cannot be reached right now; try again shortly (a local admin account can still log in)."
            )
        default:
            // The directory's own words (its diagnostic, DNs, URLs) stay in the log: shown to an anonymous caller
            // they would say which accounts exist and where the directory is.
            return generic
        }
    }
}

extension Optional {
    func asyncFlatMap<U>(_ transform: (Wrapped) async throws -> U?) async rethrows -> U? {
        guard let value = self else { return nil }
        return try await transform(value)
    }
}
