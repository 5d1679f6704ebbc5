import DirectorySync
import Foundation
import Hummingbird
import Logging

/// The Sync admin page: the schedule, "run now" (full, incremental, dry run) with a live progress bar, the
/// run history with counts and errors, and held runs (the mass-disable guard) to approve or discard.
struct AdminSyncPage: Sendable {
    let syncer: DirectorySyncer
    let launcher: SyncLauncher
    let renderer: WebRenderer
    let logger: Logger

    func addRoutes(to group: RouterGroup<AppRequestContext>) {
        let admin = group.requiring(.admin)
        admin.get("admin/sync", use: page)
        admin.post("admin/sync/run") { request, context in
            var request = request
            let form = try await request.form(context: context)
            let mode = SyncMode(rawValue: form["mode"] ?? "incremental") ?? .incremental
            let id = try await launch(
                SyncRequest(
                    mode: mode, dryRun: form.has("dryRun"), trigger: "web",
                    requestedBy: try context.requireIdentity().username))
            return WebAuthController.redirect(to: "/admin/sync?run=\(id)")
        }
        admin.post("admin/sync/runs/:id/approve") { _, context in
            let id = try context.parameters.require("id", as: Int64.self)
            let run = try await launch(
                SyncRequest(
                    mode: .full, trigger: "web", requestedBy: try context.requireIdentity().username, approving: id))
            return WebAuthController.redirect(to: "/admin/sync?run=\(run)")
        }
        admin.post("admin/sync/runs/:id/discard") { _, context in
            let id = try context.parameters.require("id", as: Int64.self)
            guard try await syncer.runs.discard(id, by: try context.requireIdentity().username) else {
                throw APIError(
                    .conflict, code: "not_held", message: "Run \(id) is not held, so there is nothing to discard.")
            }
            return WebAuthController.redirect(to: "/admin/sync?discarded=\(id)")
        }
        admin.post("admin/sync/schedule") { request, context in
            var request = request
            let form = try await request.form(context: context)
            guard let stored = try await syncer.storedSettings() else {
                throw APIError(
                    .conflict, code: "not_configured", message: "Connect a directory first (Directory page).")
            }
            var draft = DirectoryDraft(stored: stored)
            draft.applySchedule(form)
            do {
                try await syncer.save(try draft.settings(stored: stored), by: try context.requireIdentity().username)
            } catch let error as DirectorySettingsError {
                throw APIError(.unprocessableContent, code: "invalid_setting", message: error.description)
            }
            return WebAuthController.redirect(to: "/admin/sync?scheduled=1")
        }
    }

    func launch(_ request: SyncRequest) async throws -> Int64 {
        try await DirectoryAdminController.launch(request, on: launcher)
    }

    @Sendable func page(_ request: Request, context: AppRequestContext) async throws -> Response {
        let stored = try await syncer.storedSettings()
        let schedule = DirectoryDraft(stored: stored).document["schedule"] as? [String: String] ?? [:]
        let runs = try await syncer.runs.recent(limit: 20)
        let query = request.uri.queryParameters
        let notice =
            query.get("scheduled") != nil
            ? "Schedule saved."
            : query.get("discarded").map { "Run \($0) discarded: nothing was changed." }
                ?? query.get("run").map { "Run \($0) started." }
        let model = AdminSyncPageModel(
            configured: stored != nil, incrementalEvery: schedule["incrementalEvery"] ?? "off",
            fullEvery: schedule["fullEvery"] ?? "off", runs: runs.map(AdminSyncPageModel.Run.init),
            held: runs.filter { $0.state == .held }.map(AdminSyncPageModel.Run.init), hasRuns: !runs.isEmpty)
        return renderer.page(
            "admin-sync", title: "Sync", section: "sync", context: context, model: model, notice: notice)
    }
}
