import Crypto
import Foundation
import InboardCore

/// `inboard-client update`: the version the policy manifest assigns (its ring's, or the previous one after a
/// halt), installed beside the others under `versions/VERSION/` with `current` switched to it in one rename;
/// the previous version is kept, so going back (a halted ring) needs no download. A file whose SHA-256 is not the
/// manifest's is refused, and so is a version newer (major.minor) than the server: servers are upgraded first.
public struct ClientUpdater: Sendable {
    public let api: InboardAPI
    /// `$INBOARD_CLIENT_INSTALL_DIR`, else `$XDG_DATA_HOME/inboard-client`, else `~/.local/share/inboard-client`.
    public let folder: String
    public let platform: String

    public init(
        api: InboardAPI, environment: [String: String] = ProcessInfo.processInfo.environment,
        platform: String = ClientUpdater.thisPlatform
    ) {
        self.api = api
        self.platform = platform
        folder = Self.installFolder(environment: environment)
    }

    public static func installFolder(environment: [String: String] = ProcessInfo.processInfo.environment) -> String {
        XDGFolder.resolve(
            explicit: environment["INBOARD_CLIENT_INSTALL_DIR"], base: environment["XDG_DATA_HOME"],
            home: environment["HOME"], fallback: ".local/share", name: "inboard-client")
    }

    public static var thisPlatform: String {
        #if arch(x86_64)
            "linux-x86_64"
        #elseif arch(arm64)
            "linux-aarch64"
        #else
            "linux-unknown"
        #endif
    }

    /// What the manifest asks for and what is here.
    public struct Plan: Sendable, Equatable {
        public var assigned: String?
        public var ring: String?
        public var installed: String?
        public var file: File?
        /// The assigning policy's: "assigned" (installed at logon by the agent) or "published" (on request).
        public var install: String?
        /// "required" (what a policy that says nothing means) forces an upgrade over an older installed version at
        /// logon; "optional" (Group Policy's "Required upgrade for existing packages" left clear) only offers it.
        public var upgrade: String?
        public var policy: String?
        public var uninstallWhenOutOfScope = false
        /// What this install last remembered of its assignment (the manifest says nothing once out of scope).
        public var remembered: Assignment?
        /// The server asked (its address).
        public var server = ""
        /// No policy of this server assigns a package any more, and the one that assigned the installed version
        /// asked for its removal then.
        public var removesInstalled: Bool {
            guard assigned == nil, let installed, let remembered else { return false }
            return remembered.uninstallWhenOutOfScope && remembered.version == installed && remembered.server == server
        }
        public var upToDate: Bool { assigned == nil ? !removesInstalled : assigned == installed }
        /// A newer version than the installed one, which its policy does not require: the agent offers it and
        /// `update` installs it. A new install, or going back (a halted ring), is never optional.
        public var isOptionalUpgrade: Bool {
            guard upgrade == "optional", let assigned = assigned.flatMap(InboardVersion.init),
                let installed = installed.flatMap(InboardVersion.init)
            else { return false }
            return assigned > installed
        }
    }

    public struct File: Sendable, Equatable {
        public var name: String
        public var path: String
        public var sha256: String
        public var size: Int
    }

    /// The version in `current` (nil before the first update).
    public var installed: String? {
        guard let target = try? FileManager.default.destinationOfSymbolicLink(atPath: folder + "/current") else {
            return nil
        }
        return (target as NSString).lastPathComponent
    }

    public func plan() async throws -> Plan {
        try plan(manifest: try await api.call(.GET, "/api/v1/clients/manifest") as? [String: Any] ?? [:])
    }

    /// The plan for a manifest the server answered (200): an absent package means out of scope.
    public func plan(manifest: [String: Any]) throws -> Plan {
        let server = api.http.server.description
        guard let value = manifest["package"], !(value is NSNull) else {
            return Plan(
                assigned: nil, ring: nil, installed: installed, file: nil, remembered: remembered, server: server)
        }
        guard let package = value as? [String: Any], let version = package["version"] as? String else {
            throw ClientError.local("the server's manifest has a package without a version: nothing was changed")
        }
        // Numbers and dots only: the version names a folder here.
        guard version.wholeMatch(of: /[0-9]{1,9}(\.[0-9]{1,9}){0,3}/) != nil else {
            throw ClientError.local("the server's manifest names no valid version ('\(version)')")
        }
        let files = package["files"] as? [[String: Any]] ?? []
        let file = files.first { $0["platform"] as? String == platform }.flatMap { object -> File? in
            guard let name = object["name"] as? String, let path = object["path"] as? String,
                let sha256 = object["sha256"] as? String
            else { return nil }
            return File(name: name, path: path, sha256: sha256, size: object["size"] as? Int ?? 0)
        }
        return Plan(
            assigned: version, ring: package["ring"] as? String, installed: installed, file: file,
            install: package["install"] as? String, upgrade: package["upgrade"] as? String,
            policy: package["policy"] as? String,
            uninstallWhenOutOfScope: package["uninstallWhenOutOfScope"] as? Bool ?? false, remembered: remembered,
            server: server)
    }

    /// Makes `current` the assigned version, or removes it when it fell out of scope and its policy asked for
    /// that; says what it did.
    public func apply(_ plan: Plan) async throws -> String {
        try await InstallLock.holding(in: folder) { try await applyLocked(plan) }
    }

    func applyLocked(_ plan: Plan) async throws -> String {
        rememberSystemClient()
        if plan.removesInstalled { return try uninstallOutOfScope(plan) }
        guard let version = plan.assigned, !plan.upToDate else {
            remember(plan)
            return plan.summary
        }
        try await requireServerNotOlder(than: version)
        let binary = folder + "/versions/" + version + "/inboard-client"
        var action = "switched back to the kept"
        // A kept copy is used only while it is still the file the manifest names, or (when the server offers no
        // file for this platform any more) the file that was checked when it was downloaded.
        let kept = FileManager.default.contents(atPath: binary).map { SHA256.hash(data: $0).lowercaseHex }
        let expected =
            plan.file?.sha256.lowercased()
            ?? (try? String(contentsOfFile: binary + ".sha256", encoding: .utf8))?.trimmingCharacters(
                in: .whitespacesAndNewlines)
        if kept == nil || kept != expected {
            guard let file = plan.file else {
                throw ClientError.local(
                    kept == nil
                        ? "the server has no \(platform) file for version \(version)"
                        : "the kept copy of \(version) does not match the digest it was installed with, and the server has no \(platform) file to replace it"
                )
            }
            try await download(file, to: binary)
            action = kept == nil ? "installed" : "replaced the altered kept copy of"
        }
        try switchCurrent(to: version)
        var installedPlan = plan
        installedPlan.installed = version
        remember(installedPlan)
        pruneKeeping([version, plan.installed].compactMap { $0 })
        return "\(action) \(version) (was \(plan.installed ?? "none"), ring \(plan.ring ?? "?")): "
            + folder + "/current/inboard-client"
    }

    func requireServerNotOlder(than version: String) async throws {
        let info = try await api.call(.GET, "/api/v1/version") as? [String: Any]
        guard let server = (info?["version"] as? String).flatMap(InboardVersion.init),
            let client = InboardVersion(version)
        else { throw ClientError.local("the server did not say its version") }
        if let message = server.compatibility(withClient: client).message {
            throw ClientError.serverTooOld(message: "not installed: " + message)
        }
    }

    /// Fetched whole, checked against the manifest's digest, then renamed into place.
    func download(_ file: File, to binary: String) async throws {
        var http = api.http
        http.timeout = .seconds(600)
        http.maxAnswerBytes = file.size > 0 ? file.size : 1 << 30  // the manifest's size, to the byte
        let answer = try await http.send(.GET, file.path, headers: api.authorization)
        try InboardAPI.check(answer)
        let digest = SHA256.hash(data: answer.body).lowercaseHex
        guard digest == file.sha256.lowercased() else {
            throw ClientError.local(
                "refused \(file.name): its SHA-256 is \(digest), the manifest says \(file.sha256); nothing was installed"
            )
        }
        let directory = (binary as NSString).deletingLastPathComponent
        try FileManager.default.createDirectory(
            atPath: directory, withIntermediateDirectories: true, attributes: [.posixPermissions: 0o755])
        let partial = binary + ".partial"
        try? FileManager.default.removeItem(atPath: partial)
        guard
            FileManager.default.createFile(
                atPath: partial, contents: Data(answer.body), attributes: [.posixPermissions: 0o755])
        else { throw ClientError.local("cannot write \(partial)") }
        guard rename(partial, binary) == 0 else { throw ClientError.local("cannot install \(binary)") }
        try? Data((digest + "\n").utf8).write(to: URL(fileURLWithPath: binary + ".sha256"))
    }

    /// `current` → `versions/VERSION`, replaced in one rename: a starting client sees the old one or the new.
    func switchCurrent(to version: String) throws {
        let link = folder + "/current", next = folder + "/current.next"
        try? FileManager.default.removeItem(atPath: next)
        try FileManager.default.createSymbolicLink(atPath: next, withDestinationPath: "versions/" + version)
        guard rename(next, link) == 0 else { throw ClientError.local("cannot switch \(link) to \(version)") }
    }

    /// Every version but these two goes.
    func pruneKeeping(_ kept: [String]) {
        let versions = folder + "/versions"
        for name in (try? FileManager.default.contentsOfDirectory(atPath: versions)) ?? [] where !kept.contains(name) {
            try? FileManager.default.removeItem(atPath: versions + "/" + name)
        }
    }
}
