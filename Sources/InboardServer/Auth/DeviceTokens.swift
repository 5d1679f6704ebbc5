import Crypto
import Foundation
import InboardStore

/// Device tokens ("device cookies", OWASP): a browser or client that once signed in as a person keeps a token
/// naming that person. Anyone who knows a name can keep its account locked with wrong passwords; a login that
/// brings a token for that person is not held by that lock: its failures count under the token (five free)
/// and under all of that person's tokens together (twenty), then the same back-off. The address and IPv6 /64
/// budgets apply as to any login.
///
/// A token is a random nonce, the person's id and when it was issued, with an HMAC of them under a key derived
/// from the server's secret: every server process checks it, no table is needed, it ends after `lifetime`, and
/// a rotated secret key retires them all (the next sign-in issues a new one).
struct DeviceTokens: Sendable {
    private let keyBytes: [UInt8]
    private var key: SymmetricKey { SymmetricKey(data: keyBytes) }
    /// The login page's cookie (without TLS sent to the login form only); the API carries the token in its JSON
    /// (`deviceToken`).
    static func cookie(secure: Bool) -> HostCookie { HostCookie("inboard_device", secure: secure, plainPath: "/login") }
    static let lifetime: Duration = .seconds(365 * 86_400)

    init(key: SymmetricKey) {
        keyBytes = key.withUnsafeBytes { Array($0) }
    }

    /// A token that checked out: whose it is, and the key its own failures count under.
    struct Device: Equatable {
        let person: Int64
        let throttleKey: String
        /// Past half its lifetime: the next sign-in with it gets a new one.
        let dueForRenewal: Bool
        /// The person as the throttle names one ("person:ID"), and that name's account key.
        var personName: String { "person:\(person)" }
        var personKey: String { LoginThrottle.accountKey(personName) }
    }

    /// A new token for `person`.
    func issue(forPerson person: Int64, now: Date = Date()) -> String {
        let nonce = Data((0..<16).map { _ in UInt8.random(in: 0...255) }).base64URLEncoded
        let body = "\(nonce).\(person).\(Int64(now.timeIntervalSince1970))"
        return body + "." + Data(HMAC<SHA256>.authenticationCode(for: Data(body.utf8), using: key)).base64URLEncoded
    }

    /// The device a token names; nil for no token, a malformed, forged or expired one.
    func device(_ token: String?, now: Date = Date()) -> Device? {
        guard let token, token.utf8.count <= 160 else { return nil }
        let parts = token.split(separator: ".", omittingEmptySubsequences: false)
        guard parts.count == 4, let nonce = Data(base64URLEncoded: String(parts[0])), nonce.count == 16,
            let person = Int64(parts[1]), let issued = Int64(parts[2]),
            let mac = Data(base64URLEncoded: String(parts[3])),
            HMAC<SHA256>.isValidAuthenticationCode(
                mac, authenticating: Data(parts[0..<3].joined(separator: ".").utf8), using: key)
        else { return nil }
        let age = now.timeIntervalSince1970 - Double(issued)
        guard age >= -300, age < Double(Self.lifetime.components.seconds) else { return nil }
        return Device(
            person: person, throttleKey: LoginThrottle.accountKey("device:" + parts[0]),
            dueForRenewal: age > Double(Self.lifetime.components.seconds) / 2)
    }
}

extension LoginThrottle.Keys {
    /// This attempt counted under `device` in place of the account (see `throughDevice`).
    func counted(through device: DeviceTokens.Device) -> Self {
        throughDevice(token: device.throttleKey, personName: device.personName)
    }
}
