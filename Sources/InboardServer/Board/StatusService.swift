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
    /// Types by name, so that a change does not read its type each time.
    let types = StatusTypeCache()
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
        // The organisation's setting matters only to a change that hides its note: most changes skip that read.
        let hidesNote = request.noteHidden ?? false
        let mayHide = hidesNote ? try await organisation.load().allowHiddenNotes : false
        // Judged against the type as kept (read only when it is not); one it refuses is judged again as read now.
        var (type, change) = try await judged(request, against: types.cached(request.type), hidingAllowed: mayHide)
        do {
            return try await limiter.counting(personID) {
                // Written only while the type is as judged; changed since (`typeChanged`, nothing written): again.
                for attempt in 1...Self.attemptsWhileTypeChanges {
                    do {
                        let entry = try await statuses.set(
                            personID: personID, type: type.type, typeVersion: type.version, change: change,
                            setBy: actor.id, source: address, autoAway: false)
                        await board.invalidate()
                        return entry.redacted(for: actor)
                    } catch StatusStoreError.typeChanged where attempt < Self.attemptsWhileTypeChanges {
                        (type, change) = try await judged(request, against: nil, hidingAllowed: mayHide)
                    }
                }
                throw StatusStoreError.typeChanged(type.type.id)  // not reached: the last attempt returns or throws
            }
        } catch StatusStoreError.noSuchPerson {
            throw APIError(.notFound, code: "not_found", message: "There is no person \(personID).")
        } catch StatusStoreError.superseded {
            throw APIError(
                .conflict, code: "superseded",
                message: "The status was changed after this change was made; it was not applied.")
        } catch StatusStoreError.typeChanged {
            throw APIError(
                .conflict, code: "type_changed",
                message:
                    "The status type '\(request.type)' kept changing while this change was being saved (\(Self.attemptsWhileTypeChanges) attempts); try again."
            )
        }
    }

    /// Writes of one change, each after the type changed under the one before.
    static let attemptsWhileTypeChanges = 3

    /// The type `request` names and the change as stored, judged against `kept` (a type as read earlier) or, when
    /// there is none or it refuses the change, against the type read now. Unknown types and broken rules are 422s.
    private func judged(_ request: StatusRequest, against kept: VersionedStatusType?, hidingAllowed: Bool)
        async throws -> (VersionedStatusType, StatusChange)
    {
        if let kept, let change = try? validated(request, for: kept.type, hidingAllowed: hidingAllowed) {
            return (kept, change)
        }
        guard let type = try await types.read(request.type, from: statuses) else {
            throw APIError(
                .unprocessableContent, code: "invalid_field",
                message: "type '\(request.type)' is not a status type (GET /api/v1/status-types)")
        }
        return (type, try validated(request, for: type.type, hidingAllowed: hidingAllowed))
    }

    /// The change asked for, as it is stored, or the first of its type's rules it breaks.
    private func validated(_ request: StatusRequest, for type: StatusType, hidingAllowed: Bool) throws -> StatusChange {
        do {
            return try StatusChange(
                note: request.note, noteHidden: request.noteHidden ?? false, returnAt: request.returnAt,
                expiresAt: request.expiresAt, madeAt: request.madeAt
            )
            .validated(for: type, now: clock(), hidingAllowed: hidingAllowed)
        } catch {
            throw APIError(.unprocessableContent, code: "invalid_field", message: error.description)
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
