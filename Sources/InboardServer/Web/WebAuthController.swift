import Foundation
import Hummingbird
import InboardStore

/// The login page (directory or local admin account) and signing out. The login form has no session yet, so
/// its CSRF token is a random value in a cookie and in the form (double submit).
struct WebAuthController: Sendable {
    let auth: AuthController
    let renderer: WebRenderer

    func addRoutes(to group: RouterGroup<AppRequestContext>) {
        group.get("login") { request, context in
            if context.identity != nil {
                return Self.redirect(to: Self.safeNext(request.uri.queryParameters.get("next")))
            }
            return loginPage(context: context, next: request.uri.queryParameters.get("next") ?? "/")
        }
        group.post("login") { request, context in
            var request = request
            let form = try await request.form(context: context)
            let next = Self.safeNext(form["next"])
            guard let sent = form[CSRFTokens.formField],
                sent == request.cookies[CSRFTokens.loginCookie(secure: context.secureTransport).name]?.value
            else {
                return loginPage(
                    context: context, next: next, username: form["username"],
                    error: "The sign-in form expired. Please try again.", status: .forbidden)
            }
            do {
                let signedIn = try await auth.signIn(
                    username: form["username"] ?? "", password: form.all("password").first ?? "",
                    deviceToken: request.cookies[DeviceTokens.cookie(secure: context.secureTransport).name]?.value,
                    address: context.remoteAddress, userAgent: request.headers[.userAgent], kind: "web")
                var response = Self.redirect(to: next)
                response.headers[values: .setCookie].append(
                    AuthController.sessionCookie(signedIn.session, context: context).description)
                response.headers[values: .setCookie].append(
                    AuthController.deviceCookie(signedIn.deviceToken, context: context).description)
                return response
            } catch let error as APIError {
                return loginPage(
                    context: context, next: next, username: form["username"], error: error.message, status: error.status
                )
            }
        }
        group.post("logout") { request, context in
            var response = Self.redirect(to: "/login")
            try await auth.signOut(request, context: context, answer: &response)
            return response
        }
    }

    func loginPage(
        context: AppRequestContext, next: String, username: String? = nil, error: String? = nil,
        status: HTTPResponse.Status = .ok
    ) -> Response {
        let token = CSRFTokens.randomToken()
        var response = renderer.html(
            "login", LoginPage(loginToken: token, next: next, username: username ?? "", error: error), status: status)
        let placed = CSRFTokens.loginCookie(secure: context.secureTransport)
        response.headers[values: .setCookie].append(
            Cookie(
                name: placed.name, value: token, maxAge: 3600, path: placed.path, secure: context.secureTransport,
                httpOnly: true, sameSite: .strict
            ).description)
        return response
    }

    /// Only a path on this site: an absolute or protocol-relative URL would make the login an open redirect.
    /// Browsers drop tabs and newlines from URLs and read `\` as `/`, so `/\t/evil.example` or `/\evil.example`
    /// would go to another site: only printable ASCII without `\`, starting with one `/`, also once more decoded.
    static func safeNext(_ next: String?) -> String {
        guard let next, isSameSitePath(next), isSameSitePath(next.removingPercentEncoding ?? "//") else { return "/" }
        return next
    }

    private static func isSameSitePath(_ path: String) -> Bool {
        guard path.hasPrefix("/"), !path.hasPrefix("//") else { return false }
        return path.unicodeScalars.allSatisfy { $0.value > 0x20 && $0.value < 0x7F && $0 != "\\" }
    }

    static func redirect(to path: String) -> Response {
        Response(status: .seeOther, headers: [.location: path])
    }
}

/// The sign-in form: its double-submit token, where to go after, the name typed so far and why it failed.
struct LoginPage {
    let title = "Sign in"
    let loginToken: String
    let next: String
    let username: String
    let error: String?
}
