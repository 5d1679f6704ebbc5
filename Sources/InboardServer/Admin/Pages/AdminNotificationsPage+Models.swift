import Foundation

/// The Notifications page: SMTP settings (never the password), mailed events, outbox counts and problems, and
/// each event's templates with an optional preview.
struct NotificationsPage {
    struct Option {
        let value: String
        let label: String
        let selected: Bool
    }

    struct Event {
        let key: String
        let label: String
        let on: Bool
    }

    struct Count {
        let state: String
        let count: Int
    }

    struct Problem {
        let id: Int64
        let event: String
        let state: String
        let dead: Bool
        let attempts: Int
        let error: String
        let when: String
    }

    struct Rendered {
        let subject: String
        let text: String
        let html: String
    }

    struct Template {
        let event: String
        let label: String
        let subject: String
        let text: String
        let html: String
        let preview: Rendered?
        let open: Bool
    }

    let enabled: Bool
    let host: String
    let port: Int
    let username: String
    let fromAddress: String
    let fromName: String
    let passwordSet: Bool
    let caFile: String
    let quietHours: String
    let testTo: String
    let security: [Option]
    let events: [Event]
    let counts: [Count]
    let problems: [Problem]
    let hasProblems: Bool
    let templates: [Template]
}
