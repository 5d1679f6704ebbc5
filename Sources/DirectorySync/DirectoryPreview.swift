import LDAPKit
import Logging

/// The first users of a settings draft as they would be mapped, before anything is saved.
public struct DirectoryPreview: Sendable {
    public struct Person: Sendable, Codable, Equatable {
        public let dn: String
        public let directoryId: String?
        public let fields: [String: String]
        public let disabledReason: String?
        public let problem: String?
    }

    let settings: DirectorySettings
    let logger: Logger

    public init(settings: DirectorySettings, logger: Logger) {
        self.settings = settings
        self.logger = logger
    }

    public func firstUsers(_ limit: Int = 10) async throws -> [Person] {
        try settings.validate()
        return try await settings.withClient(logger: logger) { client in try await firstUsers(limit, client: client) }
    }

    private func firstUsers(_ limit: Int, client: LDAPClient) async throws -> [Person] {
        let mapper = PersonMapper(settings: settings)
        let mappings = settings.effectiveAttributes
        var people: [Person] = []
        do {
            for base in settings.baseDN where people.count < limit {
                for try await entry in client.search(
                    base: base, filter: .raw(settings.userFilter), attributes: settings.userSearchAttributes,
                    pageSize: limit)
                {
                    var fields: [String: String] = [:]
                    for (field, mapping) in mappings {
                        if field == .photo {
                            if let bytes = mapping.attributes.first.flatMap(entry.bytes) {
                                fields[field.rawValue] = "\(bytes.count) bytes"
                            }
                        } else if let value = mapping.text(for: entry) {
                            fields[field.rawValue] = value
                        }
                    }
                    let identity = mapper.identity(of: entry)
                    let problem =
                        identity == nil
                        ? "no \(settings.identityAttribute): would be skipped"
                        : fields["username"] == nil ? "no \(settings.loginAttribute): would be skipped" : nil
                    people.append(
                        Person(
                            dn: entry.dn, directoryId: identity, fields: fields,
                            disabledReason: mapper.disabledReason(of: entry), problem: problem))
                    if people.count >= limit { break }
                }
            }
        } catch {
            throw SyncError.explaining(error, searching: ("baseDN", "userFilter"))
        }
        return people
    }
}
