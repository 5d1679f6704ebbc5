import Hummingbird
import HTTPTypes
import InboardCore

/// Finds the real client behind trusted reverse proxies, and whether it came over TLS; with an https public
/// URL, every answer carries HSTS.
struct ClientAddressMiddleware: RouterMiddleware {
    typealias Context = AppRequestContext
    let trusted: TrustedProxies
    let publicURLIsHTTPS: Bool

    static let forwardedFor = HTTPField.Name("X-Forwarded-For")!
    static let forwardedProto = HTTPField.Name("X-Forwarded-Proto")!
    static let hsts = HTTPField.Name("Strict-Transport-Security")!

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws
        -> Response
    {
        var context = context
        let peer = context.remoteAddress
        let viaTrustedProxy = peer.map(trusted.trusts) ?? false
        if viaTrustedProxy {
            context.remoteAddress = trusted.clientAddress(
                peer: peer, forwardedFor: request.headers[values: Self.forwardedFor].joined(separator: ","))
        }
        context.secureTransport =
            publicURLIsHTTPS || request.uri.scheme == .https
            || (viaTrustedProxy && request.headers[Self.forwardedProto]?.lowercased() == "https")
        var response = try await next(request, context)
        if publicURLIsHTTPS { response.headers[Self.hsts] = "max-age=31536000" }
        return response
    }
}
