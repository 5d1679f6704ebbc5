import DirectorySync
import Foundation
import InboardCore
import InboardStore
import Logging

/// "Test connection", with or without a test login, for the API and the admin page alike. A test login sends a
/// person's password to the directory as a login does, so it meets the same throttle (per account, per address):
/// an admin's session, or a stolen one, is no unthrottled way to guess passwords where the directory never locks.
struct DirectoryTestRun: Sendable {
    let throttle: LoginThrottle
    let logger: Logger

    /// A test login's name and password pass the same checks as a real login's (no NUL reaches a bind): the
    /// reason in words when they do not.
    static func refusal(testLogin: (String, String)) -> String? {
        do { _ = try LoginInput.checked(username: testLogin.0, password: testLogin.1) } catch {
            return "The test \(error.field) \(error.message)."
        }
        return nil
    }

    /// Each step's outcome; `APIError.tooManyAttempts` when the login's account or address is locked.
    func steps(settings: DirectorySettings, login: (String, String)?, address: String?) async throws
        -> [DirectoryTester.Step]
    {
        let tester = DirectoryTester(settings: settings, logger: logger)
        guard let login else { return await tester.run() }
        let username = (try? LoginInput.checked(username: login.0, password: login.1)) ?? login.0
        let keys = try await throttle.keys(username: username, address: address)
        if let wait = try await throttle.beginAttempt(keys) { throw APIError.tooManyAttempts(wait) }
        let steps = await tester.run(login: (username, login.1))
        if steps.contains(where: { $0.name == "login" && $0.ok }) {
            try await throttle.succeeded(keys)
        } else if !steps.contains(where: { $0.name == "login" }) {
            try await throttle.refund(keys)  // the connection failed first: no password was judged
        }
        return steps
    }
}
