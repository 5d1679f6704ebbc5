import Foundation

/// The client's folder: `$INBOARD_CLIENT_CONFIG_DIR`, else `$XDG_CONFIG_HOME/inboard`, else
/// `~/.config/inboard`. It holds `config.json` (the server), `token` and `device-token` (mode 600) and the caches.
public struct ClientConfig: Sendable {
    public let folder: String

    public init(environment: [String: String] = ProcessInfo.processInfo.environment) {
        folder = XDGFolder.resolve(
            explicit: environment["INBOARD_CLIENT_CONFIG_DIR"], base: environment["XDG_CONFIG_HOME"],
            home: environment["HOME"], fallback: ".config", name: "inboard")
    }

    struct Stored: Codable {
        var server: String?
        /// The certificate authorities given at login (`--ca-file`), so the agent and later commands trust them.
        var caFile: String?
        /// The username of the person logged in (as the server spells it): changes queued offline are theirs.
        var account: String?
    }

    /// The server saved by `login` (or by hand in config.json).
    public var server: String? { stored().server }
    public var caFile: String? { stored().caFile }
    /// Who is logged in here (nil before a login, after a logout, or for a login by an older client).
    public var account: String? { stored().account }

    /// Saves the server `login` used, the CA file it was given (an absolute path; none forgets an old one) and
    /// who logged in.
    public func saveServer(_ address: ServerAddress, caFile: String?, account: String?) throws {
        var stored = stored()
        stored.server = address.description
        stored.caFile = caFile.map { URL(fileURLWithPath: $0).standardizedFileURL.path }
        stored.account = account
        try save(stored)
    }

    /// Forgets who was logged in (at logout; the server stays).
    public func removeAccount() {
        var stored = stored()
        guard stored.account != nil else { return }
        stored.account = nil
        try? save(stored)
    }

    private func save(_ stored: Stored) throws {
        try write("config.json", Data(try JSONEncoder().encode(stored)), mode: 0o600)
    }

    public var token: String? {
        guard let token = text("token")?.trimmingCharacters(in: .whitespacesAndNewlines), !token.isEmpty else {
            return nil
        }
        return token
    }

    public func saveToken(_ token: String) throws { try write("token", Data(token.utf8), mode: 0o600) }

    public func removeToken() { try? FileManager.default.removeItem(atPath: folder + "/token") }

    /// The device token `server` gave the last login here (see the server's `DeviceTokens`), sent only back to
    /// that server; kept across logouts, as it only lets that person's own logins past a lock others ran up.
    public func deviceToken(for server: ServerAddress) -> String? {
        guard let lines = text("device-token")?.split(separator: "\n").map(String.init), lines.count == 2,
            lines[0] == server.description, !lines[1].isEmpty
        else { return nil }
        return lines[1]
    }

    public func saveDeviceToken(_ token: String, for server: ServerAddress) throws {
        guard !token.contains("\n") else { return }
        try write("device-token", Data("\(server.description)\n\(token)".utf8), mode: 0o600)
    }

    /// What was cached for this person (the board, the manifest): gone with their session.
    public func removeCache() { try? FileManager.default.removeItem(atPath: folder + "/cache") }

    /// A file of this folder as text; nil when it is missing.
    private func text(_ name: String) -> String? {
        FileManager.default.contents(atPath: folder + "/" + name).map { String(decoding: $0, as: UTF8.self) }
    }

    private func stored() -> Stored {
        guard let data = FileManager.default.contents(atPath: folder + "/config.json") else { return Stored() }
        return (try? JSONDecoder().decode(Stored.self, from: data)) ?? Stored()
    }

    /// Written to a private temporary file, then renamed over the old one: never readable by others, never
    /// half-written.
    func write(_ name: String, _ data: Data, mode: mode_t) throws {
        try FileManager.default.createDirectory(
            atPath: folder, withIntermediateDirectories: true, attributes: [.posixPermissions: 0o700])
        // Unique per write: two tasks of one process (the agent's refreshes) may write the same file at once.
        let path = folder + "/" + name, temporary = path + ".tmp-\(getpid())-\(UUID().uuidString.prefix(8))"
        let fd = open(temporary, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, mode)
        guard fd >= 0 else { throw ClientError.local("cannot write \(temporary): \(String(cString: strerror(errno)))") }
        let written = data.withUnsafeBytes { Foundation.write(fd, $0.baseAddress, $0.count) }
        fsync(fd)
        close(fd)
        guard written == data.count, rename(temporary, path) == 0 else {
            unlink(temporary)
            throw ClientError.local("cannot write \(path): \(String(cString: strerror(errno)))")
        }
    }
}

/// A folder of the XDG base directory rules: an explicit setting, else `$XDG_…_HOME/NAME` (absolute only), else
/// `~/FALLBACK/NAME`.
enum XDGFolder {
    static func resolve(explicit: String?, base: String?, home: String?, fallback: String, name: String) -> String {
        if let explicit, !explicit.isEmpty { return explicit }
        if let base, base.hasPrefix("/") { return base + "/" + name }
        return (home ?? NSHomeDirectory()) + "/" + fallback + "/" + name
    }
}
