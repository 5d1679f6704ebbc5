import Foundation

/// Group Policy's "uninstall when it falls out of scope": once no policy assigns this person a package, the
/// installed version goes if the policy that assigned it asked for that, and stays (orphaned) otherwise. The
/// manifest of a person out of scope names no package, so the install remembers its last assignment.
extension ClientUpdater {
    public struct Assignment: Codable, Sendable, Equatable {
        public var version: String
        public var policy: String?
        public var uninstallWhenOutOfScope: Bool
        /// The client outside the install folder (the system's), which runs again once the installed one goes.
        public var unmanagedClient: String?
    }

    var assignmentFile: String { folder + "/assignment.json" }

    public var remembered: Assignment? { Self.remembered(in: folder) }

    static func remembered(in folder: String) -> Assignment? {
        FileManager.default.contents(atPath: folder + "/assignment.json").flatMap {
            try? JSONDecoder().decode(Assignment.self, from: $0)
        }
    }

    /// Records what the manifest assigns now (the policy's wish may change without a new version).
    public func remember(_ plan: Plan) {
        guard let version = plan.assigned else { return }
        let executable = ServerDiscovery.executablePath
        let assignment = Assignment(
            version: version, policy: plan.policy, uninstallWhenOutOfScope: plan.uninstallWhenOutOfScope,
            unmanagedClient: isInstalledCopy(executable) ? plan.remembered?.unmanagedClient : executable)
        guard assignment != plan.remembered, let data = try? JSONEncoder().encode(assignment) else { return }
        try? FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
        try? data.write(to: URL(fileURLWithPath: assignmentFile), options: .atomic)
    }

    /// The program a session should start once no installed version is there: the remembered system client,
    /// else this program when it is not an installed copy.
    public var unmanagedClient: String { Self.unmanagedClient(folder: folder) }

    public static func unmanagedClient(folder: String = installFolder()) -> String {
        let executable = ServerDiscovery.executablePath
        return isInstalledCopy(executable, folder: folder)
            ? remembered(in: folder)?.unmanagedClient ?? executable : executable
    }

    func isInstalledCopy(_ executable: String) -> Bool { Self.isInstalledCopy(executable, folder: folder) }

    static func isInstalledCopy(_ executable: String, folder: String) -> Bool {
        let root = (folder as NSString).resolvingSymlinksInPath
        return executable.hasPrefix(root + "/") || executable.hasPrefix(folder + "/")
    }

    /// `current`, every kept version and the remembered assignment go; the session's autostart entry, when it
    /// ran the installed copy, runs the system's client again.
    func uninstallOutOfScope(_ plan: Plan) throws -> String {
        let fallback = unmanagedClient
        let link = folder + "/current"
        if (try? FileManager.default.destinationOfSymbolicLink(atPath: link)) != nil {
            guard unlink(link) == 0 else { throw ClientError.local("cannot remove \(link)") }
        }
        try? FileManager.default.removeItem(atPath: folder + "/versions")
        try? FileManager.default.removeItem(atPath: assignmentFile)
        let autostart = AutostartEntry()
        if let entry = try? String(contentsOfFile: autostart.path, encoding: .utf8), entry.contains(folder + "/") {
            _ = autostart.apply(wanted: true, executable: fallback)
        }
        return "uninstalled \(plan.installed ?? "?"): no policy assigns you a package any more, and "
            + "\(plan.remembered?.policy ?? "its policy") asked for its removal then; \(fallback) runs from now on"
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
            return "up to date: \(installed) (no package is assigned to you any more; it stays, as "
                + "\(remembered?.policy ?? "its policy") did not ask for its removal)"
        }
        if upToDate { return "up to date: \(assigned)" }
        return "\(assigned) assigned (ring \(ring ?? "?")); installed: \(installed ?? "none")"
    }
}
