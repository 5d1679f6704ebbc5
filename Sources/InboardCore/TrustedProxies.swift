/// The reverse proxies whose `X-Forwarded-For` is believed (`INBOARD_TRUSTED_PROXIES`: addresses or CIDRs).
/// Behind a proxy every client shares the proxy's address; believing the header from anyone else would let a
/// client pick the address the login throttle counts.
public struct TrustedProxies: Sendable, Equatable {
    struct Network: Sendable, Equatable {
        let address: [UInt8]
        let prefixLength: Int

        func contains(_ other: [UInt8]) -> Bool {
            guard other.count == address.count else { return false }
            var remaining = prefixLength
            for (a, b) in zip(address, other) where remaining > 0 {
                let bits = min(8, remaining)
                let mask = UInt8(truncatingIfNeeded: 0xFF << (8 - bits))
                if a & mask != b & mask { return false }
                remaining -= bits
            }
            return true
        }
    }

    let networks: [Network]

    public static let none = TrustedProxies(networks: [])

    init(networks: [Network]) { self.networks = networks }

    /// Parses `10.0.0.1, 192.168.0.0/16, ::1`; throws naming the entry that is neither an address nor a CIDR.
    public init(parsing text: String) throws(Refusal) {
        var networks: [Network] = []
        for entry in text.split(separator: ",").map({ String($0).trimmingSurroundingWhitespace() }) where !entry.isEmpty
        {
            let parts = entry.split(separator: "/", maxSplits: 1).map(String.init)
            guard let bytes = Self.parseAddress(parts[0]) else { throw Refusal(entry: entry) }
            let maximum = bytes.count * 8
            let length = parts.count == 2 ? Int(parts[1]) : maximum
            guard let length, (0...maximum).contains(length) else { throw Refusal(entry: entry) }
            networks.append(Network(address: bytes, prefixLength: length))
        }
        self.networks = networks
    }

    public struct Refusal: Error, Equatable, CustomStringConvertible {
        public let entry: String
        public var description: String {
            "INBOARD_TRUSTED_PROXIES: '\(entry)' is not an IP address or CIDR (such as 10.0.0.0/8)"
        }
    }

    public func trusts(_ address: String) -> Bool {
        guard !networks.isEmpty, let bytes = Self.parseAddress(address) else { return false }
        return networks.contains { $0.contains(bytes) }
    }

    /// The client's address: the peer's, unless the peer is a trusted proxy; then the right-most address in
    /// `X-Forwarded-For` that is not itself a trusted proxy (entries further left are the client's to invent).
    public func clientAddress(peer: String?, forwardedFor: String?) -> String? {
        guard let peer, trusts(peer), let forwardedFor else { return peer }
        for hop in forwardedFor.split(separator: ",").reversed() {
            let address = String(hop).trimmingSurroundingWhitespace()
            guard Self.parseAddress(address) != nil else { return peer }
            if !trusts(address) { return address }
        }
        return peer
    }

    static func parseAddress(_ text: String) -> [UInt8]? {
        // Checked on the UTF-8 bytes: this runs for every request (Foundation's contains() was a hot spot).
        let utf8 = text.utf8
        // A dual-stack listener sees IPv4 peers as ::ffff:a.b.c.d: compare them as the IPv4 they are.
        if utf8.count > 7, utf8.prefix(7).map(ASCII.lowercased).elementsEqual("::ffff:".utf8),
            utf8.dropFirst(7).contains(UInt8(ascii: "."))
        {
            return parseAddress(String(text.dropFirst(7)))
        }
        if utf8.contains(UInt8(ascii: ":")) { return parseIPv6(text) }
        let parts = text.split(separator: ".", omittingEmptySubsequences: false)
        guard parts.count == 4 else { return nil }
        var bytes: [UInt8] = []
        for part in parts {
            guard !part.isEmpty, part.count <= 3, part.allSatisfy(\.isASCII), let value = UInt8(part) else {
                return nil
            }
            bytes.append(value)
        }
        return bytes
    }

    static func parseIPv6(_ text: String) -> [UInt8]? {
        let halves = text.components(separatedBy: "::")
        guard halves.count <= 2 else { return nil }
        func groups(_ part: String) -> [UInt16]? {
            guard !part.isEmpty else { return [] }
            var result: [UInt16] = []
            for group in part.split(separator: ":", omittingEmptySubsequences: false) {
                guard (1...4).contains(group.count), let value = UInt16(group, radix: 16) else { return nil }
                result.append(value)
            }
            return result
        }
        guard let head = groups(halves[0]) else { return nil }
        var all = head
        if halves.count == 2 {
            guard let tail = groups(halves[1]), head.count + tail.count < 8 else { return nil }
            all += Array(repeating: 0, count: 8 - head.count - tail.count) + tail
        }
        guard all.count == 8 else { return nil }
        return all.flatMap { [UInt8($0 >> 8), UInt8($0 & 0xFF)] }
    }
}
