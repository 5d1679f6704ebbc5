import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import InboardTestSupport
import Testing

/// A host elsewhere in the organisation's domain (a wiki, a test machine) can set cookies for the whole domain.
/// Over TLS every cookie of Inboard's is a `__Host-` one, which it cannot set, and a plain one of the same name is
/// never read: planted, a session cookie signed the next visitor in as the planter (whose board, notes and
/// status form they would then use), and a login form cookie let a cross-site form sign a person in as anyone.
@Suite struct PlantedCookieTests {
    func withServer(
        overTLS: Bool, _ body: @escaping @Sendable (any TestClientProtocol, SeededPeople) async throws -> Void
    ) async throws {
        try await TemporaryDatabase.with { db in
            let people = try await SeededPeople.seed(db)
            try await makeTestApp(databaseURL: db.url, publicURLIsHTTPS: overTLS, loginFirstLock: .seconds(900)).test(
                .live
            ) { client in
                try await body(client, people)
            }
        }
    }

    /// The login form posted with `cookies`; its status and the cookies it set.
    func signIn(_ client: some TestClientProtocol, csrf: String, cookies: String) async throws -> (Int, [String]) {
        try await client.execute(
            uri: "/login", method: .post,
            headers: [.contentType: "application/x-www-form-urlencoded", .cookie: cookies],
            body: ByteBuffer(string: "_csrf=\(csrf)&username=ann&password=\(SeededPeople.password)&next=%2F")
        ) { response in (Int(response.status.code), response.headers[values: .setCookie]) }
    }

    func whoIs(_ client: some TestClientProtocol, cookies: String) async throws -> Int {
        try await client.execute(uri: "/api/v1/me", method: .get, headers: [.cookie: cookies]) {
            Int($0.status.code)
        }
    }

    /// The attributes of the cookie called `name` among `setCookies`, nil when none was set.
    func attributes(of name: String, in setCookies: [String]) -> (value: String, attributes: Set<String>)? {
        guard let cookie = setCookies.first(where: { $0.hasPrefix(name + "=") }) else { return nil }
        let parts = cookie.split(separator: ";").map { $0.trimmingCharacters(in: .whitespaces) }
        return (String(parts[0].dropFirst(name.count + 1)), Set(parts.dropFirst()))
    }

    @Test func overTLSEveryCookieIsAHostCookieAndAPlantedPlainOneIsIgnored() async throws {
        try await withServer(overTLS: true) { client, _ in
            // The login form's token: a `__Host-` cookie; the same value planted as a plain cookie is not believed.
            let (csrf, formCookie) = try await loginFormToken(client)
            #expect(formCookie.hasPrefix("__Host-inboard_login_csrf="), "\(formCookie)")
            let (planted, _) = try await signIn(client, csrf: "chosen", cookies: "inboard_login_csrf=chosen")
            #expect(planted == 403, "a planted login form cookie signed someone in: \(planted)")

            let (status, setCookies) = try await signIn(client, csrf: csrf, cookies: formCookie)
            #expect(status == 303 || status == 302, "\(status)")
            let session = try #require(attributes(of: "__Host-inboard_session", in: setCookies), "\(setCookies)")
            for attribute in ["Path=/", "Secure", "HttpOnly", "SameSite=Lax"] {
                #expect(session.attributes.contains(attribute), "\(attribute) missing: \(session.attributes)")
            }
            #expect(!session.attributes.contains { $0.lowercased().hasPrefix("domain=") })
            #expect(try await whoIs(client, cookies: "__Host-inboard_session=\(session.value)") == 200)
            // The same session as a plain cookie is what a sibling host could plant: not read.
            #expect(try await whoIs(client, cookies: "inboard_session=\(session.value)") == 401)

            // Signing out empties the `__Host-` cookie (a browser only replaces it with the same attributes), and
            // ends and empties a plain one left from before it (read over plain HTTP to the same host).
            let (_, earlier) = try await signIn(client, csrf: csrf, cookies: formCookie)
            let older = try #require(attributes(of: "__Host-inboard_session", in: earlier)).value
            let csrfToken = try await client.execute(
                uri: "/", method: .get, headers: [.cookie: "__Host-inboard_session=\(session.value)"]
            ) { response in
                String(buffer: response.body).components(separatedBy: "name=\"csrf-token\" content=\"").dropFirst()
                    .first?.prefix(while: { $0 != "\"" }).description ?? ""
            }
            let cleared = try await client.execute(
                uri: "/logout", method: .post,
                headers: [
                    .contentType: "application/x-www-form-urlencoded",
                    .cookie: "__Host-inboard_session=\(session.value); inboard_session=\(older)",
                ], body: ByteBuffer(string: "_csrf=\(csrfToken)")
            ) { $0.headers[values: .setCookie] }
            let emptied = try #require(attributes(of: "__Host-inboard_session", in: cleared), "\(cleared)")
            #expect(emptied.value.isEmpty && emptied.attributes.isSuperset(of: ["Path=/", "Secure"]), "\(emptied)")
            #expect(try await whoIs(client, cookies: "__Host-inboard_session=\(session.value)") == 401)
            let plain = try #require(attributes(of: "inboard_session", in: cleared), "\(cleared)")
            #expect(plain.value.isEmpty && plain.attributes.contains("Path=/"), "\(plain)")
            #expect(try await whoIs(client, cookies: "__Host-inboard_session=\(older)") == 401, "the older session")
        }
    }

    /// Without TLS the prefix is not allowed: plain cookies, the login form's sent to the form only.
    @Test func withoutTLSTheCookiesArePlain() async throws {
        try await withServer(overTLS: false) { client, _ in
            let (csrf, formCookie) = try await loginFormToken(client)
            #expect(formCookie.hasPrefix("inboard_login_csrf="), "\(formCookie)")
            let (status, setCookies) = try await signIn(client, csrf: csrf, cookies: formCookie)
            #expect(status == 303 || status == 302, "\(status)")
            let session = try #require(attributes(of: "inboard_session", in: setCookies), "\(setCookies)")
            #expect(!session.attributes.contains("Secure"))
            #expect(try await whoIs(client, cookies: "inboard_session=\(session.value)") == 200)
        }
    }
}
