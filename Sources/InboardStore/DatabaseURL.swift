import Foundation
import NIOSSL
import PostgresNIO

/// `INBOARD_DATABASE_URL`: `postgres://user[:password]@host[:port]/database[?sslmode=disable|require|verify-full&sslrootcert=FILE]`.
public struct DatabaseURL: Sendable, Equatable, CustomStringConvertible {
    public enum SSLMode: String, Sendable, CaseIterable { case disable, require, verifyFull = "verify-full" }

    public var host: String
    public var port: Int
    public var username: String
    public var password: String?
    public var database: String
    public var sslMode: SSLMode
    public var sslRootCertificate: String?
    /// Where the URL came from (`INBOARD_DATABASE_URL`, or a setup flag), named in errors about it.
    public var setting = "INBOARD_DATABASE_URL"

    public static let defaultValue = "postgres://inboard@127.0.0.1:5432/inboard"

    public init(_ text: String, setting: String = "INBOARD_DATABASE_URL") throws(DatabaseURLError) {
        do { try self.init(parsing: text) } catch { throw DatabaseURLError(error.reason, setting: setting) }
        self.setting = setting
    }

    private init(parsing text: String) throws(DatabaseURLError) {
        guard let components = URLComponents(string: text), let scheme = components.scheme else {
            throw .init("'\(Self.redact(text))' is not a URL; expected postgres://user@host:port/database")
        }
        guard scheme == "postgres" || scheme == "postgresql" else {
            throw .init("scheme '\(scheme)' is not supported; use postgres://user@host:port/database")
        }
        guard let host = components.host, !host.isEmpty else { throw .init("the URL names no host") }
        guard let user = components.user, !user.isEmpty else {
            throw .init("the URL names no user (postgres://USER@host/database)")
        }
        let database = String(components.path.drop(while: { $0 == "/" }))
        guard !database.isEmpty, !database.contains("/") else {
            throw .init("the URL names no database (postgres://user@host/DATABASE)")
        }
        self.host = host
        self.port = components.port ?? 5432
        self.username = user.removingPercentEncoding ?? user
        self.password = components.password.map { $0.removingPercentEncoding ?? $0 }
        self.database = database.removingPercentEncoding ?? database
        self.sslMode = .disable
        for item in components.queryItems ?? [] {
            switch item.name {
            case "sslmode":
                guard let value = item.value, let mode = SSLMode(rawValue: value) else {
                    throw .init("sslmode '\(item.value ?? "")' is not one of disable, require, verify-full")
                }
                self.sslMode = mode
            case "sslrootcert":
                self.sslRootCertificate = item.value
            default:
                throw .init("unknown parameter '\(item.name)'; supported: sslmode, sslrootcert")
            }
        }
        guard (1...65535).contains(port) else { throw .init("port \(port) is out of range") }
    }

    /// The URL itself, password included: for handing to child processes, never for logs.
    public var urlString: String {
        var components = URLComponents()
        components.scheme = "postgres"
        // Everything but unreserved characters percent-encoded: the URL goes into environment files and shells.
        components.percentEncodedUser = Self.strictlyEncoded(username)
        components.percentEncodedPassword = password.map(Self.strictlyEncoded)
        components.host = host
        components.port = port
        components.path = "/" + database
        var items = [URLQueryItem(name: "sslmode", value: sslMode.rawValue)]
        if let sslRootCertificate { items.append(URLQueryItem(name: "sslrootcert", value: sslRootCertificate)) }
        components.queryItems = items
        return components.string ?? description
    }

    /// The URL with its password masked, safe for logs and error messages.
    public var description: String {
        let auth = password == nil ? username : "\(username):****"
        return "postgres://\(auth)@\(host):\(port)/\(database)?sslmode=\(sslMode.rawValue)"
    }

    static func strictlyEncoded(_ text: String) -> String {
        let unreserved = CharacterSet(
            charactersIn: "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-._~")
        return text.addingPercentEncoding(withAllowedCharacters: unreserved) ?? text
    }

    /// `text` with a URL's password masked, for showing what may be a database URL.
    public static func masked(_ text: String) -> String { redact(text) }

    static func redact(_ text: String) -> String {
        text.replacingOccurrences(of: #"://([^:@/]*):[^@]*@"#, with: "://$1:****@", options: .regularExpression)
    }

    func tlsConfiguration() throws -> TLSConfiguration? {
        switch sslMode {
        case .disable:
            return nil
        case .require:
            var tls = TLSConfiguration.makeClientConfiguration()
            tls.certificateVerification = .none
            return tls
        case .verifyFull:
            var tls = TLSConfiguration.makeClientConfiguration()
            if let file = sslRootCertificate {
                tls.trustRoots = .certificates(try NIOSSLCertificate.fromPEMFile(file))
            }
            return tls
        }
    }

    public func connectionConfiguration() throws -> PostgresConnection.Configuration {
        let tls = try tlsConfiguration()
        var configuration = PostgresConnection.Configuration(
            host: host, port: port, username: username, password: password, database: database,
            tls: try tls.map { .require(try NIOSSLContext(configuration: $0)) } ?? .disable)
        configuration.options.connectTimeout = .seconds(5)
        return configuration
    }
}

public struct DatabaseURLError: Error, CustomStringConvertible, Equatable {
    public let reason: String
    public let setting: String
    init(_ reason: String, setting: String = "INBOARD_DATABASE_URL") {
        self.reason = reason
        self.setting = setting
    }
    public var description: String { "\(setting): \(reason)" }
}
