import Foundation
import HTTPTypes
import Hummingbird
import InboardStore

/// Every error the API answers: `{"error":{"code","message"}}`, never a stack trace.
public struct APIError: HTTPResponseError, Sendable {
    public let status: HTTPResponse.Status
    public let code: String
    public let message: String
    public var headers: HTTPFields = [:]

    public init(_ status: HTTPResponse.Status, code: String, message: String, headers: HTTPFields = [:]) {
        self.status = status
        self.code = code
        self.message = message
        self.headers = headers
    }

    /// PostgreSQL is away (restarting, stopped, unreachable): retry shortly. Says nothing of where it is.
    public static let databaseUnavailable = APIError(
        .serviceUnavailable, code: "database_unavailable",
        message: "The database is unavailable right now; try again in a few seconds.", headers: [.retryAfter: "2"])

    struct Body: Encodable {
        struct Detail: Encodable { let code: String; let message: String }
        let error: Detail
    }

    public func response(from request: Request, context: some RequestContext) throws -> Response {
        // the same error, byte for byte
        let data = try APIJSON.makeEncoder().encode(Body(error: .init(code: code, message: message)))
        var fields = headers
        fields[.contentType] = "application/json; charset=utf-8"
        return Response(status: status, headers: fields, body: .init(byteBuffer: ByteBuffer(bytes: data)))
    }
}

/// Turns Hummingbird's own errors (unknown route, bad method, undecodable body) into `APIError`s.
struct APIErrorMiddleware<Context: RequestContext>: RouterMiddleware {
    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws
        -> Response
    {
        do {
            return try await next(request, context)
        } catch let error as APIError {
            throw error
        } catch let error as HTTPError {
            throw APIError(
                error.status, code: Self.code(for: error.status), message: error.body ?? error.status.reasonPhrase)
        } catch let error as any HTTPResponseError {
            throw APIError(error.status, code: Self.code(for: error.status), message: error.status.reasonPhrase)
        } catch  where DatabaseUnavailable.isUnavailable(error) {
            context.logger.warning("database unavailable", metadata: ["error": "\(Self.describe(error))"])
            throw APIError.databaseUnavailable
        } catch {
            // PostgreSQL's errors hide their details from descriptions on purpose: log the server's own message.
            let detail = Self.describe(error)
            context.logger.error("unhandled error", metadata: ["error": "\(detail)"])
            throw APIError(
                .internalServerError, code: "internal",
                message:
                    "The server failed to handle this request; the details are in its log under request \(context.id).")
        }
    }

    /// What the log says of an unexpected error (PostgreSQL's own message for database errors).
    static func describe(_ error: any Error) -> String { DatabaseError.logDetail(error) }

    static func code(for status: HTTPResponse.Status) -> String {
        switch status {
        case .notFound: return "not_found"
        case .methodNotAllowed: return "method_not_allowed"
        case .badRequest: return "bad_request"
        case .unauthorized: return "unauthorized"
        case .forbidden: return "forbidden"
        default: return "http_\(status.code)"
        }
    }
}
