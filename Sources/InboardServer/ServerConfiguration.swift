import Configuration
import InboardCore
import InboardStore
import Logging
import NIOCore

/// Process settings, from `INBOARD_*` environment variables with a documented default for each.
/// Everything an admin manages (directory, SMTP, status types) lives in PostgreSQL instead.
public struct ServerConfiguration: Sendable {
    public var databaseURL: DatabaseURL
    public var httpHost: String
    public var httpPort: Int
    public var secretKeyFile: String
    public var logLevel: Logger.Level
    public var policyDir: String
    /// Where an admin drops client packages (`inboard-client-VERSION-PLATFORM`).
    public var clientPackageDir = ServerConfiguration.defaultClientPackageDir
    /// Reverse proxies whose X-Forwarded-For (and X-Forwarded-Proto) are believed.
    public var trustedProxies: TrustedProxies = .none
    /// The address people use; https makes every cookie Secure and adds HSTS.
    public var publicURL: String?
    /// Days of status history kept; 0 keeps it for ever.
    public var historyRetentionDays = Housekeeping.defaultHistoryRetentionDays
    /// Changes one person's status takes per 10 minutes on each server; 0: no limit.
    public var statusChangeLimit = StatusChangeLimiter.defaultPerWindow
    /// PostgreSQL connections the server's requests and background work share.
    public var databasePoolSize = ServerConfiguration.defaultDatabasePoolSize(cores: System.coreCount)

    public static let defaultHTTPHost = "127.0.0.1"
    public static let defaultHTTPPort = 8080
    public static let defaultSecretKeyFile = "/etc/inboard/secret.key"
    public static let defaultLogLevel = Logger.Level.info
    public static let defaultPolicyDir = "policy"
    public static let defaultClientPackageDir = "/var/lib/inboard/packages"

    /// Twice the cores plus one, from 4 to 10: about as many statements as the cores can run at once, with one
    /// waiting on the disk. More only queue inside PostgreSQL: changes of one person's status, each waiting for
    /// the one before it to commit, ran 25-27% faster with 5 connections than with 10 on 2 cores (21% with 6), and
    /// changes of many people at once 2-7% slower (docs/benchmarks.md, 8 December).
    public static func defaultDatabasePoolSize(cores: Int) -> Int { min(10, max(4, 2 * cores + 1)) }

    /// Every setting, its variable and its default, for `--help` and the README.
    public static let documentation: [(variable: String, defaultValue: String, meaning: String)] = [
        (
            "INBOARD_DATABASE_URL", DatabaseURL.defaultValue,
            "PostgreSQL URL (sslmode=disable|require|verify-full, sslrootcert=FILE)"
        ),
        ("INBOARD_HTTP_HOST", defaultHTTPHost, "address 'inboard serve' listens on"),
        ("INBOARD_HTTP_PORT", "\(defaultHTTPPort)", "port 'inboard serve' listens on"),
        ("INBOARD_SECRET_KEY_FILE", defaultSecretKeyFile, "32 random bytes that encrypt secrets at rest"),
        ("INBOARD_LOG_LEVEL", defaultLogLevel.rawValue, "trace, debug, info, notice, warning, error or critical"),
        ("INBOARD_POLICY_DIR", defaultPolicyDir, "policy folder whose manifests GET /api/v1/clients/manifest serves"),
        (
            "INBOARD_CLIENT_PACKAGE_DIR", defaultClientPackageDir,
            "client packages (inboard-client-VERSION-PLATFORM) that manifests name and clients download"
        ),
        (
            "INBOARD_TRUSTED_PROXIES", "(none)",
            "reverse proxies' own addresses (or CIDRs, comma-separated) whose X-Forwarded-For is believed; never a range holding clients"
        ),
        (
            "INBOARD_PUBLIC_URL", "(none)",
            "the address people use, e.g. https://inboard.example.org (https: Secure cookies and HSTS)"
        ),
        (
            "INBOARD_HISTORY_RETENTION_DAYS", "\(Housekeeping.defaultHistoryRetentionDays)",
            "days of status history kept (0: for ever); set it alike on every server"
        ),
        (
            "INBOARD_STATUS_CHANGE_LIMIT", "\(StatusChangeLimiter.defaultPerWindow)",
            "changes one person's status takes per 10 minutes on each server (each mails their watchers); 0: no limit"
        ),
        (
            "INBOARD_DATABASE_POOL_SIZE", "2 x cores + 1, from 4 to 10",
            "PostgreSQL connections each server keeps for its requests and background work (2-200); with the database on a machine of its own, about twice its cores"
        ),
        (
            "INBOARD_ENV_FILE", "/etc/inboard/inboard.env",
            "commands read INBOARD_* settings from this file (written by 'inboard setup'); the environment wins"
        ),
    ]

    public init(reader: ConfigReader) throws(ConfigurationError) {
        let url = reader.string(
            forKey: ["inboard", "database", "url"], isSecret: true, default: DatabaseURL.defaultValue)
        do { databaseURL = try DatabaseURL(url) } catch { throw ConfigurationError(error.description) }
        httpHost = reader.string(forKey: ["inboard", "http", "host"], default: Self.defaultHTTPHost)
        guard !httpHost.isEmpty else {
            throw ConfigurationError("INBOARD_HTTP_HOST is empty; use an address such as 127.0.0.1 or 0.0.0.0")
        }
        httpPort = try Self.wholeNumber(
            reader, ["inboard", "http", "port"], default: Self.defaultHTTPPort, in: 1...65535,
            is: "a port number (1-65535)")
        secretKeyFile = reader.string(forKey: ["inboard", "secret", "key", "file"], default: Self.defaultSecretKeyFile)
        let level = reader.string(forKey: ["inboard", "log", "level"], default: Self.defaultLogLevel.rawValue)
        guard let parsed = Logger.Level(rawValue: level.lowercased()) else {
            throw ConfigurationError(
                "INBOARD_LOG_LEVEL '\(level)' is not one of \(Logger.Level.allCases.map(\.rawValue).joined(separator: ", "))"
            )
        }
        logLevel = parsed
        policyDir = reader.string(forKey: ["inboard", "policy", "dir"], default: Self.defaultPolicyDir)
        clientPackageDir = reader.string(
            forKey: ["inboard", "client", "package", "dir"], default: Self.defaultClientPackageDir)
        do {
            trustedProxies = try TrustedProxies(
                parsing: reader.string(forKey: ["inboard", "trusted", "proxies"], default: ""))
        } catch {
            throw ConfigurationError(error.description)
        }
        let publicURL = reader.string(forKey: ["inboard", "public", "url"], default: "")
        if !publicURL.isEmpty {
            guard publicURL.hasPrefix("https://") || publicURL.hasPrefix("http://") else {
                throw ConfigurationError("INBOARD_PUBLIC_URL '\(publicURL)' must start with https:// or http://")
            }
            self.publicURL = publicURL
        }
        historyRetentionDays = try Self.wholeNumber(
            reader, ["inboard", "history", "retention", "days"], default: Housekeeping.defaultHistoryRetentionDays,
            in: 0...36_500, is: "a number of days (0 keeps history for ever)")
        statusChangeLimit = try Self.wholeNumber(
            reader, ["inboard", "status", "change", "limit"], default: StatusChangeLimiter.defaultPerWindow,
            in: 0...100_000, is: "a number of changes per 10 minutes (0: no limit)")
        databasePoolSize = try Self.wholeNumber(
            reader, ["inboard", "database", "pool", "size"], default: databasePoolSize, in: 2...200,
            is: "a number of connections (2-200)")
    }

    /// The whole number under `key` (INBOARD_ and the key's words, upper-cased), or an error naming the variable.
    private static func wholeNumber(
        _ reader: ConfigReader, _ key: [String], default value: Int, in range: ClosedRange<Int>, is meaning: String
    ) throws(ConfigurationError) -> Int {
        let text = reader.string(forKey: ConfigKey(key), default: "\(value)")
        guard let number = Int(text), range.contains(number) else {
            throw ConfigurationError("\(key.joined(separator: "_").uppercased()) '\(text)' is not \(meaning)")
        }
        return number
    }

    /// How long housekeeping keeps status history (nil: for ever).
    public var historyRetention: Duration? {
        historyRetentionDays == 0 ? nil : .seconds(historyRetentionDays * 86_400)
    }

    /// Whether people reach the server over TLS (ended at a proxy or not).
    public var publicURLIsHTTPS: Bool { publicURL?.hasPrefix("https://") == true }

    /// Reads the given environment (the process's by default).
    public init(environment: [String: String]) throws(ConfigurationError) {
        try self.init(reader: ConfigReader(provider: EnvironmentVariablesProvider(environmentVariables: environment)))
    }
}

public struct ConfigurationError: Error, CustomStringConvertible, Equatable {
    public let description: String
    public init(_ description: String) { self.description = description }
}
