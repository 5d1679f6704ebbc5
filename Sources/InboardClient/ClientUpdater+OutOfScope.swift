import Foundation

/// Group Policy's "uninstall when it falls out of scope": once no policy assigns this person a package, the
/// installed version goes if the policy that assigned it asked for that, and stays (orphaned) otherwise. The
/// manifest of a person out of scope names no package, so the install remembers the assignment it runs under
/// (`assignment.json`: only once that version is installed, with the server that assigned it) and the client
/// the session ran before (`system-client`, kept after a removal so the session can go back to it).
extension ClientUpdater {
    public struct Assignment: Codable, Sendable, Equatable {
        public var version: String
        public var policy: String?
        public var uninstallWhenOutOfScope: Bool
        /// The server that assigned it (its address): only that server's word removes it.
        public var server: String
    }

    var assignmentFile: String { folder + "/assignment.json" }

    public var remembered: Assignment? {
        FileManager.default.contents(atPath: assignmentFile).flatMap {
            try? JSONDecoder().decode(Assignment.self, from: $0)
        }
    }

    /// Records the assignment `current` runs under (the policy's wish may change without a new version); a
    /// version offered but not installed is not recorded.
    public func remember(_ plan: Plan) {
        guard let version = plan.assigned, version == installed else { return }
        let assignment = Assignment(
            version: version, policy: plan.policy, uninstallWhenOutOfScope: plan.uninstallWhenOutOfScope,
            server: plan.server)
        guard assignment != plan.remembered, let data = try? JSONEncoder().encode(assignment) else { return }
        try? FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
        try? data.write(to: URL(fileURLWithPath: assignmentFile), options: .atomic)
    }

    /// Notes this program as the session's client to go back to, when it is not an installed copy.
    func rememberSystemClient() {
        let executable = ServerDiscovery.executablePath
        guard Self.isUsableClient(executable, folder: folder),  // never an installed copy
            (try? String(contentsOfFile: folder + "/system-client", encoding: .utf8)) != executable
        else { return }
        try? FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
        try? Data(executable.utf8).write(to: URL(fileURLWithPath: folder + "/system-client"), options: .atomic)
    }

    /// The program a session should start when no installed version is there: this program when it is not an
    /// installed copy, else the remembered system client, else the Debian package's; nil when none is usable.
    public static func unmanagedClient(
        folder: String = installFolder(), executable: String = ServerDiscovery.executablePath
    ) -> String? {
        let candidates = [
            isInstalledCopy(executable, folder: folder) ? nil : executable,
            try? String(contentsOfFile: folder + "/system-client", encoding: .utf8), "/usr/bin/inboard-client",
        ]
        return candidates.compactMap { $0 }.first { isUsableClient($0, folder: folder) }
    }

    static func isInstalledCopy(_ executable: String, folder: String) -> Bool {
        let root = (folder as NSString).resolvingSymlinksInPath
        return executable.hasPrefix(root + "/") || executable.hasPrefix(folder + "/")
    }

    /// An absolute path to an executable outside the install folder, with nothing a desktop entry's `Exec=`
    /// would read as syntax.
    static func isUsableClient(_ path: String, folder: String) -> Bool {
        path.hasPrefix("/") && AutostartEntry.canRun(path) && !isInstalledCopy(path, folder: folder)
            && FileManager.default.isExecutableFile(atPath: path)
    }

    /// `current`, every kept version and the remembered assignment go; the session's autostart entry, when it
    /// ran the installed copy, starts the system's client again.
    func uninstallOutOfScope(_ plan: Plan) throws -> String {
        let fallback = Self.unmanagedClient(folder: folder)
        let link = folder + "/current"
        if (try? FileManager.default.destinationOfSymbolicLink(atPath: link)) != nil {
            guard unlink(link) == 0 else { throw ClientError.local("cannot remove \(link)") }
        }
        try? FileManager.default.removeItem(atPath: folder + "/versions")
        try? FileManager.default.removeItem(atPath: assignmentFile)
        var said =
            "uninstalled \(plan.installed ?? "?"): no policy assigns you a package any more, and "
            + "\(plan.remembered?.policy ?? "its policy") asked for its removal then"
        let autostart = AutostartEntry()
        if let entry = try? String(contentsOfFile: autostart.path, encoding: .utf8), entry.contains(folder + "/") {
            if let fallback, autostart.apply(wanted: true, executable: fallback) != nil {
                said += "; the session now starts \(fallback)"
            } else {
                said += "; no other inboard-client was found for the session's autostart entry (\(autostart.path))"
            }
        }
        return said
    }
}

extension ClientUpdater.Plan {
    /// What `update --check` says, and `update` when there is nothing to do.
    public var summary: String {
        if removesInstalled {
            return "\(installed ?? "?") is no longer assigned to you and \(remembered?.policy ?? "its policy") "
                + "asked for its removal: 'inboard-client update' uninstalls it"
        }
        guard let assigned else {
            guard let installed else { return "up to date: nothing installed (no package is assigned to you)" }
            let why =
                remembered?.version == installed && remembered?.server == server
                ? "as \(remembered?.policy ?? "its policy") did not ask for its removal"
                : "as no assignment of it by this server is known here"
            return "up to date: \(installed) (no package is assigned to you any more; it stays, \(why))"
        }
        if upToDate { return "up to date: \(assigned)" }
        let verb =
            install == "published" ? "offered" : isOptionalUpgrade ? "offered as an optional upgrade" : "assigned"
        return "\(assigned) \(verb) (ring \(ring ?? "?")); installed: \(installed ?? "none")"
    }
}
