import Foundation
import InboardCore
import InboardStore
import Synchronization

/// The stores that the board's routes and pages use, in memory, with a clock the test moves: route, page and
/// rule tests run on it without PostgreSQL and without sleeping. It applies the same rules as the PostgreSQL
/// stores (`PersonVisibilityRule`, the shipped status types, expiry fallbacks, the note rate limit); the
/// PostgreSQL stores keep their own tests against the real database.
public actor InMemoryStores: StatusStoring, PeopleStoring, SessionStoring, WatchStoring, NoteStoring,
    OrganisationStoring,
    MailPreferencesStoring
{
    /// A person as stored, with what `Person` does not carry.
    public struct Record: Sendable {
        public var person: Person
        public var roleOverride: Person.Role?
        public var boards: Set<String> = []
        public var contact: [PeopleStore.ContactField: String] = [:]
        public var passwordHash: String?
    }

    struct StoredStatus {
        var typeID: Int64
        var change: StatusChange
        var setBy: Int64?
        var setAt: Date
        var autoAway: Bool
        /// For an expiry's fallback: when the status it ended was set.
        var expiredStatusSetAt: Date? = nil
    }

    struct StoredSession {
        let id: Int64
        let personID: Int64
        let expiresAt: Date
        var revoked = false
    }

    struct StoredNote {
        let id: Int64
        let recipient: Int64
        let author: Int64
        let body: String
        let createdAt: Date
        var deliveredAt: Date?
    }

    public nonisolated let clock: TestClock
    var now: Date { clock.now }
    private var people: [Int64: Record] = [:]
    private var types: [StatusType] = []
    /// Each type's row version, renewed by every save (as PostgreSQL's xmin is).
    private var typeVersions: [Int64: Int] = [:]
    /// Whether every status type is changed (by "another server") just before each status write reaches it.
    private var typesChangeBeforeEachWrite = false
    /// Status writes refused because their type had changed since it was read.
    public private(set) var writesRefusedForTypeChange = 0
    private var statuses: [Int64: StoredStatus] = [:]
    private var history: [Int64: [HistoryEntry]] = [:]
    private var watches: [Int64: [Int64: Bool]] = [:]
    private var storedNotes: [StoredNote] = []
    private var sessions: [String: StoredSession] = [:]
    private var organisation = OrganisationSettings()
    private var mailChoices: [Int64: [String: Bool]] = [:]
    public private(set) var audit: [AuditEntry] = []
    private var nextID: Int64 = 100

    /// Starts with the shipped status types (schema/0001 and 0003) and nobody in it.
    public init(clock: TestClock = TestClock()) {
        self.clock = clock
        let shipped: [(String, String, StatusType.Presence, Bool, Int?, Int)] = [
            ("In", "#2e7d32", .in, false, nil, 10), ("Out", "#c62828", .out, true, nil, 20),
            ("Lunch", "#ef6c00", .out, true, 90, 30), ("Meeting", "#6a1b9a", .out, true, 240, 40),
            ("Remote", "#1565c0", .in, false, nil, 50), ("Vacation", "#00838f", .out, true, nil, 60),
            ("Sick", "#5d4037", .out, false, nil, 70), ("Away", "#757575", .out, false, nil, 15),
        ]
        types = shipped.enumerated().map { index, type in
            StatusType(
                id: Int64(index + 1), name: type.0, colour: type.1, presence: type.2, needsReturnTime: type.3,
                defaultExpiryMinutes: type.4, fallbackTypeID: index == 0 ? nil : 1, sortOrder: type.5)
        }
    }

    // MARK: arranging a test

    /// Adds a person; `source` "local" for a local account.
    @discardableResult
    public func add(
        _ username: String, role: Person.Role = .user, department: String? = nil, source: String = "directory",
        active: Bool = true, boards: Set<String> = []
    ) -> Person {
        nextID += 1
        let person = Person(
            id: nextID, username: username, displayName: username.capitalized + " Example",
            email: "\(username)@example.test",
            department: department, role: role, active: active, source: source,
            directoryID: source == "local" ? nil : "guid-\(username)")
        people[person.id] = Record(person: person, boards: boards)
        return person
    }

    /// A live session token for `person`.
    public func token(for person: Person, lifetime: Duration = .seconds(86_400)) async throws -> String {
        create(personID: person.id, kind: "api", lifetime: lifetime, address: nil, userAgent: nil).token
    }

    // MARK: StatusStoring

    public func types(includeInactive: Bool) -> [StatusType] {
        types.filter { $0.active || includeInactive }.sorted { ($0.sortOrder, $0.id) < ($1.sortOrder, $1.id) }
    }

    public func type(named key: String) -> StatusType? {
        types(includeInactive: true).first { String($0.id) == key || $0.name.lowercased() == key.lowercased() }
    }

    /// Reads of a versioned type (what a status change reads when it does not use a kept one).
    public private(set) var versionedTypeReads = 0

    public func versionedType(named key: String) -> VersionedStatusType? {
        versionedTypeReads += 1
        return type(named: key).map { VersionedStatusType(type: $0, version: typeVersion(of: $0.id)) }
    }

    private func typeVersion(of id: Int64) -> String { String(typeVersions[id, default: 0]) }

    public func changeTypesBeforeEachWrite(_ change: Bool) { typesChangeBeforeEachWrite = change }

    public func save(_ type: StatusType, create: Bool, by actor: String, from address: String?) throws -> StatusType {
        if types.contains(where: { $0.name.lowercased() == type.name.lowercased() && (create || $0.id != type.id) }) {
            throw StatusStoreError.duplicateName(type.name)
        }
        var saved = type
        if create {
            nextID += 1
            saved.id = nextID
            types.append(saved)
        } else {
            guard let index = types.firstIndex(where: { $0.id == type.id }) else {
                throw StatusStoreError.noSuchType(String(type.id))
            }
            types[index] = saved
        }
        typeVersions[saved.id, default: 0] += 1
        audit.append(
            AuditEntry(actor: actor, action: create ? "status-type.create" : "status-type.update", target: saved.name))
        return saved
    }

    public func set(
        personID: Int64, type: StatusType, typeVersion: String?, change: StatusChange, setBy: Int64?,
        source: String?, autoAway: Bool
    )
        throws -> BoardEntry
    {
        if typesChangeBeforeEachWrite { typeVersions[type.id, default: 0] += 1 }
        if let typeVersion, typeVersion != self.typeVersion(of: type.id) {
            writesRefusedForTypeChange += 1
            throw StatusStoreError.typeChanged(type.id)
        }
        guard people[personID] != nil else { throw StatusStoreError.noSuchPerson(personID) }
        if StatusChange.isSuperseded(
            madeAt: change.madeAt, currentSetAt: statuses[personID]?.setAt,
            expiredStatusSetAt: statuses[personID]?.expiredStatusSetAt)
        {
            // Sent again after a lost answer: the current status is this change (as StatusStore answers it).
            if let current = statuses[personID], current.setAt == change.madeAt, current.typeID == type.id,
                current.change == change, current.setBy == setBy
            {
                return entry(of: personID)!
            }
            throw StatusStoreError.superseded(personID)
        }
        statuses[personID] = StoredStatus(
            typeID: type.id, change: change, setBy: setBy, setAt: min(change.madeAt ?? now, now), autoAway: autoAway)
        record(personID, source: source)
        return entry(of: personID)!
    }

    public func board(_ filter: BoardFilter, after cursor: BoardCursor?, limit: Int) -> BoardSlice {
        let listed = filtered(filter).filter { record in
            cursor.map { (record.person.displayName.lowercased(), record.person.id) > ($0.sortName, $0.id) } ?? true
        }
        let page = listed.prefix(limit).compactMap { record in entry(of: record.person.id).map { (record, $0) } }
        return BoardSlice(
            entries: page.map(\.1),
            cursors: page.map { BoardCursor(sortName: $0.0.person.displayName.lowercased(), id: $0.0.person.id) },
            hasMore: listed.count > limit)
    }

    public func boardCounts(_ filter: BoardFilter, now: Date) -> BoardCounts {
        let listed = filtered(filter)
        let statuses = listed.compactMap { entry(of: $0.person.id)?.refreshed(now: now).status }
        return BoardCounts(
            total: listed.count, in: statuses.filter { $0.presence == .in }.count,
            out: statuses.filter { $0.presence == .out }.count, overdue: statuses.filter(\.overdue).count)
    }

    private func filtered(_ filter: BoardFilter) -> [Record] {
        let text = filter.search?.lowercased()
        return people.values
            .filter { record in
                let person = record.person
                return (person.active || filter.includeInactive) && listed(record)
                    && (text.map {
                        person.displayName.lowercased().contains($0) || person.username.lowercased().contains($0)
                    } ?? true)
                    && (filter.department.map { person.department?.lowercased() == $0.lowercased() } ?? true)
                    && (filter.board.map { name in record.boards.contains { $0.lowercased() == name.lowercased() } }
                        ?? true)
            }
            .sorted {
                ($0.person.displayName.lowercased(), $0.person.id) < ($1.person.displayName.lowercased(), $1.person.id)
            }
    }

    public func entry(personID: Int64) -> BoardEntry? { entry(of: personID) }

    public func history(personID: Int64, limit: Int) -> [HistoryEntry] {
        Array((history[personID] ?? []).reversed().prefix(limit))
    }

    public func departments() -> [String] {
        Array(Set(people.values.filter(\.person.active).compactMap(\.person.department))).sorted()
    }

    public func boards() -> [String] { Array(Set(people.values.flatMap(\.boards))).sorted() }

    public func expireDue() -> Int {
        var expired = 0
        for (personID, status) in statuses {
            guard let expiry = status.change.expiresAt, expiry <= now else { continue }
            let current = types.first { $0.id == status.typeID }
            let next = current?.fallbackTypeID ?? types(includeInactive: true).first { $0.presence == .in }?.id ?? 1
            statuses[personID] = StoredStatus(
                typeID: next, change: StatusChange(), setBy: nil, setAt: expiry, autoAway: false,
                expiredStatusSetAt: status.setAt)
            record(personID, source: "expiry")
            expired += 1
        }
        return expired
    }

    private func listed(_ record: Record) -> Bool {
        PersonVisibilityRule.listsOnBoard(
            isLocalAccount: record.person.source == "local", role: (record.roleOverride ?? record.person.role).rawValue)
    }

    /// Who acted (set a status, left a note, watches), as every output names them (`StatusStore.setByNameSQL`).
    private func actorName(_ personID: Int64) -> String? {
        people[personID].map { listed($0) ? $0.person.displayName : PersonVisibilityRule.unlistedAccountName }
    }

    private func entry(of personID: Int64) -> BoardEntry? {
        guard let record = people[personID] else { return nil }
        let person = record.person
        let status = statuses[personID].flatMap { stored -> BoardEntry.Status? in
            guard let type = types.first(where: { $0.id == stored.typeID }) else { return nil }
            return BoardEntry.Status(
                type: type.name, typeId: type.id, colour: type.colour, presence: type.presence,
                note: stored.change.note,
                noteHidden: stored.change.noteHidden, returnAt: stored.change.returnAt,
                expiresAt: stored.change.expiresAt,
                setAt: stored.setAt, setBy: stored.setBy.flatMap(actorName),
                autoAway: stored.autoAway,
                now: now)
        }
        return BoardEntry(
            id: person.id, username: person.username, displayName: person.displayName, email: person.email,
            department: person.department, active: person.active, status: status)
    }

    private func record(_ personID: Int64, source: String?) {
        guard let stored = statuses[personID], let type = types.first(where: { $0.id == stored.typeID }) else { return }
        history[personID, default: []].append(
            HistoryEntry(
                type: type.name, note: stored.change.note, noteHidden: stored.change.noteHidden,
                returnAt: stored.change.returnAt, expiresAt: stored.change.expiresAt, setAt: stored.setAt,
                setBy: stored.setBy.flatMap(actorName), source: source))
    }

    // MARK: PeopleStoring

    public func person(id: Int64) -> Person? { people[id].map(effective) }

    public func person(directoryID: String) -> Person? {
        people.values.first { $0.person.directoryID == directoryID }.map(effective)
    }

    public func localAccount(username: String) -> (person: Person, passwordHash: String)? {
        guard
            let record = people.values.first(where: {
                $0.person.source == "local" && $0.person.username.lowercased() == username.lowercased()
            }),
            let hash = record.passwordHash
        else { return nil }
        return (effective(record), hash)
    }

    public func contact(id: Int64) -> [(label: String, value: String)] {
        guard var record = people[id] else { return [] }
        record.contact[.email] = record.person.email  // one column in PostgreSQL
        let labelled: [(String, PeopleStore.ContactField)] = [
            ("Title", .title), ("Email", .email), ("Phone", .phone), ("Mobile", .mobile), ("Office", .office),
        ]
        return labelled.compactMap { label, field in record.contact[field].flatMap { $0.isEmpty ? nil : (label, $0) } }
    }

    public func updateContact(_ id: Int64, _ changes: [PeopleStore.ContactField: String?]) {
        for (field, value) in changes {
            guard field == .email, let person = people[id]?.person else {
                people[id]?.contact[field] = value
                continue
            }
            // The address on the board and for mail (one column in PostgreSQL).
            people[id]?.person = Person(
                id: person.id, username: person.username, displayName: person.displayName, email: value ?? nil,
                department: person.department, role: person.role, active: person.active, source: person.source,
                directoryID: person.directoryID)
        }
    }

    public func adminList(search: String?, limit: Int) -> [PeopleStore.AdminRow] {
        let text = search?.lowercased()
        return people.values
            .filter { record in
                text.map {
                    record.person.displayName.lowercased().contains($0)
                        || record.person.username.lowercased().contains($0)
                }
                    ?? true
            }
            .sorted {
                ($0.person.displayName.lowercased(), $0.person.id) < ($1.person.displayName.lowercased(), $1.person.id)
            }
            .prefix(limit)
            .map { record in
                let person = record.person
                let live = sessions.values.filter { $0.personID == person.id && !$0.revoked && $0.expiresAt > now }
                    .count
                return PeopleStore.AdminRow(
                    id: person.id, username: person.username, displayName: person.displayName, source: person.source,
                    role: person.role, roleOverride: record.roleOverride, active: person.active,
                    disabledReason: person.active ? nil : "disabled", liveSessions: live)
            }
    }

    public func setActive(_ id: Int64, _ active: Bool, by actor: String, from address: String?) {
        guard let record = people[id] else { return }
        let person = record.person
        people[id]?.person = Person(
            id: person.id, username: person.username, displayName: person.displayName, email: person.email,
            department: person.department, role: person.role, active: active, source: person.source,
            directoryID: person.directoryID)
        if !active { revokeAll(of: id) }
        audit.append(
            AuditEntry(
                actor: actor, action: active ? "person.enable" : "person.disable", target: String(id), address: address)
        )
    }

    public func setRoleOverride(_ id: Int64, _ role: Person.Role?, by actor: String, from address: String?) {
        people[id]?.roleOverride = role
        audit.append(AuditEntry(actor: actor, action: "person.role", target: String(id), address: address))
    }

    public func revokeSessions(_ id: Int64, by actor: String, from address: String?) {
        revokeAll(of: id)
        audit.append(AuditEntry(actor: actor, action: "sessions.revoke", target: String(id), address: address))
    }

    private func effective(_ record: Record) -> Person {
        let person = record.person
        guard let role = record.roleOverride else { return person }
        return Person(
            id: person.id, username: person.username, displayName: person.displayName, email: person.email,
            department: person.department, role: role, active: person.active, source: person.source,
            directoryID: person.directoryID)
    }

    private func revokeAll(of personID: Int64) {
        for (token, session) in sessions where session.personID == personID { sessions[token]?.revoked = true }
    }

    // MARK: SessionStoring

    public func create(personID: Int64, kind: String, lifetime: Duration, address: String?, userAgent: String?)
        -> SessionStore.Issued
    {
        nextID += 1
        let token = UUID().uuidString + UUID().uuidString
        let expires = now.addingTimeInterval(Double(lifetime.components.seconds))
        sessions[token] = StoredSession(id: nextID, personID: personID, expiresAt: expires)
        return SessionStore.Issued(token: token, expiresAt: expires)
    }

    public func person(forToken token: String) -> (person: Person, sessionID: Int64)? {
        guard let session = sessions[token], !session.revoked, session.expiresAt > now,
            let record = people[session.personID], record.person.active
        else { return nil }
        return (effective(record), session.id)
    }

    public func stillValid(_ sessionIDs: [Int64]) -> [Int64: Person] {
        var valid: [Int64: Person] = [:]
        for session in sessions.values
        where sessionIDs.contains(session.id) && !session.revoked && session.expiresAt > now {
            if let record = people[session.personID], record.person.active { valid[session.id] = effective(record) }
        }
        return valid
    }

    public func revoke(token: String) { sessions[token]?.revoked = true }

    // MARK: WatchStoring

    public func watch(watcher: Int64, watched: Int64, onlyIn: Bool) -> Bool {
        guard let record = people[watched], record.person.active, listed(record) else { return false }
        watches[watcher, default: [:]][watched] = onlyIn
        return true
    }

    public func unwatch(watcher: Int64, watched: Int64) { watches[watcher]?[watched] = nil }

    public func watched(by watcher: Int64) -> [BoardEntry] {
        (watches[watcher] ?? [:]).keys.compactMap { people[$0] }
            .filter { $0.person.active && listed($0) }
            .sorted { $0.person.displayName.lowercased() < $1.person.displayName.lowercased() }
            .compactMap { entry(of: $0.person.id) }
    }

    public func watchers(of person: Int64) -> [WatchStore.Watcher] {
        watches.compactMap { watcher, watched in
            watched[person].flatMap { onlyIn in
                actorName(watcher).map { WatchStore.Watcher(id: watcher, displayName: $0, onlyIn: onlyIn) }
            }
        }
        .sorted { $0.displayName.lowercased() < $1.displayName.lowercased() }
    }

    // MARK: NoteStoring

    public func leave(for recipient: Int64, from author: Int64, body: String, rateLimit: Int?) throws -> NoteStore.Note?
    {
        let windowStart = now.addingTimeInterval(-Double(NoteStore.rateWindow.components.seconds))
        if storedNotes.filter({ $0.author == author && $0.createdAt > windowStart }).count >= rateLimit ?? .max {
            throw NoteRateLimited()
        }
        guard let record = people[recipient], record.person.active, listed(record) else { return nil }
        nextID += 1
        let note = StoredNote(id: nextID, recipient: recipient, author: author, body: body, createdAt: now)
        storedNotes.append(note)
        return shown(note)
    }

    public func notes(for recipient: Int64, all: Bool, limit: Int) -> [NoteStore.Note] {
        let picked = storedNotes.indices
            .filter { storedNotes[$0].recipient == recipient && (all || storedNotes[$0].deliveredAt == nil) }
            .sorted { storedNotes[$0].createdAt > storedNotes[$1].createdAt }.prefix(limit)
        for index in picked where storedNotes[index].deliveredAt == nil { storedNotes[index].deliveredAt = now }
        return picked.map { shown(storedNotes[$0]) }
    }

    private func shown(_ note: StoredNote) -> NoteStore.Note {
        NoteStore.Note(
            id: note.id, from: actorName(note.author) ?? "", fromId: note.author, body: note.body,
            createdAt: note.createdAt, deliveredAt: note.deliveredAt)
    }

    // MARK: OrganisationStoring, MailPreferencesStoring

    public func load() -> OrganisationSettings { organisation }

    public func save(_ settings: OrganisationSettings, by actor: String, from address: String?) {
        organisation = settings
        audit.append(AuditEntry(actor: actor, action: "organisation.save", target: "organisation", address: address))
    }

    public func load(_ person: Int64) -> [String: Bool] { mailChoices[person] ?? [:] }

    public func save(_ person: Int64, _ choices: [String: Bool]) { mailChoices[person] = choices }
}

/// A clock a test moves by hand (expiry, overdue, session ends), shared by the in-memory stores and the app.
public final class TestClock: Sendable {
    private let value: Mutex<Date>

    public init(_ start: Date = Date(timeIntervalSince1970: 1_800_000_000)) { value = Mutex(start) }

    public var now: Date { value.withLock { $0 } }

    public func advance(by seconds: TimeInterval) { value.withLock { $0 = $0.addingTimeInterval(seconds) } }
}
