import Foundation
import InboardTestSupport
import LDAPKit
import Synchronization

/// A slapd of the test's own, on free ports, with a small directory and the shared instances' TLS
/// certificate: a test may freeze it (SIGSTOP: the kernel still accepts connections, nothing answers)
/// without disturbing the shared instances other suites use at the same moment. It runs with debug level
/// "stats", so its log shows every connection and operation that reached it.
final class PrivateSlapd: Sendable {
    let url: LDAPServerURL
    let tlsURL: LDAPServerURL
    /// alice, at the same DN and with the same password as in the shared instances.
    let aliceDN: String
    /// An entry only this server has, to tell which server answered.
    static let marker = LDAPFilter.equal("employeeNumber", "PRIVATE-ONLY")
    private let directory: URL
    private let process: ChildProcess

    private init(directory: URL, url: LDAPServerURL, tlsURL: LDAPServerURL, aliceDN: String, process: ChildProcess) {
        self.directory = directory
        self.url = url
        self.tlsURL = tlsURL
        self.aliceDN = aliceDN
        self.process = process
    }

    /// Starts a server holding alice, the reader account and `people` further people under ou=people.
    static func start(people: Int = 0) async throws -> PrivateSlapd {
        let base = try Slapd.base
        let tls = URL(fileURLWithPath: try Slapd.caFile).deletingLastPathComponent().path
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("inboard-private-slapd-\(UUID())")
        try FileManager.default.createDirectory(
            at: directory.appendingPathComponent("db"), withIntermediateDirectories: true)
        let conf = directory.appendingPathComponent("slapd.conf").path
        try configuration(directory: directory.path, tls: tls, base: base).write(
            toFile: conf, atomically: true, encoding: .utf8)
        let seed = directory.appendingPathComponent("seed.ldif").path
        let aliceDN = "uid=alice,ou=Engineering,ou=London,ou=people,\(base)"
        try seedLDIF(base: base, aliceDN: aliceDN, people: people).write(
            toFile: seed, atomically: true, encoding: .utf8)
        let loaded = try await runProgram("/usr/sbin/slapadd", ["-q", "-f", conf, "-l", seed])
        guard loaded.status == 0 else { throw ProgramFailed("slapadd: \(loaded.error)") }
        let port = try freeTCPPort(), tlsPort = try freeTCPPort()
        let listeners = "ldap://127.0.0.1:\(port)/ ldaps://127.0.0.1:\(tlsPort)/"
        let log = directory.appendingPathComponent("slapd.log").path
        // exec: the shell becomes slapd, so the child's pid is slapd's (-d keeps it in the foreground).
        let process = try ChildProcess(
            "/bin/sh", ["-c", "exec /usr/sbin/slapd -d 256 -h '\(listeners)' -f '\(conf)' 2>'\(log)'"], capture: false)
        let slapd = PrivateSlapd(
            directory: directory, url: LDAPServerURL(host: "127.0.0.1", port: port, secure: false),
            tlsURL: LDAPServerURL(host: "127.0.0.1", port: tlsPort, secure: true), aliceDN: aliceDN, process: process)
        do {
            try await slapd.waitUntilReady()
        } catch {
            await slapd.stop()
            throw error
        }
        return slapd
    }

    /// Stops the server and waits until every one of its threads has stopped: a signal is delivered
    /// asynchronously, and a thread still running could answer one more request.
    func freeze() {
        process.signal(SIGSTOP)
        for _ in 0..<500 where !stopped() { usleep(2_000) }
    }

    private func stopped() -> Bool {
        let tasks = (try? FileManager.default.contentsOfDirectory(atPath: "/proc/\(process.pid)/task")) ?? []
        return !tasks.isEmpty
            && tasks.allSatisfy { task in
                let status =
                    (try? String(contentsOfFile: "/proc/\(process.pid)/task/\(task)/status", encoding: .utf8)) ?? ""
                return status.contains("State:\tT")
            }
    }
    func thaw() { process.signal(SIGCONT) }

    /// Runs `body` with the server frozen, and thaws it afterwards whatever happens.
    func whileFrozen<T>(_ body: () async throws -> T) async rethrows -> T {
        freeze()
        defer { thaw() }
        return try await body()
    }

    /// Stops the server and removes its files. SIGKILL: the child inherits the spawning thread's blocked
    /// signals (SIGINT and SIGTERM among them), and its database is thrown away anyway.
    func stop() async {
        process.signal(SIGKILL)
        _ = await process.exit()
        try? FileManager.default.removeItem(at: directory)
    }

    /// What reached the server so far: TCP connections accepted and bind requests received.
    func traffic() throws -> (connections: Int, binds: Int) {
        let log = try String(contentsOf: directory.appendingPathComponent("slapd.log"), encoding: .utf8)
        let lines = log.split(separator: "\n")
        // A bind request is logged with its method; a successful one gets a second line with its mechanism.
        return (
            lines.count { $0.contains(" ACCEPT from ") },
            lines.count { $0.contains(" BIND dn=") && $0.contains(" method=") }
        )
    }

    private func waitUntilReady() async throws {
        let admin = try Slapd.admin
        var answered = false
        try await eventually(within: .seconds(60)) {  // a loaded machine starts slapd slowly
            let probe = try await runProgram(
                "/usr/bin/ldapsearch",
                ["-x", "-H", url.description, "-D", admin.bindName, "-w", admin.password, "-b", "", "-s", "base"])
            answered = probe.status == 0
            return answered || process.exitCodeIfExited() != nil
        }
        guard !answered else { return }
        throw ProgramFailed("the private slapd did not start; see \(directory.path)/slapd.log")
    }

    private static func configuration(directory: String, tls: String, base: String) throws -> String {
        let admin = try Slapd.admin, reader = try Slapd.reader
        return """
            include /etc/ldap/schema/core.schema
            include /etc/ldap/schema/cosine.schema
            include /etc/ldap/schema/inetorgperson.schema
            modulepath /usr/lib/ldap
            moduleload back_mdb
            pidfile \(directory)/slapd.pid
            argsfile \(directory)/slapd.args
            sizelimit unlimited
            TLSCACertificateFile \(tls)/ca.pem
            TLSCertificateFile \(tls)/server.pem
            TLSCertificateKeyFile \(tls)/server.key
            database mdb
            maxsize 104857600
            suffix "\(base)"
            rootdn "\(admin.bindName)"
            rootpw \(admin.password)
            directory \(directory)/db
            dbnosync
            access to attrs=userPassword
              by self write
              by anonymous auth
              by * none
            access to *
              by dn.exact="\(reader.bindName)" read
              by users read
              by * none

            """
    }

    private static func seedLDIF(base: String, aliceDN: String, people: Int) throws -> String {
        let reader = try Slapd.reader
        let firstValue = base.split(separator: ",")[0].split(separator: "=", maxSplits: 1)[1]
        var entries = [
            "dn: \(base)\nobjectClass: dcObject\nobjectClass: organization\ndc: \(firstValue)\no: \(firstValue)",
            "dn: ou=service,\(base)\nobjectClass: organizationalUnit\nou: service",
            "dn: \(reader.bindName)\nobjectClass: organizationalRole\nobjectClass: simpleSecurityObject\ncn: reader\nuserPassword: \(reader.password)",
            "dn: ou=people,\(base)\nobjectClass: organizationalUnit\nou: people",
            "dn: ou=London,ou=people,\(base)\nobjectClass: organizationalUnit\nou: London",
            "dn: ou=Engineering,ou=London,ou=people,\(base)\nobjectClass: organizationalUnit\nou: Engineering",
            "dn: \(aliceDN)\nobjectClass: inetOrgPerson\nuid: alice\ncn: Alice\nsn: Private\nemployeeNumber: PRIVATE-ONLY\nuserPassword: \(try Slapd.samplePassword)",
        ]
        for index in 0..<people {
            let uid = String(format: "person%05d", index)
            entries.append(
                "dn: uid=\(uid),ou=people,\(base)\nobjectClass: inetOrgPerson\nuid: \(uid)\ncn: Person \(index)\nsn: \(index)"
            )
        }
        return entries.joined(separator: "\n\n") + "\n"
    }
}

/// Runs `body` against a private slapd that is stopped afterwards, also when `body` throws.
func withPrivateSlapd<T>(people: Int = 0, _ body: (PrivateSlapd) async throws -> T) async throws -> T {
    let slapd = try await PrivateSlapd.start(people: people)
    do {
        let value = try await body(slapd)
        await slapd.stop()
        return value
    } catch {
        await slapd.stop()
        throw error
    }
}

/// Waits for `operation` at most `limit`: nil when it has not finished by then (it may go on in the
/// background, blocked on a frozen server until that is thawed), so a test reports a hang instead of hanging.
func outcome<T: Sendable>(within limit: Duration, _ operation: @escaping @Sendable () async throws -> T) async
    -> Result<T, any Error>?
{
    await withCheckedContinuation { continuation in
        let first = FirstAnswer(continuation)
        Task {
            do { first.give(.success(try await operation())) } catch { first.give(.failure(error)) }
        }
        Task {
            try? await Task.sleep(for: limit)
            first.give(nil)
        }
    }
}

/// Resumes a continuation with the first of several answers.
private final class FirstAnswer<T: Sendable>: Sendable {
    private let pending: Mutex<CheckedContinuation<T, Never>?>

    init(_ continuation: CheckedContinuation<T, Never>) { pending = Mutex(continuation) }

    func give(_ value: T) {
        pending.withLock { continuation in
            continuation?.resume(returning: value)
            continuation = nil
        }
    }
}
