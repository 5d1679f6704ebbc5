import Foundation
import Hummingbird
import HTTPTypes
import InboardStore

/// `POST /auth/login`, `POST /auth/logout`, `GET /me`.
struct AuthController: Sendable {
    let login: LoginService
    let sessions: SessionStore
    let throttle: LoginThrottle
    static let lifetime: Duration = .seconds(12 * 3600)

    struct Credentials: Decodable, KnownFields {
        let username: String
        let password: String
        static let fields: Set<String> = ["username", "password"]
    }
    struct LoginAnswer: Encodable { let token: String; let expiresAt: Date; let person: Person }

    func addRoutes(to group: RouterGroup<AppRequestContext>) {
        group.post("auth/login", use: logIn)
        group.post("auth/logout", use: logOut)
        group.requiring(.user).get("me") { _, context in
            try JSONResponse(context.identity)
        }
    }

    @Sendable func logIn(_ request: Request, context: AppRequestContext) async throws -> Response {
        let credentials = try await request.decodeJSON(as: Credentials.self, context: context)
        let standing = try await throttle.standing(username: credentials.username, address: context.remoteAddress)
        if let wait = standing.wait {
            throw APIError(.tooManyRequests, code: "too_many_attempts",
                           message: "Too many failed logins; try again in \(wait) seconds.", headers: [.retryAfter: String(wait)])
        }
        let person: Person
        do {
            person = try await login.authenticate(username: credentials.username, password: credentials.password)
        } catch let error as APIError where error.status == .unauthorized || error.status == .forbidden {
            try await throttle.recordFailure(username: credentials.username, address: context.remoteAddress)
            throw error
        }
        if standing.usernameHasFailures { try await throttle.recordSuccess(username: credentials.username) }
        let issued = try await sessions.create(personID: person.id, kind: "api", lifetime: Self.lifetime,
                                               address: context.remoteAddress, userAgent: request.headers[.userAgent])
        var response = try JSONResponse(LoginAnswer(token: issued.token, expiresAt: issued.expiresAt, person: person))
        let secure = request.uri.scheme == .https || request.headers[.init("X-Forwarded-Proto")!] == "https"
        let cookie = Cookie(name: SessionMiddleware.cookieName, value: issued.token, expires: issued.expiresAt, path: "/",
                            secure: secure, httpOnly: true, sameSite: .lax)
        response.headers[values: .setCookie].append(cookie.description)
        return response
    }

    @Sendable func logOut(_ request: Request, context: AppRequestContext) async throws -> Response {
        if let token = context.token { try await sessions.revoke(token: token) }
        var response = Response(status: .noContent)
        response.headers[values: .setCookie].append(Cookie(name: SessionMiddleware.cookieName, value: "", maxAge: 0, path: "/", httpOnly: true, sameSite: .lax).description)
        return response
    }
}
