import InboardCore
import Hummingbird
import HTTPTypes
import InboardStore

/// Finds the caller from `Authorization: Bearer TOKEN` or the session cookie (`inboard_session`, over TLS
/// `__Host-inboard_session`). A request without a valid token goes on anonymous; routes that need someone say so
/// with `RequireRole`.
struct SessionMiddleware: RouterMiddleware {
    typealias Context = AppRequestContext
    static func cookie(secure: Bool) -> HostCookie { HostCookie("inboard_session", secure: secure) }
    let sessions: any SessionStoring

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws
        -> Response
    {
        var context = context
        if let (token, viaCookie) = Self.token(in: request, secure: context.secureTransport),
            let found = try await sessions.person(forToken: token)
        {
            context.identity = found.person
            context.token = token
            context.sessionID = found.sessionID
            context.viaCookie = viaCookie
        }
        return try await next(request, context)
    }

    /// The bearer token, else the session cookie's, and whether it was the cookie.
    static func token(in request: Request, secure: Bool) -> (token: String, viaCookie: Bool)? {
        // On the bytes, without Foundation: this runs for every request.
        if let header = request.headers[.authorization], header.utf8.count >= 7,
            header.utf8.prefix(7).map(ASCII.lowercased).elementsEqual("bearer ".utf8)
        {
            let isBlank = { (byte: UInt8) in byte == UInt8(ascii: " ") || byte == UInt8(ascii: "\t") }
            let value = header.utf8.dropFirst(7).drop(while: isBlank)
            let token = String(Substring(value.prefix(value.count - value.reversed().prefix(while: isBlank).count)))
            return token.isEmpty ? nil : (token, false)
        }
        return request.cookies[cookie(secure: secure).name].map { ($0.value, true) }
    }
}
