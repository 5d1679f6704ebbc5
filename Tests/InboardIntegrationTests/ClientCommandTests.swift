import Foundation
import InboardStore
import InboardTestSupport
import Testing

/// `inboard-client` (the built binary) against `inboard serve` on a PostgreSQL of its own, with people synced
/// from the sample slapd: logins in every username form, statuses, watches and notes arriving on `listen`,
/// discovery through ClientInstall.ini, and the documented exit codes.
struct ClientCommandTests {
    /// One person's client: its own config folder.
    struct Client {
        let folder: String
        let server: String?

        func run(_ arguments: [String], extra: [String: String] = [:]) async throws -> (
            status: Int32, output: String, error: String
        ) {
            var environment = ["PATH": "/usr/bin:/bin", "INBOARD_CLIENT_CONFIG_DIR": folder, "HOME": folder]
            if let server { environment["INBOARD_SERVER"] = server }
            environment.merge(extra) { $1 }
            return try await runProgram(try inboardClientBinary(), arguments, environment: environment)
        }

        /// Starts a long-running command writing its output (and errors) to `logFile`, which the test reads as
        /// it goes.
        func start(
            _ arguments: [String], logFile: String, extra: [String: String] = [:], executable: String? = nil
        ) throws -> ChildProcess {
            var environment = ["PATH": "/usr/bin:/bin", "INBOARD_CLIENT_CONFIG_DIR": folder, "HOME": folder]
            if let server { environment["INBOARD_SERVER"] = server }
            environment.merge(extra) { $1 }
            return try ChildProcess(
                try executable ?? inboardClientBinary(), arguments, environment: environment, capture: false,
                logFile: logFile)
        }
    }

    /// Waits until `file` holds `text`, for at most `limit` (a loaded machine is slow, never a minute slow).
    static func wait(for text: String, in file: String, upTo limit: Duration = .seconds(60)) async throws -> Bool {
        try await eventually(within: limit) {
            ((try? String(contentsOfFile: file, encoding: .utf8)) ?? "").contains(text)
        }
    }

    @Test(.timeLimit(.minutes(10)))  // guards a hang only: a loaded machine takes minutes
    func everydayUseAgainstARealServer() async throws {
        try await ServerOnOwnCluster.with(admins: 1, patient: true) { setup in
            let folder = FileManager.default.temporaryDirectory.appendingPathComponent("client-\(UUID())").path
            try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
            defer { try? FileManager.default.removeItem(atPath: folder) }
            let (directory, _) = try LoadBalancerTests.writeDirectoryAndSMTPSettings(in: folder)
            #expect(
                try await runInboard(["directory", "set", "--file", directory], environment: setup.environment).status
                    == 0)
            let synced = try await runInboard(["sync", "--full"], environment: setup.environment)
            #expect(synced.status == 0, "\(synced)")
            try await setup.startReadyServer()
            let address = "http://127.0.0.1:\(setup.port)/"
            let password = folder + "/password"
            try "\(try TestEnvironment.require("INBOARD_TEST_SAMPLE_PASSWORD"))\n".write(
                toFile: password, atomically: true, encoding: .utf8)

            // Bob finds the server through INBOARD_SERVER; Carol through ClientInstall.ini.
            let bob = Client(folder: folder + "/bob", server: address)
            let carol = Client(folder: folder + "/carol", server: nil)
            let ini = folder + "/ClientInstall.ini"
            try "[Startup Defaults]\r\nWebServiceAddress=\(address)\r\nClientVersion=1.0.0.0\r\n".write(
                toFile: ini, atomically: true, encoding: .utf8)
            let nowhere = try await carol.run(["where"])
            #expect(nowhere.status == 4 && nowhere.error.contains("no server known"), "\(nowhere)")
            let found = try await carol.run(["where", "--install-ini", ini])
            #expect(found.output == "\(address) (from \(ini))\n", "\(found)")
            // The same file in the current folder (an unpacked archive, a clone): whoever wrote it chose the
            // server, so no password goes there unless named (a script) or confirmed (a person).
            let fromHere = try await runProgram(
                "/bin/sh",
                [
                    "-c", "cd \"$1\" && shift && exec \"$@\"", "sh", folder, try inboardClientBinary(), "login",
                    "--username", "carol", "--password-file", password,
                ],
                environment: ["PATH": "/usr/bin:/bin", "INBOARD_CLIENT_CONFIG_DIR": carol.folder, "HOME": carol.folder])
            #expect(fromHere.status == 2 && fromHere.error.contains("--install-ini \(ini)"), "\(fromHere)")
            #expect(!FileManager.default.fileExists(atPath: carol.folder + "/token"), "the password was sent")

            // Every username form: short name, user@domain, DOMAIN\user, and a DN.
            let carolDN = try #require(
                try await setup.query("SELECT dn FROM people WHERE username = 'carol'", as: String.self).first)
            for name in ["bob", "bob@acme.test", "ACME\\bob"] {
                let login = try await bob.run(["login", "--username", name, "--password-file", password])
                #expect(login.status == 0 && login.output.contains("logged in to \(address)"), "\(name): \(login)")
            }
            let carolLogin = try await carol.run(
                ["login", "--install-ini", ini, "--username", carolDN, "--password-file", password])
            #expect(carolLogin.status == 0, "\(carolLogin)")
            for file in ["/token", "/device-token"] {
                let mode =
                    try FileManager.default.attributesOfItem(atPath: bob.folder + file)[.posixPermissions] as? Int
                #expect(mode == 0o600, "\(file)")
            }
            let device = try String(contentsOfFile: bob.folder + "/device-token", encoding: .utf8)
            // Once logged in, the saved config.json names the server.
            #expect(try await carol.run(["where"]).output.contains("config.json"))

            let wrong = folder + "/wrong"
            try "not-the-password\n".write(toFile: wrong, atomically: true, encoding: .utf8)
            let refused = try await Client(folder: folder + "/eve", server: address).run(
                ["login", "--username", "dave", "--password-file", wrong])
            #expect(refused.status == 1 && refused.error.contains("Wrong username or password"), "\(refused)")

            // A status with a return time, read back.
            let set = try await bob.run(["set", "Remote", "--note", "from home", "--for", "2h"])
            #expect(
                set.status == 0 && set.output.contains("Remote until") && set.output.contains("from home"), "\(set)")
            let status = try await bob.run(["status", "--json"])
            let entry = try JSONSerialization.jsonObject(with: Data(status.output.utf8)) as? [String: Any]
            #expect((entry?["status"] as? [String: Any])?["type"] as? String == "Remote", "\(status)")
            let badTime = try await bob.run(["set", "Out", "--back", "25:00"])
            #expect(badTime.status == 2 && badTime.error.contains("HH:MM"), "\(badTime)")

            // Bob watches Carol and listens; Carol comes in and leaves him a note.
            #expect(try await bob.run(["watch", "add", "carol"]).status == 0)
            #expect(try await bob.run(["watch", "list"]).output.contains("(carol)"))
            // The listener is connected once it hears one of Carol's changes: she repeats it until then.
            let listenLog = folder + "/listen.log"
            let listener = try bob.start(["listen", "--json"], logFile: listenLog)
            var listening = false
            for attempt in 1...30 where !listening {
                #expect(try await carol.run(["set", "In", "--note", "at my desk"]).status == 0)
                listening = try await Self.wait(for: "\"watch\"", in: listenLog, upTo: .seconds(2 * attempt))
            }
            #expect(listening, "the listener heard none of Carol's changes")
            let note = "lunch at one? \(UUID().uuidString.prefix(6))"
            let left = try await carol.run(["note", "bob", note])
            #expect(left.status == 0 && left.output.contains("note left for"), "\(left)")
            #expect(try await Self.wait(for: note, in: listenLog), "the note did not reach the listener")
            listener.signal(SIGTERM)
            _ = await listener.exit()
            let heard = (try? String(contentsOfFile: listenLog, encoding: .utf8)) ?? ""
            let events = heard.split(separator: "\n").compactMap {
                try? JSONSerialization.jsonObject(with: Data($0.utf8)) as? [String: Any]
            }
            #expect(
                events.contains {
                    $0["event"] as? String == "watch"
                        && ($0["data"] as? [String: Any])?["username"] as? String == "carol"
                }, "no watch event for Carol in: \(heard)")
            #expect(
                events.contains {
                    $0["event"] as? String == "note" && ($0["data"] as? [String: Any])?["body"] as? String == note
                },
                "no note in: \(heard)")
            #expect(try await bob.run(["notes"]).output.contains(note))
            #expect(try await bob.run(["who", "carol"]).output.contains("In, at my desk"))

            // While the server is away: changes are queued with their time, the board comes from the cache.
            #expect(try await bob.run(["board"]).output.contains("(carol)"))
            // A narrowed read is not kept: it would stand in for the whole board offline.
            #expect(try await bob.run(["board", "--search", "bob"]).output.contains("(bob)"))
            let otherBob = Client(folder: folder + "/bob-laptop", server: address)
            #expect(try await otherBob.run(["login", "--username", "bob", "--password-file", password]).status == 0)
            let deskBob = Client(folder: folder + "/bob-desk", server: address)
            #expect(try await deskBob.run(["login", "--username", "bob", "--password-file", password]).status == 0)
            setup.server?.signal(SIGTERM)
            _ = await setup.server?.exit()
            // A logout while a change waits: it stays, Bob's, for his next login at that desk (below).
            // One with a hidden note is not left on the machine.
            #expect(try await deskBob.run(["set", "Out", "--note", "left-at-the-desk"]).output.contains("queued"))
            let hidden = try await deskBob.run(["set", "Lunch", "--for", "1h", "--note", "dentist", "--hide-note"])
            #expect(hidden.output.contains("(2 waiting)"), "\(hidden)")
            let loggedOut = try await deskBob.run(["logout"])
            #expect(
                loggedOut.error.contains("kept 1 status change")
                    && loggedOut.error.contains("discarded 1 status change(s) with a hidden note"), "\(loggedOut)")
            #expect(
                !((try? String(contentsOfFile: deskBob.folder + "/queue.json", encoding: .utf8)) ?? "").contains(
                    "dentist"))
            #expect(FileManager.default.fileExists(atPath: deskBob.folder + "/queue.json"))
            #expect(!FileManager.default.fileExists(atPath: deskBob.folder + "/token"))
            let queued = try await bob.run(["set", "Lunch", "--for", "1h", "--note", "queued-first"])
            #expect(queued.status == 0 && queued.output.contains("queued"), "\(queued)")
            let cached = try await bob.run(["board"])
            #expect(
                cached.status == 0 && cached.output.contains("(carol)") && cached.error.contains("offline"), "\(cached)"
            )
            // Offline, the cached whole board is narrowed here; a board's members are the server's to say.
            let narrowed = try await bob.run(["board", "--search", "caro"])
            #expect(
                narrowed.status == 0 && narrowed.output.contains("(carol)") && !narrowed.output.contains("(bob)")
                    && narrowed.error.contains("narrowed here"), "\(narrowed)")
            let byBoard = try await bob.run(["board", "--board", "Sales"])
            #expect(byBoard.status != 0 && byBoard.error.contains("--board cannot be applied"), "\(byBoard)")
            try await setup.startReadyServer()
            // Bob's other device set his status after the queued change was made: that one is reported, not forced.
            #expect(try await otherBob.run(["set", "In", "--note", "from the laptop"]).status == 0)
            let flushed = try await bob.run(["status"])
            #expect(flushed.error.contains("not sent") && flushed.output.contains("from the laptop"), "\(flushed)")
            // A change queued with nothing newer after it is sent, with its own time.
            setup.server?.signal(SIGTERM)
            _ = await setup.server?.exit()
            // And one made nine days ago (its time rewritten here) is not sent: the server could not apply it.
            #expect(try await bob.run(["set", "Away", "--note", "too-old"]).output.contains("queued"))
            let queueFile = bob.folder + "/queue.json"
            var waiting = try #require(
                try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: queueFile)))
                    as? [[String: Any]])
            waiting[0]["madeAt"] = ISO8601DateFormatter().string(from: Date().addingTimeInterval(-9 * 86_400))
            try JSONSerialization.data(withJSONObject: waiting).write(to: URL(fileURLWithPath: queueFile))
            #expect(try await bob.run(["set", "Remote", "--note", "queued-second"]).output.contains("queued"))
            try await setup.startReadyServer()
            let sent = try await bob.run(["status"])
            #expect(
                sent.error.contains("sent the change to Remote") && sent.output.contains("queued-second"), "\(sent)")
            #expect(sent.error.contains("not sent: the change to Away") && sent.error.contains("too old"), "\(sent)")
            #expect(!FileManager.default.fileExists(atPath: bob.folder + "/queue.json"))
            // Carol logging in at Bob's desk does not send his change as hers; Bob's next login there does (it is
            // reported: his status changed after he made it).
            let carolAtTheDesk = try await deskBob.run(["login", "--username", "carol", "--password-file", password])
            #expect(carolAtTheDesk.status == 0 && !carolAtTheDesk.error.contains("sent"), "\(carolAtTheDesk)")
            #expect(!(try await deskBob.run(["status"]).output.contains("left-at-the-desk")))
            #expect(FileManager.default.fileExists(atPath: deskBob.folder + "/queue.json"))
            let carolLeaves = try await deskBob.run(["logout"])
            #expect(carolLeaves.status == 0 && !carolLeaves.error.contains("status change"), "\(carolLeaves)")
            let bobBack = try await deskBob.run(["login", "--username", "bob", "--password-file", password])
            #expect(bobBack.error.contains("not sent: the change to Out"), "\(bobBack)")
            #expect(!FileManager.default.fileExists(atPath: deskBob.folder + "/queue.json"))

            // The agent: Bob works in Paris, whose policy sends him away after 5 idle minutes (the base policy
            // says 10) and turns watch pop-ups off; a file stands in for his desktop's idle time.
            #expect(try await bob.run(["set", "In"]).status == 0)
            let idle = folder + "/idle"
            try "active\n".write(toFile: idle, atomically: true, encoding: .utf8)
            let agentLog = folder + "/agent.log"
            let cachedBoard = bob.folder + "/cache/board.json"
            // `board` above left one: the agent writes its own.
            try? FileManager.default.removeItem(atPath: cachedBoard)
            let agent = try bob.start(["agent", "--idle-source", idle, "--idle-check-seconds", "1"], logFile: agentLog)
            func bobsStatus() async throws -> [String: Any] {
                let answer = try await bob.run(["status", "--json"])
                let entry = try JSONSerialization.jsonObject(with: Data(answer.output.utf8)) as? [String: Any]
                return entry?["status"] as? [String: Any] ?? [:]
            }
            func waitForStatus(_ wanted: (([String: Any]) -> Bool)) async throws -> [String: Any] {
                var status: [String: Any] = [:]
                try await eventually(within: .seconds(60), every: .milliseconds(200)) {
                    status = try await bobsStatus()
                    return wanted(status)
                }
                return status
            }
            try await Task.sleep(for: .seconds(1.5))
            try "idle 290\n".write(toFile: idle, atomically: true, encoding: .utf8)
            try await Task.sleep(for: .seconds(2))
            #expect(try await bobsStatus()["type"] as? String == "In", "away before Paris's 5 minutes")
            try "idle 301\n".write(toFile: idle, atomically: true, encoding: .utf8)
            let away = try await waitForStatus { $0["autoAway"] as? Bool == true }
            #expect(away["autoAway"] as? Bool == true, "not away after 5 idle minutes: \(away)")
            try "active\n".write(toFile: idle, atomically: true, encoding: .utf8)
            let back = try await waitForStatus { $0["type"] as? String == "In" }
            #expect(back["type"] as? String == "In" && back["autoAway"] as? Bool != true, "not back: \(back)")
            #expect(try await carol.run(["note", "bob", "agent-note"]).status == 0)
            #expect(try await Self.wait(for: "agent-note", in: agentLog), "the note did not reach the agent")

            // The agent keeps the board cached for `board` offline from its start, and reads it again when told it
            // missed more than a replay holds: its server is down while 1,001 events are written and Bob's note changes.
            #expect(try await Self.wait(for: "\"username\"", in: cachedBoard), "the agent cached no board")
            setup.server?.signal(SIGTERM)
            _ = await setup.server?.exit()
            let written = try await setup.query(
                """
                INSERT INTO events (kind, subject_id, payload)
                SELECT newest.kind, newest.subject_id, newest.payload
                FROM (SELECT * FROM events WHERE kind = 'status' ORDER BY id DESC LIMIT 1) newest, generate_series(1, 1001)
                RETURNING id
                """, as: Int64.self)
            #expect(written.count == 1001)
            let changed = try await setup.query(
                "UPDATE statuses SET note = 'changed-while-away' FROM people WHERE people.id = statuses.person_id "
                    + "AND people.username = 'bob' RETURNING statuses.person_id", as: Int64.self)
            #expect(changed.count == 1)
            try await setup.startReadyServer()
            #expect(
                try await Self.wait(for: "missed more than the server replays", in: agentLog, upTo: .seconds(90)),
                "the agent was not told it missed too much")
            #expect(
                try await Self.wait(for: "changed-while-away", in: cachedBoard),
                "the agent did not read the board again after the reset")
            agent.signal(SIGTERM)
            _ = await agent.exit()
            let agentOutput = (try? String(contentsOfFile: agentLog, encoding: .utf8)) ?? ""
            #expect(agentOutput.contains("away after 5 min"), "\(agentOutput)")
            #expect(agentOutput.contains("pop-ups for watch events off"), "\(agentOutput)")
            #expect(agentOutput.contains("note from") && agentOutput.contains("agent-note"), "\(agentOutput)")

            // The token goes only to the server that issued it; a password never goes to another machine in clear.
            let elsewhere = try await bob.run(["status", "--server", "http://127.0.0.1:1/"])
            #expect(elsewhere.status == 3 && elsewhere.error.contains("not logged in"), "\(elsewhere)")
            // (A name that starts like a loopback address is someone else's machine.)
            for server in ["http://192.0.2.1/", "http://127.evil.example/"] {
                let clear = try await Client(folder: folder + "/mallory", server: server).run(
                    ["login", "--username", "bob", "--password-file", password])
                #expect(clear.status == 2 && clear.error.contains("plain HTTP"), "\(server): \(clear)")
            }

            // A client newer than its server is told to upgrade the server first.
            let newer = try await bob.run(["status"], extra: ["INBOARD_CLIENT_VERSION": "1.1.0.0"])
            #expect(newer.status == 5 && newer.error.contains("server must be upgraded"), "\(newer)")

            // Logged out: the session is gone on the server too.
            let token = try String(contentsOfFile: bob.folder + "/token", encoding: .utf8)
            #expect(try await bob.run(["logout"]).status == 0)
            #expect(
                !FileManager.default.fileExists(atPath: bob.folder + "/cache"), "the cached board outlived the session")
            let after = try await bob.run(["status"])
            #expect(after.status == 3 && after.error.contains("not logged in"), "\(after)")
            #expect(await setup.send("GET", "/api/v1/me", token: token).status == 401)
            let unreachable = try await Client(folder: folder + "/bob", server: "http://127.0.0.1:1/").run(["who", "x"])
            #expect(unreachable.status == 3 || unreachable.status == 4, "\(unreachable)")
            // The device token outlives the session and goes with the next login (the server keeps a valid one:
            // a login that brought none, or another account's, would have been given a new one).
            #expect(try await bob.run(["login", "--username", "bob", "--password-file", password]).status == 0)
            let kept = try String(contentsOfFile: bob.folder + "/device-token", encoding: .utf8)
            #expect(kept == device, "the device token was not sent, or not kept")

            // A spelling of a name only the directory knows (an escaped DN) counts under its own key until the
            // entry is found: someone who locks that spelling does not lock out the person's device using it.
            // (Sybil, whom no other test signs in, under a policy that never locks: the lockout guard would stop
            // the guesses at 4, before the throttle this is about.)
            try await exemptFromDirectoryLockout(uid: "sybil")
            let sybil = Client(folder: folder + "/sybil", server: address)
            #expect(try await sybil.run(["login", "--username", "sybil", "--password-file", password]).status == 0)
            let sybilsFile = try String(contentsOfFile: sybil.folder + "/device-token", encoding: .utf8)
            let sybilDN = try #require(
                try await setup.query("SELECT dn FROM people WHERE username = 'sybil'", as: String.self).first)
            let spelled = sybilDN.replacingOccurrences(of: "uid=sybil,", with: "uid=\\73ybil,")
            #expect(spelled != sybilDN)
            func login(_ name: String, _ secret: String, device: String? = nil) async throws -> Int {
                var fields = ["username": name, "password": secret]
                fields["deviceToken"] = device
                let json = String(decoding: try JSONSerialization.data(withJSONObject: fields), as: UTF8.self)
                return await setup.send("POST", "/api/v1/auth/login", json: json).status
            }
            // The first lock lasts a second (the server's default): once it is reached, the test holds it so that
            // the checks below never race the clock on a slow machine.
            var guesses: [Int] = []
            for attempt in 0..<12 where !guesses.contains(429) {
                guesses.append(try await login(spelled, "wrong-\(attempt)"))
            }
            #expect(guesses.last == 429, "wrong passwords for a spelling never locked it: \(guesses)")
            _ = try await setup.query(
                "UPDATE login_throttle SET blocked_until = now() + interval '15 minutes' "
                    + "WHERE blocked_until > now() - interval '30 seconds' RETURNING key", as: String.self)
            let secret = try TestEnvironment.require("INBOARD_TEST_SAMPLE_PASSWORD")
            #expect(try await login(spelled, secret) == 429, "the spelling (and Sybil's entry) was not locked")
            let sybilsDevice = String(sybilsFile.split(separator: "\n").last ?? "")
            #expect(
                try await login(spelled, secret, device: sybilsDevice) == 200,
                "Sybil's device was held by a lock on a spelling")

            // Someone else's token, brought with one's own spelling only the directory knows, keeps the attempt
            // it was charged when that login succeeds: cleared, guesses at Carol with her token, each followed
            // by such a login of Dave's, went on for ever.
            let carolsFile = try String(contentsOfFile: carol.folder + "/device-token", encoding: .utf8)
            let carolsDevice = String(carolsFile.split(separator: "\n").last ?? "")
            let daveDN = try #require(
                try await setup.query("SELECT dn FROM people WHERE username = 'dave'", as: String.self).first)
            let daveSpelled = daveDN.replacingOccurrences(of: "uid=dave,", with: "uid=\\64ave,")
            #expect(try await login(daveDN, secret) == 200, "Dave cannot log in at all")
            // The token's five free failures are used up by the fourth pair; unlocked, the pairs would go on for
            // ever. (A right password after them proves nothing: the first lock lasts a second, and eight wrong
            // ones reach the directory lockout guard's allowance for Carol's entry.)
            var answers: [Int] = []
            for attempt in 0..<8 where !answers.contains(429) {
                answers.append(try await login("carol", "wrong-\(attempt)", device: carolsDevice))
                answers.append(try await login(daveSpelled, secret, device: carolsDevice))
            }
            #expect(answers.contains(429), "guesses with Carol's token went on unlocked: \(answers)")
        }
    }
}
