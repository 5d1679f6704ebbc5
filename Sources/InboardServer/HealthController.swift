import Hummingbird
import InboardStore

/// `/health/live` (the process answers) and `/health/ready` (it can serve: database reachable, schema current).
struct HealthController<Context: RequestContext> {
    let readiness: DatabaseReadiness

    struct Health: ResponseEncodable {
        let status: String
        var schemaVersion: Int?
        var reason: String?
    }

    func addRoutes(to group: RouterGroup<Context>) {
        group.get("live") { _, _ in Health(status: "live") }
        group.get("ready") { _, _ -> EditedResponse<Health> in
            switch await readiness.check() {
            case let .ready(version):
                return EditedResponse(status: .ok, response: Health(status: "ready", schemaVersion: version))
            case let .notReady(reason):
                return EditedResponse(
                    status: .serviceUnavailable, response: Health(status: "not ready", reason: reason))
            }
        }
    }
}
