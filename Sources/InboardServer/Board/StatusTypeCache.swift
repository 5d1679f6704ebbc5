import InboardStore
import Synchronization

/// Status types as status changes name them, each with the version of its row when read, so that a change
/// does not read its type first: the change's write checks that version (`StatusStoring.set(…typeVersion:…)`),
/// and a type changed since, on this server or another, is read again and the change judged against it.
/// Only a type named exactly by its name is kept (one entry per type, whatever case variants clients send):
/// a name is unique, while a number could be an id or a name.
final class StatusTypeCache: Sendable {
    /// A safety bound (types are few): when this many are kept, the next one empties the cache.
    static let capacity = 256
    private let entries = Mutex<[String: VersionedStatusType]>([:])

    /// The type named `key` as read before, if it was.
    func cached(_ key: String) -> VersionedStatusType? {
        entries.withLock { $0[key] }
    }

    /// Reads the type named `key` (id or name, any case) and keeps it when `key` is its name.
    func read(_ key: String, from statuses: any StatusStoring) async throws -> VersionedStatusType? {
        let fresh = try await statuses.versionedType(named: key)
        entries.withLock { entries in
            guard let fresh, fresh.type.name == key, Int64(key) == nil else {
                entries[key] = nil
                return
            }
            if entries.count >= Self.capacity { entries.removeAll() }
            entries[key] = fresh
        }
        return fresh
    }
}
