import InboardTestSupport

/// Holds back the loopback packets sent to some local ports, which is what a client that vanished looks like to
/// the server (a laptop put to sleep, a network gone): nothing it is sent is acknowledged, and nothing says it
/// left. Through tc (iproute2; root): an htb queue on `lo` whose default class is unlimited and whose other class,
/// where the ports' packets go, passes one byte a second. Taken away at the end; scripts/test takes away one a
/// crashed run left.
enum LoopbackHold {
    static func holding(ports: [Int], _ body: () async throws -> Void) async throws {
        try await tc("qdisc", "replace", "dev", "lo", "root", "handle", "1:", "htb", "default", "10")
        do {
            try await tc("class", "replace", "dev", "lo", "parent", "1:", "classid", "1:10", "htb", "rate", "100gbit")
            try await tc("class", "replace", "dev", "lo", "parent", "1:", "classid", "1:20", "htb", "rate", "8bit")
            for port in ports {
                try await tc(
                    "filter", "add", "dev", "lo", "parent", "1:", "protocol", "ip", "prio", "1", "u32", "match", "ip",
                    "dport", "\(port)", "0xffff", "flowid", "1:20")
            }
            try await body()
        } catch {
            try? await tc("qdisc", "del", "dev", "lo", "root")
            throw error
        }
        try await tc("qdisc", "del", "dev", "lo", "root")
    }

    private static func tc(_ arguments: String...) async throws {
        let (status, _, error) = try await runProgram("/usr/sbin/tc", arguments)
        guard status == 0 else { throw ProgramFailed("tc \(arguments.joined(separator: " ")): \(error)") }
    }
}
