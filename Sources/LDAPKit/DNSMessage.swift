/// The few pieces of the DNS wire format (RFC 1035) that SRV discovery needs: a query, and the SRV and A
/// answers of a response, with name compression.
enum DNSMessage {
    static let typeA: UInt16 = 1
    static let typeSRV: UInt16 = 33

    struct ParseError: Error, CustomStringConvertible { let description: String }

    static func query(id: UInt16, name: String, type: UInt16) -> [UInt8] {
        // RD set, one question
        var bytes: [UInt8] = [UInt8(id >> 8), UInt8(id & 0xFF), 0x01, 0x00, 0, 1, 0, 0, 0, 0, 0, 0]
        for label in name.split(separator: ".") {
            let utf8 = Array(label.utf8.prefix(63))
            bytes.append(UInt8(utf8.count))
            bytes += utf8
        }
        bytes += [0, UInt8(type >> 8), UInt8(type & 0xFF), 0, 1]  // root label, type, class IN
        return bytes
    }

    /// The answers of a response to query `id`: SRV records and A addresses (dotted quads), by owner name.
    static func answers(_ bytes: [UInt8], id: UInt16) throws -> (
        rcode: Int, srv: [SRVRecord], addresses: [String: [String]]
    ) {
        guard bytes.count >= 12 else { throw ParseError(description: "DNS response shorter than its header") }
        guard UInt16(bytes[0]) << 8 | UInt16(bytes[1]) == id else {
            throw ParseError(description: "DNS response for another query")
        }
        let rcode = Int(bytes[3] & 0x0F)
        let questions = Int(u16(bytes, 4)), answerCount = Int(u16(bytes, 6))
        var offset = 12
        for _ in 0..<questions {
            _ = try name(bytes, &offset)
            offset += 4
        }
        var srv: [SRVRecord] = []
        var addresses: [String: [String]] = [:]
        for _ in 0..<answerCount {
            let owner = try name(bytes, &offset)
            guard offset + 10 <= bytes.count else { throw ParseError(description: "truncated DNS answer") }
            let type = u16(bytes, offset), length = Int(u16(bytes, offset + 8))
            offset += 10
            guard offset + length <= bytes.count else { throw ParseError(description: "truncated DNS record") }
            if type == typeSRV, length >= 7 {
                var targetOffset = offset + 6
                let target = try name(bytes, &targetOffset)
                srv.append(
                    SRVRecord(
                        priority: u16(bytes, offset), weight: u16(bytes, offset + 2), port: u16(bytes, offset + 4),
                        target: target))
            } else if type == typeA, length == 4 {
                addresses[owner.lowercased(), default: []].append(
                    bytes[offset..<offset + 4].map(String.init).joined(separator: "."))
            }
            offset += length
        }
        return (rcode, srv, addresses)
    }

    private static func u16(_ bytes: [UInt8], _ at: Int) -> UInt16 { UInt16(bytes[at]) << 8 | UInt16(bytes[at + 1]) }

    /// A possibly compressed name at `offset`, which moves past it.
    static func name(_ bytes: [UInt8], _ offset: inout Int) throws -> String {
        var labels: [String] = []
        var position = offset
        var jumped = false
        var hops = 0
        while true {
            guard position < bytes.count else { throw ParseError(description: "DNS name runs past the message") }
            let length = Int(bytes[position])
            if length == 0 {
                if !jumped { offset = position + 1 }
                return labels.joined(separator: ".")
            }
            if length & 0xC0 == 0xC0 {
                guard position + 1 < bytes.count, hops < 32 else {
                    throw ParseError(description: "bad DNS name pointer")
                }
                if !jumped { offset = position + 2 }
                position = (length & 0x3F) << 8 | Int(bytes[position + 1])
                jumped = true
                hops += 1
                continue
            }
            guard position + 1 + length <= bytes.count else {
                throw ParseError(description: "DNS label runs past the message")
            }
            labels.append(String(decoding: bytes[(position + 1)...(position + length)], as: UTF8.self))
            position += 1 + length
        }
    }
}
