#if canImport(Glibc)
    import Glibc
#endif
import Foundation

/// Status changes made while the server could not be reached, kept in the config folder (`queue.json`, mode 600)
/// and sent when it is back: oldest first, each with the time it was made, so that one the person has since
/// replaced on another device is reported (409 superseded), never forced over the newer one. Each change is its
/// maker's: only their session sends it, so a change waiting through a logout goes with their next login here,
/// never as whoever logs in next.
public struct OfflineQueue: Sendable {
    public struct Change: Codable, Sendable, Equatable {
        public var type: String
        public var note: String?
        public var noteHidden: Bool?
        public var returnAt: Date?
        public var expiresAt: Date?
        public var madeAt: Date
        /// The username of who made it (nil: queued by an older client, sent by whoever is logged in).
        public var owner: String?

        public init(body: [String: Any], madeAt: Date, owner: String?) {
            type = body["type"] as? String ?? ""
            note = body["note"] as? String
            noteHidden = body["noteHidden"] as? Bool
            returnAt = (body["returnAt"] as? String).flatMap(EntryText.parse)
            expiresAt = (body["expiresAt"] as? String).flatMap(EntryText.parse)
            self.madeAt = madeAt
            self.owner = owner
        }

        /// Whether the session of `account` may send it.
        func isSendable(by account: String?) -> Bool {
            guard let owner else { return true }
            return owner.lowercased() == account?.lowercased()
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

    public func append(_ change: Change) throws { try locked { try save(try load() + [change]) } }

    /// At `account`'s logout: forgets the changes nobody owns (an older client's: any next login would send them)
    /// and keeps the owned ones for their maker's next login here; how many of each were `account`'s or nobody's.
    public func discardUnowned(at account: String?) -> (discarded: Int, kept: Int) {
        (try? locked {
            let queued = try load()
            let owned = queued.filter { $0.owner != nil }
            try save(owned)
            return (queued.count - owned.count, owned.filter { $0.isSendable(by: account) }.count)
        }) ?? (0, 0)
    }

    /// The queue file is read and rewritten only under an exclusive lock on `queue.lock`: the agent flushing
    /// and a `set` made at the same moment must not lose each other's change. No lock is held across a request.
    func locked<T>(_ body: () throws -> T) throws -> T {
        guard let lock = try FileLock(config.folder + "/queue.lock", wait: true) else {
            throw ClientError.local("cannot lock \(config.folder)/queue.lock")
        }
        return try withExtendedLifetime(lock) { try body() }
    }

    /// Removes `change` from the queue when it is still there (another process may have sent it).
    func removeSent(_ change: Change) throws {
        try locked {
            var pending = try load()
            if let index = pending.firstIndex(of: change) { pending.remove(at: index) }
            try save(pending)
        }
    }

    func save(_ changes: [Change]) throws {
        if changes.isEmpty {
            try? FileManager.default.removeItem(atPath: config.folder + "/queue.json")
            return
        }
        try config.write("queue.json", try Self.encoder.encode(changes), mode: 0o600)
    }

    /// Sends what `config.account` queued (and what nobody owns), oldest first; returns one line per change for
    /// the person. Stops, keeping the rest, when the server cannot be reached again; others' changes stay.
    public func flush(_ api: InboardAPI) async throws -> [String] {
        let account = config.account
        // One sender at a time (the agent, or a command): a second would send the same change again and be
        // told, wrongly, that it was superseded. It leaves the queue to the one already sending (and anything
        // queued stays queued when the lock cannot be had at all).
        guard let sending = try? FileLock(config.folder + "/queue.flush.lock", wait: false) else { return [] }
        defer { withExtendedLifetime(sending) {} }  // held on every way out, early returns included
        var report: [String] = []
        while let change = try locked({ try load().first { $0.isSendable(by: account) } }) {
            let made = EntryText.clock(change.madeAt, timeZone: .current)
            do {
                try await api.call(.PUT, "/api/v1/me/status", json: change.body)
                report.append("sent the change to \(change.type) made at \(made) while the server was away")
            } catch let error as ClientError {
                if error.isOutage { return report }
                switch error {
                case let .refused(_, code, message):
                    report.append(
                        code == "superseded"
                            ? "not sent: the change to \(change.type) made at \(made), because your status was changed after it"
                            : "not sent: the change to \(change.type) made at \(made): \(message)")
                default: throw error
                }
            }
            try removeSent(change)
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

/// An exclusive `flock` on a file in the client's folder, held until the value is released.
final class FileLock {
    private let descriptor: Int32

    /// Nil when `wait` is false and another process holds the lock.
    init?(_ path: String, wait: Bool) throws {
        try FileManager.default.createDirectory(
            atPath: (path as NSString).deletingLastPathComponent, withIntermediateDirectories: true)
        descriptor = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0o600)
        guard descriptor >= 0 else {
            throw ClientError.local("cannot open \(path): \(String(cString: strerror(errno)))")
        }
        guard flock(descriptor, wait ? LOCK_EX : LOCK_EX | LOCK_NB) == 0 else {
            let error = errno
            close(descriptor)
            if !wait, error == EWOULDBLOCK { return nil }
            throw ClientError.local("cannot lock \(path): \(String(cString: strerror(error)))")
        }
    }

    deinit { close(descriptor) }  // closing releases the lock
}
