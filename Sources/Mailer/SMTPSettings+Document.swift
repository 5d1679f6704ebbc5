import Foundation
import InboardStore
import Yams

/// The SMTP settings file of `inboard smtp set` (YAML or JSON, the shape in the contract):
/// host, port, security, caFile, insecureSkipVerify, username, password or passwordFile, from; and, beyond
/// the contract, enabled (default true), events (default all on) and quietHours.
struct SMTPSettingsDocument: Codable {
    var host: String?
    var port: Int?
    var security: String?
    var caFile: String?
    var insecureSkipVerify: Bool?
    var username: String?
    var password: String?
    var passwordFile: String?
    var from: String?
    var enabled: Bool?
    var events: [String: Bool]?
    var quietHours: String?
}

extension SMTPSettings {
    /// Reads a settings file; every problem names its setting. A relative passwordFile is read next to the file.
    public static func load(file path: String) throws(SMTPSettingsError) -> SMTPSettings {
        guard let data = FileManager.default.contents(atPath: path), let text = String(data: data, encoding: .utf8)
        else {
            throw SMTPSettingsError(setting: "file", message: "cannot read \(path)")
        }
        let document: SMTPSettingsDocument
        do { document = try YAMLDecoder().decode(SMTPSettingsDocument.self, from: text) } catch {
            throw SMTPSettingsError(
                setting: "file", message: "\(path) is not valid SMTP settings YAML or JSON: \(error)")
        }
        var settings = SMTPSettings(
            enabled: document.enabled ?? true, host: document.host ?? "", port: document.port ?? 587,
            events: document.events ?? Dictionary(uniqueKeysWithValues: SMTPSettings.eventNames.map { ($0.key, true) }),
            caFile: document.caFile, quietHours: document.quietHours)
        if let security = document.security {
            guard let value = Security(rawValue: security.lowercased()) else {
                throw SMTPSettingsError(setting: "security", message: "'\(security)' is not one of none, starttls, tls")
            }
            settings.security = value
        }
        settings.insecureSkipVerify = document.insecureSkipVerify ?? false
        settings.username = document.username
        settings.password = document.password
        if let file = document.passwordFile {
            let url =
                file.hasPrefix("/")
                ? URL(fileURLWithPath: file)
                : URL(fileURLWithPath: path).deletingLastPathComponent().appendingPathComponent(file)
            guard let secret = try? String(contentsOf: url, encoding: .utf8) else {
                throw SMTPSettingsError(setting: "passwordFile", message: "cannot read \(url.path)")
            }
            settings.password = String(secret.split(separator: "\n", omittingEmptySubsequences: false).first ?? "")
        }
        if let from = document.from {
            do {
                let address = try MailAddress(parsing: from)
                settings.fromAddress = address.address
                settings.fromName = address.name ?? "Inboard"
            } catch {
                throw SMTPSettingsError(
                    setting: "from", message: "'\(from)' is not an address such as \"Inboard <inboard@example.com>\"")
            }
        }
        return settings
    }

    /// The settings as the file shows them, without the password.
    public var documentJSON: String {
        var fields: [String: Any] = [
            "enabled": enabled, "host": host, "port": port, "security": security.rawValue,
            "from": fromName.isEmpty ? fromAddress : "\(fromName) <\(fromAddress)>", "events": events,
            "insecureSkipVerify": insecureSkipVerify, "passwordSet": password != nil,
        ]
        fields["username"] = username
        fields["caFile"] = caFile
        fields["quietHours"] = quietHours
        let data =
            (try? JSONSerialization.data(withJSONObject: fields, options: [.sortedKeys, .withoutEscapingSlashes]))
            ?? Data()
        return String(decoding: data, as: UTF8.self)
    }
}

extension MailAddress {
    /// `Name <address>`, `"Name" <address>` or a bare address.
    public init(parsing text: String) throws(SMTPError) {
        let trimmed = text.trimmingCharacters(in: .whitespaces)
        if let open = trimmed.lastIndex(of: "<"), trimmed.hasSuffix(">") {
            var name = trimmed[..<open].trimmingCharacters(in: .whitespaces)
            if name.hasPrefix("\""), name.hasSuffix("\""), name.count >= 2 {
                name = String(name.dropFirst().dropLast())
            }
            try self.init(
                String(trimmed[trimmed.index(after: open)..<trimmed.index(before: trimmed.endIndex)]),
                name: name.isEmpty ? nil : name)
        } else {
            try self.init(trimmed)
        }
    }
}
