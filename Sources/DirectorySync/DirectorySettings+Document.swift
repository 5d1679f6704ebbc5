import Foundation
import LDAPKit
import Yams

/// The settings as a file or the stored JSON spells them (see the contract's "Directory settings file").
/// Decoding is lenient about shape (a single base DN may be a string); every value is checked by
/// `DirectorySettings(document:)`, which names the setting that is wrong.
struct DirectorySettingsDocument: Codable, Sendable {
    var flavour: String?
    var servers: [String]?
    var domain: String?
    var tls: String?
    var caFile: String?
    var insecureSkipVerify: Bool?
    var bindDN: String?
    var bindPassword: String?
    var bindPasswordFile: String?
    var baseDN: OneOrMany?
    var groupBaseDN: OneOrMany?
    var userFilter: String?
    var groupFilter: String?
    var loginAttribute: String?
    var identityAttribute: String?
    var groupNameAttribute: String?
    var membershipAttribute: OneOrMany?
    var attributes: [String: String]?
    var groups: [GroupMapping]?
    var `guard`: SyncGuardSettings?
    var schedule: [String: String]?

    struct OneOrMany: Codable, Sendable {
        var values: [String]
        init(_ values: [String]) { self.values = values }
        init(from decoder: any Decoder) throws {
            let container = try decoder.singleValueContainer()
            if let one = try? container.decode(String.self) {
                values = [one]
            } else {
                values = try container.decode([String].self)
            }
        }
        func encode(to encoder: any Encoder) throws {
            var container = encoder.singleValueContainer()
            try container.encode(values)
        }
    }
}

extension DirectorySettings: Encodable {
    /// Reads a settings file (YAML or JSON); `bindPasswordFile` is read relative to the file's folder.
    public static func load(file path: String) throws -> DirectorySettings {
        guard let data = FileManager.default.contents(atPath: path), let text = String(data: data, encoding: .utf8)
        else {
            throw DirectorySettingsError(setting: "file", message: "\(path) cannot be read")
        }
        let document: DirectorySettingsDocument
        do {
            document = try YAMLDecoder().decode(
                DirectorySettingsDocument.self, from: YAMLDistinguishedNames.quoted(text))
        } catch {
            throw DirectorySettingsError(
                setting: "file",
                message:
                    "\(path) is not valid YAML or JSON for directory settings: \(Self.describe(decodingError: error))")
        }
        let folder = URL(fileURLWithPath: path).deletingLastPathComponent()
        return try DirectorySettings(document: document, relativeTo: folder)
    }

    static func describe(decodingError error: any Error) -> String {
        switch error {
        case let DecodingError.typeMismatch(_, context), let DecodingError.valueNotFound(_, context),
            let DecodingError.dataCorrupted(context):
            let path = context.codingPath.map(\.stringValue).joined(separator: ".")
            return path.isEmpty ? context.debugDescription : "\(path): \(context.debugDescription)"
        case let DecodingError.keyNotFound(key, context):
            return "\((context.codingPath + [key]).map(\.stringValue).joined(separator: ".")) is missing"
        default:
            return "\(error)"
        }
    }

    /// Checks and converts a document; the first problem found is thrown, naming its setting.
    init(document d: DirectorySettingsDocument, relativeTo folder: URL? = nil) throws(DirectorySettingsError) {
        let flavourText = d.flavour ?? "openldap"
        guard let flavour = DirectoryFlavour(rawValue: flavourText.lowercased()) else {
            throw .init(setting: "flavour", message: "'\(flavourText)' is not one of: openldap, activedirectory")
        }
        let tlsText = d.tls ?? "none"
        guard let tls = LDAPConfiguration.TLSMode(rawValue: tlsText.lowercased()) else {
            throw .init(setting: "tls", message: "'\(tlsText)' is not one of: none, starttls, ldaps")
        }
        var password = d.bindPassword
        if let file = d.bindPasswordFile {
            let url =
                file.hasPrefix("/") || folder == nil ? URL(fileURLWithPath: file) : folder!.appendingPathComponent(file)
            guard let data = FileManager.default.contents(atPath: url.path),
                let text = String(data: data, encoding: .utf8)
            else {
                throw .init(setting: "bindPasswordFile", message: "\(url.path) cannot be read")
            }
            password = text.trimmingCharacters(in: .newlines)
        }
        var attributes: [PersonField: AttributeMapping] = [:]
        for (key, value) in d.attributes ?? [:] {
            guard let field = PersonField(key: key) else {
                throw .init(
                    setting: "attributes.\(key)",
                    message:
                        "'\(key)' is not an Inboard field; the fields are: \(PersonField.allCases.map(\.rawValue).joined(separator: ", "))"
                )
            }
            do { attributes[field] = try AttributeMapping(parsing: value) } catch {
                throw .init(setting: "attributes.\(key)", message: error.message)
            }
        }
        self.init(
            flavour: flavour, servers: d.servers ?? [], domain: d.domain, tls: tls, caFile: d.caFile,
            insecureSkipVerify: d.insecureSkipVerify ?? false, bindDN: d.bindDN ?? "", bindPassword: password,
            baseDN: d.baseDN?.values ?? [], groupBaseDN: d.groupBaseDN?.values ?? [], userFilter: d.userFilter,
            groupFilter: d.groupFilter, loginAttribute: d.loginAttribute, identityAttribute: d.identityAttribute,
            groupNameAttribute: d.groupNameAttribute, membershipAttributes: d.membershipAttribute?.values,
            attributes: attributes, groups: d.groups ?? [], guardSettings: d.guard ?? .init(),
            schedule: try SyncSchedule(document: d.schedule ?? [:]))
        try validate()
    }

    /// Encodes as the stored and shown form (see `document`): no password, ever.
    public func encode(to encoder: any Encoder) throws { try document.encode(to: encoder) }

    /// The stored and shown form: no password, ever.
    var document: DirectorySettingsDocument {
        DirectorySettingsDocument(
            flavour: flavour.rawValue, servers: servers.isEmpty ? nil : servers, domain: domain, tls: tls.rawValue,
            caFile: caFile, insecureSkipVerify: insecureSkipVerify, bindDN: bindDN, bindPassword: nil,
            bindPasswordFile: nil,
            baseDN: .init(baseDN), groupBaseDN: .init(groupBaseDN), userFilter: userFilter, groupFilter: groupFilter,
            loginAttribute: loginAttribute, identityAttribute: identityAttribute,
            groupNameAttribute: groupNameAttribute,
            membershipAttribute: .init(membershipAttributes),
            attributes: Dictionary(uniqueKeysWithValues: attributes.map { ($0.key.rawValue, $0.value.description) }),
            groups: groups, guard: guardSettings, schedule: schedule.document)
    }

    /// JSON of the settings without the password, keys sorted (stable for hashing and diffs).
    public func json(pretty: Bool = false) -> String {
        let encoder = JSONEncoder()
        encoder.outputFormatting =
            pretty ? [.sortedKeys, .prettyPrinted, .withoutEscapingSlashes] : [.sortedKeys, .withoutEscapingSlashes]
        return String(decoding: (try? encoder.encode(document)) ?? Data(), as: UTF8.self)
    }

    /// The settings as YAML (the same shape `inboard directory set` reads), without the password.
    public func yaml() -> String {
        (try? YAMLEncoder().encode(document)) ?? json(pretty: true)
    }

    /// Settings from the JSON the admin API receives (the same shape as the file; `bindPassword` optional).
    /// Settings sent over HTTP: a file path would make the server read its own files, so only the command
    /// line's settings files may name a `bindPasswordFile`.
    public init(json: Data) throws {
        let document: DirectorySettingsDocument
        do { document = try JSONDecoder().decode(DirectorySettingsDocument.self, from: json) } catch {
            throw DirectorySettingsError(
                setting: "body", message: "not valid directory settings JSON: \(Self.describe(decodingError: error))")
        }
        guard document.bindPasswordFile == nil else {
            throw DirectorySettingsError(
                setting: "bindPasswordFile",
                message: "is for settings files on the command line ('inboard directory set'); send bindPassword")
        }
        try self.init(document: document)
    }

    static func decode(json: String) throws -> DirectorySettings {
        try DirectorySettings(document: JSONDecoder().decode(DirectorySettingsDocument.self, from: Data(json.utf8)))
    }
}

extension SyncSchedule {
    init(document: [String: String]) throws(DirectorySettingsError) {
        self.init()
        for (key, value) in document {
            let duration: Duration?
            do { duration = try Self.parse(value) } catch {
                throw .init(setting: "schedule.\(key)", message: error.message)
            }
            switch key {
            case "incrementalEvery": incrementalEvery = duration
            case "fullEvery": fullEvery = duration
            default: throw .init(setting: "schedule.\(key)", message: "unknown; use incrementalEvery or fullEvery")
            }
        }
    }

    /// `90s`, `5m`, `24h`, `7d`, or `off`.
    static func parse(_ text: String) throws(MappingSyntaxError) -> Duration? {
        let trimmed = text.trimmingCharacters(in: .whitespaces).lowercased()
        if trimmed == "off" || trimmed == "never" { return nil }
        let units: [Character: Int64] = ["s": 1, "m": 60, "h": 3600, "d": 86_400]
        guard let unit = trimmed.last, let factor = units[unit], let number = Int64(trimmed.dropLast()), number > 0
        else {
            throw MappingSyntaxError(message: "'\(text)' is not a duration such as 90s, 5m, 24h, 7d or off")
        }
        return .seconds(number * factor)
    }

    static func format(_ duration: Duration?) -> String {
        guard let seconds = duration?.components.seconds else { return "off" }
        for (unit, factor) in [("d", Int64(86_400)), ("h", 3600), ("m", 60)] where seconds % factor == 0 {
            return "\(seconds / factor)\(unit)"
        }
        return "\(seconds)s"
    }

    var document: [String: String] {
        ["incrementalEvery": Self.format(incrementalEvery), "fullEvery": Self.format(fullEvery)]
    }
}
