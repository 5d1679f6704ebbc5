import Crypto
import DirectorySync
import Foundation
import Hummingbird
import InboardCore
import Logging
import PolicyEngine
import PostgresNIO

/// `GET /api/v1/clients/manifest`: the caller's deployment manifest from the policy folder, evaluated
/// against their synced DN and groups, with an ETag so a client polls cheaply (304 when unchanged).
struct ClientManifestController: Sendable {
    let policyDir: String
    let syncer: DirectorySyncer
    let database: PostgresClient
    let logger: Logger

    func addRoutes(to group: RouterGroup<AppRequestContext>) {
        group.requiring(.user).get("clients/manifest") { request, context in
            let me = try context.requireIdentity()
            let set: PolicySet
            do { set = try PolicySet.load(folder: policyDir) } catch let error as PolicyError {
                throw APIError(.serviceUnavailable, code: "policy_invalid", message: "The policy set cannot be read (\(error)); an admin must fix it.")
            }
            guard let settings = try await syncer.storedSettings(), let base = settings.baseDN.first else {
                throw APIError(.conflict, code: "not_configured", message: "No directory is connected, so no policy applies yet.")
            }
            let domain = base.split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) }.filter { $0.lowercased().hasPrefix("dc=") }.joined(separator: ",")
            var target: DirectorySnapshot.Target?
            for try await (dn, groups) in try await database.query("""
                SELECT p.dn, COALESCE(array_agg(g.dn) FILTER (WHERE g.dn IS NOT NULL), '{}')
                FROM people p LEFT JOIN memberships m ON m.person_id = p.id LEFT JOIN groups g ON g.id = m.group_id
                WHERE p.id = \(me.id) AND p.dn IS NOT NULL GROUP BY p.id
                """, logger: logger).decode((String, [String]).self) {
                target = DirectorySnapshot.Target(name: me.username, dn: dn, groups: groups)
            }
            guard let target else {
                throw APIError(.notFound, code: "no_manifest", message: "\(me.username) is not a directory account, so no policy applies.")
            }
            let snapshot = DirectorySnapshot(domain: domain, users: [target])
            let builder = ManifestBuilder(set: set, directory: snapshot, asOf: Date())
            let manifest = builder.manifest(for: PolicyEvaluator(set: set, domain: domain).evaluate(target, kind: .user), target: target)
            let encoder = JSONEncoder()
            encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
            let body = try encoder.encode(manifest)
            let etag = "\"" + Data(body).sha256Hex.prefix(32) + "\""
            if request.headers[.ifNoneMatch] == etag { return Response(status: .notModified, headers: [.eTag: etag]) }
            return Response(status: .ok, headers: [.contentType: "application/json", .eTag: etag, .cacheControl: "private, no-cache"],
                            body: .init(byteBuffer: ByteBuffer(bytes: body)))
        }
    }
}

extension Data {
    var sha256Hex: String { SHA256.hash(data: self).map { String(format: "%02x", $0) }.joined() }
}
