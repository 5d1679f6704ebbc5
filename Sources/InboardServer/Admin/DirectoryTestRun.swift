import DirectorySync
import Foundation
import InboardCore
import InboardStore
import Logging
import Synchronization

/// "Test connection", with or without a test login, for the API and the admin page alike. A test login sends a
/// person's password to the directory as a login does, so it meets the same throttle: counted under the typed
/// name and the admin's address, and under the entry the name led to however it was spelled; a failure stays
/// counted when a login's would (a password or a name judged), and is given back when none was judged (the
/// directory away, the guard refusing before the bind). A success clears nothing: the test may run on unsaved
/// settings that point anywhere, and clearing the account it named would let an admin's session (or a stolen
/// one) wipe the failures of guesses made at the login page.
struct DirectoryTestRun: Sendable {
    let throttle: LoginThrottle
    let people: any PeopleStoring
    let logger: Logger

    /// A test login's name and password pass the same checks as a real login's (no NUL reaches a bind): the
    /// reason in words when they do not.
    static func refusal(testLogin: (String, String)) -> String? {
        do { _ = try LoginInput.checked(username: testLogin.0, password: testLogin.1) } catch {
            return "The test \(error.field) \(error.message)."
        }
        return nil
    }

    /// Each step's outcome; `APIError.tooManyAttempts` when the name's account, its entry or the address is
    /// locked.
    func steps(settings: DirectorySettings, login: (String, String)?, address: String?) async throws
        -> [DirectoryTester.Step]
    {
        let tester = DirectoryTester(settings: settings, logger: logger)
        guard let login else { return await tester.run() }
        let username = (try? LoginInput.checked(username: login.0, password: login.1)) ?? login.0
        let named = try await throttle.keys(username: username, address: address)
        if let wait = try await throttle.beginAttempt(named) { throw APIError.tooManyAttempts(wait) }
        let entryKeys = Mutex<LoginThrottle.Keys?>(nil)
        let (throttle, people) = (self.throttle, self.people)
        let report = await tester.report(login: (username, login.1)) { found in
            let found = LoginThrottle.accountKey(
                try await LoginService.account(of: found, settings: settings, people: people).name)
            guard found != named.account else { return false }
            let entry = LoginThrottle.Keys(account: found, address: nil)
            if let wait = try await throttle.beginAttempt(entry) { throw APIError.tooManyAttempts(wait) }
            entryKeys.withLock { $0 = entry }
            return false
        }
        let answer = report.loginError.map(LoginService.answer(to:))
        if !report.loginTried || answer.map(AuthController.staysCounted) == false {
            try await throttle.refund(named)
            if let entry = entryKeys.withLock({ $0 }) { try await throttle.refund(entry) }
        }
        if let refused = answer as? APIError, refused.status == .tooManyRequests { throw refused }
        return report.steps
    }
}
