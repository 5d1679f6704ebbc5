import Crypto
import Foundation
import InboardStore

/// Device tokens ("device cookies", OWASP): a browser or client that once signed in to an account keeps a
/// token naming that account. Anyone who knows a name can keep its account locked with wrong passwords; a login
/// that brings a token for that account is not held by that lock, and its own failures count under the token
/// (five free, then the same back-off). The address and IPv6 /64 budgets apply as to any login.
///
/// A token is a random nonce and an HMAC of the account's throttle key and the nonce, under a key derived from
/// the server's secret: every server process checks it, no table is needed, and a rotated secret key retires
/// them all (the next sign-in issues a new one).
struct DeviceTokens: Sendable {
    private let keyBytes: [UInt8]
    private var key: SymmetricKey { SymmetricKey(data: keyBytes) }
    /// The login page's cookie; the API carries the token in its JSON (`deviceToken`).
    static let cookieName = "inboard_device"
    static let lifetime: Duration = .seconds(365 * 86_400)

    init(key: SymmetricKey) {
        keyBytes = key.withUnsafeBytes { Array($0) }
    }

    /// A new token for the account whose throttle key is `account`.
    func issue(forAccount account: String) -> String {
        let nonce = Data((0..<16).map { _ in UInt8.random(in: 0...255) }).base64URLEncoded
        return nonce + "." + code(account: account, nonce: nonce).base64URLEncoded
    }

    /// The throttle key that counts this token's own failures, when the token was issued for `account`; nil
    /// for no token, a malformed or forged one, or one issued for another account.
    func throttleKey(_ token: String?, account: String) -> String? {
        guard let token, token.utf8.count <= 128 else { return nil }
        let parts = token.split(separator: ".", omittingEmptySubsequences: false)
        guard parts.count == 2, let nonce = Data(base64URLEncoded: String(parts[0])), nonce.count == 16,
            let mac = Data(base64URLEncoded: String(parts[1])),
            HMAC<SHA256>.isValidAuthenticationCode(
                mac, authenticating: Self.message(account: account, nonce: String(parts[0])), using: key)
        else { return nil }
        return LoginThrottle.accountKey("device:" + parts[0])
    }

    private func code(account: String, nonce: String) -> Data {
        Data(HMAC<SHA256>.authenticationCode(for: Self.message(account: account, nonce: nonce), using: key))
    }

    private static func message(account: String, nonce: String) -> Data {
        Data("\(account)|\(nonce)".utf8)
    }
}
