import ArgumentParser
import Foundation
import InboardClient
import Synchronization

struct AgentCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "agent",
        abstract: "Run for a desktop session: watch events and notes, auto-away from idle time, the policy applied.",
        discussion: """
            Start it with the session (the policy's autoStart writes ~/.config/autostart/inboard-client.desktop). It \
            prints each watch event and note and pops them up as the policy's statusWatchPopups and notePopups say; \
            reads idle time and screen lock from the session (logind, or X11 through xprintidle) and reports them, \
            so that "In" becomes the away status after idleMinutesBeforeAway and comes back with activity; sends \
            status changes queued offline; installs the client version an assigned package policy gives you at its \
            start ('inboard-client update' does it for a published one, and for an optional upgrade over an older \
            installed version), and removes it once out of scope when its policy set uninstallWhenOutOfScope; \
            refreshes the policy manifest and the cached board (what 'board' shows offline) at its start, every \
            cacheMinutes and after a reset (more missed than the server replays). \
            Needs a login first ('inboard-client login'); stops on Ctrl-C or SIGTERM.
            """)
    @OptionGroup var connection: ConnectionOptions
    @Option(help: "Read idle time from this file (active, idle SECONDS or locked) instead of the desktop.")
    var idleSource: String?
    @Option(help: "Seconds between idle checks.") var idleCheckSeconds = 5
    @Flag(help: "One JSON object per line.") var json = false

    func run() async throws {
        try await reporting {
            let context = try ClientContext(connection)
            guard let token = context.api.token else { throw ClientError.notLoggedIn }
            let settings = CurrentSettings()
            if let manifest = try await refresh(context, settings) { await installAtLogon(context, manifest) }
            let source = idleSource.map(IdleSource.file) ?? IdleSource.detect()
            if source == nil { say("no idle source found in this session: auto-away is off") }
            try await withThrowingTaskGroup(of: Void.self) { group in
                group.addTask {
                    try await EventFollower(http: context.api.http, token: token).follow { event in
                        guard event.isPersonal else { return }
                        say(json ? jsonLine(["event": event.kind, "data": event.object]) : event.text)
                        // A reset (more missed than the server replays) says where to look; notes left meanwhile
                        // stay unread on the server for `inboard-client notes`.
                        if settings.value.popsUp(event.kind == "reset" ? "note" : event.kind) { Notifier.show(event) }
                        if event.kind == "reset" { _ = try? await refresh(context, settings) }
                    }
                }
                if let source {
                    group.addTask { try await senseIdle(source, context.api, settings) }
                }
                group.addTask {
                    while true {
                        let minutes = settings.value.cacheMinutes
                        try await Task.sleep(for: .seconds(minutes * 60))
                        _ = try? await refresh(context, settings)
                    }
                }
                try await group.next()
                group.cancelAll()
            }
        }
    }

    /// The manifest (its settings applied), the queue sent, the board cached; an unreachable server keeps
    /// what was cached. Returns the server's manifest (nil when it was unreachable).
    @discardableResult
    func refresh(_ context: ClientContext, _ settings: CurrentSettings) async throws -> [String: Any]? {
        let cache = ClientCache(config: context.config)
        var manifest: [String: Any]?
        var answered: [String: Any]?  // the server's own answer (200): the only one a package change follows
        var reachable = true
        do {
            try await context.sendQueued()
            manifest = try await context.api.call(.GET, "/api/v1/clients/manifest") as? [String: Any]
            answered = manifest
            if let manifest { cache.save("manifest", manifest) }
        } catch ClientError.refused(404, _, _) {
            manifest = [:]  // a local account has no manifest: the defaults apply
        } catch let error as ClientError where error.isOutage {
            manifest = cache.load("manifest")?.value as? [String: Any]
            reachable = false
        }
        // What `inboard-client board` shows while the server is away (not asked for when it just was away: each
        // try can wait for the client's timeout).
        if reachable, let people = try? await context.api.board(limit: ClientCache.boardSize) {
            cache.saveBoard(people)
        }
        let applied = ClientSettings(manifest: manifest ?? [:])
        let before = settings.replace(with: applied)
        if applied != before {
            say(
                "settings: away after \(applied.idleMinutesBeforeAway.map { "\($0) min" } ?? "the organisation's minutes"), "
                    + "pop-ups for watch events \(applied.statusWatchPopups ? "on" : "off"), notes \(applied.notePopups ? "on" : "off")"
            )
        }
        // Once an installed copy removed itself, and no other client is known, the entry is left as it is.
        let executable = Self.autostartExecutable
        if executable != nil || !applied.autoStart,
            let change = AutostartEntry().apply(wanted: applied.autoStart, executable: executable ?? "")
        {
            say(change)
        }
        return answered
    }

    /// As Group Policy installs an assigned package at logon: the version the person's ring assigns, or the
    /// removal of one out of scope whose policy asked for it; a published one, or an upgrade its policy does not
    /// require over an installed version, is only offered. The session
    /// runs it from its next start. A failure is said and changes nothing.
    func installAtLogon(_ context: ClientContext, _ manifest: [String: Any]) async {
        let updater = ClientUpdater(api: context.api)
        do {
            let plan = try updater.plan(manifest: manifest)
            guard !plan.upToDate else { return updater.remember(plan) }
            if plan.assigned != nil, plan.install != "assigned" || plan.isOptionalUpgrade {
                return say("update: \(plan.summary): 'inboard-client update' installs it")
            }
            let address = context.found.address
            guard !address.crossesNetworkInClear || plan.removesInstalled else {
                return say(
                    "update: \(plan.summary), not installed: \(address) is plain HTTP; "
                        + "'inboard-client update --allow-http' installs it from there all the same")
            }
            say("update: " + (try await updater.apply(plan)))
        } catch {
            say("update: \(error)")
        }
    }

    /// What the session should start: the updater's `current` when a version is installed (its versions come
    /// and go), else the client outside the install folder (nil when none is known).
    static var autostartExecutable: String? {
        let current = ClientUpdater.installFolder() + "/current/inboard-client"
        return FileManager.default.isExecutableFile(atPath: current) ? current : ClientUpdater.unmanagedClient()
    }

    func senseIdle(_ source: IdleSource, _ api: InboardAPI, _ settings: CurrentSettings) async throws {
        var tracker = PresenceTracker(idleMinutes: 10)
        var lastPeriodic = Date.distantPast
        while true {
            if let sample = source.sample() {
                let minutes = settings.value.idleMinutesBeforeAway
                // A trial copy: the tracker moves on only once the server has taken the report, so a report lost
                // to an outage is sent again at the next check.
                var trial = tracker
                var report: Int?
                if let minutes {
                    trial.idleMinutes = minutes
                    report = trial.next(sample)
                } else if sample.idleSeconds >= 60 || sample.locked {
                    // No policy threshold: the server compares with the organisation's, once a minute.
                    trial.idleMinutes = 1
                    _ = trial.next(sample)
                    if Date().timeIntervalSince(lastPeriodic) >= 60 {
                        report = sample.locked ? 86_400 : sample.idleSeconds
                    }
                } else if tracker.reportedIdle || lastPeriodic != .distantPast {
                    trial.idleMinutes = 1
                    _ = trial.next(sample)
                    report = 0
                }
                if let report {
                    var body: [String: Any] = ["idleSeconds": report]
                    if let minutes { body["idleMinutes"] = minutes }
                    if let answer = try? await api.call(.POST, "/api/v1/me/presence", json: body) as? [String: Any] {
                        tracker = trial
                        lastPeriodic = report == 0 ? .distantPast : Date()
                        if answer["changed"] as? Bool == true {
                            say(
                                "now "
                                    + EntryText.printable(EntryText.status(answer["person"] as? [String: Any] ?? [:])))
                        }
                    }
                } else {
                    tracker = trial
                }
            }
            try await Task.sleep(for: .seconds(idleCheckSeconds))
        }
    }

    func say(_ line: String) { emit(line) }
}

/// The settings in force, replaced when a new manifest arrives.
final class CurrentSettings: Sendable {
    private let state = Mutex(ClientSettings())
    var value: ClientSettings { state.withLock { $0 } }

    /// Puts `new` in force; returns what was.
    func replace(with new: ClientSettings) -> ClientSettings {
        state.withLock { current in
            defer { current = new }
            return current
        }
    }
}
