/// Where a cookie of Inboard's lives. Over TLS it is a `__Host-` cookie (Secure, Path=/, no Domain): a sibling
/// domain cannot set one (RFC 6265bis), so a host elsewhere in the organisation's domain cannot plant a session,
/// a login form's token or a device token in place of a person's, and a plain cookie of the same name, which it
/// could plant, is never read. Without TLS the prefix is not allowed: a plain cookie on `plainPath`.
struct HostCookie: Sendable, Equatable {
    let name: String
    let path: String

    init(_ baseName: String, secure: Bool, plainPath: String = "/") {
        name = secure ? "__Host-" + baseName : baseName
        path = secure ? "/" : plainPath
    }
}
