/// Every LDAPKit failure: the result code, matched DN and server diagnostic, the parsed AD sub-code, and a
/// `kind` callers switch on. Descriptions carry no password (none is ever put into one).
public struct LDAPError: Error, Sendable, CustomStringConvertible {
    public enum Kind: Sendable, Equatable {
        /// Refused before any network call (RFC 4513 §5.1.2: it would be an unauthenticated bind).
        case emptyPassword
        case invalidCredentials
        case serverDown
        case timeout
        case tls
        case noSuchObject
        case filterError
        case sizeLimitExceeded
        case insufficientAccess
        case configuration
        case other
    }

    public let kind: Kind
    public let resultCode: Int32
    public let matchedDN: String?
    public let diagnosticMessage: String?
    public let operation: String
    public let server: String?

    public init(
        kind: Kind, resultCode: Int32 = 0, matchedDN: String? = nil, diagnosticMessage: String? = nil,
        operation: String, server: String? = nil
    ) {
        self.kind = kind
        self.resultCode = resultCode
        self.matchedDN = matchedDN
        self.diagnosticMessage = diagnosticMessage
        self.operation = operation
        self.server = server
    }

    /// AD's reason for a refused bind, when the server gave one.
    public var adFailure: ADBindFailure? { diagnosticMessage.flatMap(ADBindFailure.init(diagnosticMessage:)) }

    public var description: String {
        var text = "LDAP \(operation)"
        if let server { text += " on \(server)" }
        text += " failed: \(Self.summary(kind: kind, code: resultCode))"
        if let ad = adFailure { text += " — \(ad.message)" }
        // Result codes above zero are the server's; zero and libldap's negative codes are local.
        if let diagnosticMessage, !diagnosticMessage.isEmpty {
            text += resultCode > 0 ? " (server says: \(diagnosticMessage))" : " (\(diagnosticMessage))"
        }
        if let matchedDN, !matchedDN.isEmpty, kind == .noSuchObject {
            text += " (nearest existing entry: \(matchedDN))"
        }
        return text
    }

    static func summary(kind: Kind, code: Int32) -> String {
        switch kind {
        case .emptyPassword: return "an empty password is never sent (it would be an anonymous bind)"
        case .invalidCredentials: return code == 0 ? "invalid credentials" : "invalid credentials (\(code))"
        case .serverDown: return "cannot reach the server"
        case .timeout: return "the server did not answer in time"
        case .tls: return "TLS could not be established (certificate not trusted, or the server does not offer TLS)"
        case .noSuchObject: return "no such entry (32): check the base DN"
        case .filterError: return "the filter is not valid"
        case .sizeLimitExceeded: return "the server's size limit was reached (4)"
        case .insufficientAccess: return "the account may not read this (50)"
        case .configuration: return "invalid configuration"
        case .other: return "result code \(code)"
        }
    }

    /// Errors after which the connection is unusable and another server may do better.
    var isConnectionFailure: Bool { kind == .serverDown || kind == .timeout }
}
