import Foundation
import NIOPosix

/// Finds a domain's directory servers through DNS SRV records, ordered per RFC 2782. The DNS server is
/// configurable (default: the first `nameserver` of /etc/resolv.conf), so that a domain the machine's resolver
/// does not serve can still be discovered. Explicitly configured URLs override discovery: call this only
/// when an administrator gave a domain instead of servers.
public struct LDAPDiscovery: Sendable {
    /// `address` or `address:port` of the DNS server to ask.
    public var dnsServer: String
    public var timeout: Duration
    /// Also resolve each target's address at `dnsServer` (for domains the system resolver does not know).
    public var resolveTargets: Bool

    public init(dnsServer: String? = nil, timeout: Duration = .seconds(2), resolveTargets: Bool = false) {
        self.dnsServer = dnsServer ?? Self.systemNameserver() ?? "127.0.0.1"
        self.timeout = timeout
        self.resolveTargets = resolveTargets
    }

    /// Domain controllers (`_ldap._tcp.dc._msdcs.<domain>`), else any LDAP server (`_ldap._tcp.<domain>`).
    /// With `secure`, the URLs are ldaps:// on 636.
    public func servers(forDomain domain: String, secure: Bool = false) async throws -> [LDAPServerURL] {
        for service in ["_ldap._tcp.dc._msdcs.\(domain)", "_ldap._tcp.\(domain)"] {
            let urls = try await lookup(service, securePort: secure ? 636 : nil)
            if !urls.isEmpty { return urls }
        }
        throw LDAPError(
            kind: .configuration,
            diagnosticMessage:
                "DNS server \(dnsServer) has no SRV records for _ldap._tcp.dc._msdcs.\(domain) or _ldap._tcp.\(domain)",
            operation: "discover servers")
    }

    /// Global catalog servers (`_gc._tcp.<domain>`, port 3268; 3269 with `secure`).
    public func globalCatalogs(forDomain domain: String, secure: Bool = false) async throws -> [LDAPServerURL] {
        let urls = try await lookup("_gc._tcp.\(domain)", securePort: secure ? 3269 : nil)
        guard !urls.isEmpty else {
            throw LDAPError(
                kind: .configuration,
                diagnosticMessage: "DNS server \(dnsServer) has no SRV records for _gc._tcp.\(domain)",
                operation: "discover servers")
        }
        return urls
    }

    private func lookup(_ service: String, securePort: Int?) async throws -> [LDAPServerURL] {
        let answer = try await query(service, type: DNSMessage.typeSRV)
        var urls: [LDAPServerURL] = [], unresolved: [String] = []
        for record in SRVRecord.ordered(answer.srv) {
            var host = record.target
            if resolveTargets {
                var addresses = answer.addresses[host.lowercased()] ?? []
                if addresses.isEmpty {
                    addresses = try await query(host, type: DNSMessage.typeA).addresses[host.lowercased()] ?? []
                }
                guard let address = addresses.first else { unresolved.append(host); continue }
                host = address
            }
            urls.append(LDAPServerURL(host: host, port: securePort ?? Int(record.port), secure: securePort != nil))
        }
        if urls.isEmpty, !unresolved.isEmpty {
            throw LDAPError(
                kind: .configuration,
                diagnosticMessage:
                    "DNS server \(dnsServer) lists \(unresolved.joined(separator: ", ")) for \(service) but has no address for them",
                operation: "discover servers")
        }
        return urls
    }

    /// SERVFAIL: the server could not answer now (a busy or starting DNS server), which is not "no records".
    static let serverFailure = 2

    /// One question, asked again after a short pause while the server answers SERVFAIL (until `timeout`).
    private func query(_ name: String, type: UInt16) async throws -> (
        rcode: Int, srv: [SRVRecord], addresses: [String: [String]]
    ) {
        let server = dnsServer, timeout = self.timeout
        let deadline = ContinuousClock.now + timeout
        while true {
            let id = UInt16.random(in: 1...UInt16.max)
            let response = try await NIOThreadPool.singleton.runIfActive {
                try Self.exchange(DNSMessage.query(id: id, name: name, type: type), server: server, timeout: timeout)
            }
            let answer: (rcode: Int, srv: [SRVRecord], addresses: [String: [String]])
            do {
                answer = try DNSMessage.answers(response, id: id)
            } catch {
                throw LDAPError(
                    kind: .other, diagnosticMessage: "DNS answer for \(name) from \(server): \(error)",
                    operation: "discover servers")
            }
            guard answer.rcode == Self.serverFailure else { return answer }
            guard ContinuousClock.now + .milliseconds(250) < deadline else {
                throw LDAPError(
                    kind: .serverDown,
                    diagnosticMessage:
                        "DNS server \(server) answered SERVFAIL for \(name) until the \(timeout) timeout",
                    operation: "discover servers")
            }
            try await Task.sleep(for: .milliseconds(250))
        }
    }

    /// One UDP request and its answer (blocking; runs on a thread pool).
    private static func exchange(_ request: [UInt8], server: String, timeout: Duration) throws -> [UInt8] {
        let parts = server.split(separator: ":")
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = in_port_t(UInt16(parts.count > 1 ? Int(parts[1]) ?? 53 : 53).bigEndian)
        guard inet_pton(AF_INET, String(parts[0]), &address.sin_addr) == 1 else {
            throw LDAPError(
                kind: .configuration, diagnosticMessage: "DNS server '\(server)' is not an IPv4 address",
                operation: "discover servers")
        }
        let fd = socket(AF_INET, Int32(SOCK_DGRAM.rawValue), 0)
        guard fd >= 0 else {
            throw LDAPError(kind: .other, diagnosticMessage: "cannot open a UDP socket", operation: "discover servers")
        }
        defer { close(fd) }
        var wait = timeval(timeout)
        setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &wait, socklen_t(MemoryLayout<timeval>.size))
        let sent = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                sendto(fd, request, request.count, 0, $0, socklen_t(MemoryLayout<sockaddr_in>.size))
            }
        }
        guard sent == request.count else {
            throw LDAPError(
                kind: .serverDown, diagnosticMessage: "cannot send to DNS server \(server)",
                operation: "discover servers")
        }
        var buffer = [UInt8](repeating: 0, count: 4096)
        let received = recv(fd, &buffer, buffer.count, 0)
        guard received > 0 else {
            throw LDAPError(
                kind: .timeout, diagnosticMessage: "DNS server \(server) did not answer", operation: "discover servers")
        }
        return Array(buffer[0..<received])
    }

    static func systemNameserver() -> String? {
        guard let text = try? String(contentsOfFile: "/etc/resolv.conf", encoding: .utf8) else { return nil }
        for line in text.split(separator: "\n") {
            let fields = line.split(separator: " ", omittingEmptySubsequences: true)
            if fields.count >= 2, fields[0] == "nameserver", fields[1].contains(".") { return String(fields[1]) }
        }
        return nil
    }
}
