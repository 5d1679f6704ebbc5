import Foundation
#if canImport(FoundationNetworking)
    import FoundationNetworking
#endif
import InboardStore
import InboardTestSupport
import Logging
import PostgresNIO

/// `inboard serve` (the built binary) on a PostgreSQL cluster of the test's own, so that the test can stop,
/// restart or start the database under it. Local accounts `admin1`…`adminN` share one password; they are made
/// plain users (local admin accounts are break-glass sign-ins, not on the board, so their changes make no events).
final class ServerOnOwnCluster: @unchecked Sendable {
    static let password = "outage-password-1234"
    let cluster: TemporaryPostgresCluster
    let port: Int
    let keyFile: String
    let logFile: String
    var server: ChildProcess?

    private init(cluster: TemporaryPostgresCluster, port: Int, keyFile: String) {
        self.cluster = cluster
        self.port = port
        self.keyFile = keyFile
        self.logFile = "/tmp/inboard-outage-\(port).log"
    }

    /// Settings a test adds for the server (a policy folder, a package folder).
    var extraEnvironment: [String: String] = [:]

    /// The drills write statuses from a few accounts as fast as they can: past the per-person limit, which is off.
    var environment: [String: String] {
        [
            "INBOARD_DATABASE_URL": (try? cluster.url.urlString) ?? "", "INBOARD_SECRET_KEY_FILE": keyFile,
            "INBOARD_HTTP_PORT": "\(port)", "PATH": "/usr/bin:/bin", "INBOARD_STATUS_CHANGE_LIMIT": "0",
        ].merging(extraEnvironment) { $1 }
    }

    /// A migrated cluster with `admins` local admin accounts (on a disk of its own of `diskMegabytes`, if given);
    /// the server is not started yet.
    static func prepare(admins: Int, diskMegabytes: Int? = nil) async throws -> ServerOnOwnCluster {
        let cluster = try await TemporaryPostgresCluster.create(diskMegabytes: diskMegabytes)
        try await cluster.start()
        let setup = ServerOnOwnCluster(cluster: cluster, port: try freeTCPPort(), keyFile: try makeSecretKeyFile())
        do { try await setup.populate(admins: admins) } catch {
            await setup.tearDown()
            throw error
        }
        return setup
    }

    private func populate(admins: Int) async throws {
        let setup = self
        let migrated = try await runInboard(["migrate"], environment: setup.environment)
        guard migrated.status == 0 else { throw ProgramFailed("migrate: \(migrated.error)") }
        let passwordFile = setup.keyFile + ".password"
        try (Self.password + "\n").write(toFile: passwordFile, atomically: true, encoding: .utf8)
        defer { try? FileManager.default.removeItem(atPath: passwordFile) }
        for index in 1...admins {
            let created = try await runInboard(
                ["admin", "create", "--username", "admin\(index)", "--password-file", passwordFile],
                environment: setup.environment)
            guard created.status == 0 else { throw ProgramFailed("admin create: \(created.error)") }
        }
        _ = try await Database(url: try cluster.url, logger: Logger(label: "test")).withConnection { connection in
            try await connection.query(
                "UPDATE people SET role = 'user' WHERE source = 'local'", logger: Logger(label: "test"))
        }
    }

    /// A prepared cluster for `body`, always torn down afterwards (the server killed, the cluster stopped and removed).
    static func with(
        admins: Int, diskMegabytes: Int? = nil, patient: Bool = false,
        _ body: (ServerOnOwnCluster) async throws -> Void
    ) async throws {
        let setup = try await prepare(admins: admins, diskMegabytes: diskMegabytes)
        setup.patient = patient
        do { try await body(setup) } catch {
            await setup.tearDown()
            throw error
        }
        await setup.tearDown()
    }

    func startServer() throws {
        server = try ChildProcess(
            try inboardBinary(), ["serve"], environment: environment, capture: false, logFile: logFile)
    }

    /// Starts `inboard serve` and waits until it is ready, or throws with its log.
    func startReadyServer(within seconds: Double = 90) async throws {
        try startServer()
        guard await waitFor("/health/ready", status: 200, seconds: seconds) else {
            throw ProgramFailed("the server did not become ready within \(Int(seconds)) s: \(serverLog)")
        }
    }

    /// Starts a ready server and signs in admin1...adminN, returning their tokens in that order.
    func startSignedIn(admins count: Int) async throws -> [String] {
        try await startReadyServer()
        var tokens: [String] = []
        for index in 1...count { tokens.append(try await login("admin\(index)")) }
        return tokens
    }

    var serverIsAlive: Bool { server?.exitCodeIfExited() == nil }
    var serverLog: String { (try? String(contentsOfFile: logFile, encoding: .utf8)) ?? "" }
    /// The lines of the server's log that say it failed a request (a 500), for a test's failure message.
    var serverErrors: String {
        serverLog.split(separator: "\n").filter { $0.contains("unhandled error") }.suffix(5).joined(separator: "\n")
    }

    func tearDown() async {
        if let server, server.exitCodeIfExited() == nil { server.signal(SIGKILL); _ = await server.exit() }
        await cluster.destroy()
        try? FileManager.default.removeItem(atPath: keyFile)
        try? FileManager.default.removeItem(atPath: logFile)
    }

    // MARK: HTTP

    /// Whether a request waits 60 s for its answer before it counts as status 0, not 10: the drills, which ask
    /// whether the server answers at all while the database is away, give it 10 s; the tests of everyday use (in
    /// the parallel pass, on a loaded machine) 60.
    var patient = false

    static let session = makeSession(timeout: 10)
    static let patientSession = makeSession(timeout: 60)
    var session: URLSession { patient ? Self.patientSession : Self.session }

    private static func makeSession(timeout: TimeInterval) -> URLSession {
        let configuration = URLSessionConfiguration.ephemeral
        configuration.timeoutIntervalForRequest = timeout
        configuration.httpMaximumConnectionsPerHost = 32
        return URLSession(configuration: configuration)
    }

    /// One request; a transport failure is status 0.
    func send(_ method: String, _ path: String, json: String? = nil, token: String? = nil) async -> (
        status: Int, body: String
    ) {
        let answer = await request(method, path, json: json, token: token)
        return (answer.status, answer.body)
    }

    /// One request to `port` (this set-up's own by default), with the balancer's X-Served-By when there is one.
    func request(_ method: String, _ path: String, port: Int? = nil, json: String? = nil, token: String? = nil) async
        -> (status: Int, body: String, servedBy: String?)
    {
        var request = URLRequest(url: URL(string: "http://127.0.0.1:\(port ?? self.port)\(path)")!)
        request.httpMethod = method
        if let json {
            request.httpBody = Data(json.utf8)
            request.setValue("application/json", forHTTPHeaderField: "Content-Type")
        }
        if let token { request.setValue("Bearer \(token)", forHTTPHeaderField: "Authorization") }
        guard let (data, response) = try? await session.data(for: request) else { return (0, "", nil) }
        let http = response as? HTTPURLResponse
        return (
            http?.statusCode ?? 0, String(decoding: data, as: UTF8.self),
            http?.value(forHTTPHeaderField: "X-Served-By")
        )
    }

    func login(_ username: String, password: String = ServerOnOwnCluster.password) async throws -> String {
        let (status, body) = await send(
            "POST", "/api/v1/auth/login", json: #"{"username":"\#(username)","password":"\#(password)"}"#)
        guard status == 200, let object = try? JSONSerialization.jsonObject(with: Data(body.utf8)) as? [String: Any],
            let token = object["token"] as? String
        else { throw ProgramFailed("login \(username): \(status) \(body)") }
        return token
    }

    /// Polls `path` (on `port`, or this set-up's own; with `token`, if given) until it answers `status`, for at most
    /// `seconds`.
    func waitFor(_ path: String, status: Int, seconds: Double, port: Int? = nil, token: String? = nil) async -> Bool {
        let deadline = Date().addingTimeInterval(seconds)
        while Date() < deadline {
            if await request("GET", path, port: port, token: token).status == status { return true }
            try? await Task.sleep(for: .milliseconds(100))
        }
        return false
    }

    // MARK: Database

    func query<T: PostgresDecodable & Sendable>(_ sql: String, as type: T.Type) async throws -> [T] {
        try await Database(url: try cluster.url, logger: Logger(label: "test")).withConnection { connection in
            var values: [T] = []
            for try await value in try await connection.query(
                PostgresQuery(unsafeSQL: sql), logger: Logger(label: "test")
            ).decode(T.self) {
                values.append(value)
            }
            return values
        }
    }
}

/// Event ids in an SSE stream's text (`id:` lines: a frame's id names its event first, "105" or "103:105.104").
func eventIDs(inStream text: String) -> Set<Int64> {
    Set(
        text.split(separator: "\n").compactMap { line in
            line.hasPrefix("id:") ? Int64(line.dropFirst(3).drop { $0 == " " }.prefix(while: \.isNumber)) : nil
        })
}
