import Hummingbird
import InboardStore
import NIOCore

/// Per-request state: who is calling (set by `SessionMiddleware`) and from where.
public struct AppRequestContext: RequestContext {
    public var coreContext: CoreRequestContextStorage
    public var identity: Person?
    public var token: String?
    /// The session row behind `token`.
    public var sessionID: Int64?
    /// The token came from the session cookie (a browser), so state changes need a CSRF token too.
    public var viaCookie = false
    /// The client's address: the peer's, or behind a trusted proxy the one it forwarded (`ClientAddressMiddleware`).
    public var remoteAddress: String?
    /// The client reached us over TLS (directly, or through a trusted proxy or an https public URL).
    public var secureTransport = false
    /// The connection the request came on: a long response (a live stream) watches it for the client leaving.
    let connection: any Channel

    public init(source: ApplicationRequestContextSource) {
        coreContext = .init(source: source)
        remoteAddress = source.channel.remoteAddress?.ipAddress
        connection = source.channel
    }
}
