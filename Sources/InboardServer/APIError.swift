import Foundation
import HTTPTypes
import Hummingbird
import InboardStore
import Logging

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

    /// PostgreSQL's disk is full: nothing was saved. 503 (not 507): the change is worth retrying unchanged once
    /// space returns, and clients queue a 503 as an outage. Says nothing of where the database is.
    public static let databaseOutOfSpace = APIError(
        .serviceUnavailable, code: "database_full",
        message:
            "The database has run out of disk space, so nothing was saved; an administrator must free space. "
            + "Try again later.",
        headers: [.retryAfter: "30"])

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
            if error.status == .notFound, let refusal = Self.methodNotAllowed(request) { throw refusal }
            throw APIError(
                error.status, code: Self.code(for: error.status), message: error.body ?? error.status.reasonPhrase)
        } catch let error as any HTTPResponseError {
            throw APIError(error.status, code: Self.code(for: error.status), message: error.status.reasonPhrase)
        } catch  where DatabaseUnavailable.isUnavailable(error) {
            // A message PostgresNIO did not expect is an ended backend in practice, but could be a protocol fault.
            let level: Logger.Level = DatabaseUnavailable.mayBeAProtocolFault(error) ? .error : .warning
            context.logger.log(level: level, "database unavailable", metadata: ["error": "\(Self.describe(error))"])
            throw APIError.databaseUnavailable
        } catch  where DatabaseError.isOutOfDiskSpace(error) {
            context.logger.error("database out of disk space", metadata: ["error": "\(Self.describe(error))"])
            throw APIError.databaseOutOfSpace
        } catch  where DatabaseError.isOutOfRange(error) {
            // A number past what its column holds (a sort order of 2^45): the caller's value, not a server fault.
            throw APIError(
                .unprocessableContent, code: "out_of_range",
                message: "A value is too large for what it is stored in: \(Self.describe(error)).")
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

    /// A documented path asked with a method it does not have: 405 naming the ones it has (RFC 9110 15.5.6).
    static func methodNotAllowed(_ request: Request) -> APIError? {
        guard let allowed = OpenAPIRoutes.documented.methods(forPath: request.uri.path),
            !allowed.contains(request.method.rawValue)
        else { return nil }
        let list = allowed.joined(separator: ", ")
        return APIError(
            .methodNotAllowed, code: "method_not_allowed",
            message: "\(request.method.rawValue) is not allowed on \(request.uri.path); use \(list).",
            headers: [.allow: list])
    }

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

extension APIError {
    /// A login refused before its password is judged: by the throttle, or near the directory's own lockout. One
    /// answer for both, so that neither says which it was.
    static func tooManyAttempts(_ wait: Int) -> APIError {
        APIError(
            .tooManyRequests, code: "too_many_attempts",
            message: "Too many failed logins; try again in \(wait) seconds.",
            headers: [.retryAfter: String(wait)])
    }
}
