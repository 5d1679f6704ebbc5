import Foundation
import HTTPTypes
import Hummingbird
import InboardCore
import InboardStore
import Mustache

/// Renders the server-side pages: each page template extends `layout`, which draws the navigation (admin
/// links for admins only), the signed-in person and the CSRF token every form carries.
struct WebRenderer: Sendable {
    let library: MustacheLibrary
    let csrf: CSRFTokens

    init(csrf: CSRFTokens) throws {
        var library = MustacheLibrary()
        MustacheContentTypes.register(ScalarHTMLEscaping(), named: ScalarHTMLEscaping.name)
        // Every template (partials and layouts too: each resets to the library's default) escapes per scalar.
        for (name, text) in embeddedTemplates {
            try library.register("{{% CONTENT_TYPE: \(ScalarHTMLEscaping.name)}}" + text, named: name)
        }
        self.library = library
        self.csrf = csrf
    }

    /// A page for the signed-in person; `model` is the template's own view model, shown inside the layout.
    func page<Model>(
        _ template: String, title: String, section: String, context: AppRequestContext, model: Model,
        notice: String? = nil, problem: String? = nil, status: HTTPResponse.Status = .ok
    ) -> Response {
        let frame = PageFrame(
            title: title, notice: notice, problem: problem, section: section,
            me: context.identity.map {
                PageFrame.Me(id: $0.id, displayName: $0.displayName, username: $0.username, role: $0.role.rawValue)
            },
            isAdmin: (context.identity?.role ?? .user) >= .admin,
            isDelegate: (context.identity?.role ?? .user) >= .delegate,
            csrf: context.token.map { csrf.token(forSession: $0) })
        return html(template, PageView(frame: frame, model: model), status: status)
    }

    /// A template rendered from `view` (a view model, or a `PageView` of one).
    func html<View>(_ template: String, _ view: View, status: HTTPResponse.Status = .ok, headers: HTTPFields = [:])
        -> Response
    {
        let text = library.render(view, withTemplate: template) ?? "template \(template) is missing"
        var fields = headers
        fields[.contentType] = "text/html; charset=utf-8"
        fields[.cacheControl] = "no-store"
        fields[HTTPField.Name("Content-Security-Policy")!] =
            "default-src 'self'; style-src 'self'; style-src-attr 'unsafe-inline'; img-src 'self' data:; frame-ancestors 'none'"
        fields[HTTPField.Name("X-Content-Type-Options")!] = "nosniff"
        return Response(status: status, headers: fields, body: .init(byteBuffer: ByteBuffer(string: text)))
    }
}

/// Turns errors on web routes into pages: not logged in goes to the login page, anything else is an error
/// page with the same message the API would give (never a stack trace).
struct WebErrorMiddleware: RouterMiddleware {
    typealias Context = AppRequestContext
    let renderer: WebRenderer

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws
        -> Response
    {
        do {
            return try await next(request, context)
        } catch let error as APIError where error.status == .unauthorized && request.method == .get {
            let target =
                request.uri.path == "/"
                ? "/login"
                : "/login?next="
                    + (request.uri.path.addingPercentEncoding(withAllowedCharacters: .alphanumerics) ?? "/")
            return Response(status: .seeOther, headers: [.location: target])
        } catch let error as APIError {
            return renderer.page(
                "error", title: "Something needs attention", section: "none", context: context,
                model: ErrorPage(status: Int(error.status.code), message: error.message), status: error.status)
        } catch let error as HTTPError where error.status == .notFound {
            return renderer.page(
                "error", title: "Not found", section: "none", context: context,
                model: ErrorPage(status: 404, message: "There is no page at \(request.uri.path)."), status: .notFound)
        } catch  where DatabaseUnavailable.isUnavailable(error) {
            context.logger.warning(
                "web page: database unavailable",
                metadata: ["path": "\(request.uri.path)", "error": "\(APIErrorMiddleware<Context>.describe(error))"])
            return databasePage(APIError.databaseUnavailable, title: "Back in a moment", context: context)
        } catch  where DatabaseError.isOutOfDiskSpace(error) {
            context.logger.error(
                "web page: database out of disk space",
                metadata: ["path": "\(request.uri.path)", "error": "\(APIErrorMiddleware<Context>.describe(error))"])
            return databasePage(APIError.databaseOutOfSpace, title: "Nothing was saved", context: context)
        } catch {
            context.logger.error("web page failed", metadata: ["path": "\(request.uri.path)", "error": "\(error)"])
            return renderer.page(
                "error", title: "Something went wrong", section: "none", context: context,
                model: ErrorPage(status: 500, message: "The server could not show this page; its log says why."),
                status: .internalServerError)
        }
    }

    /// The page for a database that cannot serve: the API's message, status and Retry-After.
    private func databasePage(_ error: APIError, title: String, context: Context) -> Response {
        var response = renderer.page(
            "error", title: title, section: "none", context: context,
            model: ErrorPage(status: Int(error.status.code), message: error.message), status: error.status)
        response.headers[.retryAfter] = error.headers[.retryAfter]
        return response
    }
}

/// The stylesheet and scripts, compiled into the binary so the pages work offline and need no CDN.
struct StaticFilesController: Sendable {
    func addRoutes(to router: Router<AppRequestContext>) {
        router.get("static/:file") { _, context in
            let name = try context.parameters.require("file")
            guard let text = embeddedStaticFiles[name] else { throw HTTPError(.notFound) }
            let type =
                name.hasSuffix(".css")
                ? "text/css; charset=utf-8" : name.hasSuffix(".js") ? "text/javascript; charset=utf-8" : "image/svg+xml"
            return Response(
                status: .ok, headers: [.contentType: type, .cacheControl: "public, max-age=300"],
                body: .init(byteBuffer: ByteBuffer(string: text)))
        }
    }
}

/// `HTMLEscaping` as swift-mustache's content type for pages.
struct ScalarHTMLEscaping: MustacheContentType {
    static let name = HTMLEscaping.contentTypeName
    func escapeText(_ text: String) -> String { HTMLEscaping.escape(text) }
    static func escape(_ text: String) -> String { HTMLEscaping.escape(text) }
}
