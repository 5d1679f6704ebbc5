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
        var files: [ClientPackages.File] = []
        if let version = manifest.package?.version { files = await packages.files(version: version) }
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        return try encoder.encode(ServedManifest(manifest: manifest, files: files))
    }
}

/// A manifest as the client receives it: the policy's manifest with the package's files added.
struct ServedManifest: Encodable {
    let manifest: Manifest
    let files: [ClientPackages.File]

    struct ServedPackage: Encodable {
        let assignment: Manifest.PackageAssignment
        let files: [ServedFile]
        enum CodingKeys: String, CodingKey { case files }
        func encode(to encoder: any Encoder) throws {
            try assignment.encode(to: encoder)  // its own keys, then files beside them
            var container = encoder.container(keyedBy: CodingKeys.self)
            try container.encode(files, forKey: .files)
        }
    }

    struct ServedFile: Encodable {
        let name: String, platform: String, size: Int, sha256: String, path: String
    }

    enum PackageKey: String, CodingKey { case package }

    /// Every field of the manifest as it encodes itself (a field added there is served without a change here),
    /// then its package again, with the files beside the assignment's own keys.
    func encode(to encoder: any Encoder) throws {
        try manifest.encode(to: encoder)
        guard let assignment = manifest.package else { return }
        var container = encoder.container(keyedBy: PackageKey.self)
        let served = ServedPackage(
            assignment: assignment,
            files: files.map {
                ServedFile(
                    name: $0.name, platform: $0.platform, size: $0.size, sha256: $0.sha256,
                    path: "/api/v1/clients/packages/" + $0.name)
            })
        try container.encode(served, forKey: .package)
    }
}
