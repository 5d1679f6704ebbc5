import ArgumentParser
import Foundation
import InboardCore
import InboardStore
import Logging
import PolicyEngine

struct SetupCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "setup",
        abstract: "Set up Inboard on this server: database, login, schema, key, environment file, first admin.",
        discussion: """
            Without --non-interactive, asks each question in turn (Enter keeps the answer in brackets; a wrong \
            answer is explained and asked again). With it, the answers come from the flags and --answers FILE \
            (YAML, the flags' names in camel case: databaseAdminURL, databaseURL, secretKeyFile, envFile, \
            adminUsername, adminPasswordFile, directoryFile, smtpFile, smtpTestTo, publicURL, httpHost, httpPort, logFile). \
            Either way: checks the prerequisites, shows a review of what will change, then applies it step by \
            step: creates the login and the database it owns from --database-admin-url (or takes an existing \
            empty one), migrates (a database with people in it on an older schema is left to 'inboard upgrade', \
            which takes a backup first), writes the secret key (mode 600; as root with an 'inboard' group, mode 640, owned by root and readable \
            by that group) and the environment file, creates the local \
            admin, and saves the directory (after testing it) and SMTP settings when given. Every step is \
            idempotent: running setup again with the same answers changes nothing; after a failure, fix what it \
            names and run it again. A second run starts from the environment file: answers not given again, and \
            every other INBOARD_* setting in it, stay as they are. Ends with the web address, ClientInstall.ini for the clients and the next \
            steps; everything it said is appended to the setup log.
            """)

    @Flag(help: "Take every answer from the flags and --answers; ask nothing.")
    var nonInteractive = false
    @Option(help: "A YAML file of answers (flags given as well win).")
    var answers: String?
    @Option(
        help: """
            A PostgreSQL superuser URL (or a login with CREATEROLE and CREATEDB), to create the database. \
            A URL holding a password belongs in --answers FILE: other users can read a command line.
            """)
    var databaseAdminURL: String?
    @Option(help: "The URL Inboard will use (its own login and database); a password in it: see above.")
    var databaseURL: String?
    @Option(help: "Where the secret key goes (default: the environment file's, else /etc/inboard/secret.key).")
    var secretKeyFile: String?
    @Option(help: "Where the INBOARD_* settings go (default /etc/inboard/inboard.env).")
    var envFile: String?
    @Option(help: "The local admin's username (default admin).")
    var adminUsername: String?
    @Option(help: "A file whose first line is the local admin's password (12 characters or more).")
    var adminPasswordFile: String?
    @Option(help: "Directory settings to test and save (as 'inboard directory set').")
    var directoryFile: String?
    @Option(help: "SMTP settings to save (as 'inboard smtp set').")
    var smtpFile: String?
    @Option(help: "An address to send a test mail to once the SMTP settings are saved.")
    var smtpTestTo: String?
    @Option(help: "The address browsers and clients use, when a proxy is in front.")
    var publicURL: String?
    @Option(help: "The address to listen on (default: the environment file's, else 0.0.0.0).")
    var httpHost: String?
    @Option(help: "The port to listen on (default: the environment file's, else 8080).")
    var httpPort: Int?
    @Option(help: "The setup log (default /var/log/inboard/setup.log, else beside the environment file).")
    var logFile: String?

    func run() async throws {
        var logger = Logger(label: "inboard-setup")
        logger.logLevel = .warning
        warnOfPasswordsOnTheCommandLine()
        // The answers given start from what the environment file holds (a second run), which the answers file and
        // the flags name.
        var kept = SetupAnswers()
        kept.envFile = try given(startingFrom: kept).envFile
        let unkept = kept.keep(EnvironmentFile.read(kept.envFile))
        var answers = try given(startingFrom: kept)
        if let unkept, answers.databaseURL == kept.databaseURL {
            throw CommandFailure(message: "\(unkept); nothing was changed")
        }
        if !nonInteractive {
            do { answers = try await SetupWizard(logger: logger).ask(starting: answers) } catch is Prompter.Cancelled {
                throw CommandFailure(message: "setup cancelled: nothing was changed")
            }
        }
        if let problem = answers.problem() { throw CommandFailure(message: "\(problem); nothing was changed") }
        let log = SetupLog(path: answers.resolvedLogFile)
        log.record("inboard setup \(InboardVersion.current) started by \(NSUserName())")
        var setup: Setup
        do { setup = try Setup(answers: answers, log: log, logger: logger) } catch { throw CommandFailure(error) }
        do {
            let survey = try await setup.checkPrerequisites()
            setup.generatePasswordIfNeeded(survey)
            log.say("[2/4] review: this is what setup will do")
            for line in try await setup.review(survey: survey) { log.say("      - \(line)") }
            if !nonInteractive, !(try Prompter().confirm("Apply these changes?")) {
                log.say("not applied: nothing was changed")
                throw CommandFailure(message: "setup not applied: nothing was changed")
            }
            try await setup.apply()
        } catch let failure as CommandFailure {
            log.record("failed: \(failure.message)")
            throw failure
        } catch {
            log.record("failed: \(error)")
            throw CommandFailure(message: "\(error); run setup again once it is fixed (finished steps are kept)")
        }
        finish(setup, log: log)
    }

    /// `answers` with the answers file's and the flags' answers over it.
    private func given(startingFrom answers: SetupAnswers) throws(CommandFailure) -> SetupAnswers {
        var answers = answers
        if let file = self.answers { try answers.merge(answersFile: file) }
        try applyFlags(to: &answers)
        return answers
    }

    private func warnOfPasswordsOnTheCommandLine() {
        for (flag, url) in [("--database-admin-url", databaseAdminURL), ("--database-url", databaseURL)] {
            // The text itself, not a parsed URL: a URL that fails to parse still showed its password to `ps`.
            if let url, url.contains(/:\/\/[^:@\/]*:[^@]+@/) {
                FileHandle.standardError.write(
                    Data(
                        "warning: the password in \(flag) can be read by other users of this machine (ps); put the URL in --answers FILE (mode 600) instead\n"
                            .utf8))
            }
        }
    }

    private func applyFlags(to answers: inout SetupAnswers) throws(CommandFailure) {
        if let databaseAdminURL { answers.databaseAdminURL = databaseAdminURL }
        if let databaseURL { answers.databaseURL = databaseURL }
        if let secretKeyFile { answers.secretKeyFile = secretKeyFile }
        if let envFile { answers.envFile = envFile }
        if let adminUsername { answers.adminUsername = adminUsername }
        if let adminPasswordFile { answers.adminPassword = try SetupAnswers.password(from: adminPasswordFile) }
        if let directoryFile { answers.directoryFile = directoryFile }
        if let smtpFile { answers.smtpFile = smtpFile }
        if let smtpTestTo { answers.smtpTestTo = smtpTestTo }
        if let publicURL { answers.publicURL = publicURL }
        if let httpHost { answers.httpHost = httpHost }
        if let httpPort { answers.httpPort = httpPort }
        if let logFile { answers.logFile = logFile }
    }

    private func finish(_ setup: Setup, log: SetupLog) {
        let address = setup.answers.webAddress
        let ini = ClientInstallINI.text(
            address: address, clientVersion: "\(InboardVersion.current)", install: .assigned)
        let iniFile = URL(fileURLWithPath: setup.answers.envFile).deletingLastPathComponent()
            .appendingPathComponent("ClientInstall.ini").path
        let written = (try? FileSystem.writeAtomically(Data(ini.utf8), to: iniFile, mode: 0o644)) != nil
        log.say("[4/4] done: Inboard is set up")
        log.say("      web address: \(address) (sign in as '\(setup.answers.adminUsername)')")
        log.say("      ClientInstall.ini for the clients\(written ? " (also in \(iniFile))" : ""):")
        for line in ini.split(separator: "\r\n") { log.say("        \(line)") }
        log.say("      next steps:")
        log.say(
            "        systemctl enable --now inboard     start it (the package's unit reads \(setup.answers.envFile))")
        log.say("        set -a; . \(setup.answers.envFile); set +a")
        log.say("        inboard doctor                     check every part with those settings")
        if setup.answers.directoryFile != nil {
            log.say("        inboard sync --full                the first import of the directory")
        }
        log.say("      setup log: \(log.path)")
    }
}
