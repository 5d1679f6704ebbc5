import Foundation
import Hummingbird
import InboardStore

/// The Notifications admin page: SMTP server, security, credentials (password write-only), sender, and
/// which events send mail. Sending (and "send test email") comes with the mail module.
struct AdminNotificationsPage: Sendable {
    let store: SMTPSettingsStore
    let renderer: WebRenderer

    func addRoutes(to group: RouterGroup<AppRequestContext>) {
        let admin = group.requiring(.admin)
        admin.get("admin/notifications") { request, context in
            page(try await store.load() ?? SMTPSettings(), context: context,
                 notice: request.uri.queryParameters.get("saved") != nil ? "Notification settings saved." : nil)
        }
        admin.post("admin/notifications") { request, context in
            var request = request
            let form = try await request.form(context: context)
            var settings = SMTPSettings(
                enabled: form.has("enabled"), host: form["host"] ?? "", port: Int(form["port"] ?? "") ?? -1,
                security: SMTPSettings.Security(rawValue: form["security"] ?? "") ?? .starttls, username: form["username"],
                fromAddress: form["fromAddress"] ?? "", fromName: form["fromName"] ?? "Inboard",
                events: Dictionary(uniqueKeysWithValues: SMTPSettings.eventNames.map { ($0.key, form.has("event." + $0.key)) }))
            settings.password = form.all("password").first.flatMap { $0.isEmpty ? nil : $0 }
            do {
                try await store.save(settings, by: try context.requireIdentity().username, from: context.remoteAddress)
            } catch let error as SMTPSettingsError {
                return page(settings, context: context, problem: error.description, status: .unprocessableContent)
            }
            return WebAuthController.redirect(to: "/admin/notifications?saved=1")
        }
    }

    func page(_ settings: SMTPSettings, context: AppRequestContext, notice: String? = nil, problem: String? = nil, status: HTTPResponse.Status = .ok) -> Response {
        let values: [String: Any] = [
            "enabled": settings.enabled, "host": settings.host, "port": settings.port, "username": settings.username ?? "",
            "fromAddress": settings.fromAddress, "fromName": settings.fromName, "passwordSet": settings.password != nil,
            "security": SMTPSettings.Security.allCases.map { ["value": $0.rawValue, "selected": $0 == settings.security,
                                                               "label": ["none": "None (port 25, plain text)", "starttls": "STARTTLS (port 587)", "tls": "TLS from the start (port 465)"][$0.rawValue]!] },
            "events": SMTPSettings.eventNames.map { ["key": $0.key, "label": $0.label, "on": settings.events[$0.key] ?? false] },
        ]
        return renderer.page("admin-notifications", title: "Notifications", section: "notifications", context: context,
                             values: values, notice: notice, problem: problem, status: status)
    }
}
