import DirectorySync
import Foundation
import InboardStore
import Logging
import Mailer

/// The interactive questions: each answer checked as it is given (a database URL is tried at once).
struct SetupWizard {
    let prompter = Prompter()
    let logger: Logger

    func ask(starting answers: SetupAnswers) async throws -> SetupAnswers {
        var answers = answers
        let logger = self.logger
        Terminal.line("Inboard setup: Enter keeps the answer in brackets.\n")
        let adminURL = try await prompter.ask(
            "PostgreSQL administrator URL, to create Inboard's database and login (empty: use an existing database)",
            default: answers.databaseAdminURL ?? "postgres://postgres@127.0.0.1:5432/postgres"
        ) { answer in
            answer.isEmpty
                ? nil : await Self.problem(connectingTo: answer, setting: "the administrator URL", logger: logger)
        }
        answers.databaseAdminURL = adminURL.isEmpty ? nil : adminURL
        let creating = answers.databaseAdminURL != nil
        let kept = Setup.keptURL(envFile: answers.envFile)
        answers.databaseURL = try await prompter.ask(
            "Inboard's database URL (its own login\(creating ? "; without a password one is generated" : ""))",
            default: answers.databaseURL
        ) { answer in
            var url: DatabaseURL
            do { url = try DatabaseURL(answer, setting: "the database URL") } catch { return "\(error)" }
            // The same login as the environment file's: tried with its kept password (never shown here).
            if url.password == nil, let kept, kept.sameLogin(as: url) { url.password = kept.password }
            return creating
                ? nil : await Self.problem(connectingTo: url.urlString, setting: "the database URL", logger: logger)
        }
        answers.httpHost = try await prompter.ask(
            "Address to listen on (0.0.0.0: every interface)", default: answers.httpHost)
        answers.httpPort = Int(
            try await prompter.ask("Port", default: String(answers.httpPort)) { answer in
                Int(answer).map { (1...65535).contains($0) } == true ? nil : "not a port number (1-65535)"
            })!
        let publicURL = try await prompter.ask(
            "Public URL, when a proxy or load balancer is in front (https://…)", default: answers.publicURL ?? ""
        ) { answer in
            answer.isEmpty || answer.hasPrefix("https://") || answer.hasPrefix("http://")
                ? nil : "it must start with https:// or http://"
        }
        answers.publicURL = publicURL.isEmpty ? nil : publicURL
        answers.secretKeyFile = try await prompter.ask("Secret key file", default: answers.secretKeyFile)
        answers.envFile = try await prompter.ask("Environment file", default: answers.envFile)
        answers.adminUsername = try await prompter.ask("Local admin username", default: answers.adminUsername)
        answers.adminPassword = try prompter.askSecret("Local admin password (12 characters or more)") {
            $0.count < 12 ? "it is shorter than 12 characters" : nil
        }
        answers.directoryFile = try await optionalFile(
            "Directory settings file (YAML, see 'inboard directory set --help')", answers.directoryFile
        ) { path in
            do { _ = try DirectorySettings.load(file: path) } catch { return "\(error)" }
            return nil
        }
        answers.smtpFile = try await optionalFile(
            "SMTP settings file (YAML, see 'inboard smtp set --help')", answers.smtpFile
        ) { path in
            do { _ = try SMTPSettings.load(file: path) } catch { return "\(error)" }
            return nil
        }
        if answers.smtpFile != nil {
            let address = try await prompter.ask(
                "Send a test mail to (an address, or Enter for none)", default: answers.smtpTestTo ?? ""
            ) { $0.isEmpty || $0.contains("@") ? nil : "that is not a mail address" }
            answers.smtpTestTo = address.isEmpty ? nil : address
        }
        return answers
    }

    private func optionalFile(_ question: String, _ current: String?, check: @escaping (String) -> String?)
        async throws -> String?
    {
        let answer = try await prompter.ask(question, default: current ?? "") { answer in
            guard !answer.isEmpty else { return nil }
            guard FileManager.default.isReadableFile(atPath: answer) else { return "\(answer) cannot be read" }
            return check(answer)
        }
        return answer.isEmpty ? nil : answer
    }

    /// Why `text` cannot be used to reach PostgreSQL, or nil.
    static func problem(connectingTo text: String, setting: String, logger: Logger) async -> String? {
        do {
            let url = try DatabaseURL(text, setting: setting)
            _ = try await Database(url: url, logger: logger).serverVersionAndClockSkew()
            return nil
        } catch {
            return "\(error)"
        }
    }
}
