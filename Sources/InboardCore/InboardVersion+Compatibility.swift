/// The client/server rule of the old product: "upgrade the server first".
/// A client may talk to a server of the same or a newer major.minor, never to an older one.
public enum ClientCompatibility: Sendable, Equatable {
    case compatible
    case clientNewerThanServer(client: InboardVersion, server: InboardVersion)

    public var message: String? {
        switch self {
        case .compatible:
            return nil
        case let .clientNewerThanServer(client, server):
            return "This client (version \(client)) is newer than the Inboard server (version \(server)). "
                + "Ask your administrator to upgrade the server to \(client.majorMinor) or later first."
        }
    }
}

extension InboardVersion {
    /// The oldest client major.minor this server still serves.
    public static let minimumClient = InboardVersion(1, 0)

    /// Only major.minor matter: build and revision numbers never break compatibility.
    public func compatibility(withClient client: InboardVersion) -> ClientCompatibility {
        if (client.major, client.minor) > (major, minor) {
            return .clientNewerThanServer(client: client, server: self)
        }
        return .compatible
    }
}
