import Hummingbird
import InboardCore

/// `GET /api/v1/version`: what clients and deploy tools check before talking to this server.
struct VersionController<Context: RequestContext> {
    let schemaVersion: Int

    struct VersionInfo: ResponseEncodable {
        let version: String
        let schemaVersion: Int
        let minimumClientVersion: String
    }

    func addRoutes(to group: RouterGroup<Context>) {
        group.get("version") { _, _ in
            VersionInfo(
                version: InboardVersion.current.description, schemaVersion: schemaVersion,
                minimumClientVersion: InboardVersion.minimumClient.majorMinor)
        }
        group.get("openapi.yaml") { _, _ in
            Response(
                status: .ok, headers: [.contentType: "application/yaml; charset=utf-8"],
                body: .init(byteBuffer: ByteBuffer(string: embeddedOpenAPISpec)))
        }
    }
}
