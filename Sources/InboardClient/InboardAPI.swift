import Foundation
import NIOHTTP1

/// The server's API as the client uses it: JSON in and out, errors turned into `ClientError`s.
public struct InboardAPI: Sendable {
    public let http: ClientHTTP
    public let token: String?

    public init(http: ClientHTTP, token: String?) {
        self.http = http
        self.token = token
    }

    var authorization: [(String, String)] { token.map { [("Authorization", "Bearer \($0)")] } ?? [] }

    /// The answer's JSON when it is 2xx; the server's error otherwise.
    @discardableResult
    public func call(_ method: HTTPMethod, _ path: String, json: [String: Any]? = nil) async throws -> Any? {
        guard method == .POST && path == "/api/v1/auth/login" || token != nil else { throw ClientError.notLoggedIn }
        var headers = authorization
        var body: [UInt8]?
        if let json {
            body = Array(try JSONSerialization.data(withJSONObject: json))
            headers.append(("Content-Type", "application/json"))
        }
        let answer = try await http.send(method, path, headers: headers, body: body)
        // A 401 on any other route means the saved session ended (expired, revoked, logged out elsewhere).
        if answer.status == 401, token != nil, path != "/api/v1/auth/login" { throw ClientError.sessionEnded }
        try Self.check(answer)
        return answer.body.isEmpty ? nil : try JSONSerialization.jsonObject(with: Data(answer.body))
    }

    static func check(_ answer: ClientHTTP.Answer) throws {
        guard !(200..<300).contains(answer.status) else { return }
        let error =
            (try? JSONSerialization.jsonObject(with: Data(answer.body)) as? [String: Any])?["error"]
            as? [String: Any]
        let code = error?["code"] as? String ?? "http_\(answer.status)"
        let message = error?["message"] as? String ?? "the server answered \(answer.status)"
        if answer.status == 426 { throw ClientError.serverTooOld(message: message) }
        throw ClientError.refused(status: answer.status, code: code, message: message)
    }

    /// Logs in, bringing the device token an earlier login here was given: with it, a lock that others ran up
    /// on the account by guessing does not hold this client (the server's answer carries the token to keep). A
    /// server older than device tokens refuses the field: the login is sent again without it.
    public func login(username: String, password: String, deviceToken: String?) async throws -> (
        token: String, person: [String: Any], deviceToken: String?
    ) {
        var fields = ["username": username, "password": password]
        if let deviceToken { fields["deviceToken"] = deviceToken }
        let answer: Any?
        do {
            answer = try await call(.POST, "/api/v1/auth/login", json: fields)
        } catch ClientError.refused(400, _, let message) where deviceToken != nil && message.contains("deviceToken") {
            return try await login(username: username, password: password, deviceToken: nil)
        }
        guard let object = answer as? [String: Any], let token = object["token"] as? String else {
            throw ClientError.local("the server's login answer holds no token")
        }
        return (token, object["person"] as? [String: Any] ?? [:], object["deviceToken"] as? String)
    }

    /// The one active person whose name matches `name` (username first, then display name).
    public func person(named name: String) async throws -> [String: Any] {
        let answer = try await call(.GET, "/api/v1/people?q=\(Self.queryValue(name))&limit=50") as? [String: Any]
        let people = answer?["people"] as? [[String: Any]] ?? []
        let lowered = name.lowercased()
        if let exact = people.first(where: { ($0["username"] as? String)?.lowercased() == lowered }) { return exact }
        let byName = people.filter { ($0["displayName"] as? String)?.lowercased() == lowered }
        if byName.count == 1 { return byName[0] }
        if people.count == 1 { return people[0] }
        if people.isEmpty { throw ClientError.local("nobody on the board is called '\(name)'") }
        let names = people.prefix(5).compactMap { $0["username"] as? String }.joined(separator: ", ")
        throw ClientError.local("'\(name)' matches \(people.count) people (\(names)…): give a username")
    }
}
