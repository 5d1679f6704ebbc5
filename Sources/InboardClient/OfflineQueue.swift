import Foundation

/// Status changes made while the server could not be reached, kept in the config folder (`queue.json`, mode 600)
/// and sent when it is back: oldest first, each with the time it was made, so that one the person has since
/// replaced on another device is reported (409 superseded), never forced over the newer one.
public struct OfflineQueue: Sendable {
    public struct Change: Codable, Sendable, Equatable {
        public var type: String
        public var note: String?
        public var noteHidden: Bool?
        public var returnAt: Date?
        public var expiresAt: Date?
        public var madeAt: Date

        public init(body: [String: Any], madeAt: Date) {
            type = body["type"] as? String ?? ""
            note = body["note"] as? String
            noteHidden = body["noteHidden"] as? Bool
            returnAt = (body["returnAt"] as? String).flatMap(EntryText.parse)
            expiresAt = (body["expiresAt"] as? String).flatMap(EntryText.parse)
            self.madeAt = madeAt
        }

        var body: [String: Any] {
            var body: [String: Any] = ["type": type, "madeAt": ReturnTime.iso(madeAt)]
            if let note { body["note"] = note }
            if let noteHidden { body["noteHidden"] = noteHidden }
            if let returnAt { body["returnAt"] = ReturnTime.iso(returnAt) }
            if let expiresAt { body["expiresAt"] = ReturnTime.iso(expiresAt) }
            return body
        }
    }

    let config: ClientConfig
    public init(config: ClientConfig) { self.config = config }

    /// What is queued; a file that cannot be read is an error, never taken for an empty queue (and overwritten).
    public func load() throws -> [Change] {
        let path = config.folder + "/queue.json"
        guard let data = FileManager.default.contents(atPath: path) else { return [] }
        do { return try Self.decoder.decode([Change].self, from: data) } catch {
            throw ClientError.local("\(path) cannot be read (\(error)); it was left as it is: move it away to go on")
        }
    }

    public var changes: [Change] { (try? load()) ?? [] }

    public func append(_ change: Change) throws { try save(try load() + [change]) }

    func save(_ changes: [Change]) throws {
        if changes.isEmpty {
            try? FileManager.default.removeItem(atPath: config.folder + "/queue.json")
            return
        }
        try config.write("queue.json", try Self.encoder.encode(changes), mode: 0o600)
    }

    /// Sends what is queued, oldest first; returns one line per change for the person. Stops, keeping the
    /// rest, when the server cannot be reached again.
    public func flush(_ api: InboardAPI) async throws -> [String] {
        var pending = try load()
        var report: [String] = []
        while let change = pending.first {
            let made = EntryText.clock(change.madeAt, timeZone: .current)
            do {
                try await api.call(.PUT, "/api/v1/me/status", json: change.body)
                report.append("sent the change to \(change.type) made at \(made) while the server was away")
            } catch let error as ClientError {
                switch error {
                case .unreachable, .timedOut:
                    try save(pending)
                    return report
                case .refused where error.isOutage:
                    try save(pending)
                    return report
                case let .refused(_, code, message):
                    report.append(
                        code == "superseded"
                            ? "not sent: the change to \(change.type) made at \(made), because your status was changed after it"
                            : "not sent: the change to \(change.type) made at \(made): \(message)")
                default:
                    try save(pending)
                    throw error
                }
            }
            pending.removeFirst()
            try save(pending)
        }
        return report
    }

    static let encoder: JSONEncoder = {
        let encoder = JSONEncoder()
        encoder.dateEncodingStrategy = .custom { date, encoder in
            var container = encoder.singleValueContainer()
            try container.encode(ReturnTime.iso(date))
        }
        return encoder
    }()
    static let decoder: JSONDecoder = {
        let decoder = JSONDecoder()
        decoder.dateDecodingStrategy = .custom { decoder in
            let container = try decoder.singleValueContainer()
            let text = try container.decode(String.self)
            guard let date = EntryText.parse(text) else {
                throw DecodingError.dataCorruptedError(in: container, debugDescription: "'\(text)' is not a time")
            }
            return date
        }
        return decoder
    }()
}
