import DirectorySync
import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdBcrypt
import HummingbirdTesting
import InboardServer
import InboardStore
import InboardTestSupport
import Logging
import PostgresNIO
import Testing

/// Login (local and directory), sessions, roles, and the directory admin API against the real server,
/// PostgreSQL and the sample slapd.
@Suite struct AuthAndAdminAPITests {
    struct Login: Decodable { let token: String; let person: Person }
    struct Started: Decodable { let id: Int64 }
    struct Run: Decodable { let state: String; let seen: Int; let created: Int }
    struct ErrorBody: Decodable {
        struct Detail: Decodable { let code: String; let message: String }; let error: Detail
    }
    struct Settings: Decodable { let bindPasswordSet: Bool; let settings: [String: JSONAny] }
    struct JSONAny: Decodable { init(from decoder: any Decoder) throws {} }

    static let adminPassword = "correct horse battery"

    func prepare(_ db: TemporaryDatabase, secrets: SecretBox, peopleBase: String? = nil) async throws {
        let logger = Logger(label: "test")
        try await db.database.withConnection { connection in
            _ = try await Migrator(catalog: try MigrationCatalog.embedded(), logger: logger).migrate(on: connection)
            let base = try TestEnvironment.require("INBOARD_TEST_LDAP_BASE")
            let settings = DirectorySettings(
                flavour: .openLDAP, servers: [try TestEnvironment.require("INBOARD_TEST_LDAP_URL")],
                bindDN: try TestEnvironment.require("INBOARD_TEST_LDAP_READER_DN"),
                bindPassword: try TestEnvironment.require("INBOARD_TEST_LDAP_READER_PASSWORD"),
                baseDN: [peopleBase ?? "ou=people,\(base)"], groupBaseDN: ["ou=groups,\(base)"],
                groups: [
                    GroupMapping(group: "cn=inboard-admins,ou=groups,\(base)", role: .admin),
                    GroupMapping(group: "cn=reception,ou=groups,\(base)", role: .delegate),
                ])
            try await DirectorySettingsStore(secrets: secrets, logger: logger).save(
                settings, by: "test", on: connection)
            let hash = Bcrypt.hash(Self.adminPassword, cost: 4)
            try await connection.query(
                "INSERT INTO people (username, display_name, source, role, password_hash) VALUES ('root', 'Local admin', 'local', 'admin', \(hash))",
                logger: logger)
        }
    }

    func post(_ client: some TestClientProtocol, _ uri: String, _ json: String, token: String? = nil) async throws -> (
        Int, Data, String?
    ) {
        var headers: HTTPFields = [.contentType: "application/json"]
        if let token { headers[.authorization] = "Bearer \(token)" }
        return try await client.execute(uri: uri, method: .post, headers: headers, body: ByteBuffer(string: json)) {
            response in
            (Int(response.status.code), Data(buffer: response.body), response.headers[.setCookie])
        }
    }

    func get(_ client: some TestClientProtocol, _ uri: String, token: String?) async throws -> (Int, Data) {
        let headers: HTTPFields = token.map { [.authorization: "Bearer \($0)"] } ?? [:]
        return try await client.execute(uri: uri, method: .get, headers: headers) {
            (Int($0.status.code), Data(buffer: $0.body))
        }
    }

    /// Polls sync run `id` until it is no longer running, for at most `limit` (a loaded machine syncs slowly).
    func finishedRun(_ client: some TestClientProtocol, _ id: Int64, token: String, within limit: Duration)
        async throws -> Run
    {
        var run = Run(state: "running", seen: 0, created: 0)
        try await eventually(within: limit) {
            run = try JSONDecoder().decode(
                Run.self, from: try await get(client, "/api/v1/admin/sync/runs/\(id)", token: token).1)
            return run.state != "running"
        }
        return run
    }

    func login(_ client: some TestClientProtocol, _ user: String, _ password: String) async throws -> Login {
        let (status, body, _) = try await post(
            client, "/api/v1/auth/login", "{\"username\":\"\(user)\",\"password\":\"\(password)\"}")
        #expect(status == 200, "\(user): \(String(decoding: body, as: UTF8.self))")
        return try JSONDecoder().decode(Login.self, from: body)
    }

    func errorCode(_ data: Data) -> String? { try? JSONDecoder().decode(ErrorBody.self, from: data).error.code }

    /// A second sync asked for while one runs is a 409 that names the running one (it was a 500).
    @Test func aSecondSyncWhileOneRunsIsAConflict() async throws {
        try await TemporaryDatabase.with { db in
            let secrets = try SecretBox(keyBytes: (0..<32).map { _ in UInt8.random(in: 0...255) })
            try await prepare(db, secrets: secrets)
            try await makeTestApp(databaseURL: db.url, secrets: secrets).test(.live) { client in
                let (_, body, _) = try await post(
                    client, "/api/v1/auth/login", "{\"username\":\"root\",\"password\":\"\(Self.adminPassword)\"}")
                let root = try JSONDecoder().decode(Login.self, from: body)
                let logger = Logger(label: "test")
                try await db.database.withConnection { blocker in
                    // Hold the people table so the first run waits in its merge.
                    try await blocker.query("BEGIN", logger: logger)
                    try await blocker.query("LOCK TABLE people IN SHARE ROW EXCLUSIVE MODE", logger: logger)
                    #expect(
                        try await post(client, "/api/v1/admin/sync", "{\"mode\":\"full\"}", token: root.token).0 == 202)
                    let (second, secondBody, _) = try await post(
                        client, "/api/v1/admin/sync", "{\"mode\":\"full\"}", token: root.token)
                    #expect(
                        second == 409 && errorCode(secondBody) == "sync_running",
                        "\(second) \(String(decoding: secondBody, as: UTF8.self))")
                    try await blocker.query("ROLLBACK", logger: logger)
                }
            }
        }
    }

    /// A test login sends a password to the directory as a login does: it meets the same throttle, so an admin's
    /// session (or a stolen one) is no way to guess passwords unthrottled where the directory never locks.
    /// (A name nobody has: no entry in the sample directory runs up failures of its own.)
    @Test func theAdminsTestLoginMeetsTheLoginThrottle() async throws {
        try await TemporaryDatabase.with { db in
            let secrets = try SecretBox(keyBytes: (0..<32).map { _ in UInt8.random(in: 0...255) })
            try await prepare(db, secrets: secrets)
            try await makeTestApp(databaseURL: db.url, secrets: secrets, loginFirstLock: .seconds(900)).test(.live) {
                client in
                let root = try await login(client, "root", Self.adminPassword)
                var answers: [Int] = []
                for attempt in 0..<7 {
                    let (status, body, _) = try await post(
                        client, "/api/v1/admin/directory/test",
                        #"{"login":"no-such-person","password":"wrong-\#(attempt)"}"#, token: root.token)
                    answers.append(status)
                    if status == 429 { #expect(errorCode(body) == "too_many_attempts") }
                }
                #expect(answers == [200, 200, 200, 200, 200, 200, 429], "\(answers)")
                // One budget with the login itself.
                let (real, _, _) = try await post(
                    client, "/api/v1/auth/login", #"{"username":"no-such-person","password":"x"}"#)
                #expect(real == 429, "a login after the test login's failures: \(real)")
            }
        }
    }

    /// A test login counts under the entry its name led to, however it was spelled (an escaped DN is a spelling
    /// only the directory knows), as a login does; and its success clears nothing: it may run on unsaved settings
    /// that point anywhere, and clearing the account it named wiped the failures guesses had run up.
    @Test func aTestLoginCountsTheEntryItFoundAndClearsNothing() async throws {
        let spelledAccount = try await addDirectoryAccount(uid: "tl\(UUID().uuidString.prefix(8).lowercased())")
        let clearedAccount = try await addDirectoryAccount(uid: "tl\(UUID().uuidString.prefix(8).lowercased())")
        defer {
            Task {
                try? await removeDirectoryAccount(dn: spelledAccount)
                try? await removeDirectoryAccount(dn: clearedAccount)
            }
        }
        func uid(_ dn: String) -> String { String(dn.prefix { $0 != "," }.dropFirst(4)) }
        let (name, other) = (uid(spelledAccount), uid(clearedAccount))
        let password = try TestEnvironment.require("INBOARD_TEST_SAMPLE_PASSWORD")
        try await TemporaryDatabase.with { db in
            let secrets = try SecretBox(keyBytes: (0..<32).map { _ in UInt8.random(in: 0...255) })
            try await prepare(db, secrets: secrets, peopleBase: try scratchAccountsBase())
            try await makeTestApp(databaseURL: db.url, secrets: secrets, loginFirstLock: .seconds(900)).test(.live) {
                client in
                let root = try await login(client, "root", Self.adminPassword)
                func testLogin(_ name: String, _ secret: String) async throws -> (Int, String) {
                    let body = String(
                        decoding: try JSONSerialization.data(withJSONObject: ["login": name, "password": secret]),
                        as: UTF8.self)
                    let (status, answer, _) = try await post(
                        client, "/api/v1/admin/directory/test", body, token: root.token)
                    return (status, String(decoding: answer, as: UTF8.self))
                }
                func realLogin(_ name: String, _ secret: String) async throws -> Int {
                    let body = String(
                        decoding: try JSONSerialization.data(withJSONObject: ["username": name, "password": secret]),
                        as: UTF8.self)
                    return try await post(client, "/api/v1/auth/login", body).0
                }

                // Six wrong passwords through a spelling of the DN: the entry is locked for its plain name too.
                let spelled = spelledAccount.replacingOccurrences(
                    of: "uid=\(name.first!)", with: "uid=\\\(String(name.first!.asciiValue!, radix: 16))")
                #expect(spelled != spelledAccount)
                for attempt in 0..<6 {
                    let (status, answer) = try await testLogin(spelled, "wrong-\(attempt)")
                    #expect(status == 200 && answer.contains("\"login\""), "\(status) \(answer)")
                }
                #expect(try await realLogin(name, "wrong") == 429, "the entry the spelling found was not counted")

                // A success after five failures is counted like them and clears nothing.
                for attempt in 0..<5 { #expect(try await realLogin(other, "wrong-\(attempt)") == 401) }
                let (status, answer) = try await testLogin(other, password)
                #expect(status == 200 && answer.contains("password accepted"), "\(status) \(answer)")
                #expect(try await realLogin(other, password) == 429, "the test login's success cleared the failures")
            }
        }
    }

    @Test func localAndDirectoryLoginsRolesSessionsAndTheSyncAPI() async throws {
        try await TemporaryDatabase.with { db in
            let secrets = try SecretBox(keyBytes: (0..<32).map { _ in UInt8.random(in: 0...255) })
            try await prepare(db, secrets: secrets)
            try await makeTestApp(databaseURL: db.url, secrets: secrets).test(.live) { client in
                let samplePassword = try TestEnvironment.require("INBOARD_TEST_SAMPLE_PASSWORD")
                // Before a sync nobody from the directory is known; the local admin always is.
                let (early, earlyBody, _) = try await post(
                    client, "/api/v1/auth/login", "{\"username\":\"alice\",\"password\":\"\(samplePassword)\"}")
                #expect(early == 403 && errorCode(earlyBody) == "not_synced")
                let (status, body, cookie) = try await post(
                    client, "/api/v1/auth/login", "{\"username\":\"ROOT\",\"password\":\"\(Self.adminPassword)\"}")
                #expect(status == 200)
                // The JSON login answers a token only: a cookie set here could be planted cross-site (login CSRF).
                #expect(cookie == nil, "the API login set a cookie: \(cookie ?? "")")
                let root = try JSONDecoder().decode(Login.self, from: body)
                #expect(root.person.role == .admin && root.person.source == "local")

                let (accepted, startedBody, _) = try await post(
                    client, "/api/v1/admin/sync", "{\"mode\":\"full\"}", token: root.token)
                #expect(accepted == 202)
                let started = try JSONDecoder().decode(Started.self, from: startedBody)
                let run = try await finishedRun(client, started.id, token: root.token, within: .seconds(120))
                #expect(run.state == "succeeded" && run.seen == 200 && run.created == 200)

                #expect(try await login(client, "alice", samplePassword).person.role == .admin)
                #expect(try await login(client, "alice@acme.test", samplePassword).person.username == "alice")
                let bob = try await login(client, "ACME\\\\bob", samplePassword)
                #expect(bob.person.role == .delegate)
                #expect(try await get(client, "/api/v1/me", token: bob.token).0 == 200)
                for uri in ["/api/v1/admin/sync/runs", "/api/v1/admin/directory"] {
                    #expect(try await get(client, uri, token: bob.token).0 == 403, "\(uri) for a delegate")
                    #expect(try await get(client, uri, token: nil).0 == 401, "\(uri) anonymously")
                }
                #expect(try await post(client, "/api/v1/admin/sync", "{}", token: bob.token).0 == 403)

                let wrong = try await post(
                    client, "/api/v1/auth/login", "{\"username\":\"alice\",\"password\":\"nope\"}")
                let unknown = try await post(
                    client, "/api/v1/auth/login", "{\"username\":\"nobody-here\",\"password\":\"nope\"}")
                #expect(
                    wrong.0 == 401 && unknown.0 == 401 && wrong.1 == unknown.1,
                    "wrong password and unknown user look alike: \(String(decoding: wrong.1, as: UTF8.self)) \(String(decoding: unknown.1, as: UTF8.self))"
                )
                let empty = try await post(
                    client, "/api/v1/auth/login", "{\"username\":\"alice\",\"password\":\"   \"}")
                #expect(empty.0 == 401 && errorCode(empty.1) == "missing_credentials")
                let hostile = try await post(
                    client, "/api/v1/auth/login", "{\"username\":\"*)(uid=*\",\"password\":\"\(samplePassword)\"}")
                #expect(hostile.0 == 401, "a filter-injection attempt logged in")
                // A typo or a wrong type is a 400 naming the field, on every body: login, directory test, sync start.
                let typo = try await post(client, "/api/v1/auth/login", "{\"username\":\"alice\",\"pasword\":\"x\"}")
                #expect(
                    typo.0 == 400 && String(decoding: typo.1, as: UTF8.self).contains("'pasword' is unknown"),
                    "\(String(decoding: typo.1, as: UTF8.self))")
                let wrongType = try await post(client, "/api/v1/auth/login", "{\"username\":\"alice\",\"password\":7}")
                #expect(
                    wrongType.0 == 400 && String(decoding: wrongType.1, as: UTF8.self).contains("'password' must be"),
                    "\(String(decoding: wrongType.1, as: UTF8.self))")
                let badMode = try await post(
                    client, "/api/v1/admin/sync", "{\"mode\":\"sometimes\"}", token: root.token)
                #expect(
                    badMode.0 == 400 && String(decoding: badMode.1, as: UTF8.self).contains("mode"),
                    "\(String(decoding: badMode.1, as: UTF8.self))")
                let testTypo = try await post(
                    client, "/api/v1/admin/directory/test", "{\"user\":\"alice\"}", token: root.token)
                #expect(
                    testTypo.0 == 400 && String(decoding: testTypo.1, as: UTF8.self).contains("'user' is unknown"),
                    "\(String(decoding: testTypo.1, as: UTF8.self))")

                // "Test connection" states the directory's lockout policy and Inboard's share of it.
                let tested = try await post(client, "/api/v1/admin/directory/test", "{}", token: root.token)
                let testedBody = String(decoding: tested.1, as: UTF8.self)
                #expect(
                    tested.0 == 200 && testedBody.contains("after 10 wrong passwords within 1 min")
                        && testedBody.contains("at most 4"), "\(testedBody)")

                let (shown, settingsBody) = try await get(client, "/api/v1/admin/directory", token: root.token)
                let readerPassword = try TestEnvironment.require("INBOARD_TEST_LDAP_READER_PASSWORD")
                #expect(shown == 200 && !String(decoding: settingsBody, as: UTF8.self).contains(readerPassword))
                #expect(try JSONDecoder().decode(Settings.self, from: settingsBody).bindPasswordSet)
                let bad = try await client.execute(
                    uri: "/api/v1/admin/directory", method: .put,
                    headers: [.authorization: "Bearer \(root.token)", .contentType: "application/json"],
                    body: ByteBuffer(
                        string:
                            "{\"servers\":[\"ldap://127.0.0.1:3890\"],\"bindDN\":\"cn=x\",\"baseDN\":\"dc=acme,dc=test\",\"userFilter\":\"(uid=a\"}"
                    )
                ) {
                    (Int($0.status.code), Data(buffer: $0.body))
                }
                #expect(
                    bad.0 == 422 && String(decoding: bad.1, as: UTF8.self).contains("userFilter"),
                    "\(String(decoding: bad.1, as: UTF8.self))")

                let (loggedOut, _, cleared) = try await post(client, "/api/v1/auth/logout", "", token: bob.token)
                #expect(loggedOut == 204 && cleared?.contains("Max-Age=0") == true)
                #expect(try await get(client, "/api/v1/me", token: bob.token).0 == 401, "a revoked token still works")
            }
        }
    }
}

/// Logins against Samba AD (every form, AD's own refusals) and with the directory down.
@Suite struct ActiveDirectoryLoginTests {
    static func env(_ name: String) throws -> String { try TestEnvironment.require(name) }

    func prepare(_ db: TemporaryDatabase, secrets: SecretBox, servers: [String]) async throws {
        let acme = "OU=Acme,\(try Self.env("INBOARD_TEST_AD_BASE"))"
        let settings = DirectorySettings(
            flavour: .activeDirectory, servers: servers, caFile: try Self.env("INBOARD_TEST_CA_FILE"),
            bindDN: try Self.env("INBOARD_TEST_AD_ADMIN_DN"),
            bindPassword: try Self.env("INBOARD_TEST_AD_ADMIN_PASSWORD"),
            baseDN: [acme], groupBaseDN: ["OU=Groups,\(acme)"],
            groups: [GroupMapping(group: "CN=inboard-admins,OU=Groups,\(acme)", role: .admin)])
        try await Self.store(settings, in: db, secrets: secrets)
    }

    /// Migrates `db` and stores `settings` (the bind password sealed with `secrets`) and the local admin `root`.
    static func store(_ settings: DirectorySettings, in db: TemporaryDatabase, secrets: SecretBox) async throws {
        let logger = Logger(label: "test")
        try await db.database.withConnection { connection in
            _ = try await Migrator(catalog: try MigrationCatalog.embedded(), logger: logger).migrate(on: connection)
            try await DirectorySettingsStore(secrets: secrets, logger: logger).save(
                settings, by: "test", on: connection)
            let hash = Bcrypt.hash(AuthAndAdminAPITests.adminPassword, cost: 4)
            try await connection.query(
                "INSERT INTO people (username, display_name, source, role, password_hash) VALUES ('root', 'Local admin', 'local', 'admin', \(hash))",
                logger: logger)
        }
    }

    /// A full sync started through the admin API as `token`, and its run once finished (or at `limit`).
    static func fullSync(_ client: some TestClientProtocol, token: String, within limit: Duration) async throws
        -> AuthAndAdminAPITests.Run
    {
        let started = try await client.execute(
            uri: "/api/v1/admin/sync", method: .post,
            headers: [.authorization: "Bearer \(token)", .contentType: "application/json"],
            body: ByteBuffer(string: "{\"mode\":\"full\"}")
        ) { String(buffer: $0.body) }
        let id = try JSONDecoder().decode(AuthAndAdminAPITests.Started.self, from: Data(started.utf8)).id
        return try await AuthAndAdminAPITests().finishedRun(client, id, token: token, within: limit)
    }

    func login(_ client: some TestClientProtocol, _ user: String, _ password: String) async throws -> (Int, String) {
        let body =
            "{\"username\":\"\(user.replacingOccurrences(of: "\\", with: "\\\\"))\",\"password\":\"\(password)\"}"
        return try await client.execute(
            uri: "/api/v1/auth/login", method: .post, headers: [.contentType: "application/json"],
            body: ByteBuffer(string: body)
        ) {
            (Int($0.status.code), String(buffer: $0.body))
        }
    }

    @Test func everyLoginFormAndADsOwnRefusals() async throws {
        try await TemporaryDatabase.with { db in
            let secrets = try SecretBox(keyBytes: (0..<32).map { _ in UInt8.random(in: 0...255) })
            try await prepare(db, secrets: secrets, servers: [try Self.env("INBOARD_TEST_ADS_URL")])
            try await makeTestApp(databaseURL: db.url, secrets: secrets).test(.live) { client in
                let (_, rootBody) = try await login(client, "root", AuthAndAdminAPITests.adminPassword)
                let root = try JSONDecoder().decode(AuthAndAdminAPITests.Login.self, from: Data(rootBody.utf8))
                // A loaded Samba syncs its 1,600 people slowly.
                let run = try await Self.fullSync(client, token: root.token, within: .seconds(300))
                #expect(run.state == "succeeded")
                let password = try TestEnvironment.require("INBOARD_TEST_SAMPLE_PASSWORD")
                for form in [
                    "alice", "ALICE", "alice@example.test", "EXAMPLE\\alice",
                    "CN=Alice Smith 0,OU=Engineering,OU=London,OU=Acme,\(try Self.env("INBOARD_TEST_AD_BASE"))",
                ] {
                    let (code, body) = try await login(client, form, password)
                    #expect(code == 200 && body.contains("\"role\":\"admin\""), "\(form): \(code) \(body)")
                }
                let (wrong, wrongBody) = try await login(client, "alice", "Wrong-Passw0rd")
                let (unknown, unknownBody) = try await login(client, "nobody-at-all", "Wrong-Passw0rd")
                #expect(wrong == 401 && unknown == 401 && wrongBody == unknownBody)
                let (disabled, disabledBody) = try await login(client, "peggy", password)  // userAccountControl 514
                #expect(disabled == 403 && disabledBody.contains("disabled"), "\(disabled) \(disabledBody)")
                let (empty, _) = try await login(client, "alice", "")
                #expect(empty == 401)
            }
        }
    }

    @Test func theLocalAdminLogsInWhileTheDirectoryIsDown() async throws {
        try await TemporaryDatabase.with { db in
            let secrets = try SecretBox(keyBytes: (0..<32).map { _ in UInt8.random(in: 0...255) })
            try await prepare(db, secrets: secrets, servers: ["ldaps://127.0.0.1:\(try freeTCPPort())"])
            try await makeTestApp(databaseURL: db.url, secrets: secrets).test(.live) { client in
                #expect(try await login(client, "root", AuthAndAdminAPITests.adminPassword).0 == 200)
                let (code, body) = try await login(client, "alice", "Passw0rd!")
                #expect(code == 503 && body.contains("local admin"), "\(code) \(body)")
            }
        }
    }
}
