import Crypto
import Foundation
import HTTPTypes
import Hummingbird
import InboardStore

/// Refuses a state-changing request made with the session cookie unless it carries the session's CSRF token
/// (form field `_csrf` or header `X-CSRF-Token`). Bearer-token callers are not browsers riding a cookie.
struct CSRFMiddleware: RouterMiddleware {
    typealias Context = AppRequestContext
    let tokens: CSRFTokens

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws
        -> Response
    {
        guard context.viaCookie, let session = context.token, ![.get, .head, .options].contains(request.method) else {
            return try await next(request, context)
        }
        var request = request
        var candidate = request.headers[CSRFTokens.header]
        if candidate == nil, request.headers[.contentType]?.hasPrefix("application/x-www-form-urlencoded") == true {
            candidate = try await request.form(context: context)[CSRFTokens.formField]
        }
        guard tokens.isValid(candidate, forSession: session) else {
            throw APIError(
                .forbidden, code: "csrf_failed",
                message: "This form has expired or was sent from another site. Reload the page and try again.")
        }
        return try await next(request, context)
    }
}
