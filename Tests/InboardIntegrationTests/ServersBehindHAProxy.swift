import Foundation
import InboardTestSupport

/// Two `inboard serve` processes (the built binary) on one PostgreSQL cluster of the test's own, behind HAProxy
/// running the shipped sample `deploy/haproxy/inboard.cfg` with only its addresses, certificate and
/// root-only lines (chroot, user, system log) and connection limit replaced. `setup.port` is the balancer's plain-HTTP port, so
/// `setup.send` and `setup.login` go through the balancer; `request(port:)` reaches one server directly.
final class ServersBehindHAProxy: @unchecked Sendable {
    static let names = ["inboard1", "inboard2"]
    let setup: ServerOnOwnCluster
    let serverPorts: [Int]
    let tlsPort: Int
    let folder: String
    private(set) var servers: [ChildProcess] = []
    private(set) var balancer: ChildProcess?

    private init(setup: ServerOnOwnCluster) throws {
        self.setup = setup
        serverPorts = [try freeTCPPort(), try freeTCPPort()]
        tlsPort = try freeTCPPort()
        folder = FileManager.default.temporaryDirectory.appendingPathComponent("inboard-lb-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
    }

    /// A prepared set-up for `body`, always torn down afterwards.
    static func with(admins: Int, _ body: (ServersBehindHAProxy) async throws -> Void) async throws {
        try await ServerOnOwnCluster.with(admins: admins) { setup in
            let servers = try ServersBehindHAProxy(setup: setup)
            defer { servers.tearDown() }
            try await body(servers)
        }
    }

    func serverLog(_ index: Int) -> String {
        (try? String(contentsOfFile: "\(folder)/\(Self.names[index]).log", encoding: .utf8)) ?? ""
    }
    var balancerLog: String { (try? String(contentsOfFile: "\(folder)/haproxy.log", encoding: .utf8)) ?? "" }
    func serverIsAlive(_ index: Int) -> Bool { servers[index].exitCodeIfExited() == nil }

    /// Starts both servers and the balancer; returns once each server and the balancer answer ready.
    func start() async throws {
        for (index, port) in serverPorts.enumerated() {
            var environment = setup.environment
            environment["INBOARD_HTTP_PORT"] = "\(port)"
            environment["INBOARD_TRUSTED_PROXIES"] = "127.0.0.1"
            servers.append(
                try ChildProcess(
                    try inboardBinary(), ["serve"], environment: environment, capture: false,
                    logFile: "\(folder)/\(Self.names[index]).log"))
        }
        for (index, port) in serverPorts.enumerated() {
            guard await setup.waitFor("/health/ready", status: 200, seconds: 20, port: port) else {
                throw ProgramFailed("\(Self.names[index]) did not become ready: \(serverLog(index))")
            }
        }
        let configuration = "\(folder)/haproxy.cfg"
        try renderedConfiguration().write(toFile: configuration, atomically: true, encoding: .utf8)
        let check = try await runProgram("/usr/sbin/haproxy", ["-c", "-f", configuration])
        guard check.status == 0 else { throw ProgramFailed("haproxy -c: \(check.output) \(check.error)") }
        balancer = try ChildProcess(
            "/usr/sbin/haproxy", ["-db", "-f", configuration], capture: false, logFile: "\(folder)/haproxy.log")
        guard await setup.waitFor("/health/ready", status: 200, seconds: 10) else {
            throw ProgramFailed("HAProxy did not answer: \(balancerLog)")
        }
    }

    /// The shipped sample with loopback addresses, the test certificate, and its root-only lines left out.
    func renderedConfiguration() throws -> String {
        let sample = try String(
            contentsOf: TestEnvironment.repositoryRoot.appendingPathComponent("deploy/haproxy/inboard.cfg"),
            encoding: .utf8)
        let certificate = "\(folder)/inboard.pem"
        let tls = try TestEnvironment.require("INBOARD_TEST_CA_FILE").replacingOccurrences(of: "ca.pem", with: "")
        try
            (String(contentsOfFile: tls + "server.pem", encoding: .utf8)
            + String(contentsOfFile: tls + "server.key", encoding: .utf8))
            .write(toFile: certificate, atomically: true, encoding: .utf8)
        let rootOnly = ["chroot ", "stats socket ", "user ", "group ", "daemon"]
        var lines: [String] = []
        for line in sample.split(separator: "\n", omittingEmptySubsequences: false).map(String.init) {
            let trimmed = line.trimmingCharacters(in: .whitespaces)
            if rootOnly.contains(where: { trimmed.hasPrefix($0) }) { continue }
            switch trimmed {
            case let log where log.hasPrefix("log /dev/log"): lines.append("    log stdout format short local0")
            // The sandbox's hard open-files limit (20,000) is below what 20,000 connections need.
            case let limit where limit.hasPrefix("maxconn "): lines.append("    maxconn 4000")
            case "bind :80": lines.append("    bind 127.0.0.1:\(setup.port)")
            case let bind where bind.hasPrefix("bind :443 "):
                lines.append(
                    line.replacingOccurrences(of: "bind :443", with: "bind 127.0.0.1:\(tlsPort)")
                        .replacingOccurrences(of: "/etc/haproxy/certs/inboard.pem", with: certificate))
            case let server where server.hasPrefix("server inboard"):
                let index = Int(String(server.dropFirst("server inboard".count).prefix(1)))! - 1
                lines.append("    server \(Self.names[index]) 127.0.0.1:\(serverPorts[index])")
            default: lines.append(line)
            }
        }
        // The test talks plain HTTP to the balancer's first port; the sample redirects it to https.
        return lines.filter { !$0.contains("redirect scheme https") }.joined(separator: "\n")
    }

    func kill(_ index: Int) {
        servers[index].signal(SIGKILL)
        _ = servers[index].waitForExit()
    }

    func tearDown() {
        for process in servers + [balancer].compactMap({ $0 }) where process.exitCodeIfExited() == nil {
            process.signal(SIGKILL)
            _ = process.waitForExit()
        }
        try? FileManager.default.removeItem(atPath: folder)
    }
}
