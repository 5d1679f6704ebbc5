/// Why Active Directory refused a bind, from the `data NNN` sub-code in its diagnostic message
/// (`80090308: LdapErr: DSID-0C09044E, comment: AcceptSecurityContext error, data 52e, v4563`).
public enum ADBindFailure: String, Sendable, CaseIterable {
    case userNotFound = "525"
    case invalidCredentials = "52e"
    case notPermittedAtThisTime = "530"
    case notPermittedAtThisWorkstation = "531"
    case passwordExpired = "532"
    case accountDisabled = "533"
    case accountExpired = "701"
    case mustChangePassword = "773"
    case accountLockedOut = "775"

    /// Finds the sub-code in a diagnostic message, if there is one.
    public init?(diagnosticMessage: String) {
        guard let match = diagnosticMessage.firstMatch(of: /data ([0-9a-fA-F]{3,4})/.ignoresCase()) else { return nil }
        self.init(rawValue: match.1.lowercased())
    }

    /// A message fit for the account's owner. Callers that must not reveal whether an account exists
    /// show `invalidCredentials`'s message for `userNotFound` too.
    public var message: String {
        switch self {
        case .userNotFound: return "No account has this user name."
        case .invalidCredentials: return "The user name or password is incorrect."
        case .notPermittedAtThisTime: return "This account may not sign in at this time of day."
        case .notPermittedAtThisWorkstation: return "This account may not sign in from this computer."
        case .passwordExpired: return "The password has expired; change it, then sign in again."
        case .accountDisabled: return "This account is disabled; contact your administrator."
        case .accountExpired: return "This account has expired; contact your administrator."
        case .mustChangePassword: return "The password must be changed before the first sign-in."
        case .accountLockedOut:
            return
                "This account is locked after too many failed sign-ins; try again later or contact your administrator."
        }
    }

    /// Whether this failure tells the caller that the account exists (a sign-in page may hide that).
    public var revealsAccountExists: Bool { self != .userNotFound && self != .invalidCredentials }
}
