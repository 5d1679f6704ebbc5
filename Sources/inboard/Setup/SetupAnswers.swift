import Foundation
import InboardCore
import InboardStore
import Yams

/// What `inboard setup` needs to know, from flags, an answers file (the same names, YAML) or the wizard.
struct SetupAnswers: Equatable {
    var databaseAdminURL: String?
    var databaseURL = DatabaseURL.defaultValue
    var secretKeyFile = "/etc/inboard/secret.key"
    var envFile = "/etc/inboard/inboard.env"
    var adminUsername = "admin"
    var adminPassword: String?
    var directoryFile: String?
    var smtpFile: String?
    /// Where setup sends a test mail once the SMTP settings are saved (none when nil).
    var smtpTestTo: String?
    var publicURL: String?
    var httpHost = "0.0.0.0"
    var httpPort = 8080
    var logFile: String?

    /// The answers file's keys: the flags' names without dashes, in camel case.
    struct File: Decodable {
        var databaseAdminURL: String?
        var databaseURL: String?
        var secretKeyFile: String?
        var envFile: String?
        var adminUsername: String?
        var adminPasswordFile: String?
        var directoryFile: String?
        var smtpFile: String?
        var smtpTestTo: String?
        var publicURL: String?
        var httpHost: String?
        var httpPort: Int?
        var logFile: String?
    }

    /// Reads an answers file; relative paths in it are relative to the file.
    mutating func merge(answersFile path: String) throws(CommandFailure) {
        guard let text = try? String(contentsOfFile: path, encoding: .utf8) else {
            throw CommandFailure(message: "the answers file \(path) cannot be read")
        }
        let file: File
        do { file = try YAMLDecoder().decode(File.self, from: text) } catch {
            throw CommandFailure(message: "the answers file \(path) is not valid: \(error)")
        }
        let folder = URL(fileURLWithPath: path).deletingLastPathComponent()
        func resolve(_ value: String?) -> String? {
            value.map { $0.hasPrefix("/") ? $0 : folder.appendingPathComponent($0).path }
        }
        databaseAdminURL = file.databaseAdminURL ?? databaseAdminURL
        databaseURL = file.databaseURL ?? databaseURL
        secretKeyFile = resolve(file.secretKeyFile) ?? secretKeyFile
        envFile = resolve(file.envFile) ?? envFile
        adminUsername = file.adminUsername ?? adminUsername
        if let passwordFile = resolve(file.adminPasswordFile) { adminPassword = try Self.password(from: passwordFile) }
        directoryFile = resolve(file.directoryFile) ?? directoryFile
        smtpFile = resolve(file.smtpFile) ?? smtpFile
        smtpTestTo = file.smtpTestTo ?? smtpTestTo
        publicURL = file.publicURL ?? publicURL
        httpHost = file.httpHost ?? httpHost
        httpPort = file.httpPort ?? httpPort
        logFile = resolve(file.logFile) ?? logFile
    }

    /// The answers an earlier run wrote into the environment file (`values`), as the starting point of this one:
    /// running setup again to change one thing (the port) leaves the database, the key file and the rest as they
    /// are, rather than putting the defaults back.
    /// Returns why the file's database URL cannot be kept (it cannot be read), which stops setup unless another
    /// is given: the default must not silently replace it.
    mutating func keep(_ values: [String: String]) -> String? {
        var problem: String?
        if let text = values["INBOARD_DATABASE_URL"] {
            do {
                // Without its password: the wizard shows this answer; `Setup` takes it back for the same login.
                var database = try DatabaseURL(text, setting: "INBOARD_DATABASE_URL in \(envFile)")
                database.password = nil
                databaseURL = database.urlString
            } catch {
                problem = "\(error); correct it, or give --database-url"
            }
        }
        secretKeyFile = values["INBOARD_SECRET_KEY_FILE"] ?? secretKeyFile
        httpHost = values["INBOARD_HTTP_HOST"] ?? httpHost
        httpPort = values["INBOARD_HTTP_PORT"].flatMap { Int($0) } ?? httpPort
        publicURL = values["INBOARD_PUBLIC_URL"] ?? publicURL
        return problem
    }

    /// The first line of `file`.
    static func password(from file: String) throws(CommandFailure) -> String {
        guard let text = try? String(contentsOfFile: file, encoding: .utf8) else {
            throw CommandFailure(message: "the password file \(file) cannot be read")
        }
        return String(text.split(separator: "\n", omittingEmptySubsequences: false).first ?? "")
    }

    /// The first problem with the answers, named by its flag; nil when they can be used.
    func problem() -> String? {
        do { _ = try DatabaseURL(databaseURL, setting: "--database-url") } catch { return "\(error)" }
        if let databaseAdminURL {
            do { _ = try DatabaseURL(databaseAdminURL, setting: "--database-admin-url") } catch { return "\(error)" }
        }
        if adminUsername.trimmingCharacters(in: .whitespaces).isEmpty { return "--admin-username is empty" }
        guard let adminPassword else { return "--admin-password-file is needed (the local admin's password)" }
        if adminPassword.count < 12 {
            return "the admin password is shorter than 12 characters; a local admin bypasses the directory"
        }
        if !(1...65535).contains(httpPort) { return "--http-port \(httpPort) is not a port number" }
        if let publicURL, !(publicURL.hasPrefix("https://") || publicURL.hasPrefix("http://")) {
            return "--public-url must start with https:// or http://"
        }
        for (flag, value) in [
            ("--secret-key-file", secretKeyFile), ("--http-host", httpHost), ("--public-url", publicURL ?? ""),
        ] {
            if let problem = EnvironmentFile.problem(flag, value) { return problem }
        }
        for (flag, file) in [("--directory-file", directoryFile), ("--smtp-file", smtpFile)] {
            if let file, !FileManager.default.isReadableFile(atPath: file) { return "\(flag) \(file) cannot be read" }
        }
        if smtpTestTo != nil, smtpFile == nil { return "--smtp-test-to needs --smtp-file (the settings to test)" }
        return nil
    }

    /// Where clients and browsers reach the server.
    var webAddress: String {
        if let publicURL { return publicURL.hasSuffix("/") ? publicURL : publicURL + "/" }
        let host = httpHost == "0.0.0.0" || httpHost == "::" ? ProcessInfo.processInfo.hostName : httpHost
        return "http://\(host):\(httpPort)/"
    }

    /// The setup log: /var/log/inboard when it can be written, else beside the environment file.
    var resolvedLogFile: String {
        if let logFile { return logFile }
        if FileManager.default.isWritableFile(atPath: "/var/log/inboard") { return "/var/log/inboard/setup.log" }
        return URL(fileURLWithPath: envFile).deletingLastPathComponent().appendingPathComponent("setup.log").path
    }
}
