import HTTPTypes
import Hummingbird
import InboardCore

/// "Upgrade the server first": a client newer (major.minor) than this server gets 426 with the reason.
struct ClientVersionMiddleware<Context: RequestContext>: RouterMiddleware {
    static var headerName: HTTPField.Name { HTTPField.Name("X-Inboard-Client-Version")! }
    let serverVersion: InboardVersion

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws
        -> Response
    {
        if let header = request.headers[Self.headerName] {
            guard let client = InboardVersion(header) else {
                throw APIError(
                    .badRequest, code: "bad_client_version",
                    message: "X-Inboard-Client-Version '\(header)' is not a version like 1.0.0.0")
            }
            if let message = serverVersion.compatibility(withClient: client).message {
                throw APIError(.upgradeRequired, code: "server_too_old", message: message)
            }
        }
        return try await next(request, context)
    }
}
