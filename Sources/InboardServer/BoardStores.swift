import InboardStore
import Logging

/// The stores behind the board, statuses, people, sessions, watches, notes and the organisation's rules: the
/// PostgreSQL ones in production, in-memory ones in route and page tests (`AppDependencies.boardStores`).
public struct BoardStores: Sendable {
    public var statuses: any StatusStoring
    public var people: any PeopleStoring
    public var sessions: any SessionStoring
    public var watches: any WatchStoring
    public var notes: any NoteStoring
    public var organisation: any OrganisationStoring
    public var mailPreferences: any MailPreferencesStoring

    public init(
        statuses: any StatusStoring, people: any PeopleStoring, sessions: any SessionStoring, watches: any WatchStoring,
        notes: any NoteStoring, organisation: any OrganisationStoring, mailPreferences: any MailPreferencesStoring
    ) {
        self.statuses = statuses
        self.people = people
        self.sessions = sessions
        self.watches = watches
        self.notes = notes
        self.organisation = organisation
        self.mailPreferences = mailPreferences
    }

    init(database: DatabasePool, logger: Logger) {
        self.init(
            statuses: StatusStore(database: database, logger: logger),
            people: PeopleStore(database: database, logger: logger),
            sessions: SessionCache(store: SessionStore(database: database, logger: logger)),
            watches: WatchStore(database: database, logger: logger),
            notes: NoteStore(database: database, logger: logger),
            organisation: OrganisationStore(database: database, logger: logger),
            mailPreferences: MailPreferencesStore(database: database, logger: logger))
    }
}
