import InboardStore
import DirectorySync
import Foundation
import Hummingbird
import InboardCore
import Logging
import PolicyEngine

/// `GET /api/v1/clients/manifest`: the caller's deployment manifest from the policy folder, evaluated
/// against their synced DN and groups, with an ETag so a client polls cheaply (304 when unchanged); its package
/// lists the files of the assigned version in the package folder, each with its SHA-256.
/// `GET /api/v1/clients/packages/NAME`: one of those files.
struct ClientManifestController: Sendable {
    let policies: PolicySetCache
    let packages: ClientPackages
    let syncer: DirectorySyncer
    let targets: PolicyTargets
    let logger: Logger

    func addRoutes(to group: RouterGroup<AppRequestContext>) {
        group.requiring(.user).get("clients/manifest") { request, context in
            let me = try context.requireIdentity()
            let set: PolicySet
            do { set = try await policies.current() } catch let error as PolicyError {
                // Files and lines are for admins (and the log); a user learns only that an admin must act.
                context.logger.error("the policy set cannot be read", metadata: ["error": "\(error)"])
                let detail = me.role >= .admin ? " (\(error))" : " (request \(context.id))"
                throw APIError(
                    .serviceUnavailable, code: "policy_invalid",
                    message: "The policy set cannot be read\(detail); an admin must fix it.")
            }
            guard let settings = try await syncer.storedSettings(), let domain = PolicyTargets.domain(of: settings)
            else {
                throw APIError(
                    .conflict, code: "not_configured", message: "No directory is connected, so no policy applies yet.")
            }
            let snapshot = try await targets.load(.person(me.id), domain: domain)
            guard let target = snapshot.users.first else {
                throw APIError(
                    .notFound, code: "no_manifest",
                    message: "\(me.username) is not a directory account, so no policy applies.")
            }
            let builder = ManifestBuilder(set: set, directory: snapshot, asOf: Date())
            let manifest = builder.manifest(
                for: PolicyEvaluator(set: set, domain: domain).evaluate(target, kind: .user), target: target)
            let body = try await served(manifest)
            let etag = "\"" + PolicyDigest.hex(body).prefix(32) + "\""
            if request.headers[.ifNoneMatch] == etag { return Response(status: .notModified, headers: [.eTag: etag]) }
            return Response(
                status: .ok,
                headers: [.contentType: "application/json", .eTag: etag, .cacheControl: "private, no-cache"],
                body: .init(byteBuffer: ByteBuffer(bytes: body)))
        }
        group.requiring(.user).get("clients/packages/:name") { _, context in
            let name = try context.parameters.require("name")
            guard let file = await packages.file(named: name) else {
                throw APIError(.notFound, code: "not_found", message: "There is no client package '\(name)'.")
            }
            let body = try await FileIO().loadFile(path: packages.folder + "/" + file.name, context: context)
            return Response(
                status: .ok,
                headers: [
                    .contentType: "application/octet-stream", .contentLength: "\(file.size)",
                    .init("X-Checksum-SHA256")!: file.sha256, .cacheControl: "private, max-age=3600",
                ],
                body: body)
        }
    }

    /// The manifest's JSON, its package given the files of the assigned version (`files`: name, platform,
    /// size, sha256 and the path to fetch it).
    func served(_ manifest: Manifest) async throws -> Data {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        let data = try encoder.encode(manifest)
        guard let version = manifest.package?.version,
            var object = try JSONSerialization.jsonObject(with: data) as? [String: Any],
            var package = object["package"] as? [String: Any]
        else { return data }
        package["files"] = await packages.files(version: version).map { file in
            [
                "name": file.name, "platform": file.platform, "size": file.size, "sha256": file.sha256,
                "path": "/api/v1/clients/packages/" + file.name,
            ] as [String: Any]
        }
        object["package"] = package
        return try JSONSerialization.data(withJSONObject: object, options: [.sortedKeys, .withoutEscapingSlashes])
    }
}
