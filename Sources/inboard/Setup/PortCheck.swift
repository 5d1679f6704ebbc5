import Foundation

/// Whether `inboard serve` can listen where setup is told it will. Plain sockets: the binary carries no HTTP
/// client library for this one question.
enum PortCheck {
    enum State: String {
        case free = "is free"
        case inboard = "is in use by a running Inboard (fine when setup runs again)"
        case taken = "is in use by another program"
    }

    static func state(host: String, port: Int) async -> State {
        if withSocket(host: host, port: port, { descriptor, address, length in bind(descriptor, address, length) == 0 })
        {
            return .free
        }
        let probeHost = host == "0.0.0.0" ? "127.0.0.1" : host == "::" ? "::1" : host
        let answer = withSocket(host: probeHost, port: port) { descriptor, address, length -> Bool in
            var timeout = timeval(tv_sec: 3, tv_usec: 0)
            setsockopt(descriptor, SOL_SOCKET, SO_RCVTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))
            setsockopt(descriptor, SOL_SOCKET, SO_SNDTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))
            guard connect(descriptor, address, length) == 0 else { return false }
            let request = Array("GET /health/live HTTP/1.0\r\nHost: \(probeHost)\r\n\r\n".utf8)
            guard send(descriptor, request, request.count, 0) == request.count else { return false }
            var buffer = [UInt8](repeating: 0, count: 4096)
            let count = recv(descriptor, &buffer, buffer.count, 0)
            return count > 0 && String(decoding: buffer[..<count], as: UTF8.self).contains("\"live\"")
        }
        return answer ? .inboard : .taken
    }

    /// Whether `inboard serve` could listen there now (SO_REUSEADDR, as the server binds: a port whose old
    /// connections linger in TIME_WAIT is free, one with a listener is not).
    static func canListen(host: String, port: Int) -> Bool {
        withSocket(host: host, port: port) { descriptor, address, length in
            var yes: Int32 = 1
            setsockopt(descriptor, SOL_SOCKET, SO_REUSEADDR, &yes, socklen_t(MemoryLayout<Int32>.size))
            return bind(descriptor, address, length) == 0
        }
    }

    /// `body` with a new TCP socket and the address of `host`:`port` (IPv4 or IPv6); false when either fails.
    private static func withSocket(
        host: String, port: Int, _ body: (Int32, UnsafePointer<sockaddr>, socklen_t) -> Bool
    ) -> Bool {
        var hints = addrinfo()
        hints.ai_socktype = Int32(SOCK_STREAM.rawValue)
        hints.ai_flags = AI_NUMERICSERV
        var list: UnsafeMutablePointer<addrinfo>?
        guard getaddrinfo(host, String(port), &hints, &list) == 0, let info = list?.pointee, let address = info.ai_addr
        else { return false }
        defer { freeaddrinfo(list) }
        let descriptor = socket(info.ai_family, info.ai_socktype, info.ai_protocol)
        guard descriptor >= 0 else { return false }
        defer { close(descriptor) }
        var reuse: Int32 = 1
        setsockopt(descriptor, SOL_SOCKET, SO_REUSEADDR, &reuse, socklen_t(MemoryLayout<Int32>.size))
        return body(descriptor, address, info.ai_addrlen)
    }
}
