import Foundation

/// How long the person at this desktop has been idle, and whether the screen is locked.
public struct IdleSample: Sendable, Equatable {
    public var idleSeconds: Int
    public var locked: Bool
    public init(idleSeconds: Int, locked: Bool = false) {
        self.idleSeconds = idleSeconds
        self.locked = locked
    }
}

/// Where idle time comes from: the desktop session (logind's idle and lock hints, X11's screensaver timer),
/// or a file standing in for the desktop in tests and on machines without one.
public enum IdleSource: Sendable, Equatable {
    /// logind's IdleHint, IdleSinceHint and LockedHint for this session (`loginctl show-session`), and X11's idle
    /// time beside it on an X display with `xprintidle` (many X desktops never set logind's IdleHint).
    case logind(session: String, x11: Bool = false)
    /// X11's idle time from `xprintidle` (milliseconds), for desktops whose logind session reports none.
    case x11
    /// A file holding `active`, `idle SECONDS` or `locked`.
    case file(String)

    /// The desktop's own source where it has one; nil when none is found.
    public static func detect(environment: [String: String] = ProcessInfo.processInfo.environment) -> IdleSource? {
        let x11 = isX11Session(environment) && Shell.find("xprintidle") != nil
        if let session = environment["XDG_SESSION_ID"], !session.isEmpty, Shell.find("loginctl") != nil {
            return .logind(session: session, x11: x11)
        }
        return x11 ? .x11 : nil
    }

    /// An X display, not a Wayland session with XWayland's DISPLAY: there X11's idle time counts only input to X
    /// windows, and would send a person working in native windows away (`startx` from a console says `tty`).
    static func isX11Session(_ environment: [String: String]) -> Bool {
        environment["DISPLAY"] != nil && environment["WAYLAND_DISPLAY"] == nil
            && environment["XDG_SESSION_TYPE"] != "wayland"
    }

    public func sample(now: Date = Date()) -> IdleSample? {
        switch self {
        case let .file(path):
            guard let text = try? String(contentsOfFile: path, encoding: .utf8) else { return nil }
            return Self.parseFile(text)
        case .x11:
            return Self.x11Sample()
        case let .logind(session, x11):
            let text = Shell.run(
                "loginctl", ["show-session", session, "-p", "IdleHint", "-p", "IdleSinceHint", "-p", "LockedHint"])
            return Self.combined(
                logind: text.flatMap { Self.parseLogind($0, now: now) }, x11: x11 ? Self.x11Sample() : nil)
        }
    }

    static func x11Sample() -> IdleSample? {
        Shell.run("xprintidle", []).flatMap { Int($0.trimmingCharacters(in: .whitespacesAndNewlines)) }
            .map { IdleSample(idleSeconds: $0 / 1000) }
    }

    /// logind's lock, and the longer idle time of the two (a desktop that never sets IdleHint reports 0 there).
    static func combined(logind: IdleSample?, x11: IdleSample?) -> IdleSample? {
        guard let logind else { return x11 }
        guard let x11 else { return logind }
        return IdleSample(idleSeconds: max(logind.idleSeconds, x11.idleSeconds), locked: logind.locked)
    }

    static func parseFile(_ text: String) -> IdleSample? {
        let words = text.split(whereSeparator: \.isWhitespace)
        switch words.first {
        case "active": return IdleSample(idleSeconds: 0)
        case "locked": return IdleSample(idleSeconds: Int(words.dropFirst().first ?? "") ?? 0, locked: true)
        case "idle": return Int(words.dropFirst().first ?? "").map { IdleSample(idleSeconds: $0) }
        default: return nil
        }
    }

    /// `IdleHint=yes`, `IdleSinceHint=` microseconds since the epoch, `LockedHint=yes|no`.
    static func parseLogind(_ text: String, now: Date) -> IdleSample? {
        var values: [String: String] = [:]
        for line in text.split(separator: "\n") {
            let parts = line.split(separator: "=", maxSplits: 1)
            if parts.count == 2 { values[String(parts[0])] = String(parts[1]) }
        }
        guard let hint = values["IdleHint"] else { return nil }
        let locked = values["LockedHint"] == "yes"
        guard hint == "yes", let since = values["IdleSinceHint"].flatMap(Double.init), since > 0 else {
            return IdleSample(idleSeconds: 0, locked: locked)
        }
        return IdleSample(idleSeconds: max(0, Int(now.timeIntervalSince1970 - since / 1_000_000)), locked: locked)
    }
}

/// Auto-away from the client's side: when to tell the server the person went idle or came back. A locked
/// screen counts as idle past any threshold; the server applies the away rules.
public struct PresenceTracker: Sendable {
    public var idleMinutes: Int
    public private(set) var reportedIdle = false

    public init(idleMinutes: Int) { self.idleMinutes = idleMinutes }

    /// The idle seconds to report now, or nil when nothing changed since the last report.
    public mutating func next(_ sample: IdleSample) -> Int? {
        let threshold = idleMinutes * 60
        let idle = sample.locked || sample.idleSeconds >= threshold
        guard idle != reportedIdle else { return nil }
        reportedIdle = idle
        return idle ? max(sample.idleSeconds, threshold) : 0
    }
}

/// Finding and running the desktop's helper programs.
enum Shell {
    static func find(_ name: String) -> String? {
        let path = ProcessInfo.processInfo.environment["PATH"] ?? "/usr/bin:/bin"
        return path.split(separator: ":").map { "\($0)/\(name)" }.first {
            FileManager.default.isExecutableFile(atPath: $0)
        }
    }

    /// Its standard output, or nil when it cannot run or fails.
    static func run(_ name: String, _ arguments: [String]) -> String? {
        guard let path = find(name) else { return nil }
        let process = Process()
        process.executableURL = URL(fileURLWithPath: path)
        process.arguments = arguments
        let pipe = Pipe()
        process.standardOutput = pipe
        process.standardError = FileHandle.nullDevice
        do { try process.run() } catch { return nil }
        let data = pipe.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        return process.terminationStatus == 0 ? String(decoding: data, as: UTF8.self) : nil
    }
}
