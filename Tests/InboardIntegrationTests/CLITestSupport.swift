import Foundation
import InboardTestSupport

/// Runs `inboard` with only the given INBOARD_* settings (plus PATH), as an operator would.
func runInboard(_ arguments: [String], environment: [String: String]) async throws -> (
    status: Int32, output: String, error: String
) {
    // No environment file: an installed Inboard's /etc/inboard/inboard.env must not leak into a test.
    var env = ["PATH": ProcessInfo.processInfo.environment["PATH"] ?? "/usr/bin:/bin", "INBOARD_ENV_FILE": "/dev/null"]
    env.merge(environment) { $1 }
    return try await runProgram(try inboardBinary(), arguments, environment: env)
}

/// `directory.yaml` for the shared sample slapd (or `ldapServer`) with its reader's password beside it, and
/// `smtp.yaml` for the shared SMTP sink, in `folder`: the files `inboard directory set` and `smtp set` read.
func writeServiceSettings(
    in folder: String, ldapServer: String? = nil, schedule: String? = nil, peopleBase: String? = nil
) throws -> (directory: String, smtp: String) {
    let base = try TestEnvironment.require("INBOARD_TEST_LDAP_BASE")
    try "\(try TestEnvironment.require("INBOARD_TEST_LDAP_READER_PASSWORD"))\n".write(
        toFile: folder + "/ldap-password", atomically: true, encoding: .utf8)
    let directory = folder + "/directory.yaml"
    try """
    flavour: openldap
    servers: [\(try ldapServer ?? TestEnvironment.require("INBOARD_TEST_LDAP_URL"))]
    bindDN: \(try TestEnvironment.require("INBOARD_TEST_LDAP_READER_DN"))
    bindPasswordFile: ldap-password
    baseDN: \(peopleBase ?? "ou=people,\(base)")
    groupBaseDN: [ou=groups,\(base)]
    \(schedule.map { "schedule: \($0)" } ?? "")
    """.write(toFile: directory, atomically: true, encoding: .utf8)
    let sink = try TestEnvironment.require("INBOARD_TEST_SMTP").split(separator: ":")
    let smtp = folder + "/smtp.yaml"
    try """
    host: \(sink[0])
    port: \(sink[1])
    security: none
    from: "Inboard <inboard@acme.test>"
    """.write(toFile: smtp, atomically: true, encoding: .utf8)
    return (directory, smtp)
}
