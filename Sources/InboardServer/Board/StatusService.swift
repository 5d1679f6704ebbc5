import Foundation
import InboardCore
import InboardStore
import Logging

/// What a status change asks for, from the API (JSON) or a board form.
struct StatusRequest: Decodable, KnownFields {
    static let fields: Set<String> = ["type", "note", "noteHidden", "returnAt", "expiresAt", "madeAt"]
    var type: String
    var note: String?
    var noteHidden: Bool?
    var returnAt: Date?
    var expiresAt: Date?
    /// When the change was made, for one sent late by an offline client.
    var madeAt: Date?
}

/// A status type as an admin defines it (API JSON or the admin form).
struct StatusTypeRequest: Decodable, KnownFields {
    static let fields: Set<String> = [
        "id", "name", "colour", "icon", "presence", "needsReturnTime", "defaultExpiryMinutes", "fallbackTypeId",
        "sortOrder", "active",
    ]
    var name: String
    var colour: String
    var icon: String?
    var presence: StatusType.Presence
    var needsReturnTime: Bool?
    var defaultExpiryMinutes: Int?
    var fallbackTypeId: Int64?
    var sortOrder: Int?
    var active: Bool?
}

/// Sets statuses for the API and the web board alike: the type must exist, the change must pass its type's
/// rules and the organisation's privacy setting, and this process's board cache learns of it at once.
struct StatusService: Sendable {
    let statuses: any StatusStoring
    let people: any PeopleStoring
    let organisation: any OrganisationStoring
    /// Told of changes made here, so this process's next board read already shows them.
    let board: BoardCache
    /// Now, for the type's rules (a return time in the future, the default expiry).
    let clock: @Sendable () -> Date
    let limiter: StatusChangeLimiter
    let logger: Logger

    func set(personID: Int64, _ request: StatusRequest, by actor: Person, from address: String?) async throws
        -> BoardEntry
    {
        if personID != actor.id {
            guard let target = try await people.person(id: personID) else {
                throw APIError(.notFound, code: "not_found", message: "There is no person \(personID).")
            }
            guard
                DelegateScopeRule.maySetStatus(
                    ofActive: target.active, targetIsAdmin: target.role >= .admin,
                    actorIsAdmin: actor.role >= .admin, actorIsDelegate: actor.role >= .delegate)
            else {
                throw APIError(
                    .forbidden, code: "forbidden",
                    message: "A delegate sets the status of active colleagues who are not administrators.")
            }
        }
        if request.madeAt != nil, personID != actor.id {
            throw APIError(
                .unprocessableContent, code: "invalid_field",
                message: "madeAt is for a person's own changes sent late; it cannot date someone else's status")
        }
        // Both at once: each is a round trip a change would otherwise wait for in turn.
        async let named = statuses.type(named: request.type)
        async let settings = self.organisation.load()
        guard let type = try await named else {
            throw APIError(
                .unprocessableContent, code: "invalid_field",
                message: "type '\(request.type)' is not a status type (GET /api/v1/status-types)")
        }
        let organisation = try await settings
        let change: StatusChange
        do {
            change = try StatusChange(
                note: request.note, noteHidden: request.noteHidden ?? false, returnAt: request.returnAt,
                expiresAt: request.expiresAt, madeAt: request.madeAt
            )
            .validated(for: type, now: clock(), hidingAllowed: organisation.allowHiddenNotes)
        } catch {
            throw APIError(.unprocessableContent, code: "invalid_field", message: error.description)
        }
        do {
            let entry = try await limiter.counting(personID) {
                try await statuses.set(personID: personID, type: type, change: change, setBy: actor.id, source: address)
            }
            await board.invalidate()
            return entry.redacted(for: actor)
        } catch StatusStoreError.noSuchPerson {
            throw APIError(.notFound, code: "not_found", message: "There is no person \(personID).")
        } catch StatusStoreError.superseded {
            throw APIError(
                .conflict, code: "superseded",
                message: "The status was changed after this change was made; it was not applied.")
        }
    }

    /// Creates (`id` nil) or updates a status type, and records it in the audit log.
    func saveType(_ body: StatusTypeRequest, id: Int64?, by actor: Person, from address: String?) async throws
        -> StatusType
    {
        let type = StatusType(
            id: id ?? 0, name: body.name.trimmingCharacters(in: .whitespaces), colour: body.colour,
            icon: body.icon ?? "",
            presence: body.presence, needsReturnTime: body.needsReturnTime ?? false,
            defaultExpiryMinutes: body.defaultExpiryMinutes, fallbackTypeID: body.fallbackTypeId,
            sortOrder: body.sortOrder ?? 100, active: body.active ?? true)
        guard !type.name.isEmpty else {
            throw APIError(.unprocessableContent, code: "invalid_field", message: "name is empty")
        }
        guard type.colour.wholeMatch(of: /#[0-9a-fA-F]{6}/) != nil else {
            throw APIError(
                .unprocessableContent, code: "invalid_field", message: "colour '\(type.colour)' is not #RRGGBB")
        }
        if let minutes = type.defaultExpiryMinutes, minutes <= 0 {
            throw APIError(
                .unprocessableContent, code: "invalid_field", message: "defaultExpiryMinutes must be positive")
        }
        do {
            return try await statuses.save(type, create: id == nil, by: actor.username, from: address)
        } catch StatusStoreError.noSuchType {
            throw APIError(.notFound, code: "not_found", message: "There is no status type \(id ?? 0).")
        } catch StatusStoreError.duplicateName {
            throw APIError(.conflict, code: "duplicate", message: "A status type named '\(type.name)' exists already.")
        } catch StatusStoreError.noSuchFallback(let fallback) {
            throw APIError(
                .unprocessableContent, code: "invalid_field", message: "fallbackTypeId \(fallback) is not a status type"
            )
        }
    }
}
