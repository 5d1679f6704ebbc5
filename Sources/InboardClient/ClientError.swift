/// What a client command can fail with; each says what to do, and maps to a documented exit code.
public enum ClientError: Error, CustomStringConvertible, Equatable {
    case badServerAddress(String)
    case noServer
    case notLoggedIn
    case sessionEnded
    case unreachable(server: String, reason: String)
    case timedOut(Duration)
    /// An answer (or one line of a stream) larger than the client accepts.
    case answerTooLarge(limit: Int)
    case serverTooOld(message: String)
    /// The server answered with an error (`{"error":{"code","message"}}`).
    case refused(status: Int, code: String, message: String)
    case usage(String)
    case local(String)

    public var description: String {
        switch self {
        case let .badServerAddress(text):
            "'\(text)' is not a server address: use http://host[:port] or https://host[:port]"
        case .noServer:
            "no server known: give --server URL, set INBOARD_SERVER, or place ClientInstall.ini beside the client "
                + "(see 'inboard-client where')"
        case .notLoggedIn: "not logged in: run 'inboard-client login'"
        case .sessionEnded: "the session ended (expired, or logged out elsewhere): run 'inboard-client login'"
        case let .unreachable(server, reason): "cannot reach the server \(server): \(reason)"
        case let .timedOut(limit): "the server did not answer within \(limit)"
        case let .answerTooLarge(limit): "the server's answer is larger than this client accepts (\(limit) bytes)"
        case let .serverTooOld(message): "\(message) (the server must be upgraded before its clients)"
        case let .refused(status, code, message): "\(message) (\(status) \(code))"
        case let .usage(text): text
        case let .local(text): text
        }
    }

    /// The server is away or overloaded (unreachable, no answer, or a balancer's 502/503/504): worth retrying
    /// later, never a verdict on the request.
    public var isOutage: Bool {
        switch self {
        case .unreachable, .timedOut: true
        case let .refused(status, _, _): [502, 503, 504].contains(status)
        default: false
        }
    }

    /// 1 for any failure not listed; scripts rely on these (README, `inboard-client --help`).
    public var exitCode: Int32 {
        switch self {
        case .usage, .badServerAddress: 2
        case .notLoggedIn, .sessionEnded: 3
        case .unreachable, .timedOut, .noServer: 4
        case .serverTooOld: 5
        case .refused, .local, .answerTooLarge: 1
        }
    }
}
