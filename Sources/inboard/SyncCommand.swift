import ArgumentParser
import DirectorySync
import Foundation
import InboardStore

struct SyncCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "sync",
        abstract: "Sync people and groups from the directory into Inboard.",
        discussion: """
            A full run reads every user and group; people missing from it, or disabled in the directory, are \
            disabled in Inboard (their statuses and history are kept) and re-enabled when they come back. An \
            incremental run reads only entries changed since the last complete run (entryCSN on OpenLDAP, \
            uSNChanged on AD) and becomes a full run when there is none, the settings changed or the DC changed. \
            Only one sync runs at a time across all server processes. A run that would disable more than the \
            guard's share of active people, or that sees no users, is held with nothing changed: check it, then \
            --approve it. Exit status: 0 succeeded, 1 failed, 3 held.
            """)

    @Flag(help: "Read every user and group (the default).")
    var full = false

    @Flag(help: "Read only what changed since the last complete run.")
    var incremental = false

    @Flag(help: "Compute and report the changes without writing them.")
    var dryRun = false

    @Flag(help: "Print the run record as JSON (the last line of standard output).")
    var json = false

    @Option(
        name: .customLong("approve"),
        help: ArgumentHelp(
            "Approve a held run: run a full sync that may disable as many people as it would have.", valueName: "RUN"))
    var approve: Int64?

    @Flag(help: "List the most recent runs instead of running one.")
    var history = false

    func validate() throws {
        if full && incremental { throw ValidationError("choose one of --full and --incremental") }
        if approve != nil && (incremental || dryRun) {
            throw ValidationError(
                "--approve runs a real full sync: it cannot be combined with --incremental or --dry-run")
        }
    }

    func run() async throws {
        let environment = try CommandEnvironment.load()
        let secrets = try environment.secrets()
        let request = SyncRequest(
            mode: incremental ? .incremental : .full, dryRun: dryRun, trigger: "command",
            requestedBy: "cli:\(NSUserName())", approving: approve)
        let (asJSON, listHistory) = (json, history)
        let bar = ProgressBar(enabled: !asJSON && isatty(STDERR_FILENO) == 1)
        let record: SyncRun? = try await environment.reporting {
            try await environment.requireCurrentSchema()
            return try await environment.withPool { pool in
                let syncer = DirectorySyncer(
                    database: environment.database, pool: pool, secrets: secrets, logger: environment.logger)
                if listHistory {
                    let runs = try await syncer.runs.recent(limit: 20)
                    if asJSON {
                        print(try Self.encode(runs))
                    } else {
                        runs.forEach { print($0.summary.split(separator: "\n")[0]) }
                    }
                    return nil
                }
                do {
                    let run = try await syncer.run(request, onProgress: { bar.show($0) })
                    bar.finish()
                    return run
                } catch {
                    bar.finish()
                    if asJSON, let failed = try? await syncer.runs.recent(limit: 1).first, failed.state == .failed {
                        print(try Self.encode(failed))
                    }
                    throw error
                }
            }
        }
        guard let record else { return }
        print(asJSON ? try Self.encode(record) : record.summary)
        if record.state == .held {
            throw CommandFailure(message: "sync run \(record.id) held: \(record.heldReason ?? "")", exitCode: 3)
        }
    }

    static func encode(_ value: some Encodable) throws -> String {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        encoder.dateEncodingStrategy = .iso8601
        return String(decoding: try encoder.encode(value), as: UTF8.self)
    }
}

/// A one-line progress bar on standard error, redrawn in place; nothing when not on a terminal.
final class ProgressBar: Sendable {
    let enabled: Bool
    init(enabled: Bool) { self.enabled = enabled }

    func show(_ progress: SyncProgress) {
        guard enabled else { return }
        var line = "\(progress.phase.rawValue): \(progress.processed.formatted()) entries"
        if let estimated = progress.estimated, estimated > 0 {
            let share = min(1, Double(progress.processed) / Double(estimated))
            let filled = Int(share * 30)
            line =
                "[\(String(repeating: "#", count: filled))\(String(repeating: ".", count: 30 - filled))] \(Int(share * 100))% "
                + line + " of ~\(estimated.formatted())"
        }
        FileHandle.standardError.write(Data("\r\u{1B}[K\(line)".utf8))
    }

    func finish() {
        guard enabled else { return }
        FileHandle.standardError.write(Data("\r\u{1B}[K".utf8))
    }
}
