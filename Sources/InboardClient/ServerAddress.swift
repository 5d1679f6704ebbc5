import Foundation
import InboardCore

/// The server's web address: `http(s)://host[:port][/path]`, as ClientInstall.ini's WebServiceAddress holds it.
public struct ServerAddress: Sendable, Equatable, CustomStringConvertible {
    public let isTLS: Bool
    public let host: String
    public let port: Int
    /// Where Inboard is mounted behind a proxy ("" at the root), without a trailing slash.
    public let basePath: String

    public init(_ text: String) throws(ClientError) {
        let trimmed = text.trimmingCharacters(in: .whitespaces)
        guard let components = URLComponents(string: trimmed), let scheme = components.scheme?.lowercased(),
            scheme == "http" || scheme == "https", let host = components.host, !host.isEmpty
        else {
            throw .badServerAddress(text)
        }
        guard components.user == nil, components.password == nil, components.query == nil else {
            throw .badServerAddress(text)
        }
        isTLS = scheme == "https"
        self.host = host
        port = components.port ?? (isTLS ? 443 : 80)
        var path = components.percentEncodedPath
        while path.hasSuffix("/") { path.removeLast() }
        basePath = path
    }

    /// This machine: plain HTTP there crosses no network.
    public var isLoopback: Bool { LoopbackHost.contains(host) }

    /// Plain HTTP to another machine: what is sent crosses a network in clear.
    public var crossesNetworkInClear: Bool { !isTLS && !isLoopback }

    /// Refuses plain HTTP to another machine for what must not cross a network in clear (a password, a program).
    public func requireTLS(for action: String, allowHTTP: Bool) throws(ClientError) {
        guard crossesNetworkInClear, !allowHTTP else { return }
        throw .usage(
            "\(description) is plain HTTP: \(action) would cross the network unprotected; use the server's https:// "
                + "address, or --allow-http if you accept that")
    }

    var hostHeader: String {
        let name = host.contains(":") ? "[\(host)]" : host
        return port == (isTLS ? 443 : 80) ? name : "\(name):\(port)"
    }

    public var description: String { "\(isTLS ? "https" : "http")://\(hostHeader)\(basePath)/" }
}
