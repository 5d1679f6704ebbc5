import DirectorySync
import Foundation
import Hummingbird
import InboardCore
import InboardStore
import Logging

/// The directory settings and sync runs for admins: `/api/v1/admin/directory…` and `/api/v1/admin/sync…`.
struct DirectoryAdminController: Sendable {
    let syncer: DirectorySyncer
    let launcher: SyncLauncher
    let logins: DirectoryClientCache
    let testRun: DirectoryTestRun
    let logger: Logger

    func addRoutes(to group: RouterGroup<AppRequestContext>) {
        let admin = group.requiring(.admin)
        admin.get("directory", use: showSettings)
        admin.put("directory", use: saveSettings)
        admin.post("directory/test", use: test)
        admin.post("directory/preview", use: preview)
        admin.post("sync", use: startSync)
        admin.get("sync/runs", use: listRuns)
        admin.get("sync/runs/:id", use: showRun)
        admin.post("sync/runs/:id/approve", use: approve)
    }

    struct SettingsAnswer: Encodable {
        let settings: DirectorySettings
        let bindPasswordSet: Bool
    }

    @Sendable func showSettings(_ request: Request, context: AppRequestContext) async throws -> Response {
        guard let settings = try await syncer.storedSettings() else {
            throw APIError(.notFound, code: "not_configured", message: "No directory settings yet: PUT them here.")
        }
        return try JSONResponse(SettingsAnswer(settings: settings, bindPasswordSet: settings.bindPassword != nil))
    }

    @Sendable func saveSettings(_ request: Request, context: AppRequestContext) async throws -> Response {
        let settings = try await Self.settings(from: request, context: context)
        do {
            try await syncer.save(settings, by: context.identity?.username ?? "admin")
            await logins.forgetSettings()
        } catch let error as DirectorySettingsError {
            throw APIError(.unprocessableContent, code: "invalid_setting", message: error.description)
        }
        return try await showSettings(request, context: context)
    }

    struct TestRequest: Decodable, KnownFields {
        let login: String?
        let password: String?
        static let fields: Set<String> = ["login", "password"]
    }

    @Sendable func test(_ request: Request, context: AppRequestContext) async throws -> Response {
        let body = try await request.decodeJSON(as: TestRequest.self, context: context, emptyMeansDefaults: true)
        guard let settings = try await syncer.storedSettings() else {
            throw APIError(.conflict, code: "not_configured", message: "Save directory settings first.")
        }
        let login = body.login.flatMap { name in body.password.map { (name, $0) } }
        if let login, let refusal = DirectoryTestRun.refusal(testLogin: login) {
            throw APIError(.badRequest, code: "bad_request", message: refusal)
        }
        let steps = try await testRun.steps(settings: settings, login: login, address: context.remoteAddress)
        return try JSONResponse(["steps": steps])
    }

    /// The first users of a draft (the body; its password may be left out to use the stored one) or of the stored settings.
    @Sendable func preview(_ request: Request, context: AppRequestContext) async throws -> Response {
        let limit = try request.uri.queryParameters.count("limit", default: 10, in: 1...100)
        let stored = try await syncer.storedSettings()
        let body = try await request.jsonBody(allowingEmpty: true)
        var settings: DirectorySettings
        if !Request.isBlank(body) {
            do { settings = try DirectorySettings(json: Data(buffer: body)) } catch {
                throw APIError(.unprocessableContent, code: "invalid_setting", message: "\(error)")
            }
            do { settings = try settings.withStoredPassword(from: stored) } catch {
                throw APIError(.unprocessableContent, code: "invalid_setting", message: error.description)
            }
        } else if let stored {
            settings = stored
        } else {
            throw APIError(.conflict, code: "not_configured", message: "Send a settings draft, or save settings first.")
        }
        do {
            return try JSONResponse([
                "people": try await DirectoryPreview(settings: settings, logger: logger).firstUsers(limit)
            ])
        } catch let error as DirectorySettingsError {
            throw APIError(.unprocessableContent, code: "invalid_setting", message: error.description)
        } catch let error as SyncError {
            throw APIError(.unprocessableContent, code: "directory_error", message: error.description)
        }
    }

    struct SyncStart: Decodable, KnownFields {
        let mode: SyncMode?
        let dryRun: Bool?
        static let fields: Set<String> = ["mode", "dryRun"]
    }
    struct Started: Encodable { let id: Int64; let location: String }

    /// Starts a run in the background and answers 202 with its id once its record exists.
    @Sendable func startSync(_ request: Request, context: AppRequestContext) async throws -> Response {
        let body = try await request.decodeJSON(as: SyncStart.self, context: context, emptyMeansDefaults: true)
        let syncRequest = SyncRequest(
            mode: body.mode ?? .incremental, dryRun: body.dryRun ?? false, trigger: "api",
            requestedBy: context.identity?.username)
        return try await start(syncRequest)
    }

    @Sendable func approve(_ request: Request, context: AppRequestContext) async throws -> Response {
        let id = try context.parameters.require("id", as: Int64.self)
        return try await start(
            SyncRequest(mode: .full, trigger: "api", requestedBy: context.identity?.username, approving: id))
    }

    private func start(_ request: SyncRequest) async throws -> Response {
        let id = try await Self.launch(request, on: launcher)
        return try JSONResponse(Started(id: id, location: "/api/v1/admin/sync/runs/\(id)"), status: .accepted)
    }

    /// Starts a run in the background (the API and the Sync page); returns its id once its record exists.
    static func launch(_ request: SyncRequest, on launcher: SyncLauncher) async throws -> Int64 {
        do { return try await launcher.launch(request) } catch let error as SyncError { throw APIError(error) }
    }

    @Sendable func listRuns(_ request: Request, context: AppRequestContext) async throws -> Response {
        let limit = try request.uri.queryParameters.count("limit", default: 20, in: 1...200)
        return try JSONResponse(["runs": try await syncer.runs.recent(limit: limit)])
    }

    @Sendable func showRun(_ request: Request, context: AppRequestContext) async throws -> Response {
        let id = try context.parameters.require("id", as: Int64.self)
        guard let run = try await syncer.runs.run(id) else {
            throw APIError(.notFound, code: "not_found", message: "There is no sync run \(id).")
        }
        return try JSONResponse(run)
    }

    static func settings(from request: Request, context: AppRequestContext) async throws -> DirectorySettings {
        let body = try await request.jsonBody()
        do { return try DirectorySettings(json: Data(buffer: body)) } catch {
            throw APIError(.unprocessableContent, code: "invalid_setting", message: "\(error)")
        }
    }
}

extension APIError {
    /// A sync that could not start, as a status the caller can act on.
    init(_ error: SyncError) {
        switch error {
        case .alreadyRunning: self.init(.conflict, code: "sync_running", message: error.description)
        case .notConfigured: self.init(.conflict, code: "not_configured", message: error.description)
        case .notApprovable: self.init(.conflict, code: "not_approvable", message: error.description)
        case .serverStopping:
            self.init(
                .serviceUnavailable, code: "server_stopping", message: error.description, headers: [.retryAfter: "5"])
        case .directory: self.init(.unprocessableContent, code: "sync_failed", message: error.description)
        case .internalFailure: self.init(.internalServerError, code: "sync_failed", message: error.description)
        }
    }
}
