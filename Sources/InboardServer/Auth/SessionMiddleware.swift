import Hummingbird
import HTTPTypes
import InboardStore

/// Finds the caller from `Authorization: Bearer TOKEN` or the `inboard_session` cookie. A request without a
/// valid token goes on anonymous; routes that need someone say so with `RequireRole`.
struct SessionMiddleware: RouterMiddleware {
    typealias Context = AppRequestContext
    static let cookieName = "inboard_session"
    let sessions: SessionStore

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        var context = context
        if let (token, viaCookie) = Self.token(in: request), let found = try await sessions.person(forToken: token) {
            context.identity = found.person
            context.token = token
            context.sessionID = found.sessionID
            context.viaCookie = viaCookie
        }
        return try await next(request, context)
    }

    /// The bearer token, else the session cookie's, and whether it was the cookie.
    static func token(in request: Request) -> (token: String, viaCookie: Bool)? {
        if let header = request.headers[.authorization], header.lowercased().hasPrefix("bearer ") {
            let token = header.dropFirst(7).trimmingCharacters(in: .whitespaces)
            return token.isEmpty ? nil : (token, false)
        }
        return request.cookies[cookieName].map { ($0.value, true) }
    }
}

/// Refuses callers below `minimum`: 401 when nobody is logged in, 403 when the role is too low.
struct RequireRole: RouterMiddleware {
    typealias Context = AppRequestContext
    let minimum: Person.Role

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        guard let person = context.identity else {
            throw APIError(.unauthorized, code: "unauthorized", message: "Log in first: POST /api/v1/auth/login, then send the token as 'Authorization: Bearer TOKEN'.")
        }
        guard person.role >= minimum else {
            throw APIError(.forbidden, code: "forbidden", message: "This needs the \(minimum.rawValue) role; you are \(person.role.rawValue).")
        }
        return try await next(request, context)
    }
}

extension RouterGroup where Context == AppRequestContext {
    /// A subgroup whose routes need `role` (a subgroup: adding middleware to a group changes it for every
    /// route added to it later).
    func requiring(_ role: Person.Role) -> RouterGroup<Context> {
        group().add(middleware: RequireRole(minimum: role))
    }
}
