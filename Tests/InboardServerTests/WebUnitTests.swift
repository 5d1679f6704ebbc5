@testable import DirectorySync
import Foundation
import InboardStore
import Testing
@testable import InboardServer

/// The web layer's own rules: CSRF tokens, form parsing, safe redirects, form times, templates and escaping.
@Suite struct WebUnitTests {
    let secrets = try! SecretBox(keyBytes: (0..<32).map { UInt8($0) })

    @Test func csrfTokensAreBoundToTheSessionAndSharedByEveryProcess() throws {
        let tokens = CSRFTokens(key: secrets.derivedKey(for: "csrf"))
        let token = tokens.token(forSession: "session-a")
        #expect(tokens.isValid(token, forSession: "session-a"))
        #expect(!tokens.isValid(token, forSession: "session-b"), "a token from another session")
        #expect(!tokens.isValid("forged", forSession: "session-a"))
        #expect(!tokens.isValid(nil, forSession: "session-a"))
        let otherProcess = CSRFTokens(key: try SecretBox(keyBytes: (0..<32).map { UInt8($0) }).derivedKey(for: "csrf"))
        #expect(otherProcess.isValid(token, forSession: "session-a"), "the same secret key must give the same tokens")
        #expect(!CSRFTokens(key: secrets.derivedKey(for: "other")).isValid(token, forSession: "session-a"))
    }

    @Test func formsDecodePlusPercentAndRepeatedNames() {
        let form = FormBody(
            encoded: "name=Ada+Lovelace&note=caf%C3%A9+%26+tea&group=cn%3Da&group=&group=cn%3Dc&empty=&flag")
        #expect(form["name"] == "Ada Lovelace")
        #expect(form["note"] == "café & tea")
        #expect(form.all("group") == ["cn=a", "", "cn=c"], "table columns keep their row positions")
        #expect(form["empty"] == nil && form.has("empty") && form.has("flag"))
        #expect(form["missing"] == nil && !form.has("missing"))
    }

    @Test func loginRedirectsStayOnThisSite() {
        #expect(WebAuthController.safeNext("/admin/sync") == "/admin/sync")
        for hostile in ["//evil.example", "https://evil.example", "/\\evil.example", "evil", nil] {
            #expect(WebAuthController.safeNext(hostile) == "/", "\(hostile ?? "nil")")
        }
    }

    @Test func formTimesUseTheBrowsersOffset() throws {
        // JavaScript's getTimezoneOffset is UTC minus local: Paris in winter is -60.
        let paris = try WebFormat.localDate("2026-11-25T14:00", offsetMinutes: "-60").get()
        #expect(paris == ISO8601DateFormatter().date(from: "2026-11-25T13:00:00Z"))
        #expect(try WebFormat.localDate("", offsetMinutes: "0").get() == nil)
        guard case let .failure(error) = WebFormat.localDate("tomorrow", offsetMinutes: "0") else {
            Issue.record("an unreadable time was accepted")
            return
        }
        #expect(error.message.contains("'tomorrow'"))
    }

    @Test func everyTemplateParsesAndValuesAreEscaped() throws {
        let renderer = try WebRenderer(csrf: CSRFTokens(key: secrets.derivedKey(for: "csrf")))
        for name in embeddedTemplates.keys { #expect(renderer.library.getTemplate(named: name) != nil, "\(name)") }
        let hostile = "<script>alert(1)</script>"
        let json =
            #"{"id": 7, "username": "x", "displayName": "<script>alert(1)</script>", "department": "\"><img>", "active": true}"#
        let row = BoardRow(try BoardEntry.decoder.decode(BoardEntry.self, from: Data(json.utf8)))
        let html =
            renderer.library.render(
                PageView(frame: Self.frame(), model: Self.board(people: [row])), withTemplate: "board") ?? ""
        #expect(!html.contains(hostile) && html.contains("&lt;script&gt;alert(1)&lt;/script&gt;"))
        #expect(!html.contains("\"><img>"))
    }

    @Test func theBinaryCarriesTheWebFilesAsTheyAreOnDisk() throws {
        let web = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("../../web")
            .standardized
        for (folder, embedded, strip) in [
            ("templates", embeddedTemplates, ".mustache"), ("static", embeddedStaticFiles, ""),
        ] {
            let names = try FileManager.default.contentsOfDirectory(atPath: web.appendingPathComponent(folder).path)
                .sorted()
            #expect(
                names.map { strip.isEmpty ? $0 : String($0.dropLast(strip.count)) } == embedded.keys.sorted(),
                "run scripts/embed-resources")
            for name in names {
                let onDisk = try String(
                    contentsOf: web.appendingPathComponent(folder).appendingPathComponent(name), encoding: .utf8)
                let key = strip.isEmpty ? name : String(name.dropLast(strip.count))
                #expect(
                    embedded[key] == onDisk,
                    "web/\(folder)/\(name) differs from its embedded copy: run scripts/embed-resources")
            }
        }
    }

    static func frame(section: String = "board", csrf: String? = "csrf-token-1") -> PageFrame {
        PageFrame(
            title: "Page title", notice: nil, problem: nil, section: section,
            me: .init(id: 1, displayName: "Ann Admin", username: "ann", role: "admin"), isAdmin: true,
            isDelegate: true, csrf: csrf)
    }

    static func board(people: [BoardRow]) -> BoardPage {
        BoardPage(
            heading: "Everyone", counts: .init(in: 3, out: 1, overdue: 1, total: people.count),
            paging: .init(shown: people.count, isComplete: true, nextLink: "", firstLink: ""), q: "",
            csvLink: "/api/v1/people.csv", departments: [.init(name: "Sales", selected: true)], boards: [],
            hasBoards: false, types: [.init(name: "Lunch", colour: "#123456")], canHide: true, people: people,
            mine: nil, streamFrom: "105.103")
    }

    func render<Model>(_ template: String, _ model: Model, section: String = "board") throws -> String {
        let renderer = try WebRenderer(csrf: CSRFTokens(key: secrets.derivedKey(for: "csrf")))
        return renderer.library.render(
            PageView(frame: Self.frame(section: section), model: model), withTemplate: template)
            ?? ""
    }

    /// The layout's names come from the frame, the page's from its view model, nested names from nested models.
    @Test func pagesRenderFromTheirTypedViewModels() throws {
        let board = try render("board", Self.board(people: []))
        #expect(board.contains(#"data-stream-from="105.103""#), "the page's stream position")
        #expect(board.contains("<title>Page title · Inboard</title>") && board.contains("Ann Admin"))
        #expect(board.contains(#"href="/" aria-current="page""#), "the current section is marked")
        #expect(!board.contains(#"href="/me" aria-current"#))
        #expect(board.contains("csrf-token-1") && board.contains("/admin/directory"), "admin links for an admin")
        #expect(board.contains(#"id="count-in">3 in"#) && board.contains(#"id="count-overdue">1 overdue"#))

        var draft = DirectoryDraft(stored: nil)
        draft.document["flavour"] = "activedirectory"
        draft.document["tls"] = "ldaps"
        draft.document["servers"] = ["ldaps://dc1.example.test", "ldaps://dc2.example.test"]
        let steps = [DirectoryTester.Step(name: "Connect", ok: true, detail: "reached dc1")]
        let directory = try render(
            "admin-directory", DirectoryPage(draft, passwordSet: true, steps: steps, testUser: "bob"),
            section: "directory")
        #expect(directory.contains(#"<option value="activedirectory" selected>"#))
        #expect(directory.contains(#"<option value="ldaps" selected>"#))
        #expect(directory.contains("ldaps://dc1.example.test\nldaps://dc2.example.test"), "servers one per line")
        #expect(directory.contains("reached dc1") && directory.contains(#"class="steps passed""#))

        draft.document["groups"] = [["group": "cn=admins,ou=groups,dc=example,dc=test", "role": "admin"]]
        let mappings = try render("admin-mappings", MappingsPage(draft, preview: nil), section: "mappings")
        #expect(mappings.contains(#"<option value="admin" selected>"#))
        #expect(mappings.components(separatedBy: #"name="group""#).count == 5, "the stored row and three empty ones")
    }
}
