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
        let people = self.people
        do {
            entry = try await authenticator.authenticate(
                username, password: password, attributes: [settings.identityAttribute]
            ) { found in
                let (account, person) = try await Self.account(of: found, settings: settings, people: people)
                if let person { synced.withLockedValue { $0 = person } }
                return try await entryFound(account)
            }
        } catch {
            let answer = Self.answer(to: error)
            if let error = error as? LDAPError, (answer as? APIError)?.code == Self.generic.code,
                error.kind != .invalidCredentials
            {
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

    /// The account a directory entry counts as for the login throttle, however the name that found it was spelled
    /// (escaped DN, full-width letters): its synced person ("person:ID", returned with its identity), else the
    /// entry ("entry:DN").
    static func account(of found: LDAPEntry, settings: DirectorySettings, people: any PeopleStoring) async throws
        -> (name: String, synced: (identity: String, person: Person)?)
    {
        let identity = settings.identity(of: found)
        if let identity, let person = try await people.person(directoryID: identity) {
            return ("person:\(person.id)", (identity, person))
        }
        return ("entry:" + LoginName.normalisedDN(found.dn), nil)
    }

    /// What a directory login that failed answers (the login and the admin's test login alike): a lockout the
    /// guard saw coming is a 429, an unknown or ambiguous name the generic 401, the directory's own refusals
    /// as `explain` words them; anything else as it is.
    static func answer(to error: any Error) -> any Error {
        switch error {
        case DirectoryAuthenticator.Failure.lockoutNear(let next): APIError.tooManyAttempts(secondsUntil(next))
        case is DirectoryAuthenticator.Failure: generic
        case let error as LDAPError: explain(error)
        default: error
        }
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
