import Foundation
import Logging
import PostgresNIO

/// How Inboard sends mail, as the admin sets it on the Notifications page. The password is kept apart
/// (`password`): sealed in `settings.secret`, never encoded back out, logged or audited.
public struct SMTPSettings: Codable, Sendable, Equatable {
    public enum Security: String, Codable, Sendable, CaseIterable {
        case none, starttls, tls
    }

    /// The events that can send mail, with the words the admin page shows.
    public static let eventNames: [(key: String, label: String)] = [
        ("noteLeft", "A note is left for someone"),
        ("watchChanged", "A watched colleague's status changes"),
        ("syncHeld", "A directory sync is held by the mass-disable guard (to admins)"),
        ("syncFailed", "A directory sync fails (to admins)"),
    ]

    public var enabled: Bool
    public var host: String
    public var port: Int
    public var security: Security
    public var username: String?
    public var fromAddress: String
    public var fromName: String
    public var events: [String: Bool]
    /// PEM file of the CA that signed the server's certificate; empty trusts the system's roots.
    public var caFile: String?
    /// Skips certificate verification: only for a test server with a self-signed certificate (logged).
    public var insecureSkipVerify: Bool = false
    /// "22:00-07:00": notes and watch mails wait until it ends (admin mails do not).
    public var quietHours: String?
    public var password: String?

    enum CodingKeys: String, CodingKey {
        case enabled, host, port, security, username, fromAddress, fromName, events, caFile, insecureSkipVerify,
            quietHours
    }

    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        enabled = try c.decodeIfPresent(Bool.self, forKey: .enabled) ?? false
        host = try c.decodeIfPresent(String.self, forKey: .host) ?? ""
        port = try c.decodeIfPresent(Int.self, forKey: .port) ?? 587
        security = try c.decodeIfPresent(Security.self, forKey: .security) ?? .starttls
        username = try c.decodeIfPresent(String.self, forKey: .username)
        fromAddress = try c.decodeIfPresent(String.self, forKey: .fromAddress) ?? ""
        fromName = try c.decodeIfPresent(String.self, forKey: .fromName) ?? "Inboard"
        events = try c.decodeIfPresent([String: Bool].self, forKey: .events) ?? [:]
        caFile = try c.decodeIfPresent(String.self, forKey: .caFile)
        insecureSkipVerify = try c.decodeIfPresent(Bool.self, forKey: .insecureSkipVerify) ?? false
        quietHours = try c.decodeIfPresent(String.self, forKey: .quietHours)
    }

    public init(
        enabled: Bool = false, host: String = "", port: Int = 587, security: Security = .starttls,
        username: String? = nil,
        fromAddress: String = "", fromName: String = "Inboard", events: [String: Bool] = [:], caFile: String? = nil,
        quietHours: String? = nil, password: String? = nil
    ) {
        self.caFile = caFile
        self.quietHours = quietHours
        self.enabled = enabled
        self.host = host
        self.port = port
        self.security = security
        self.username = username
        self.fromAddress = fromAddress
        self.fromName = fromName
        self.events = events
        self.password = password
    }

    /// Every problem names its setting. Line breaks are refused everywhere: they would let a value inject
    /// SMTP commands or mail headers.
    public func validate() throws(SMTPSettingsError) {
        for (name, value) in [
            ("host", host), ("username", username ?? ""), ("fromAddress", fromAddress), ("fromName", fromName),
        ]
        where value.unicodeScalars.contains(where: { $0 == "\r" || $0 == "\n" }) {  // scalars: "\r\n" is one Character
            throw SMTPSettingsError(setting: name, message: "must be one line")
        }
        if let quietHours, quietHourRange == nil {
            throw SMTPSettingsError(
                setting: "quietHours", message: "'\(quietHours)' is not a range such as 22:00-07:00")
        }
        if let caFile, !FileManager.default.isReadableFile(atPath: caFile) {
            throw SMTPSettingsError(setting: "caFile", message: "cannot read \(caFile)")
        }
        guard (1...65_535).contains(port) else {
            throw SMTPSettingsError(setting: "port", message: "must be 1 to 65535, not \(port)")
        }
        guard enabled else { return }
        guard !host.isEmpty else { throw SMTPSettingsError(setting: "host", message: "is needed to send mail") }
        let parts = fromAddress.split(separator: "@", omittingEmptySubsequences: false)
        guard parts.count == 2, !parts[0].isEmpty, parts[1].contains("."), !fromAddress.contains(" ") else {
            throw SMTPSettingsError(
                setting: "fromAddress", message: "'\(fromAddress)' is not an address such as inboard@example.com")
        }
        if username != nil, password == nil {
            throw SMTPSettingsError(setting: "password", message: "is needed with a username")
        }
    }
}

extension SMTPSettings {
    /// Minutes after midnight where quiet hours start and end (the end may be the next morning).
    public var quietHourRange: (start: Int, end: Int)? {
        guard let quietHours else { return nil }
        let parts = quietHours.split(separator: "-").map { $0.trimmingCharacters(in: .whitespaces) }
        func minutes(_ text: String) -> Int? {
            let hm = text.split(separator: ":").compactMap { Int($0) }
            guard hm.count == 2, (0..<24).contains(hm[0]), (0..<60).contains(hm[1]) else { return nil }
            return hm[0] * 60 + hm[1]
        }
        guard parts.count == 2, let start = minutes(parts[0]), let end = minutes(parts[1]), start != end else {
            return nil
        }
        return (start, end)
    }

    /// When the quiet hours around `date` end, or nil when `date` is outside them (in `zone`).
    public func quietUntil(_ date: Date, zone: TimeZone = .current) -> Date? {
        guard let (start, end) = quietHourRange else { return nil }
        var calendar = Calendar(identifier: .gregorian)
        calendar.timeZone = zone
        let parts = calendar.dateComponents([.hour, .minute], from: date)
        let now = (parts.hour ?? 0) * 60 + (parts.minute ?? 0)
        let quiet = start < end ? (now >= start && now < end) : (now >= start || now < end)
        guard quiet else { return nil }
        let midnight = calendar.startOfDay(for: date)
        var until = midnight.addingTimeInterval(Double(end * 60))
        if until <= date { until = until.addingTimeInterval(86_400) }
        return until
    }
}

public struct SMTPSettingsError: Error, CustomStringConvertible, Equatable {
    public let setting: String
    public let message: String

    public init(setting: String, message: String) {
        self.setting = setting
        self.message = message
    }
    public var description: String { "\(setting): \(message)" }
}

/// SMTP settings in `settings` (key `smtp`), the password sealed by the `SecretBox`; saves are audited.
public struct SMTPSettingsStore: Sendable {
    static let key = "smtp"
    let database: DatabasePool
    let secrets: SecretBox
    let logger: Logger

    public init(database: DatabasePool, secrets: SecretBox, logger: Logger) {
        self.database = database
        self.secrets = secrets
        self.logger = logger
    }

    public func load() async throws -> SMTPSettings? {
        let rows = try await database.query(
            "SELECT value::text, secret FROM settings WHERE key = \(Self.key)", logger: logger)
        for try await (json, secret) in rows.decode((String, Data?).self) {
            var settings = try JSONDecoder().decode(SMTPSettings.self, from: Data(json.utf8))
            if let secret { settings.password = try secrets.open(secret) }
            return settings
        }
        return nil
    }

    /// Saves; a nil password keeps the stored one. The audit row shows whether the password changed, never it.
    public func save(_ settings: SMTPSettings, by actor: String, from address: String?) async throws {
        let stored = try await load()
        let settings = try settings.withStoredPassword(from: stored)
        try settings.validate()
        let json = String(decoding: try JSONEncoder().encode(settings), as: UTF8.self)
        let sealed = try settings.password.map { try secrets.seal($0) }
        let passwordNote = settings.password == stored?.password ? "unchanged" : "changed"
        let before = try stored.map { String(decoding: try JSONEncoder().encode($0), as: UTF8.self) }
        try await database.withTransaction(logger: logger) { connection in
            try await connection.query(
                """
                INSERT INTO settings (key, value, secret, updated_at, updated_by) VALUES (\(Self.key), \(json)::jsonb, \(sealed), now(), \(actor))
                ON CONFLICT (key) DO UPDATE SET value = EXCLUDED.value, secret = EXCLUDED.secret, updated_at = now(), updated_by = EXCLUDED.updated_by
                """, logger: logger)
            try await AuditLog.record(
                AuditEntry(
                    actor: actor, action: "smtp.settings.save", target: "smtp", before: before,
                    after: try AuditEntry.json(settings, replacing: ["password": passwordNote]), address: address),
                on: connection, logger: logger)
        }
    }
}

/// The rule for a stored SMTP password: it goes only to the server (host and port) it was saved for, over the
/// same protection (security, CA, certificate checks); other settings with a blank password must type it again.
extension SMTPSettings {
    public func withStoredPassword(from stored: SMTPSettings?) throws(SMTPSettingsError) -> SMTPSettings {
        guard password == nil, let stored, let storedPassword = stored.password else { return self }
        guard host.lowercased() == stored.host.lowercased(), port == stored.port, security == stored.security,
            caFile == stored.caFile, insecureSkipVerify == stored.insecureSkipVerify
        else {
            throw SMTPSettingsError(
                setting: "password",
                message: "the server or its security changed since the password was saved: type the password again")
        }
        var filled = self
        filled.password = storedPassword
        return filled
    }
}
