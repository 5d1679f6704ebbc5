import Foundation

/// The settings a client's policy manifest gives it, with the client's defaults where it gives none.
public struct ClientSettings: Sendable, Equatable {
    /// Minutes of idleness before "away"; nil leaves the organisation's setting to the server.
    public var idleMinutesBeforeAway: Int?
    public var statusWatchPopups = true
    public var notePopups = true
    public var autoStart = false
    public var autoLogin = false
    public var cacheMinutes = 5
    public var webServiceAddress: String?

    public init() {}

    /// From the manifest's `settings` object (GET /api/v1/clients/manifest).
    public init(manifest: [String: Any]) {
        let settings = manifest["settings"] as? [String: Any] ?? [:]
        idleMinutesBeforeAway = (settings["idleMinutesBeforeAway"] as? Int).flatMap {
            (1...1440).contains($0) ? $0 : nil
        }
        statusWatchPopups = settings["statusWatchPopups"] as? Bool ?? true
        notePopups = settings["notePopups"] as? Bool ?? true
        autoStart = settings["autoStart"] as? Bool ?? false
        autoLogin = settings["autoLogin"] as? Bool ?? false
        cacheMinutes = (settings["cacheMinutes"] as? Int).map { min(max($0, 1), 1440) } ?? 5
        webServiceAddress = settings["webServiceAddress"] as? String
    }

    /// Whether this event pops up on the desktop.
    public func popsUp(_ kind: String) -> Bool {
        (kind == "watch" && statusWatchPopups) || (kind == "note" && notePopups)
    }
}

/// The desktop session's autostart entry (XDG: `~/.config/autostart/inboard-client.desktop`), present exactly
/// while the policy's `autoStart` says so; an entry the person wrote themselves is never touched.
public struct AutostartEntry: Sendable {
    public let path: String
    static let marker = "X-Inboard-Managed=true"

    public init(environment: [String: String] = ProcessInfo.processInfo.environment) {
        let base =
            environment["XDG_CONFIG_HOME"].flatMap { $0.hasPrefix("/") ? $0 : nil }
            ?? (environment["HOME"] ?? NSHomeDirectory()) + "/.config"
        path = base + "/autostart/inboard-client.desktop"
    }

    /// Whether `Exec=` can run `path` as it is, quoted: none of the characters the desktop entry format reads as
    /// syntax in a quoted argument (`"` `` ` `` `$` `\\`, `%` for field codes) and no control character.
    public static func canRun(_ path: String) -> Bool {
        !path.unicodeScalars.contains {
            "\"`$\\%".unicodeScalars.contains($0) || $0.properties.generalCategory == .control
        }
    }

    /// Makes the entry match `wanted`, running `executable` (quoted); an entry of ours that runs another path is
    /// rewritten. Says what it changed, or nil; a path `Exec=` cannot carry as it is is never written.
    public func apply(wanted: Bool, executable: String) -> String? {
        let existing = try? String(contentsOfFile: path, encoding: .utf8)
        if wanted {
            guard Self.canRun(executable) else {
                return "autostart entry not written: \(executable) holds a character a desktop entry cannot carry"
            }
            let quoted = "\"" + executable + "\""
            let text = """
                [Desktop Entry]
                Type=Application
                Name=Inboard
                Comment=Your in/out status, watch events and notes
                Exec=\(quoted) agent
                X-GNOME-Autostart-enabled=true
                \(Self.marker)

                """
            if let existing { guard existing.contains(Self.marker), existing != text else { return nil } }
            try? FileManager.default.createDirectory(
                atPath: (path as NSString).deletingLastPathComponent, withIntermediateDirectories: true)
            try? FileManager.default.removeItem(atPath: path)
            return FileManager.default.createFile(atPath: path, contents: Data(text.utf8))
                ? "autostart entry written: \(path)" : nil
        }
        guard let existing, existing.contains(Self.marker) else { return nil }
        try? FileManager.default.removeItem(atPath: path)
        return "autostart entry removed: \(path)"
    }
}
