import Foundation
import Hummingbird
import InboardStore

/// The board everyone uses: everyone's status (live through SSE), filters, my status in two clicks, a
/// person's card with watch and note, my notes and watches. Delegates set others' statuses from the card.
struct BoardPages: Sendable {
    let statuses: any StatusStoring
    let service: StatusService
    let people: any PeopleStoring
    let watches: any WatchStoring
    let notes: any NoteStoring
    let mailPreferences: any MailPreferencesStoring
    let renderer: WebRenderer
    let hub: EventHub
    let clock: @Sendable () -> Date

    func addRoutes(to group: RouterGroup<AppRequestContext>) {
        let users = group.requiring(.user)
        users.get("", use: board)
        users.get("people/:id", use: card)
        users.get("me", use: mine)
        users.post("status") { request, context in
            let me = try context.requireIdentity()
            return try await setStatus(of: me.id, request: request, context: context, back: "/")
        }
        group.requiring(.delegate).post("people/:id/status") { request, context in
            let id = try context.parameters.require("id", as: Int64.self)
            return try await setStatus(of: id, request: request, context: context, back: "/people/\(id)")
        }
        users.post("me/mail") { request, context in
            var request = request
            let me = try context.requireIdentity()
            let form = try await request.form(context: context)
            try await mailPreferences.save(
                me.id,
                Dictionary(
                    uniqueKeysWithValues: MailPreferencesStore.events.map { ($0.event, form.has("mail." + $0.event)) }))
            return WebAuthController.redirect(to: "/me?done=mail")
        }
        users.post("people/:id/watch") { request, context in
            var request = request
            let me = try context.requireIdentity(), id = try context.parameters.require("id", as: Int64.self)
            let onlyIn = try await request.form(context: context).has("onlyIn")
            guard id != me.id, try await watches.watch(watcher: me.id, watched: id, onlyIn: onlyIn) else {
                throw APIError(.notFound, code: "not_found", message: "There is no active colleague \(id) to watch.")
            }
            return WebAuthController.redirect(to: "/people/\(id)?done=watch")
        }
        users.post("people/:id/unwatch") { _, context in
            let id = try context.parameters.require("id", as: Int64.self)
            try await watches.unwatch(watcher: try context.requireIdentity().id, watched: id)
            return WebAuthController.redirect(to: "/people/\(id)?done=unwatch")
        }
        users.post("people/:id/notes") { request, context in
            var request = request
            let me = try context.requireIdentity(), id = try context.parameters.require("id", as: Int64.self)
            let body = try await request.form(context: context)["body"] ?? ""
            guard body.limitLength <= NoteStore.maxLength else {
                throw APIError(
                    .unprocessableContent, code: "invalid_field",
                    message: "A note has at most \(NoteStore.maxLength) characters.")
            }
            let left: NoteStore.Note?
            do {
                left = body.isEmpty ? nil : try await notes.leave(for: id, from: me.id, body: body)
            } catch is NoteRateLimited { throw APIError.tooManyNotes }
            guard left != nil else {
                throw APIError(
                    .unprocessableContent, code: "invalid_field",
                    message: "Write something first (and the colleague must be active).")
            }
            return WebAuthController.redirect(to: "/people/\(id)?done=note")
        }
    }

    @Sendable func board(_ request: Request, context: AppRequestContext) async throws -> Response {
        let me = try context.requireIdentity()
        let query = request.uri.queryParameters
        let asked = try BoardRequest(query, defaultLimit: BoardRequest.maxLimit)
        let (q, department, boardName) = (asked.filter.search, asked.filter.department, asked.filter.board)
        let now = clock()
        // Before the read: every change the hub had read by then is in the board below, and a later one is replayed
        // to the page's stream (empty when the event log cannot be read: the stream then starts where it opens).
        let streamFrom = (try? await hub.position())?.text ?? ""
        let slice = try await statuses.board(asked.filter, after: asked.cursor, limit: asked.limit)
        let entries = slice.entries.map { $0.redacted(for: me).refreshed(now: now) }
        // The whole organisation's counts come with the cached board (one aggregate per change, not per view).
        let counts =
            asked.filter.isEverybody
            ? try await service.board.counts() : try await statuses.boardCounts(asked.filter, now: now)
        let mine = try await statuses.entry(personID: me.id)?.refreshed(now: now).status
        let organisation = try await service.organisation.load()
        let boards = try await statuses.boards()
        let model = BoardPage(
            heading: boardName ?? department ?? "Everyone",
            counts: BoardPage.Counts(in: counts.in, out: counts.out, overdue: counts.overdue, total: counts.total),
            paging: BoardPage.Paging(
                shown: entries.count, isComplete: asked.cursor == nil && slice.next == nil,
                nextLink: slice.next.map { asked.link("/", after: $0) } ?? "",
                firstLink: asked.cursor == nil ? "" : asked.filterLink("/")),
            q: q ?? "", csvLink: asked.filterLink("/api/v1/people.csv"),
            departments: try await statuses.departments().map { FilterChoice(name: $0, selected: $0 == department) },
            boards: boards.map { FilterChoice(name: $0, selected: $0 == boardName) }, hasBoards: !boards.isEmpty,
            types: try await statuses.types().map { TypeChoice(name: $0.name, colour: $0.colour) },
            canHide: organisation.allowHiddenNotes, people: entries.map { BoardRow($0, now: now) },
            mine: mine.map { BoardPage.MyStatus(type: $0.type, colour: $0.colour, overdue: $0.overdue) },
            streamFrom: streamFrom)
        return renderer.page(
            "board", title: "Board", section: "board", context: context, model: model,
            notice: query.get("done") == "status" ? "Your status is set." : nil)
    }

    @Sendable func card(_ request: Request, context: AppRequestContext) async throws -> Response {
        let me = try context.requireIdentity()
        let id = try context.parameters.require("id", as: Int64.self)
        try await BoardController.requireShown(id, to: me, people: people)
        guard let entry = try await statuses.entry(personID: id)?.redacted(for: me).refreshed(now: clock()) else {
            throw APIError(.notFound, code: "not_found", message: "There is no person \(id).")
        }
        let watched = try await watches.watched(by: me.id).contains { $0.id == id }
        let onlyIn = try await watches.watchers(of: id).first { $0.id == me.id }?.onlyIn ?? false
        let status = entry.status.map { current in
            PersonCardPage.Status(
                type: current.type, colour: current.colour, overdue: current.overdue, note: current.note ?? "",
                returnText: WebFormat.shortTime(current.returnAt), expiresText: WebFormat.shortTime(current.expiresAt),
                setText: WebFormat.shortTime(current.setAt), setBy: current.setBy ?? "")
        }
        let history = try await statuses.history(personID: id, limit: 10).map { $0.redacted(for: me, subject: id) }
        let done = [
            "watch": "You are watching \(entry.displayName).", "unwatch": "You no longer watch \(entry.displayName).",
            "note": "Your note is waiting for \(entry.displayName).", "status": "\(entry.displayName)'s status is set.",
        ]
        let model = PersonCardPage(
            person: .init(
                id: entry.id, displayName: entry.displayName, username: entry.username,
                department: entry.department ?? ""),
            entry: .init(status: status),
            contact: try await people.contact(id: id).map { .init(label: $0.label, value: $0.value) },
            isMe: id == me.id, watching: watched, onlyIn: onlyIn, canSetOthers: me.role >= .delegate && id != me.id,
            types: try await statuses.types().map { TypeChoice(name: $0.name, colour: $0.colour) },
            history: history.map {
                .init(type: $0.type, setText: WebFormat.shortTime($0.setAt), setBy: $0.setBy ?? "", note: $0.note ?? "")
            })
        return renderer.page(
            "person", title: entry.displayName, section: "board", context: context, model: model,
            notice: request.uri.queryParameters.get("done").flatMap { done[String($0)] })
    }

    @Sendable func mine(_ request: Request, context: AppRequestContext) async throws -> Response {
        let me = try context.requireIdentity()
        let choices = try await mailPreferences.load(me.id)
        let model = MyPage(
            notes: try await notes.notes(for: me.id, all: true, limit: 50).map {
                .init(from: $0.from, body: $0.body, when: WebFormat.shortTime($0.createdAt))
            },
            watched: try await watches.watched(by: me.id).map { BoardRow($0.redacted(for: me)) },
            watchers: try await watches.watchers(of: me.id).map {
                .init(displayName: $0.displayName, onlyIn: $0.onlyIn)
            },
            mail: MailPreferencesStore.events.map {
                .init(event: $0.event, label: $0.label, on: choices[$0.event] ?? ($0.event != "watchDigest"))
            },
            email: me.email ?? "")
        return renderer.page(
            "me", title: "Me", section: "me", context: context, model: model,
            notice: request.uri.queryParameters.get("done") == "mail" ? "Mail choices saved." : nil)
    }

    func setStatus(of personID: Int64, request: Request, context: AppRequestContext, back: String) async throws
        -> Response
    {
        var request = request
        let form = try await request.form(context: context)
        let returnAt = try WebFormat.localDate(form["returnAt"], offsetMinutes: form["tz"]).get()
        let expiresAt = try WebFormat.localDate(form["expiresAt"], offsetMinutes: form["tz"]).get()
        let change = StatusRequest(
            type: form["type"] ?? "", note: form["note"], noteHidden: form.has("noteHidden"), returnAt: returnAt,
            expiresAt: expiresAt)
        _ = try await service.set(
            personID: personID, change, by: try context.requireIdentity(), from: context.remoteAddress)
        return WebAuthController.redirect(to: back + "?done=status")
    }
}
