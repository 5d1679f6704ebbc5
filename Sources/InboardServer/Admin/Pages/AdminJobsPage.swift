import Foundation
import Hummingbird
import InboardStore

/// The Jobs page and `GET /api/v1/admin/jobs`: each maintenance job's last run (when, how long, how it went,
/// on which server), whether it runs now, and when it is next due. Admins only.
struct AdminJobsPage: Sendable {
    struct Row {
        let name: String
        let every: String
        let lastRun: String
        let duration: String
        let result: String
        let failed: Bool
        let detail: String
        let server: String
        let running: String
        let nextRun: String
    }

    struct Model {
        let jobs: [Row]
    }

    let jobs: JobStore
    let renderer: WebRenderer

    func addRoutes(web: RouterGroup<AppRequestContext>, api: RouterGroup<AppRequestContext>) {
        api.requiring(.admin).get("admin/jobs") { _, _ in
            try JSONResponse(["jobs": try await jobs.all()], status: .ok)
        }
        web.requiring(.admin).get("admin/jobs") { _, context in
            let now = Date()
            let rows = try await jobs.all().map { record in
                Row(
                    name: record.name, every: Self.duration(seconds: Double(record.everySeconds)),
                    lastRun: WebFormat.shortTime(record.lastStartedAt, now: now),
                    duration: record.lastDurationMs.map { Self.duration(seconds: Double($0) / 1000) } ?? "",
                    result: record.lastResult ?? "not run yet", failed: record.lastResult == "failed",
                    detail: record.lastDetail ?? "", server: record.lastServer ?? "",
                    running: record.runningOn.map {
                        "on \($0) since \(WebFormat.shortTime(record.runningSince, now: now))"
                    }
                        ?? "",
                    nextRun: record.nextRunAt <= now ? "due" : WebFormat.shortTime(record.nextRunAt, now: now))
            }
            return renderer.page(
                "admin-jobs", title: "Jobs", section: "jobs", context: context, model: Model(jobs: rows))
        }
    }

    static func duration(seconds: Double) -> String {
        switch seconds {
        case ..<1: return String(format: "%.0f ms", seconds * 1000)
        case ..<120: return String(format: seconds.rounded() == seconds ? "%.0f s" : "%.1f s", seconds)
        case ..<7200: return String(format: "%.0f min", seconds / 60)
        default: return String(format: "%.1f h", seconds / 3600)
        }
    }
}
