import Foundation
import Hummingbird
import InboardStore
import Logging
import Mailer

/// The Notifications admin page: SMTP server, security, CA, credentials (password write-only), sender,
/// quiet hours and which events send mail; "Send test email" with the server's own answer; each event's
/// templates with a preview; the outbox's counts, retries and dead letters (send again).
struct AdminNotificationsPage: Sendable {
    let store: SMTPSettingsStore
    let templates: MailTemplateStore
    let outbox: Outbox
    let renderer: WebRenderer
    let logger: Logger

    /// Values each event's preview is rendered with.
    nonisolated(unsafe) static let samples: [String: [String: Any]] = [  // immutable after start-up
        "note": ["from": "Ann Admin", "body": "Can you call me about the Lyon visit?", "recipientName": "Bob Bright"],
        "watch": [
            "displayName": "Cat Côté", "status": ["type": "Remote", "note": "home office"],
            "returnText": "Thu 26 Nov 09:00", "recipientName": "Bob Bright",
        ],
        "watch.digest": [
            "recipientName": "Bob Bright", "count": 2,
            "changes": [
                ["displayName": "Cat Côté", "status": ["type": "Remote", "note": "home office"]],
                ["displayName": "Dan Dubois", "status": ["type": "Out"], "returnText": "Thu 26 Nov 14:00"],
            ],
        ],
        "sync.held": [
            "run": 42,
            "reason": "this run would disable 180 of 200 active people (90%), more than the guard allows (10%)",
        ],
        "sync.failed": ["run": 43, "error": "cannot reach the directory at ldaps://dc1.example.com:636"],
    ]

    func addRoutes(to group: RouterGroup<AppRequestContext>) {
        let admin = group.requiring(.admin)
        admin.get("admin/notifications") { request, context in
            try await page(
                try await store.load() ?? SMTPSettings(), context: context,
                notice: request.uri.queryParameters.get("saved").map { "Saved: \($0)." })
        }
        admin.post("admin/notifications") { request, context in
            var request = request
            let form = try await request.form(context: context)
            var settings = SMTPSettings(
                enabled: form.has("enabled"), host: form["host"] ?? "", port: Int(form["port"] ?? "") ?? -1,
                security: SMTPSettings.Security(rawValue: form["security"] ?? "") ?? .starttls,
                username: form["username"],
                fromAddress: form["fromAddress"] ?? "", fromName: form["fromName"] ?? "Inboard",
                events: Dictionary(
                    uniqueKeysWithValues: SMTPSettings.eventNames.map { ($0.key, form.has("event." + $0.key)) }),
                caFile: form["caFile"], quietHours: form["quietHours"])
            settings.password = form.all("password").first.flatMap { $0.isEmpty ? nil : $0 }
            let me = try context.requireIdentity()
            if form["action"] == "test" {
                let stored = try await store.load()
                do { settings = try settings.withStoredPassword(from: stored) } catch {
                    return try await page(
                        settings, context: context, problem: "\(error)", status: .unprocessableContent)
                }
                guard let to = form["testTo"] else {
                    return try await page(
                        settings, context: context, problem: "Give an address to send the test message to.",
                        status: .unprocessableContent)
                }
                switch await MailTester.send(with: settings, to: to, sentBy: me.displayName, logger: logger) {
                case let .success(reply):
                    return try await page(
                        settings, context: context, notice: "Test message sent to \(to). The server said: \(reply)",
                        testTo: to)
                case let .failure(error):
                    return try await page(
                        settings, context: context, problem: "The test message was not sent: \(error)",
                        status: .badGateway, testTo: to)
                }
            }
            do {
                try await store.save(settings, by: me.username, from: context.remoteAddress)
            } catch let error as SMTPSettingsError {
                return try await page(
                    settings, context: context, problem: error.description, status: .unprocessableContent)
            }
            return WebAuthController.redirect(to: "/admin/notifications?saved=settings")
        }
        admin.post("admin/notifications/templates/:event") { request, context in
            var request = request
            let event = try context.parameters.require("event")
            guard Self.samples[event] != nil else {
                throw APIError(.notFound, code: "not_found", message: "There is no mail event \(event).")
            }
            let form = try await request.form(context: context)
            let template = MailTemplate(
                subject: form.all("subject").first ?? "", text: form.all("text").first ?? "",
                html: form.all("html").first ?? "")
            do {
                if form["action"] == "save" {
                    try await templates.save(template, for: event, by: try context.requireIdentity().username)
                    return WebAuthController.redirect(to: "/admin/notifications?saved=\(event)+template")
                }
                let rendered = try MailTemplates(overrides: [event: template]).render(
                    event, values: Self.samples[event] ?? [:])
                return try await page(
                    try await store.load() ?? SMTPSettings(), context: context,
                    preview: (event, template, rendered.subject, rendered.text, rendered.html))
            } catch let error as MailTemplateError {
                return try await page(
                    try await store.load() ?? SMTPSettings(), context: context, problem: error.description,
                    status: .unprocessableContent)
            }
        }
        admin.post("admin/notifications/outbox/:id/requeue") { _, context in
            let id = try context.parameters.require("id", as: Int64.self)
            guard try await outbox.requeue(id) else {
                throw APIError(.conflict, code: "not_dead", message: "Message \(id) is not a dead letter.")
            }
            return WebAuthController.redirect(to: "/admin/notifications?saved=message+\(id)+queued+again")
        }
    }

    func page(
        _ settings: SMTPSettings, context: AppRequestContext, notice: String? = nil, problem: String? = nil,
        status: HTTPResponse.Status = .ok,
        testTo: String? = nil,
        preview: (event: String, template: MailTemplate, subject: String, text: String, html: String)? = nil
    ) async throws -> Response {
        let templates = try await self.templates.load()
        let counts = try await outbox.counts()
        let labels = [
            "none": "None (port 25, plain text)", "starttls": "STARTTLS (port 587)",
            "tls": "TLS from the start (port 465)",
        ]
        let problems = try await outbox.problems(limit: 20).map {
            NotificationsPage.Problem(
                id: $0.id, event: $0.event, state: $0.state, dead: $0.state == "dead", attempts: $0.attempts,
                error: $0.error, when: WebFormat.shortTime($0.createdAt))
        }
        let model = NotificationsPage(
            enabled: settings.enabled, host: settings.host, port: settings.port, username: settings.username ?? "",
            fromAddress: settings.fromAddress, fromName: settings.fromName, passwordSet: settings.password != nil,
            caFile: settings.caFile ?? "", quietHours: settings.quietHours ?? "",
            testTo: testTo ?? context.identity?.email ?? "",
            security: SMTPSettings.Security.allCases.map {
                .init(value: $0.rawValue, label: labels[$0.rawValue] ?? $0.rawValue, selected: $0 == settings.security)
            },
            events: SMTPSettings.eventNames.map {
                .init(key: $0.key, label: $0.label, on: settings.events[$0.key] ?? false)
            },
            counts: ["pending", "sending", "sent", "dead", "skipped"].map { .init(state: $0, count: counts[$0] ?? 0) },
            problems: problems, hasProblems: !problems.isEmpty,
            templates: MailTemplates.events.filter { Self.samples[$0.event] != nil }.map { event in
                let previewed = preview?.event == event.event ? preview : nil
                let template = previewed?.template ?? templates.template(for: event.event)!
                return .init(
                    event: event.event, label: event.label, subject: template.subject, text: template.text,
                    html: template.html,
                    preview: previewed.map { .init(subject: $0.subject, text: $0.text, html: $0.html) },
                    open: previewed != nil)
            })
        return renderer.page(
            "admin-notifications", title: "Notifications", section: "notifications", context: context,
            model: model, notice: notice, problem: problem, status: status)
    }
}
