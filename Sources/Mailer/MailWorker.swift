import Foundation
import InboardCore
import InboardStore
import Logging
import PostgresNIO
import ServiceLifecycle

/// Drains the outbox: claims due rows, turns each into a message for its recipients, sends a batch over one
/// SMTP connection, and records each outcome as soon as the server answers. A refused message (5xx) or one
/// tried too often becomes a dead letter; anything else is retried with exponential back-off and jitter.
public struct MailWorker: Service {
    public struct Options: Sendable {
        public var batchSize = 100
        public var pollInterval: Duration = .seconds(2)
        /// How long a claim lasts: a row whose worker died is claimed again after it.
        public var lease: Duration = .seconds(120)
        public var maxAttempts = 8
        public var backoffBase: Duration = .seconds(30)
        public var backoffCap: Duration = .seconds(3600)
        public var commandTimeout: Duration = .seconds(60)
        /// The schema this worker was built for: it claims mail only while the database is at it, so a server
        /// left on the old version in a rolling upgrade leaves the outbox to upgraded ones (nil: any schema).
        public var schemaVersion: Int?
        public init() {}
    }

    public struct Outcome: Sendable, Equatable {
        public var sent = 0, retried = 0, dead = 0, skipped = 0, released = 0
        public var lastError: String?
        public var claimed: Int { sent + retried + dead + skipped + released }
        public init() {}
    }

    let outbox: Outbox
    let settings: SMTPSettingsStore
    let database: DatabasePool
    let options: Options
    let logger: Logger

    public init(database: DatabasePool, secrets: SecretBox, logger: Logger, options: Options = Options()) {
        self.database = database
        self.outbox = Outbox(database: database, logger: logger)
        self.settings = SMTPSettingsStore(database: database, secrets: secrets, logger: logger)
        self.options = options
        self.logger = logger
    }

    /// Batches until the server shuts down; a batch in flight is finished first (its rows recorded), so a
    /// graceful stop never leaves a sent message marked unsent. It waits one poll interval before the first
    /// batch, so the database pool (a sibling service) is running by then.
    public func run() async throws {
        while true {
            await cancelWhenGracefulShutdown { try? await Task.sleep(for: options.pollInterval) }
            var outcome = Outcome()
            repeat {
                if Task.isShuttingDownGracefully || Task.isCancelled { return }
                do { outcome = try await drainOnce() } catch {
                    if Task.isShuttingDownGracefully || Task.isCancelled { return }
                    logger.warning("mail worker: \(error)")
                    break
                }
            } while outcome.claimed >= options.batchSize
        }
    }

    /// Runs until nothing is due (for `inboard mail drain` and the tests); the outcomes added up.
    public func drainUntilIdle() async throws -> Outcome {
        var total = Outcome()
        while true {
            let outcome = try await drainOnce()
            total.sent += outcome.sent; total.retried += outcome.retried; total.dead += outcome.dead
            total.skipped += outcome.skipped; total.released += outcome.released
            total.lastError = outcome.lastError ?? total.lastError
            if outcome.claimed == 0 || outcome.sent + outcome.dead + outcome.skipped == 0 { return total }
        }
    }

    /// One batch.
    public func drainOnce() async throws -> Outcome {
        var outcome = Outcome()
        guard let smtp = try await settings.load(), smtp.enabled else { return outcome }  // rows wait until mail is on
        let from = try MailAddress(smtp.fromAddress, name: smtp.fromName)
        let domain = String(from.address.split(separator: "@").last ?? "inboard.invalid")
        let items = try await outbox.claim(
            limit: options.batchSize, lease: options.lease, domain: domain, schemaVersion: options.schemaVersion)
        guard !items.isEmpty else { return outcome }
        let templates = try await MailTemplateStore(database: database, logger: logger).load()
        let recipients = try await MailRecipients.load(for: items, database: database, logger: logger)
        var messages: [([OutboxItem], MailMessage)] = []
        var digests: [Int64: [OutboxItem]] = [:]
        let now = Date(), quietUntil = smtp.quietUntil(now)
        for item in items {
            if let quietUntil, Self.personalEvents.contains(item.event) {
                try await outbox.release(item.id, until: quietUntil)
                outcome.released += 1
                continue
            }
            // A digest reader's watch mails wait for the top of the hour, then go out as one message.
            if item.event == "watch", let person = item.recipientID, recipients.wantsDigest(person) {
                let due = Self.digestDue(item.createdAt)
                if due > now {
                    try await outbox.release(item.id, until: due)
                    outcome.released += 1
                } else {
                    digests[person, default: []].append(item)
                }
                continue
            }
            do {
                switch try compose(item, smtp: smtp, from: from, templates: templates, recipients: recipients) {
                case let .message(message): messages.append(([item], message))
                case let .skip(reason):
                    try await outbox.skip(item.id, reason: reason)
                    outcome.skipped += 1
                }
            } catch {
                try await outbox.deadLetter(item.id, error: "\(error)")
                outcome.dead += 1
            }
        }
        for (_, group) in digests.sorted(by: { $0.key < $1.key }) {
            do {
                switch try composeDigest(group, smtp: smtp, from: from, templates: templates, recipients: recipients) {
                case let .message(message): messages.append((group, message))
                case let .skip(reason):
                    for item in group { try await outbox.skip(item.id, reason: reason) }
                    outcome.skipped += group.count
                }
            } catch {
                for item in group { try await outbox.deadLetter(item.id, error: "\(error)") }
                outcome.dead += group.count
            }
        }
        guard !messages.isEmpty else { return outcome }
        let connection: SMTPConnection
        do {
            connection = try await SMTPConnection.connect(
                to: smtp.server(timeout: options.commandTimeout), logger: logger)
        } catch {
            for item in messages.flatMap(\.0) { try await settle(item, error: error, outcome: &outcome) }
            return outcome
        }
        var broken: (any Error)?
        // A row is marked sent as soon as the server accepts it. That write runs while the next message goes
        // out, but only one is ever outstanding: a crash leaves at most the last two accepted messages
        // unmarked (sent again later, under the same Message-ID).
        var pendingMark: Task<Void, any Error>?
        for (group, message) in messages {
            if let broken {
                for item in group { try await settle(item, error: broken, outcome: &outcome) }
                continue
            }
            do {
                _ = try await connection.send(message.envelope)
                try await pendingMark?.value
                let outbox = self.outbox, ids = group.map(\.id)
                pendingMark = Task { for id in ids { try await outbox.markSent(id) } }
                outcome.sent += group.count
            } catch let error as SMTPError where error.isPerMessage {
                for item in group { try await settle(item, error: error, outcome: &outcome) }
            } catch {
                broken = error
                for item in group { try await settle(item, error: error, outcome: &outcome) }
            }
        }
        try await pendingMark?.value
        await connection.quit()
        return outcome
    }

    /// Mails to one person about a colleague; quiet hours hold them (admin mails about syncs go at once).
    static let personalEvents: Set<String> = ["note", "watch"]

    enum Composed { case message(MailMessage), skip(String) }

    func compose(
        _ item: OutboxItem, smtp: SMTPSettings, from: MailAddress, templates: MailTemplates, recipients: MailRecipients
    ) throws -> Composed {
        if let key = MailTemplates.events.first(where: { $0.event == item.event })?.settingsKey, !key.isEmpty,
            smtp.events[key] != true
        {
            return .skip("the admin turned off mail for \(item.event)")
        }
        let to = recipients.addresses(for: item)
        guard !to.isEmpty else { return .skip("no recipient with an email address (or they turned this mail off)") }
        var values = Self.templateValues(item, recipients: recipients)
        values["recipientName"] = to.count == 1 ? to[0].name ?? to[0].address : "administrators"
        let rendered = try templates.render(item.event, values: values)
        return .message(
            MailMessage(
                from: from, to: to, subject: rendered.subject, text: rendered.text, html: rendered.html,
                messageID: item.messageID))
    }

    /// One message for a digest reader's watch rows (the first row's Message-ID).
    func composeDigest(
        _ group: [OutboxItem], smtp: SMTPSettings, from: MailAddress, templates: MailTemplates,
        recipients: MailRecipients
    ) throws -> Composed {
        guard smtp.events["watchChanged"] == true else { return .skip("the admin turned off mail for watch") }
        let to = recipients.addresses(for: group[0])
        guard !to.isEmpty else { return .skip("no recipient with an email address (or they turned this mail off)") }
        let changes = group.map { Self.templateValues($0, recipients: recipients) }
        let rendered = try templates.render(
            "watch.digest",
            values: ["recipientName": to[0].name ?? to[0].address, "count": group.count, "changes": changes])
        return .message(
            MailMessage(
                from: from, to: to, subject: rendered.subject, text: rendered.text, html: rendered.html,
                messageID: group[0].messageID))
    }

    /// The top of the hour after `created`: when an hourly digest holding it goes out.
    static func digestDue(_ created: Date) -> Date {
        Date(timeIntervalSince1970: (created.timeIntervalSince1970 / 3600).rounded(.down) * 3600 + 3600)
    }

    /// A failed try: dead when permanent or out of tries, else pending again after the back-off.
    func settle(_ item: OutboxItem, error: any Error, outcome: inout Outcome) async throws {
        let text = "\(error)"
        outcome.lastError = text
        if (error as? SMTPError)?.isPermanent == true || item.attempts >= options.maxAttempts {
            try await outbox.deadLetter(item.id, error: text)
            outcome.dead += 1
        } else {
            try await outbox.retry(item.id, after: backoff(attempt: item.attempts), error: text)
            outcome.retried += 1
        }
        logger.notice(
            "mail not sent", metadata: ["outbox": "\(item.id)", "attempt": "\(item.attempts)", "error": "\(text)"])
    }

    /// base × 2^(attempt−1), capped, ±20% jitter so that many rows failing together do not retry together.
    func backoff(attempt: Int) -> Duration {
        let base =
            Double(options.backoffBase.components.seconds) + Double(options.backoffBase.components.attoseconds) / 1e18
        let cap = Double(options.backoffCap.components.seconds)
        let seconds = min(cap, base * pow(2, Double(max(0, attempt - 1)))) * Double.random(in: 0.8...1.2)
        return .milliseconds(Int64(seconds * 1000))
    }

    /// A row's payload as template values, with a status's return time in words as `returnText`, and a hidden
    /// note removed unless its reader may see it (`HiddenNoteRule`).
    static func templateValues(_ item: OutboxItem, recipients: MailRecipients) -> [String: Any] {
        var values = (try? JSONSerialization.jsonObject(with: Data(item.payload.utf8)) as? [String: Any]) ?? [:]
        if var status = values["status"] as? [String: Any] {
            if let returnAt = status["returnAt"] { values["returnText"] = returnText(returnAt) }
            let subject = (values["id"] as? NSNumber)?.int64Value
            if status["noteHidden"] as? Bool == true,
                !(subject.map { recipients.revealsHiddenNote(of: $0, to: item.recipientID) } ?? false)
            {
                status["note"] = nil
                values["status"] = status
            }
        }
        return values
    }

    static func returnText(_ value: Any) -> String? {
        let date: Date?
        if let seconds = value as? Double {
            date = Date(timeIntervalSince1970: seconds)
        } else if let text = value as? String {
            date = ISO8601DateFormatter().date(from: text)
        } else {
            date = nil
        }
        guard let date else { return nil }
        let formatter = DateFormatter()
        formatter.locale = Locale(identifier: "en_GB")
        formatter.timeZone = TimeZone.current
        formatter.dateFormat = "EEE d MMM HH:mm"
        return formatter.string(from: date)
    }
}
