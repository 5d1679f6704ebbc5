import Foundation
import InboardStore
import Logging
import NIOConcurrencyHelpers
import ServiceLifecycle

/// Sessions answered from memory: a token seen before costs a hash and a lookup instead of a query. Trusted
/// only while it listens to the database's own word on session and identity changes (`SessionStore.changesChannel`,
/// sent by triggers whoever writes); until listening starts, and from the moment the connection drops until
/// it is back, every request reads the database as if there were no cache. This process's own changes clear it
/// synchronously before their answer leaves (`SessionStore.localChanges`). Entries also end at the session's
/// expiry and after `ttl` whatever happens, so a fault in all of the above heals by itself.
final class SessionCache: SessionStoring, Service {
    struct Entry {
        let person: Person
        let sessionID: Int64
        let expiresAt: Date
        let cachedAt: ContinuousClock.Instant
        var lastSeenWritten: ContinuousClock.Instant
    }

    struct State {
        var entries: [Data: Entry] = [:]
        /// Listening: a change would be heard. False before the first LISTEN and while reconnecting.
        var trusted = false
        /// Raised by every forgetting: a lookup that started before it is not kept.
        var generation = 0
    }

    let store: SessionStore
    let ttl: Duration
    let capacity: Int
    private let state = NIOLockedValueBox(State())
    private let localObserver = NIOLockedValueBox<UUID?>(nil)

    init(store: SessionStore, ttl: Duration = .seconds(30), capacity: Int = 50_000) {
        self.store = store
        self.ttl = ttl
        self.capacity = capacity
        let id = store.localChanges.observe { [state] in Self.forget(state) }
        localObserver.withLockedValue { $0 = id }
    }

    deinit {
        if let id = localObserver.withLockedValue({ $0 }) { store.localChanges.stopObserving(id) }
    }

    /// Listens until the server stops; a dropped connection makes the cache untrusted until it is back.
    func run() async throws {
        let state = self.state
        await cancelWhenGracefulShutdown {
            await self.store.listenForChanges(
                listening: { [state] in Self.trust(state, true) }, changed: { [state] in Self.forget(state) },
                lost: { [state] in Self.trust(state, false) })
        }
        Self.trust(state, false)
    }

    var isTrusted: Bool { state.withLockedValue(\.trusted) }

    private static func trust(_ state: NIOLockedValueBox<State>, _ trusted: Bool) {
        state.withLockedValue {
            $0.entries.removeAll()
            $0.generation += 1
            $0.trusted = trusted
        }
    }

    private static func forget(_ state: NIOLockedValueBox<State>) {
        state.withLockedValue {
            $0.entries.removeAll()
            $0.generation += 1
        }
    }

    func person(forToken token: String) async throws -> (person: Person, sessionID: Int64)? {
        let key = SessionStore.hash(token), now = ContinuousClock.now, wallNow = Date()
        enum Cached {
            case hit(Entry, touch: Bool)
            case miss(generation: Int)
        }
        let cached = state.withLockedValue { state -> Cached in
            if state.trusted, var entry = state.entries[key], entry.expiresAt > wallNow, now - entry.cachedAt < ttl {
                let touch = now - entry.lastSeenWritten >= .seconds(60)
                if touch {
                    entry.lastSeenWritten = now
                    state.entries[key] = entry
                }
                return .hit(entry, touch: touch)
            }
            return .miss(generation: state.generation)
        }
        switch cached {
        case let .hit(entry, touch):
            if touch { try await store.touch(sessionID: entry.sessionID) }
            return (entry.person, entry.sessionID)
        case let .miss(generation):
            guard let found = try await store.lookup(token: token) else { return nil }
            if found.lastSeenIsStale { try await store.touch(sessionID: found.sessionID) }
            state.withLockedValue { state in
                guard state.trusted, state.generation == generation else { return }
                if state.entries.count >= capacity { state.entries.removeAll() }
                state.entries[key] = Entry(
                    person: found.person, sessionID: found.sessionID, expiresAt: found.expiresAt, cachedAt: now,
                    lastSeenWritten: now)
            }
            return (found.person, found.sessionID)
        }
    }

    func create(personID: Int64, kind: String, lifetime: Duration, address: String?, userAgent: String?) async throws
        -> SessionStore.Issued
    {
        try await store.create(
            personID: personID, kind: kind, lifetime: lifetime, address: address, userAgent: userAgent)
    }

    func stillValid(_ sessionIDs: [Int64]) async throws -> [Int64: Person] { try await store.stillValid(sessionIDs) }

    func revoke(token: String) async throws { try await store.revoke(token: token) }
}
