import Foundation
import InboardCore

/// Status types, statuses, history and the board, as controllers and pages use them: `StatusStore` keeps them
/// in PostgreSQL; tests may use an in-memory one.
public protocol StatusStoring: Sendable {
    func types(includeInactive: Bool) async throws -> [StatusType]
    /// A type by id or by name (case-insensitive), active or not.
    func type(named key: String) async throws -> StatusType?
    /// The same, with its row's version, for `set(…typeVersion:…)`.
    func versionedType(named key: String) async throws -> VersionedStatusType?
    /// Creates or updates a type and audits it; a name taken already is `StatusStoreError.duplicateName`.
    func save(_ type: StatusType, create: Bool, by actor: String, from address: String?) async throws -> StatusType
    /// Sets a status (validated by the caller), with its history and events; `noSuchPerson` when there is none;
    /// with `typeVersion`, `typeChanged` when the type's row is no longer that version.
    func set(
        personID: Int64, type: StatusType, typeVersion: String?, change: StatusChange, setBy: Int64?, source: String?,
        autoAway: Bool
    ) async throws -> BoardEntry
    /// One page of the board (`PersonVisibilityRule.listsOnBoard`) in name order: at most `limit` people after
    /// `cursor`, and where the next page starts.
    func board(_ filter: BoardFilter, after cursor: BoardCursor?, limit: Int) async throws -> BoardSlice
    /// In, out and overdue (`OverdueRule` as of `now`) over the whole filtered board.
    func boardCounts(_ filter: BoardFilter, now: Date) async throws -> BoardCounts
    func entry(personID: Int64) async throws -> BoardEntry?
    func history(personID: Int64, limit: Int) async throws -> [HistoryEntry]
    func departments() async throws -> [String]
    func boards() async throws -> [String]
    /// Ends statuses whose expiry has passed (each person's type falls back); how many.
    func expireDue() async throws -> Int
}

extension StatusStoring {
    public func types() async throws -> [StatusType] { try await types(includeInactive: false) }

    public func set(personID: Int64, type: StatusType, change: StatusChange, setBy: Int64?, source: String?)
        async throws -> BoardEntry
    {
        try await set(personID: personID, type: type, change: change, setBy: setBy, source: source, autoAway: false)
    }

    public func set(
        personID: Int64, type: StatusType, change: StatusChange, setBy: Int64?, source: String?, autoAway: Bool
    ) async throws -> BoardEntry {
        try await set(
            personID: personID, type: type, typeVersion: nil, change: change, setBy: setBy, source: source,
            autoAway: autoAway)
    }

    /// The first `limit` people of a filtered board.
    public func board(
        search: String? = nil, department: String? = nil, board: String? = nil, limit: Int = 1000
    ) async throws -> [BoardEntry] {
        try await self.board(
            BoardFilter(search: search, department: department, board: board), after: nil, limit: limit
        )
        .entries
    }

    public func history(personID: Int64) async throws -> [HistoryEntry] {
        try await history(personID: personID, limit: 50)
    }
}

/// People as controllers and pages read and change them.
public protocol PeopleStoring: Sendable {
    func person(id: Int64) async throws -> Person?
    /// A synced person by their directory identity (objectGUID or entryUUID).
    func person(directoryID: String) async throws -> Person?
    func localAccount(username: String) async throws -> (person: Person, passwordHash: String)?
    /// A person's contact details as label and value, for their card.
    func contact(id: Int64) async throws -> [(label: String, value: String)]
    func updateContact(_ id: Int64, _ changes: [PeopleStore.ContactField: String?]) async throws
    func adminList(search: String?, limit: Int) async throws -> [PeopleStore.AdminRow]
    func setActive(_ id: Int64, _ active: Bool, by actor: String, from address: String?) async throws
    func setRoleOverride(_ id: Int64, _ role: Person.Role?, by actor: String, from address: String?) async throws
    func revokeSessions(_ id: Int64, by actor: String, from address: String?) async throws
}

/// Login sessions and API tokens.
public protocol SessionStoring: Sendable {
    func create(personID: Int64, kind: String, lifetime: Duration, address: String?, userAgent: String?) async throws
        -> SessionStore.Issued
    /// The person a live token belongs to (nil when unknown, expired, revoked or the person is disabled).
    func person(forToken token: String) async throws -> (person: Person, sessionID: Int64)?
    /// Of `sessionIDs`, those still live, with their person as they are now.
    func stillValid(_ sessionIDs: [Int64]) async throws -> [Int64: Person]
    func revoke(token: String) async throws
}

/// Who watches whom.
public protocol WatchStoring: Sendable {
    /// False when `watched` is not someone who can be watched.
    func watch(watcher: Int64, watched: Int64, onlyIn: Bool) async throws -> Bool
    func unwatch(watcher: Int64, watched: Int64) async throws
    /// The board entries of the people `watcher` watches.
    func watched(by watcher: Int64) async throws -> [BoardEntry]
    func watchers(of person: Int64) async throws -> [WatchStore.Watcher]
}

/// Notes left for people.
public protocol NoteStoring: Sendable {
    /// Nil when the recipient does not exist or is inactive; `NoteRateLimited` past `rateLimit` (nil: none).
    func leave(for recipient: Int64, from author: Int64, body: String, rateLimit: Int?) async throws -> NoteStore.Note?
    /// The undelivered notes (then marked delivered), or the latest `limit` when `all`.
    func notes(for recipient: Int64, all: Bool, limit: Int) async throws -> [NoteStore.Note]
}

extension NoteStoring {
    public func leave(for recipient: Int64, from author: Int64, body: String) async throws -> NoteStore.Note? {
        try await leave(for: recipient, from: author, body: body, rateLimit: NoteStore.rateLimit)
    }

    public func notes(for recipient: Int64, all: Bool) async throws -> [NoteStore.Note] {
        try await notes(for: recipient, all: all, limit: 100)
    }
}

/// The organisation's rules.
public protocol OrganisationStoring: Sendable {
    func load() async throws -> OrganisationSettings
    func save(_ settings: OrganisationSettings, by actor: String, from address: String?) async throws
}

/// Which mails a person wants.
public protocol MailPreferencesStoring: Sendable {
    func load(_ person: Int64) async throws -> [String: Bool]
    func save(_ person: Int64, _ choices: [String: Bool]) async throws
}

extension StatusStore: StatusStoring {}
extension PeopleStore: PeopleStoring {}
extension SessionStore: SessionStoring {}
extension NoteStore: NoteStoring {}
extension OrganisationStore: OrganisationStoring {}
extension MailPreferencesStore: MailPreferencesStoring {}
