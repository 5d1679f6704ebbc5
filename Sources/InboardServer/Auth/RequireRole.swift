import Hummingbird
import HTTPTypes
import InboardStore

/// Refuses callers below `minimum`: 401 when nobody is logged in, 403 when the role is too low.
struct RequireRole: RouterMiddleware {
    typealias Context = AppRequestContext
    let minimum: Person.Role

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws
        -> Response
    {
        guard let person = context.identity else {
            throw APIError(
                .unauthorized, code: "unauthorized",
                message: "Log in first: POST /api/v1/auth/login, then send the token as 'Authorization: Bearer TOKEN'.")
        }
        guard person.role >= minimum else {
            throw APIError(
                .forbidden, code: "forbidden",
                message: "This needs the \(minimum.rawValue) role; you are \(person.role.rawValue).")
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
