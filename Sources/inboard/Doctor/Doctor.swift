import Synchronization
import Foundation
import InboardStore
import Logging

/// `inboard doctor`: each part Inboard depends on, checked in turn, with what to do when one is wrong.
struct Doctor {
    struct Finding: Codable, Equatable {
        enum Outcome: String, Codable { case ok, failed, skipped }
        let check: String
        let outcome: Outcome
        let detail: String
        /// What to do about a failure.
        let fix: String?

        static func ok(_ check: String, _ detail: String) -> Finding {
            Finding(check: check, outcome: .ok, detail: detail, fix: nil)
        }
        static func failed(_ check: String, _ detail: String, fix: String) -> Finding {
            Finding(check: check, outcome: .failed, detail: detail, fix: fix)
        }
        static func skipped(_ check: String, _ detail: String) -> Finding {
            Finding(check: check, outcome: .skipped, detail: detail, fix: nil)
        }
    }

    let environment: CommandEnvironment
    var logger: Logger { environment.logger }

    /// Every check; those that need the database are skipped, saying why, when it cannot be used.
    func run() async -> [Finding] {
        var findings = [await databaseCheck()]
        let secrets = secretKeyCheck()
        findings.append(secrets.finding)
        if findings[0].outcome == .ok {
            let schema = await schemaCheck()
            findings.append(schema)
            if schema.outcome == .ok, let box = secrets.box {
                findings += await directoryChecks(secrets: box)
                findings.append(await mailCheck(secrets: box))
            } else {
                let why = schema.outcome == .ok ? "the secret key cannot be used" : "the schema is not current"
                findings += ["directory", "directory clock", "smtp"].map { .skipped($0, "not checked: \(why)") }
            }
        } else {
            findings += ["schema", "directory", "directory clock", "smtp"].map {
                .skipped($0, "not checked: the database cannot be reached")
            }
        }
        findings.append(diskCheck())
        return findings
    }

    /// `body`'s result, or a failure finding when it throws or takes longer than `seconds`. A hard limit: a check
    /// stuck where cancellation cannot reach it (a blocking C call) is left behind, never waited for.
    func timed(
        _ check: String, seconds: Int = 15, fix: String, _ body: @escaping @Sendable () async throws -> Finding
    ) async -> Finding {
        let pending = Mutex<CheckedContinuation<Finding, Never>?>(nil)
        let finish: @Sendable (Finding) -> Void = { finding in
            pending.withLock { continuation in
                continuation?.resume(returning: finding)
                continuation = nil
            }
        }
        return await withCheckedContinuation { continuation in
            pending.withLock { $0 = continuation }
            let work = Task {
                do { finish(try await body()) } catch { finish(.failed(check, "\(error)", fix: fix)) }
            }
            Task {
                try? await Task.sleep(for: .seconds(seconds))
                finish(.failed(check, "no answer within \(seconds) s", fix: fix))
                work.cancel()
            }
        }
    }
}
