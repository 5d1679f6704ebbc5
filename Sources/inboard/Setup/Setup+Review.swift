import Foundation
import InboardCore
import InboardStore

extension Setup {
    /// Step 2: what applying will do, in words, before anything changes. Throws when it would refuse.
    func review(survey: DatabaseProvisioner.Survey?) async throws -> [String] {
        var lines: [String] = []
        if let admin, let survey {
            lines += try DatabaseProvisioner(admin: admin, target: database, logger: logger).plan(for: survey)
            if !survey.roleExists, database.password != nil {
                let given = (try? DatabaseURL(answers.databaseURL))?.password != nil
                lines.append(
                    "its password: \(given ? "the one in the database URL" : "generated (32 characters)"), "
                        + "written only to the environment file")
            }
        } else {
            lines.append(
                "database \(database.database) at \(database.host):\(database.port): used as it is (no --database-admin-url)"
            )
        }
        lines.append(
            "schema: migrated to version \(try MigrationCatalog.embedded().latestVersion) and default data loaded")
        lines.append("secret key \(answers.secretKeyFile): \(try keyPlan())")
        lines.append("environment file \(answers.envFile): \(environmentFilePlan())")
        lines.append("local admin '\(answers.adminUsername)': created, or kept when it exists with this password")
        lines.append(
            answers.directoryFile.map { "directory from \($0): tested, then saved (nothing saved if the test fails)" }
                ?? "directory: not configured now (the admin pages or 'inboard directory set' later)")
        lines.append(
            answers.smtpFile.map {
                "SMTP from \($0): saved" + (answers.smtpTestTo.map { ", a test mail sent to \($0)" } ?? "")
            }
                ?? "SMTP: not configured now (no mail is sent)")
        lines.append("web address: \(answers.webAddress)")
        return lines
    }

    func keyPlan() throws(CommandFailure) -> String {
        guard FileManager.default.fileExists(atPath: answers.secretKeyFile) else {
            return "created (32 random bytes, \(KeyFileOwnership.forNewKey().description))"
        }
        do { _ = try SecretBox.load(keyFile: answers.secretKeyFile) } catch {
            throw CommandFailure(
                message: "\(error.description); setup will not replace an existing key file (secrets stored with it "
                    + "could no longer be opened): move it away if it is not Inboard's")
        }
        return "kept (it exists and holds 32 bytes)"
    }

    func environmentFilePlan() -> String {
        guard let existing = try? String(contentsOfFile: answers.envFile, encoding: .utf8) else { return "created" }
        return existing == EnvironmentFile.text(environmentValues)
            ? "unchanged" : "rewritten (the old one kept as \(answers.envFile).previous)"
    }
}
