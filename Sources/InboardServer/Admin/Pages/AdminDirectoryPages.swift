import DirectorySync
import Foundation
import Hummingbird
import Logging

/// Admin pages for the directory connection and the mappings: edit, "Test connection", "Test login",
/// preview the first people as a draft would map them, save. Nothing is saved until "Save".
struct AdminDirectoryPages: Sendable {
    let syncer: DirectorySyncer
    let logins: DirectoryClientCache
    let testRun: DirectoryTestRun
    let renderer: WebRenderer
    let logger: Logger

    func addRoutes(to group: RouterGroup<AppRequestContext>) {
        let admin = group.requiring(.admin)
        admin.get("admin/directory") { request, context in
            let stored = try await syncer.storedSettings()
            return directoryPage(
                DirectoryDraft(stored: stored), passwordSet: stored?.bindPassword != nil, context: context,
                notice: request.uri.queryParameters.get("saved") != nil ? "Directory settings saved." : nil)
        }
        admin.post("admin/directory") { request, context in
            var request = request
            let form = try await request.form(context: context)
            let stored = try await syncer.storedSettings()
            var draft = DirectoryDraft(stored: stored)
            draft.applyConnection(form)
            let passwordSet = draft.password != nil || stored?.bindPassword != nil
            let settings: DirectorySettings
            do { settings = try draft.settings(stored: stored) } catch {
                return directoryPage(
                    draft, passwordSet: passwordSet, context: context, problem: "\(error)",
                    status: .unprocessableContent)
            }
            switch form["action"] {
            case "test", "testLogin":
                let login =
                    form["action"] == "testLogin"
                    ? form["testUser"].map { ($0, form.all("testPassword").first ?? "") } : nil
                if let login, let refusal = DirectoryTestRun.refusal(testLogin: login) {
                    return directoryPage(
                        draft, passwordSet: passwordSet, context: context, problem: refusal, status: .badRequest)
                }
                let steps: [DirectoryTester.Step]
                do {
                    steps = try await testRun.steps(settings: settings, login: login, address: context.remoteAddress)
                } catch let error as APIError {
                    return directoryPage(
                        draft, passwordSet: passwordSet, context: context, problem: error.message,
                        status: error.status)
                }
                return directoryPage(
                    draft, passwordSet: passwordSet, context: context, steps: steps, testUser: form["testUser"])
            default:
                do { try await save(settings, context: context) } catch let error as DirectorySettingsError {
                    return directoryPage(
                        draft, passwordSet: passwordSet, context: context, problem: error.description,
                        status: .unprocessableContent)
                }
                return WebAuthController.redirect(to: "/admin/directory?saved=1")
            }
        }
        admin.get("admin/mappings") { request, context in
            mappingsPage(
                DirectoryDraft(stored: try await syncer.storedSettings()), context: context,
                notice: request.uri.queryParameters.get("saved") != nil
                    ? "Mappings saved. They apply from the next sync." : nil)
        }
        admin.post("admin/mappings") { request, context in
            var request = request
            let form = try await request.form(context: context)
            guard let stored = try await syncer.storedSettings() else {
                return mappingsPage(
                    DirectoryDraft(stored: nil), context: context,
                    problem: "Connect a directory first (Directory page).", status: .conflict)
            }
            var draft = DirectoryDraft(stored: stored)
            draft.applyMappings(form)
            let settings: DirectorySettings
            do { settings = try draft.settings(stored: stored) } catch {
                return mappingsPage(draft, context: context, problem: "\(error)", status: .unprocessableContent)
            }
            if form["action"] == "preview" {
                do {
                    let people = try await DirectoryPreview(settings: settings, logger: logger).firstUsers(10)
                    return mappingsPage(draft, context: context, preview: people)
                } catch {
                    return mappingsPage(
                        draft, context: context, problem: "Preview failed: \(error)", status: .unprocessableContent)
                }
            }
            do { try await save(settings, context: context) } catch let error as DirectorySettingsError {
                return mappingsPage(draft, context: context, problem: error.description, status: .unprocessableContent)
            }
            return WebAuthController.redirect(to: "/admin/mappings?saved=1")
        }
    }

    func save(_ settings: DirectorySettings, context: AppRequestContext) async throws {
        try await syncer.save(settings, by: try context.requireIdentity().username)
        await logins.forgetSettings()
    }

    func directoryPage(
        _ draft: DirectoryDraft, passwordSet: Bool, context: AppRequestContext, steps: [DirectoryTester.Step]? = nil,
        testUser: String? = nil, notice: String? = nil, problem: String? = nil, status: HTTPResponse.Status = .ok
    ) -> Response {
        return renderer.page(
            "admin-directory", title: "Directory", section: "directory", context: context,
            model: DirectoryPage(draft, passwordSet: passwordSet, steps: steps, testUser: testUser),
            notice: notice, problem: problem, status: status)
    }

    func mappingsPage(
        _ draft: DirectoryDraft, context: AppRequestContext, preview: [DirectoryPreview.Person]? = nil,
        notice: String? = nil, problem: String? = nil, status: HTTPResponse.Status = .ok
    ) -> Response {
        return renderer.page(
            "admin-mappings", title: "Mappings", section: "mappings", context: context,
            model: MappingsPage(draft, preview: preview),
            notice: notice, problem: problem, status: status)
    }
}
