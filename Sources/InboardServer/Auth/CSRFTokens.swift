import Crypto
import Foundation
import HTTPTypes
import Hummingbird
import InboardStore

/// CSRF tokens bound to the session: an HMAC of the session token under a key derived from the server's
/// secret, so every server process accepts the token any of them printed, and no table is needed.
struct CSRFTokens: Sendable {
    private let keyBytes: [UInt8]
    private var key: SymmetricKey { SymmetricKey(data: keyBytes) }

    init(key: SymmetricKey) {
        keyBytes = key.withUnsafeBytes { Array($0) }
    }
    static let formField = "_csrf"
    static let header = HTTPField.Name("X-CSRF-Token")!
    /// The cookie that carries the login form's token before there is a session (double submit; without TLS
    /// sent to the login form only).
    static func loginCookie(secure: Bool) -> HostCookie {
        HostCookie("inboard_login_csrf", secure: secure, plainPath: "/login")
    }

    func token(forSession session: String) -> String {
        Data(HMAC<SHA256>.authenticationCode(for: Data(session.utf8), using: key)).base64URLEncoded
    }

    func isValid(_ candidate: String?, forSession session: String) -> Bool {
        guard let candidate, let code = Data(base64URLEncoded: candidate) else { return false }
        return HMAC<SHA256>.isValidAuthenticationCode(code, authenticating: Data(session.utf8), using: key)
    }

    static func randomToken() -> String {
        Data((0..<32).map { _ in UInt8.random(in: 0...255) }).base64URLEncoded
    }
}
