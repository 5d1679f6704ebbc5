import Foundation
import InboardTestSupport
import LDAPKit
import Logging

/// Settings of the slapd instances started by scripts/services.
enum Slapd {
    static var main: LDAPServerURL {
        get throws { try LDAPServerURL(TestEnvironment.require("INBOARD_TEST_LDAP_URL")) }
    }
    static var tlsURL: LDAPServerURL {
        get throws { try LDAPServerURL(TestEnvironment.require("INBOARD_TEST_LDAPS_URL")) }
    }
    static var second: LDAPServerURL {
        get throws { try LDAPServerURL(TestEnvironment.require("INBOARD_TEST_LDAP2_URL")) }
    }
    static var base: String { get throws { try TestEnvironment.require("INBOARD_TEST_LDAP_BASE") } }
    static var caFile: String { get throws { try TestEnvironment.require("INBOARD_TEST_CA_FILE") } }
    static var samplePassword: String { get throws { try TestEnvironment.require("INBOARD_TEST_SAMPLE_PASSWORD") } }
    static var reader: LDAPCredentials {
        get throws {
            LDAPCredentials(
                bindName: try TestEnvironment.require("INBOARD_TEST_LDAP_READER_DN"),
                password: try TestEnvironment.require("INBOARD_TEST_LDAP_READER_PASSWORD"))
        }
    }
    static var admin: LDAPCredentials {
        get throws {
            LDAPCredentials(
                bindName: try TestEnvironment.require("INBOARD_TEST_LDAP_ADMIN_DN"),
                password: try TestEnvironment.require("INBOARD_TEST_LDAP_ADMIN_PASSWORD"))
        }
    }

    static func client(
        _ servers: [LDAPServerURL], tls: LDAPConfiguration.TLSMode = .none, caFile: String? = nil,
        operationTimeout: Duration = .seconds(30), retryDelay: Duration = .seconds(1),
        account: LDAPCredentials? = nil
    ) throws -> LDAPClient {
        var logger = Logger(label: "ldap-test")
        logger.logLevel = .error
        return try LDAPClient(
            configuration: LDAPConfiguration(
                servers: servers, tls: tls, caFile: caFile, connectTimeout: .seconds(2),
                operationTimeout: operationTimeout, maxConnections: 4, retryDelay: retryDelay),
            serviceAccount: try account ?? reader, logger: logger)
    }

    /// Starts or stops the second slapd through the project's own script.
    static func secondInstance(_ action: String) async throws {
        let script = try TestEnvironment.require("INBOARD_TEST_SLAPD_CTL")
        let result = try await runProgram("/bin/bash", [script, "instance", "2", action])
        guard result.status == 0 else { throw ProgramFailed("slapd2 \(action): \(result.error)") }
    }

    /// Adds LDIF to the main slapd as its admin (for tests that need special entries).
    static func add(_ ldif: String) async throws {
        try await applyLDIF(ldif, tool: "ldapadd", server: try main, as: try admin, tolerating: "Already exists")
    }
}

/// Runs ldapadd or ldapmodify with `ldif` against `server`, bound as `credentials`.
func applyLDIF(
    _ ldif: String, tool: String, server: LDAPServerURL, as credentials: LDAPCredentials,
    tolerating tolerated: String? = nil
) async throws {
    let file = FileManager.default.temporaryDirectory.appendingPathComponent("\(tool)-\(UUID()).ldif")
    try ldif.write(to: file, atomically: true, encoding: .utf8)
    defer { try? FileManager.default.removeItem(at: file) }
    let keepGoing = tolerated == nil ? [] : ["-c"]  // continue past tolerated errors (entries already present)
    let result = try await runProgram(
        "/usr/bin/\(tool)",
        ["-x"] + keepGoing + [
            "-H", server.description, "-D", credentials.bindName, "-w", credentials.password, "-f", file.path,
        ])
    guard result.status == 0 || tolerated.map(result.error.contains) == true else {
        throw ProgramFailed("\(tool): \(result.error)")
    }
}

func collect(_ results: LDAPSearchResults) async throws -> [LDAPEntry] {
    var entries: [LDAPEntry] = []
    for try await entry in results { entries.append(entry) }
    return entries
}
