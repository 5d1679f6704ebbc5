import Foundation

/// Puts an account of the test slapd under a password policy that never locks, so that a test about Inboard's
/// own login throttle is not cut short by the directory lockout guard (which would otherwise stop its wrong
/// passwords before the throttle does: the sample policies lock after 10). Idempotent: the policy entry is
/// added once, and the account keeps it.
public func exemptFromDirectoryLockout(uid: String) async throws {
    let base = try TestEnvironment.require("INBOARD_TEST_LDAP_BASE")
    let policy = try await neverLockingPolicy()
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

/// The test slapd's OU for accounts a test makes: outside `ou=people`, so that no sync of the sample organisation
/// (whose tests count its people) sees them.
public func scratchAccountsBase() throws -> String {
    "ou=scratch,\(try TestEnvironment.require("INBOARD_TEST_LDAP_BASE"))"
}

/// A new account under `scratchAccountsBase()` (uid `uid`, the sample password, in no group) under a password
/// policy that never locks; returns its DN. For a test whose wrong passwords must not touch an account other
/// tests sign in with.
public func addDirectoryAccount(uid: String) async throws -> String {
    let policy = try await neverLockingPolicy()
    try await ldapAsAdmin(
        "ldapadd", "dn: \(try scratchAccountsBase())\nobjectClass: organizationalUnit\nou: scratch\n",
        tolerating: "Already exists")
    let dn = "uid=\(uid),\(try scratchAccountsBase())"
    try await ldapAsAdmin(
        "ldapadd",
        """
        dn: \(dn)
        objectClass: inetOrgPerson
        uid: \(uid)
        cn: Test Account \(uid)
        sn: Account
        userPassword: \(try TestEnvironment.require("INBOARD_TEST_SAMPLE_PASSWORD"))
        pwdPolicySubentry: \(policy)

        """)
    return dn
}

/// Removes an account `addDirectoryAccount` made.
public func removeDirectoryAccount(dn: String) async throws {
    try await ldapAsAdmin("ldapmodify", "dn: \(dn)\nchangetype: delete\n")
}

/// The DN of a password policy that never locks, added to the test slapd if it is not there yet.
private func neverLockingPolicy() async throws -> String {
    let policy = "cn=never-locks,ou=policies,\(try TestEnvironment.require("INBOARD_TEST_LDAP_BASE"))"
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
    return policy
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
