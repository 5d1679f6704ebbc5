import Foundation
import InboardCore
import Mustache

/// The subject, text and HTML of each event's mail, as swift-mustache templates. The defaults below apply
/// until an admin saves their own (settings key `mail_templates`); `{{…}}` values are HTML-escaped in the
/// HTML part and the text part alike is plain.
public struct MailTemplate: Codable, Sendable, Equatable {
    public var subject: String
    public var text: String
    public var html: String

    public init(subject: String, text: String, html: String) {
        self.subject = subject
        self.text = text
        self.html = html
    }
}

public struct MailTemplates: Sendable {
    /// The events that send mail, their settings key, and what they are called on the admin page.
    public static let events: [(event: String, settingsKey: String, label: String)] = [
        ("note", "noteLeft", "A note is left for someone"),
        ("watch", "watchChanged", "A watched colleague's status changes"),
        ("watch.digest", "watchChanged", "Hourly digest of watched colleagues' changes (for people who chose it)"),
        ("sync.held", "syncHeld", "A directory sync is held by the mass-disable guard (to admins)"),
        ("sync.failed", "syncFailed", "A directory sync fails (to admins)"),
        ("test", "", "Test message"),
    ]

    public static let defaults: [String: MailTemplate] = [
        "note": MailTemplate(
            subject: "{{from}} left you a note",
            text: "Hello {{recipientName}},\n\n{{from}} left you a note on Inboard:\n\n{{body}}\n\n-- \nInboard",
            html:
                "<p>Hello {{recipientName}},</p><p><strong>{{from}}</strong> left you a note on Inboard:</p><blockquote>{{body}}</blockquote><p style=\"color:#666\">Inboard</p>"
        ),
        "watch": MailTemplate(
            subject: "{{displayName}} is now {{status.type}}",
            text:
                "Hello {{recipientName}},\n\n{{displayName}} is now {{status.type}}.{{#status.note}}\nNote: {{status.note}}{{/status.note}}{{#returnText}}\nBack: {{returnText}}{{/returnText}}\n\n-- \nInboard (you watch {{displayName}})",
            html:
                "<p>Hello {{recipientName}},</p><p><strong>{{displayName}}</strong> is now <strong>{{status.type}}</strong>.</p>{{#status.note}}<p>Note: {{status.note}}</p>{{/status.note}}{{#returnText}}<p>Back: {{returnText}}</p>{{/returnText}}<p style=\"color:#666\">Inboard (you watch {{displayName}})</p>"
        ),
        "watch.digest": MailTemplate(
            subject: "{{count}} changes among the people you watch",
            text:
                "Hello {{recipientName}},\n\n{{#changes}}- {{displayName}} is now {{status.type}}{{#status.note}} ({{status.note}}){{/status.note}}{{#returnText}}, back {{returnText}}{{/returnText}}\n{{/changes}}\n-- \nInboard (hourly digest)",
            html:
                "<p>Hello {{recipientName}},</p><ul>{{#changes}}<li><strong>{{displayName}}</strong> is now <strong>{{status.type}}</strong>{{#status.note}} ({{status.note}}){{/status.note}}{{#returnText}}, back {{returnText}}{{/returnText}}</li>{{/changes}}</ul><p style=\"color:#666\">Inboard (hourly digest)</p>"
        ),
        "sync.held": MailTemplate(
            subject: "Inboard held directory sync run {{run}}",
            text:
                "Directory sync run {{run}} was held and changed nothing:\n\n{{reason}}\n\nIf this is right, approve it on the Sync page or with 'inboard sync --approve {{run}}'.\n\n-- \nInboard",
            html:
                "<p>Directory sync run {{run}} was held and changed nothing:</p><blockquote>{{reason}}</blockquote><p>If this is right, approve it on the Sync page or with <code>inboard sync --approve {{run}}</code>.</p>"
        ),
        "sync.failed": MailTemplate(
            subject: "Inboard directory sync run {{run}} failed",
            text: "Directory sync run {{run}} failed and changed nothing:\n\n{{error}}\n\n-- \nInboard",
            html: "<p>Directory sync run {{run}} failed and changed nothing:</p><blockquote>{{error}}</blockquote>"),
        "test": MailTemplate(
            subject: "Inboard test message",
            text: "This is a test message from Inboard, sent by {{sentBy}}. Mail works.\n\n-- \nInboard",
            html: "<p>This is a test message from Inboard, sent by {{sentBy}}. Mail works.</p>"),
    ]

    let overrides: [String: MailTemplate]
    /// Parsed once per set of templates (a batch renders hundreds of messages from the same few).
    private let parsed: [String: Result<MustacheTemplate, MailTemplateError>]

    public init(overrides: [String: MailTemplate] = [:]) {
        self.overrides = overrides
        MustacheContentTypes.register(ScalarHTMLMailEscaping(), named: HTMLEscaping.contentTypeName)
        var parsed: [String: Result<MustacheTemplate, MailTemplateError>] = [:]
        for (event, template) in Self.defaults.merging(overrides, uniquingKeysWith: { $1 }) {
            for (part, source, escaping) in [
                ("subject", template.subject, false), ("text", template.text, false), ("HTML", template.html, true),
            ] {
                let text =
                    (escaping ? "{{% CONTENT_TYPE: \(HTMLEscaping.contentTypeName)}}" : "{{%CONTENT_TYPE:TEXT}}")
                    + source
                parsed[event + "/" + part] = Result { try MustacheTemplate(string: text) }
                    .mapError { MailTemplateError(event: event, message: "the \(part) template does not parse: \($0)") }
            }
        }
        self.parsed = parsed
    }

    public func template(for event: String) -> MailTemplate? { overrides[event] ?? Self.defaults[event] }

    /// Subject, text and HTML for `event` with `values`; a template that does not parse is an error naming it.
    public func render(_ event: String, values: [String: Any]) throws -> (subject: String, text: String, html: String) {
        guard template(for: event) != nil else {
            throw MailTemplateError(event: event, message: "no template for this event")
        }
        func render(_ part: String) throws -> String {
            guard let template = parsed[event + "/" + part] else {
                throw MailTemplateError(event: event, message: "no \(part) template")
            }
            return try template.get().render(values)
        }
        return (
            try render("subject").trimmingCharacters(in: .whitespacesAndNewlines), try render("text"),
            try render("HTML")
        )
    }
}

public struct MailTemplateError: Error, CustomStringConvertible {
    public let event: String
    public let message: String
    public var description: String { "mail template '\(event)': \(message)" }
}

/// `HTMLEscaping` as swift-mustache's content type for the HTML part of mails.
struct ScalarHTMLMailEscaping: MustacheContentType {
    func escapeText(_ text: String) -> String { HTMLEscaping.escape(text) }
}
