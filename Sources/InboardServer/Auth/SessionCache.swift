import Foundation
import InboardStore
import Logging
import NIOConcurrencyHelpers
import ServiceLifecycle

/// Sessions answered from memory: a token seen before costs a hash and a lookup instead of a query.
///
/// Trusted only while it hears the database's own word on session and identity changes
/// (`SessionStore.changesChannel`, sent by triggers whoever writes): every server sends a heartbeat on that
/// channel each second, and a cache that heard nothing for `silenceLimit` (a LISTEN connection dropped, or
/// half-open and deaf) answers every request from the database, as if it did not exist, until it hears again.
/// This process's own changes clear it synchronously before their answer leaves (`SessionStore.localChanges`).
/// An entry also ends at the session's expiry (by the database's clock) and after `ttl` whatever happens, so a
/// change that bypasses the triggers (`ALTER TABLE … DISABLE TRIGGER`) is seen within `ttl`.
final class SessionCache: SessionStoring, Service {
    struct Entry {
        let person: Person
        let sessionID: Int64
        /// The session's expiry or `ttl`, whichever comes first.
        let until: ContinuousClock.Instant
        var lastSeenWritten: ContinuousClock.Instant
    }

    struct State {
        var entries: [Data: Entry] = [:]
        /// When the LISTEN connection last heard anything (a heartbeat or a change); nil while not listening.
        var lastHeard: ContinuousClock.Instant?
        /// Raised by every forgetting: a lookup that started before it is not kept.
        var generation = 0

        func hears(at now: ContinuousClock.Instant, within limit: Duration) -> Bool {
            lastHeard.map { now - $0 < limit } ?? false
        }

        /// Forgets `person`'s sessions, or everyone's for nil.
        mutating func forget(_ person: Int64?) {
            if let person { entries = entries.filter { $0.value.person.id != person } } else { entries.removeAll() }
            generation += 1
        }
    }

    let store: SessionStore
    let ttl: Duration
    let capacity: Int
    let heartbeatInterval: Duration
    let silenceLimit: Duration
    private let state = NIOLockedValueBox(State())
    private let localObserver = NIOLockedValueBox<UUID?>(nil)

    init(
        store: SessionStore, ttl: Duration = .seconds(5), capacity: Int = 50_000,
        heartbeatInterval: Duration = .seconds(1), silenceLimit: Duration = .seconds(3)
    ) {
        self.store = store
        self.ttl = ttl
        self.capacity = capacity
        self.heartbeatInterval = heartbeatInterval
        self.silenceLimit = silenceLimit
        let id = store.localChanges.observe { [state] person in state.withLockedValue { $0.forget(person) } }
        localObserver.withLockedValue { $0 = id }
    }

    deinit {
        if let id = localObserver.withLockedValue({ $0 }) { store.localChanges.stopObserving(id) }
    }

    /// Listens and sends heartbeats until the server stops.
    func run() async throws {
        let (state, store, interval, limit) = (self.state, self.store, heartbeatInterval, silenceLimit)
        await cancelWhenGracefulShutdown {
            await withTaskGroup(of: Void.self) { group in
                group.addTask {
                    await store.listenForChanges(
                        listening: { Self.heard(state, payload: "", silenceLimit: limit) },
                        changed: { Self.heard(state, payload: $0, silenceLimit: limit) },
                        lost: {
                            state.withLockedValue {
                                $0.lastHeard = nil
                                $0.forget(nil)
                            }
                        })
                }
                group.addTask {
                    while !Task.isCancelled {
                        try? await store.heartbeat()
                        try? await Task.sleep(for: interval)
                    }
                }
            }
        }
        state.withLockedValue {
            $0.lastHeard = nil
            $0.forget(nil)
        }
    }

    /// Whether answers may come from memory now.
    var isTrusted: Bool { state.withLockedValue { $0.hears(at: .now, within: silenceLimit) } }

    /// A notification (or the start of listening, payload ""): a person's id forgets their sessions, the
    /// heartbeat only proves the connection hears, anything else forgets everyone. The first word after a
    /// silence forgets everyone too: what was said meanwhile may never arrive.
    private static func heard(_ state: NIOLockedValueBox<State>, payload: String, silenceLimit: Duration) {
        state.withLockedValue { state in
            let now = ContinuousClock.now
            let wasDeaf = !state.hears(at: now, within: silenceLimit)
            state.lastHeard = now
            if payload == SessionStore.heartbeatPayload, !wasDeaf { return }
            state.forget(payload == SessionStore.heartbeatPayload ? nil : Int64(payload))
        }
    }

    func person(forToken token: String) async throws -> (person: Person, sessionID: Int64)? {
        let key = SessionStore.hash(token), now = ContinuousClock.now
        enum Cached {
            case hit(Entry, touch: Bool)
            case miss(generation: Int, trusted: Bool)
        }
        let cached = state.withLockedValue { state -> Cached in
            let trusted = state.hears(at: now, within: silenceLimit)
            if trusted, var entry = state.entries[key], now < entry.until {
                let touch = now - entry.lastSeenWritten >= .seconds(60)
                if touch {
                    entry.lastSeenWritten = now
                    state.entries[key] = entry
                }
                return .hit(entry, touch: touch)
            }
            return .miss(generation: state.generation, trusted: trusted)
        }
        switch cached {
        case let .hit(entry, touch):
            if touch { try await store.touch(sessionID: entry.sessionID) }
            return (entry.person, entry.sessionID)
        case let .miss(generation, trusted):
            guard let found = try await store.lookup(token: token) else { return nil }
            if found.lastSeenIsStale { try await store.touch(sessionID: found.sessionID) }
            guard trusted else { return (found.person, found.sessionID) }
            let until = min(now + ttl, now + .milliseconds(Int64(max(0, found.secondsLeft) * 1000)))
            state.withLockedValue { state in
                guard state.generation == generation, state.hears(at: .now, within: silenceLimit) else { return }
                if state.entries.count >= capacity { state.entries.removeAll() }
                state.entries[key] = Entry(
                    person: found.person, sessionID: found.sessionID, until: until, lastSeenWritten: now)
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

    /// Ends the session; this process forgets it before answering, others when the database's NOTIFY arrives.
    func revoke(token: String) async throws {
        defer {
            state.withLockedValue {
                $0.entries[SessionStore.hash(token)] = nil
                $0.generation += 1
            }
        }
        try await store.revoke(token: token)
    }
}
