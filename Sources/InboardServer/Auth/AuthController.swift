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
    /// A device token for the person a name leads to counts the attempt instead of the account (`DeviceTokens`).
    func signIn(
        username typed: String, password: String, deviceToken: String?, address: String?, userAgent: String?,
        kind: String
    ) async throws -> SignedIn {
        let username: String
        do { username = try LoginInput.checked(username: typed, password: password) } catch {
            throw APIError(.badRequest, code: "bad_request", message: "The \(error.field) \(error.message).")
        }
        let named = try await throttle.keys(username: username, address: address)
        let device = devices.device(deviceToken)
        // The token counts when the typed name is its person, or names nobody here (a spelling only the
        // directory knows: the entry it finds is counted on its own below).
        let viaDevice = device.flatMap { $0.personKey == named.account || !named.accountIsPerson ? $0 : nil }
        let keys = viaDevice.map(named.counted(through:)) ?? named
        if let wait = try await throttle.beginAttempt(keys) { throw APIError.tooManyAttempts(wait) }
        let person: Person
        let entryKeys = Mutex<LoginThrottle.Keys?>(nil)
        do {
            let throttle = self.throttle
            person = try await login.authenticate(username: username, password: password) { account in
                // The entry the name led to is counted too, under the token when it is the token's person,
                // unless the attempt above already counted it.
                let found = LoginThrottle.accountKey(account)
                let ownDevice = device?.personKey == found
                guard found != named.account, found != viaDevice?.personKey else { return ownDevice }
                let entry = LoginThrottle.Keys(account: found, address: nil)
                let counted = device.flatMap { $0.personKey == found ? entry.counted(through: $0) : nil } ?? entry
                if let wait = try await throttle.beginAttempt(counted) { throw APIError.tooManyAttempts(wait) }
                entryKeys.withLock { $0 = counted }
                return ownDevice
            }
        } catch {
            if !Self.staysCounted(error) {
                try? await throttle.refund(keys)
                if let entry = entryKeys.withLock({ $0 }) { try? await throttle.refund(entry) }
            }
            throw error
        }
        // A device's success clears the device's count, not the account's: the lock someone else ran up stays.
        // Someone else's token keeps the attempt it was charged (clearing it let guesses at its person alternate
        // with one's own logins for ever).
        try await throttle.succeeded(viaDevice == nil || viaDevice?.person == person.id ? keys : named)
        if let entry = entryKeys.withLock({ $0 }) { try await throttle.succeeded(entry) }
        let issued = try await sessions.create(
            personID: person.id, kind: kind, lifetime: Self.lifetime, address: address, userAgent: userAgent)
        // A token past half its life is replaced, so that a device in daily use never meets its end.
        let kept = device.flatMap { $0.person == person.id && !$0.dueForRenewal ? deviceToken : nil }
        return SignedIn(person: person, session: issued, deviceToken: kept ?? devices.issue(forPerson: person.id))
    }

    /// Whether a failed login stays counted: it judged a password or a name (401, 403). One that judged none (the
    /// directory or the database away, the lockout guard refusing before the bind) counts nowhere.
    static func staysCounted(_ error: any Error) -> Bool {
        guard let error = error as? APIError else { return false }
        return error.status == .unauthorized || error.status == .forbidden
    }

    /// The session cookie: HttpOnly, SameSite=Lax, over TLS (see `ClientAddressMiddleware`) a Secure `__Host-` one.
    static func sessionCookie(_ issued: SessionStore.Issued, context: AppRequestContext) -> Cookie {
        let placed = SessionMiddleware.cookie(secure: context.secureTransport)
        return Cookie(
            name: placed.name, value: issued.token, expires: issued.expiresAt, path: placed.path,
            secure: context.secureTransport, httpOnly: true, sameSite: .lax)
    }

    /// The login page's device cookie (see `DeviceTokens.cookie`).
    static func deviceCookie(_ token: String, context: AppRequestContext) -> Cookie {
        let placed = DeviceTokens.cookie(secure: context.secureTransport)
        return Cookie(
            name: placed.name, value: token, maxAge: Int(DeviceTokens.lifetime.components.seconds), path: placed.path,
            secure: context.secureTransport, httpOnly: true, sameSite: .strict)
    }

    /// The session cookie emptied (a `__Host-` one can only be replaced with the same attributes).
    static func clearedSessionCookie(secure: Bool) -> Cookie {
        let placed = SessionMiddleware.cookie(secure: secure)
        return Cookie(
            name: placed.name, value: "", maxAge: 0, path: placed.path, secure: secure, httpOnly: true, sameSite: .lax)
    }

    /// Ends the caller's session and empties its cookie: the API's logout and the page's. Over TLS a session
    /// cookie of the plain name (from before the `__Host-` one, or set over plain HTTP to the same host) is ended
    /// and emptied too: never read over TLS, it would be over HTTP.
    func signOut(_ request: Request, context: AppRequestContext, answer response: inout Response) async throws {
        var tokens = [context.token].compactMap { $0 }
        if context.secureTransport, let plain = request.cookies[SessionMiddleware.cookie(secure: false).name] {
            tokens.append(plain.value)
        }
        for token in tokens { try await sessions.revoke(token: token) }
        for secure in context.secureTransport ? [true, false] : [false] {
            response.headers[values: .setCookie].append(Self.clearedSessionCookie(secure: secure).description)
        }
    }

    @Sendable func logOut(_ request: Request, context: AppRequestContext) async throws -> Response {
        var response = Response(status: .noContent)
        try await signOut(request, context: context, answer: &response)
        return response
    }
}
