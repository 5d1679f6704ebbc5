import Foundation
import Synchronization

/// A TCP port nothing uses now and that the kernel will not hand out meanwhile: chosen below Linux's ephemeral
/// range (where bind(0) and every outgoing connection take their ports), so a test that passes the port to a
/// program starting later does not find it taken by another test's connection (a setup run once failed with
/// "port in use" that way) and a server restarted on it gets it back. A port is handed out once per test
/// process: a test that stops its server and starts it again on the port must not find another test's server
/// there (a readiness test's PostgreSQL once could not start again, once, in CI).
public func freeTCPPort() throws -> Int {
    let firstEphemeral = ephemeralPortRangeStart()
    let range = max(1024, firstEphemeral - 12_000)..<firstEphemeral
    for _ in 0..<1000 {
        let candidate = Int.random(in: range)
        if isUnused(candidate), handedOut.withLock({ $0.insert(candidate).inserted }) { return candidate }
    }
    throw ProgramFailed("no free port found in \(range)")
}

private let handedOut = Mutex<Set<Int>>([])

/// The first port of the kernel's ephemeral range (32768 unless configured otherwise).
private func ephemeralPortRangeStart() -> Int {
    let text = (try? String(contentsOfFile: "/proc/sys/net/ipv4/ip_local_port_range", encoding: .utf8)) ?? ""
    return text.split(whereSeparator: \.isWhitespace).first.flatMap { Int($0) } ?? 32_768
}

/// Whether `port` can be bound on every address now (no listener, connection or TIME_WAIT holds it).
private func isUnused(_ port: Int) -> Bool {
    let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
    guard fd >= 0 else { return false }
    defer { close(fd) }
    var address = sockaddr_in()
    address.sin_family = sa_family_t(AF_INET)
    address.sin_port = in_port_t(UInt16(port).bigEndian)
    address.sin_addr.s_addr = INADDR_ANY
    return withUnsafePointer(to: &address) {
        $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
            bind(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) == 0
        }
    }
}
