import Foundation

/// Puts an account of the test slapd under a password policy that never locks, so that a test about Inboard's
/// own login throttle is not cut short by the directory lockout guard (which would otherwise stop its wrong
/// passwords before the throttle does: the sample policies lock after 10). Idempotent: the policy entry is
/// added once, and the account keeps it.
public func exemptFromDirectoryLockout(uid: String) async throws {
    let base = try TestEnvironment.require("INBOARD_TEST_LDAP_BASE")
    let policy = "cn=never-locks,ou=policies,\(base)"
    try await ldapAsAdmin(
        "ldapadd",
        """
        dn: \(policy)
        objectClass: person
        objectClass: pwdPolicy
        cn: never-locks
        sn: never-locks
        pwdAttribute: userPassword
        pwdLockout: FALSE

        """, tolerating: "Already exists")
    let found = try await runProgram(
        "/usr/bin/ldapsearch",
        [
            "-x", "-LLL", "-H", try TestEnvironment.require("INBOARD_TEST_LDAP_URL"), "-D",
            try TestEnvironment.require("INBOARD_TEST_LDAP_ADMIN_DN"), "-w",
            try TestEnvironment.require("INBOARD_TEST_LDAP_ADMIN_PASSWORD"), "-b", "ou=people,\(base)", "(uid=\(uid))",
            "1.1",
        ])
    guard let dn = found.output.split(separator: "\n").first(where: { $0.hasPrefix("dn: ") })?.dropFirst(4) else {
        throw ProgramFailed("no sample account \(uid): \(found.error)")
    }
    try await ldapAsAdmin(
        "ldapmodify", "dn: \(dn)\nchangetype: modify\nreplace: pwdPolicySubentry\npwdPolicySubentry: \(policy)\n")
}

private func ldapAsAdmin(_ tool: String, _ ldif: String, tolerating tolerated: String? = nil) async throws {
    let file = FileManager.default.temporaryDirectory.appendingPathComponent("\(tool)-\(UUID()).ldif")
    try ldif.write(to: file, atomically: true, encoding: .utf8)
    defer { try? FileManager.default.removeItem(at: file) }
    let result = try await runProgram(
        "/usr/bin/\(tool)",
        [
            "-x", "-H", try TestEnvironment.require("INBOARD_TEST_LDAP_URL"), "-D",
            try TestEnvironment.require("INBOARD_TEST_LDAP_ADMIN_DN"), "-w",
            try TestEnvironment.require("INBOARD_TEST_LDAP_ADMIN_PASSWORD"), "-f", file.path,
        ])
    guard result.status == 0 || tolerated.map(result.error.contains) == true else {
        throw ProgramFailed("\(tool): \(result.error)")
    }
}
