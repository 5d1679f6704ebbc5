import Foundation
import Hummingbird
import HTTPTypes
import InboardCore
import InboardStore
import Synchronization

/// `POST /auth/login`, `POST /auth/logout`, `GET /me`.
struct AuthController: Sendable {
    let login: LoginService
    let sessions: any SessionStoring
    let throttle: LoginThrottle
    let devices: DeviceTokens
    static let lifetime: Duration = .seconds(12 * 3600)

    struct Credentials: Decodable, KnownFields {
        let username: String
        let password: String
        /// The `deviceToken` of an earlier login to this account from this client (see `DeviceTokens`).
        let deviceToken: String?
        static let fields: Set<String> = ["username", "password", "deviceToken"]
    }
    struct LoginAnswer: Encodable {
        let token: String
        let expiresAt: Date
        let person: Person
        let deviceToken: String
    }
    /// A login's outcome: the person, their new session, and the device token this client keeps.
    struct SignedIn {
        let person: Person
        let session: SessionStore.Issued
        let deviceToken: String
    }

    func addRoutes(to group: RouterGroup<AppRequestContext>) {
        group.post("auth/login", use: logIn)
        group.post("auth/logout", use: logOut)
        group.requiring(.user).get("me") { _, context in
            try JSONResponse(context.identity)
        }
    }

    /// The API's login answers a token and sets no cookie: a cookie set here could be planted by a cross-site
    /// form (login CSRF); only the login page, with its double-submit token, signs a browser in.
    @Sendable func logIn(_ request: Request, context: AppRequestContext) async throws -> Response {
        let credentials = try await request.decodeJSON(as: Credentials.self, context: context)
        let signedIn = try await signIn(
            username: credentials.username, password: credentials.password, deviceToken: credentials.deviceToken,
            address: context.remoteAddress, userAgent: request.headers[.userAgent], kind: "api")
        return try JSONResponse(
            LoginAnswer(
                token: signedIn.session.token, expiresAt: signedIn.session.expiresAt, person: signedIn.person,
                deviceToken: signedIn.deviceToken))
    }

    /// Check the input, throttle, authenticate, open a session: the API and the login page share every step.
    /// A device token issued for the account replaces the account's counter with its own (`DeviceTokens`).
    func signIn(
        username typed: String, password: String, deviceToken: String?, address: String?, userAgent: String?,
        kind: String
    ) async throws -> SignedIn {
        let username: String
        do { username = try LoginInput.checked(username: typed, password: password) } catch {
            throw APIError(.badRequest, code: "bad_request", message: "The \(error.field) \(error.message).")
        }
        let named = try await throttle.keys(username: username, address: address)
        let keys =
            devices.throttleKey(deviceToken, account: named.account).map {
                LoginThrottle.Keys(account: $0, address: named.address, network: named.network)
            } ?? named
        if let wait = try await throttle.beginAttempt(keys) { throw Self.tooManyAttempts(wait) }
        let person: Person
        let entryKey = Mutex<String?>(nil)
        do {
            let throttle = self.throttle, devices = self.devices
            person = try await login.authenticate(username: username, password: password) { account in
                // The entry the name led to is counted too (under the device's key when the token is for it),
                // when the typed name did not already resolve to it.
                let found = LoginThrottle.accountKey(account)
                guard found != named.account else { return }
                let key = devices.throttleKey(deviceToken, account: found) ?? found
                if let wait = try await throttle.beginAttempt(account: key) { throw Self.tooManyAttempts(wait) }
                entryKey.withLock { $0 = key }
            }
        } catch let error as APIError where error.status == .unauthorized || error.status == .forbidden {
            throw error  // the attempt stays counted
        } catch {
            try? await throttle.refund(keys)  // no password was judged (directory or database away)
            throw error
        }
        // A device's success clears the device's count, not the account's: the lock someone else ran up stays.
        try await throttle.succeeded(keys)
        if let key = entryKey.withLock({ $0 }) {
            try await throttle.succeeded(LoginThrottle.Keys(account: key, address: nil))
        }
        let issued = try await sessions.create(
            personID: person.id, kind: kind, lifetime: Self.lifetime, address: address, userAgent: userAgent)
        let account = LoginThrottle.accountKey("person:\(person.id)")
        let kept = deviceToken.flatMap { devices.throttleKey($0, account: account) == nil ? nil : $0 }
        return SignedIn(person: person, session: issued, deviceToken: kept ?? devices.issue(forAccount: account))
    }

    static func tooManyAttempts(_ wait: Int) -> APIError {
        APIError(
            .tooManyRequests, code: "too_many_attempts",
            message: "Too many failed logins; try again in \(wait) seconds.",
            headers: [.retryAfter: String(wait)])
    }

    /// The session cookie: HttpOnly, SameSite=Lax, Secure when the client came over TLS (see `ClientAddressMiddleware`).
    static func sessionCookie(_ issued: SessionStore.Issued, context: AppRequestContext) -> Cookie {
        Cookie(
            name: SessionMiddleware.cookieName, value: issued.token, expires: issued.expiresAt, path: "/",
            secure: context.secureTransport, httpOnly: true, sameSite: .lax)
    }

    /// The login page's device cookie: sent back only to the login form's address.
    static func deviceCookie(_ token: String, context: AppRequestContext) -> Cookie {
        Cookie(
            name: DeviceTokens.cookieName, value: token, maxAge: Int(DeviceTokens.lifetime.components.seconds),
            path: "/login", secure: context.secureTransport, httpOnly: true, sameSite: .strict)
    }

    static let clearedSessionCookie = Cookie(
        name: SessionMiddleware.cookieName, value: "", maxAge: 0, path: "/", httpOnly: true, sameSite: .lax)

    @Sendable func logOut(_ request: Request, context: AppRequestContext) async throws -> Response {
        if let token = context.token { try await sessions.revoke(token: token) }
        var response = Response(status: .noContent)
        response.headers[values: .setCookie].append(Self.clearedSessionCookie.description)
        return response
    }
}
