#if canImport(Glibc)
    import Glibc
#endif
import Crypto
import Foundation
import InboardCore

/// Status changes made while the server could not be reached, kept in the config folder (`queue.json`, mode 600)
/// and sent when it is back: oldest first, each with the time it was made, so that one the person has since
/// replaced on another device is reported (409 superseded), never forced over the newer one. Each change is its
/// maker's: only the session it was queued under, or another session of the same person (as the server names
/// them), sends it, so a change waiting through a logout goes with its maker's next login here, never as
/// whoever logs in next. A change too old for the server to apply is dropped (`keptFor`).
public struct OfflineQueue: Sendable {
    public struct Change: Codable, Sendable, Equatable {
        public var type: String
        public var note: String?
        public var noteHidden: Bool?
        public var returnAt: Date?
        public var expiresAt: Date?
        public var madeAt: Date
        /// The username of who made it, when this client knew it (nil for a login made by an older client).
        public var owner: String?
        /// The session it was queued under (`OfflineQueue.session(of:)`). Neither this nor `owner`: queued by an
        /// older client, sent by whoever is logged in.
        public var session: String?

        public init(body: [String: Any], madeAt: Date, owner: String?, session: String?) {
            type = body["type"] as? String ?? ""
            note = body["note"] as? String
            noteHidden = body["noteHidden"] as? Bool
            returnAt = (body["returnAt"] as? String).flatMap(EntryText.parse)
            expiresAt = (body["expiresAt"] as? String).flatMap(EntryText.parse)
            self.madeAt = madeAt
            self.owner = owner
            self.session = session
        }

        /// Whether it is the change of `session`, which belongs to `account` (nil when not known).
        func belongs(toSession session: String?, account: String?) -> Bool {
            if owner == nil, self.session == nil { return true }
            if let session, self.session == session { return true }
            guard let owner, let account else { return false }
            return owner.lowercased() == account.lowercased()
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

    /// How long a queued change is kept: the server applies one at most `StatusChange.latestArrival` after it
    /// was made, and a day more allows for this machine's clock running ahead. An older change can never be
    /// applied; it goes at the next flush or logout here, whoever's it is (the flush or logout of its maker's
    /// session says so), so the change of someone who never comes back to this machine (and their note) is not
    /// kept on it for ever.
    public static let keptFor: TimeInterval = StatusChange.latestArrival + 86_400

    /// Why such a change goes, as the person is told (at a send or a logout).
    public static let tooOldToApply = "more than \(Int(keptFor / 86_400)) days old: too old to apply"

    /// `changes` split into those still worth sending and those too old to apply.
    static func expiring(_ changes: [Change], now: Date = Date()) -> (kept: [Change], expired: [Change]) {
        let oldest = now.addingTimeInterval(-keptFor)
        return (changes.filter { $0.madeAt >= oldest }, changes.filter { $0.madeAt < oldest })
    }

    /// What is queued; a file that cannot be read is an error, never taken for an empty queue (and overwritten).
    public func load() throws -> [Change] {
        let path = config.folder + "/queue.json"
        guard let data = FileManager.default.contents(atPath: path) else { return [] }
        do { return try Self.decoder.decode([Change].self, from: data) } catch {
            throw ClientError.local("\(path) cannot be read (\(error)); it was left as it is: move it away to go on")
        }
    }

    public var changes: [Change] { (try? load()) ?? [] }

    /// A session's mark on the changes queued under it: a digest of its token (the token itself is not copied).
    public static func session(of token: String?) -> String? {
        token.map { SHA256.hash(data: Data($0.utf8)).prefix(8).lowercaseHex }
    }

    /// The changes of `token`'s session, or of `account`'s other sessions.
    public func count(ofSession token: String?, account: String?) -> Int {
        let session = Self.session(of: token)
        return changes.filter { $0.belongs(toSession: session, account: account) }.count
    }

    public func append(_ change: Change) throws { try locked { try save(try load() + [change]) } }

    /// What a logout leaves of the changes of `token`'s session (and `account`'s, and an older client's): those
    /// with a maker (theirs, or `account`) stay, named, for that person's next login here, except those with a
    /// hidden note, which are not left on the machine; those with no maker to name go (no later session could
    /// tell they are its own), as do those too old to apply (`expired` counts the person's own). Others' changes
    /// stay as they are, unless too old.
    public func logout(_ token: String?, account: String?) -> (discarded: Int, hidden: Int, kept: Int, expired: Int) {
        let session = Self.session(of: token)
        return
            (try? locked {
                var (discarded, hidden, kept) = (0, 0, 0)
                var left: [Change] = []
                let (current, expired) = Self.expiring(try load())
                for var change in current {
                    guard change.belongs(toSession: session, account: account) else {
                        left.append(change)
                        continue
                    }
                    if change.noteHidden == true {
                        hidden += 1
                    } else if let maker = change.owner ?? account {
                        // Named now if it was not (queued under this session, or by an older client): from here
                        // on only this person's sessions send it.
                        change.owner = maker
                        left.append(change)
                        kept += 1
                    } else {
                        discarded += 1
                    }
                }
                try save(left)
                return (
                    discarded, hidden, kept, expired.filter { $0.belongs(toSession: session, account: account) }.count
                )
            }) ?? (0, 0, 0, 0)
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

    /// Sends what the session of `api` (or an earlier one of its person) queued, oldest first; returns one line
    /// per change for the person. Who the session is comes from the server (`/me`), not from a file another
    /// login may have rewritten meanwhile. Stops, keeping the rest, when the server cannot be reached again;
    /// others' changes stay.
    public func flush(_ api: InboardAPI) async throws -> [String] {
        guard try !load().isEmpty else { return [] }  // a damaged queue is an error, as in every other use
        let session = Self.session(of: api.token)
        let account: String?
        do {
            account = (try await api.call(.GET, "/api/v1/me") as? [String: Any])?["username"] as? String
        } catch let error as ClientError where error.isOutage {
            return []
        }
        // One sender at a time (the agent, or a command): a second would send the same change again and be
        // told, wrongly, that it was superseded. It leaves the queue to the one already sending (and anything
        // queued stays queued when the lock cannot be had at all).
        guard let sending = try? FileLock(config.folder + "/queue.flush.lock", wait: false) else { return [] }
        defer { withExtendedLifetime(sending) {} }  // held on every way out, early returns included
        let expired = try locked {
            let (kept, expired) = Self.expiring(try load())
            if !expired.isEmpty { try save(kept) }
            return expired.filter { $0.belongs(toSession: session, account: account) }
        }
        var report = expired.map {
            "not sent: the change to \($0.type) made at \(EntryText.clock($0.madeAt, timeZone: .current)): "
                + "it is \(Self.tooOldToApply)"
        }
        while let change = try locked({ try load().first { $0.belongs(toSession: session, account: account) } }) {
            let made = EntryText.clock(change.madeAt, timeZone: .current)
            do {
                try await api.call(.PUT, "/api/v1/me/status", json: change.body)
                report.append("sent the change to \(change.type) made at \(made) while the server was away")
            } catch let error as ClientError {
                if error.isOutage { return report }
                switch error {
                case let .refused(status, _, message) where status == 500 || status == 429:
                    // The server failed, or asks for a pause (too many changes lately): no verdict on the change
                    // (nothing of it was stored), so it is kept, and the rest after it, for the next try.
                    report.append(
                        "kept: the server \(status == 429 ? "asked for a pause before" : "failed on") the change to "
                            + "\(change.type) made at \(made) (\(message)); it is sent again next time")
                    return report
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
