import Foundation

#if canImport(FoundationNetworking)
    import FoundationNetworking
#endif

/// Whether `inboard serve` can listen where setup is told it will.
enum PortCheck {
    enum State: String {
        case free = "is free"
        case inboard = "is in use by a running Inboard (fine when setup runs again)"
        case taken = "is in use by another program"
    }

    static func state(host: String, port: Int) async -> State {
        if canBind(host: host, port: port) { return .free }
        let probeHost = host == "0.0.0.0" || host == "::" ? "127.0.0.1" : host
        guard let url = URL(string: "http://\(probeHost):\(port)/health/live") else { return .taken }
        var request = URLRequest(url: url)
        request.timeoutInterval = 3
        guard let (data, response) = try? await URLSession.shared.data(for: request),
            (response as? HTTPURLResponse)?.statusCode == 200,
            String(decoding: data, as: UTF8.self).contains("\"live\"")
        else { return .taken }
        return .inboard
    }

    private static func canBind(host: String, port: Int) -> Bool {
        let socketFD = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        guard socketFD >= 0 else { return false }
        defer { close(socketFD) }
        var reuse: Int32 = 1
        setsockopt(socketFD, SOL_SOCKET, SO_REUSEADDR, &reuse, socklen_t(MemoryLayout<Int32>.size))
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = in_port_t(UInt16(port).bigEndian)
        guard inet_pton(AF_INET, host, &address.sin_addr) == 1 else { return false }
        return withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                bind(socketFD, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) == 0
            }
        }
    }
}
