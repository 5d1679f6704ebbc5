/// One piece of background maintenance: what it does (its outcome in words, for the Jobs page), how often, and
/// after how long a run whose server vanished may be taken over.
public struct MaintenanceJob: Sendable {
    public let name: String
    public let every: Duration
    public let staleAfter: Duration
    public let work: @Sendable () async throws -> String

    public init(
        name: String, every: Duration, staleAfter: Duration = .seconds(600),
        work: @escaping @Sendable () async throws -> String
    ) {
        self.name = name
        self.every = every
        self.staleAfter = staleAfter
        self.work = work
    }
}
