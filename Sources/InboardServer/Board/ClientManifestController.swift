import InboardStore
import DirectorySync
import Foundation
import Hummingbird
import InboardCore
import Logging
import PolicyEngine

/// `GET /api/v1/clients/manifest`: the caller's deployment manifest from the policy folder, evaluated
/// against their synced DN and groups, with an ETag so a client polls cheaply (304 when unchanged).
struct ClientManifestController: Sendable {
    let policies: PolicySetCache
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
            let encoder = JSONEncoder()
            encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
            let body = try encoder.encode(manifest)
            let etag = "\"" + PolicyDigest.hex(body).prefix(32) + "\""
            if request.headers[.ifNoneMatch] == etag { return Response(status: .notModified, headers: [.eTag: etag]) }
            return Response(
                status: .ok,
                headers: [.contentType: "application/json", .eTag: etag, .cacheControl: "private, no-cache"],
                body: .init(byteBuffer: ByteBuffer(bytes: body)))
        }
    }
}
