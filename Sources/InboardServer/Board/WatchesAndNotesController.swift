import Foundation
import Hummingbird
import InboardStore

/// Watches (`/watches`, `/me/watchers`) and notes (`/people/{id}/notes`, `/me/notes`).
struct WatchesAndNotesController: Sendable {
    let watches: any WatchStoring
    let notes: any NoteStoring
    let statuses: any StatusStoring

    struct WatchRequest: Decodable, KnownFields {
        static let fields: Set<String> = ["personId", "onlyIn"]
        let personId: Int64
        let onlyIn: Bool?
    }
    struct NoteRequest: Decodable, KnownFields {
        static let fields: Set<String> = ["body"]
        let body: String
    }

    func addRoutes(to group: RouterGroup<AppRequestContext>) {
        let users = group.requiring(.user)
        users.get("watches") { _, context in
            let me = try context.requireIdentity()
            return try JSONResponse([
                "people": try await watches.watched(by: me.id).map { $0.redacted(for: me) }
            ])
        }
        users.post("watches") { request, context in
            let me = try context.requireIdentity()
            let body = try await request.decodeJSON(as: WatchRequest.self, context: context)
            guard body.personId != me.id else {
                throw APIError(
                    .unprocessableContent, code: "invalid_field", message: "personId is you: you cannot watch yourself")
            }
            guard try await watches.watch(watcher: me.id, watched: body.personId, onlyIn: body.onlyIn ?? false) else {
                throw APIError(.notFound, code: "not_found", message: "There is no active person \(body.personId).")
            }
            return Response(status: .noContent)
        }
        users.delete("watches/:id") { _, context in
            try await watches.unwatch(
                watcher: try context.requireIdentity().id, watched: try context.parameters.require("id", as: Int64.self)
            )
            return Response(status: .noContent)
        }
        users.get("me/watchers") { _, context in
            try JSONResponse(["watchers": try await watches.watchers(of: try context.requireIdentity().id)])
        }
        users.post("people/:id/notes") { request, context in
            let me = try context.requireIdentity()
            let recipient = try context.parameters.require("id", as: Int64.self)
            let body = try await request.decodeJSON(as: NoteRequest.self, context: context).body.trimmingCharacters(
                in: .whitespacesAndNewlines)
            guard !body.isEmpty, body.limitLength <= NoteStore.maxLength else {
                throw APIError(
                    .unprocessableContent, code: "invalid_field",
                    message: "body must have 1 to \(NoteStore.maxLength) characters")
            }
            let left: NoteStore.Note?
            do { left = try await notes.leave(for: recipient, from: me.id, body: body) } catch is NoteRateLimited {
                throw APIError.tooManyNotes
            }
            guard let note = left else {
                throw APIError(.notFound, code: "not_found", message: "There is no active person \(recipient).")
            }
            return try JSONResponse(note, status: .created)
        }
        users.get("me/notes") { request, context in
            let all = try request.uri.queryParameters.flag("all")
            return try JSONResponse(["notes": try await notes.notes(for: try context.requireIdentity().id, all: all)])
        }
    }
}

extension APIError {
    /// The author reached `NoteStore.rateLimit` (API and web board alike).
    static let tooManyNotes = APIError(
        .tooManyRequests, code: "too_many_notes",
        message:
            "You left \(NoteStore.rateLimit) notes in the last \(NoteStore.rateWindow.components.seconds / 60) minutes; wait a little.",
        headers: [.retryAfter: "60"])
}
