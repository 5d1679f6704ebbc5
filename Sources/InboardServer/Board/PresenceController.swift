import Foundation
import Hummingbird
import InboardCore
import InboardStore
import Logging

/// `POST /me/presence {"idleSeconds": N, "idleMinutes": M}`: a client reports how long its user has been idle.
/// Past the idle minutes (the client's policy setting `idleMinutesBeforeAway` when it sends one, else the
/// organisation's) an "in" status becomes the away type; activity restores what was there. Trusting the
/// client's minutes gives nothing away: a person may set any status themselves.
/// A status the person chose that is not "in" (Out, Lunch, Meeting …) is never replaced.
struct PresenceController: Sendable {
    let statuses: any StatusStoring
    let organisation: any OrganisationStoring
    /// Told of changes made here, so this process's next board read already shows them.
    let board: BoardCache
    let clock: @Sendable () -> Date
    let limiter: StatusChangeLimiter
    let logger: Logger

    struct Report: Decodable, KnownFields {
        static let fields: Set<String> = ["idleSeconds", "idleMinutes"]
        let idleSeconds: Int
        let idleMinutes: Int?
    }
    struct Answer: Encodable { let changed: Bool; let person: BoardEntry }

    func addRoutes(to group: RouterGroup<AppRequestContext>) {
        group.requiring(.user).post("me/presence") { request, context in
            let me = try context.requireIdentity()
            let report = try await request.decodeJSON(as: Report.self, context: context)
            guard report.idleSeconds >= 0 else {
                throw APIError(.badRequest, code: "bad_request", message: "field 'idleSeconds' must not be negative")
            }
            let allowed = OrganisationSettings.idleMinutesAllowed
            if let minutes = report.idleMinutes, !allowed.contains(minutes) {
                throw APIError(
                    .badRequest, code: "bad_request",
                    message: "field 'idleMinutes' must be \(allowed.lowerBound) to \(allowed.upperBound)")
            }
            let organisation = try await self.organisation.load()
            guard let current = try await statuses.entry(personID: me.id) else {
                throw APIError(.notFound, code: "not_found", message: "You are not on the board.")
            }
            // Clamped: settings stored before the upper bound existed may be larger (and overflow times 60).
            let idle =
                report.idleSeconds >= min(report.idleMinutes ?? organisation.idleMinutes, allowed.upperBound) * 60
            var changed: BoardEntry?
            if idle, current.status.map({ $0.presence == .in && !$0.autoAway }) ?? true {
                guard let away = try await statuses.type(named: organisation.awayType) else {
                    throw APIError(
                        .conflict, code: "not_configured",
                        message:
                            "The away status type '\(organisation.awayType)' does not exist; an admin sets it in the organisation settings."
                    )
                }
                changed = try await limiter.counting(me.id) {
                    try await statuses.set(
                        personID: me.id, type: away, change: StatusChange(), setBy: me.id, source: "auto-away",
                        autoAway: true)
                }
            } else if !idle, current.status?.autoAway == true {
                changed = try await limiter.counting(me.id) { try await restore(me.id) }
            }
            if changed != nil { await board.invalidate() }
            return try JSONResponse(Answer(changed: changed != nil, person: (changed ?? current).redacted(for: me)))
        }
    }

    /// Back to the status before auto-away (history's second entry) while it still holds, else the first "in" type.
    private func restore(_ person: Int64) async throws -> BoardEntry {
        let history = try await statuses.history(personID: person, limit: 2)
        let now = clock()
        if history.count == 2, let previous = try await statuses.type(named: history[1].type),
            let change = try? StatusChange(
                note: history[1].note, noteHidden: history[1].noteHidden, returnAt: history[1].returnAt,
                expiresAt: history[1].expiresAt
            ).validated(for: previous, now: now, hidingAllowed: true)
        {
            return try await statuses.set(
                personID: person, type: previous, change: change, setBy: person, source: "auto-away")
        }
        guard let fallback = try await statuses.types().first(where: { $0.presence == .in }) else {
            throw APIError(.conflict, code: "not_configured", message: "No active status type counts as in.")
        }
        return try await statuses.set(
            personID: person, type: fallback, change: StatusChange(), setBy: person, source: "auto-away")
    }
}
