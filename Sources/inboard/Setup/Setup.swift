import DirectorySync
import Foundation
import HummingbirdBcrypt
import InboardCore
import InboardServer
import InboardStore
import Logging
import Mailer

/// `inboard setup`'s steps: prerequisites, a review of what will change, then each change, idempotent.
struct Setup {
    var answers: SetupAnswers
    let log: SetupLog
    let logger: Logger

    /// The database URL Inboard will use, with the password decided (given, kept from the environment file,
    /// or generated for a login that does not exist yet).
    private(set) var database: DatabaseURL
    let admin: DatabaseURL?

    init(answers: SetupAnswers, log: SetupLog, logger: Logger) throws {
        self.answers = answers
        self.log = log
        self.logger = logger
        admin = try answers.databaseAdminURL.map { try DatabaseURL($0, setting: "--database-admin-url") }
        var database = try DatabaseURL(answers.databaseURL, setting: "--database-url")
        if database.password == nil, let kept = Self.keptURL(envFile: answers.envFile), kept.sameLogin(as: database) {
            database.password = kept.password
        }
        self.database = database
    }

    /// The environment file's INBOARD_DATABASE_URL, when there is one.
    static func keptURL(envFile: String) -> DatabaseURL? {
        EnvironmentFile.read(envFile)["INBOARD_DATABASE_URL"].flatMap { try? DatabaseURL($0) }
    }

    /// A generated password for a login that will be created without one (it goes into the environment file).
    mutating func generatePasswordIfNeeded(_ survey: DatabaseProvisioner.Survey?) {
        guard database.password == nil, let survey, !survey.roleExists else { return }
        let alphabet = Array("abcdefghijkmnopqrstuvwxyzABCDEFGHJKLMNPQRSTUVWXYZ23456789")
        var generator = SystemRandomNumberGenerator()
        database.password = String((0..<32).map { _ in alphabet.randomElement(using: &generator)! })
    }

    /// The environment file's settings: the answers, over every other setting the file holds already (set by
    /// hand: trusted proxies, history retention, ...), which a second run keeps as they are.
    var environmentValues: [String: String] {
        var values = EnvironmentFile.read(answers.envFile)
        values["INBOARD_DATABASE_URL"] = database.urlString
        values["INBOARD_SECRET_KEY_FILE"] = answers.secretKeyFile
        values["INBOARD_HTTP_HOST"] = answers.httpHost
        values["INBOARD_HTTP_PORT"] = String(answers.httpPort)
        values["INBOARD_PUBLIC_URL"] = answers.publicURL
        return values
    }
}

extension DatabaseURL {
    func sameLogin(as other: DatabaseURL) -> Bool {
        (username, host, port, database) == (other.username, other.host, other.port, other.database)
    }
}
