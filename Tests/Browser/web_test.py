#!/usr/bin/env python3
"""The web pages in a real browser: headless Chromium driven by selenium, against a real `inboard serve`
(debug build) on its own PostgreSQL database, with the sample slapd directory synced into it.
Every page the tests visit is checked with axe-core (axe-selenium-python, installed by scripts/lib/install.sh):
any violation of its rules (WCAG 2.x A and AA, and its best practices) fails the test that visited the page.
One test walks the board with the keyboard alone.

  python3 Tests/Browser/web_test.py [--keep]      (run by scripts/test; needs the services started)

Screenshots of every page go to .local/test-output/browser/, axe's findings for each check to
.local/test-output/browser/axe/. Exits non-zero on any failure."""
import http.cookiejar, json, os, pathlib, re, socket, subprocess, sys, tempfile, time, unittest, urllib.error, urllib.parse, urllib.request

from axe_selenium_python import Axe
from selenium import webdriver
from selenium.common.exceptions import WebDriverException
from selenium.webdriver.chrome.service import Service
from selenium.webdriver.common.action_chains import ActionChains
from selenium.webdriver.common.by import By
from selenium.webdriver.common.keys import Keys
from selenium.webdriver.support import expected_conditions as EC
from selenium.webdriver.support.ui import WebDriverWait

ROOT = pathlib.Path(__file__).resolve().parents[2]
SHOTS = ROOT / ".local/test-output/browser"
AXE_OUT = SHOTS / "axe"
# Every page the tests must have checked with axe by the end (paths, a person's id as {id}).
PAGES = ["/login", "/", "/people/{id}", "/me", "/admin/directory", "/admin/mappings", "/admin/sync", "/admin/notifications",
         "/admin/status-types", "/admin/people", "/admin/audit", "/admin/policies", "/admin/jobs"]
CHECKED = {}   # check name -> (path, number of violating elements), in the order checked
ENV = os.environ
PASSWORD = ENV["INBOARD_TEST_SAMPLE_PASSWORD"]
ADMIN_PASSWORD = "local-admin-password-1"


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Server:
    """A migrated database with the sample directory synced, a local admin, and `inboard serve` on it."""

    def __init__(self):
        self.work = tempfile.mkdtemp(prefix="inboard-web-")
        self.db = "inboard_web_%d" % os.getpid()
        self.port = free_port()
        self.url = "http://127.0.0.1:%d" % self.port
        binary = subprocess.run(["swift", "build", "--show-bin-path"], cwd=ROOT, capture_output=True, text=True, check=True).stdout.strip()
        self.inboard = os.path.join(binary, "inboard")
        base = ENV["INBOARD_DATABASE_URL"].rsplit("/", 1)[0]
        self.env = dict(ENV, INBOARD_DATABASE_URL=base + "/" + self.db, INBOARD_HTTP_PORT=str(self.port), INBOARD_LOG_LEVEL="warning",
                        INBOARD_POLICY_DIR=str(ROOT / "policy"))
        admin = ENV["INBOARD_TEST_DATABASE_ADMIN_URL"]
        subprocess.run(["psql", "-q", admin, "-c", "DROP DATABASE IF EXISTS %s WITH (FORCE)" % self.db, "-c", "CREATE DATABASE %s OWNER inboard" % self.db], check=True, capture_output=True)
        self.run("migrate")
        suffix = ENV["INBOARD_TEST_LDAP_BASE"]
        pathlib.Path(self.work, "pw").write_text(ENV["INBOARD_TEST_LDAP_READER_PASSWORD"] + "\n")
        pathlib.Path(self.work, "directory.yaml").write_text(
            "flavour: openldap\nservers: [%s]\nbindDN: %s\nbindPasswordFile: pw\nbaseDN: ou=people,%s\ngroupBaseDN: ou=groups,%s\n"
            "groups:\n  - {group: \"cn=inboard-admins,ou=groups,%s\", role: admin}\n  - {group: \"cn=all-staff,ou=groups,%s\", board: Everyone}\n"
            % (ENV["INBOARD_TEST_LDAP_URL"], ENV["INBOARD_TEST_LDAP_READER_DN"], suffix, suffix, suffix, suffix))
        self.run("directory", "set", "--file", os.path.join(self.work, "directory.yaml"))
        self.run("sync", "--full")
        # A working day's statuses for a third of the people, some of them overdue, so the board looks lived in.
        subprocess.run(["psql", "-q", self.env["INBOARD_DATABASE_URL"], "-c", """
            INSERT INTO statuses (person_id, type_id, note, return_at, set_at)
            SELECT p.id, t.id, (ARRAY['At my desk', 'Client visit in Lyon', 'Dentist', 'Working from home', 'Back after lunch', NULL])[1 + p.id % 6],
                   CASE WHEN t.needs_return_time THEN now() + make_interval(mins => ((p.id % 7) * 30 - 60)::int) END, now() - make_interval(mins => (p.id % 50)::int)
            FROM people p JOIN status_types t ON t.name = (ARRAY['In', 'Out', 'Remote', 'Meeting', 'Lunch', 'In'])[1 + p.id % 6]
            WHERE p.id % 3 = 0 AND p.username NOT IN ('alice', 'dave')"""], check=True, capture_output=True)
        pathlib.Path(self.work, "admin.pw").write_text(ADMIN_PASSWORD + "\n")
        self.run("admin", "create", "--username", "root", "--password-file", os.path.join(self.work, "admin.pw"))
        self.log = open(os.path.join(self.work, "serve.log"), "w")
        self.process = subprocess.Popen([self.inboard, "serve"], env=self.env, stdout=self.log, stderr=subprocess.STDOUT)
        for _ in range(100):
            try:
                urllib.request.urlopen(self.url + "/health/ready", timeout=1)
                return
            except Exception:
                time.sleep(0.1)
        raise RuntimeError("inboard serve did not become ready: " + pathlib.Path(self.work, "serve.log").read_text())

    def run(self, *args):
        result = subprocess.run([self.inboard, *args], env=self.env, capture_output=True, text=True)
        if result.returncode != 0:
            raise RuntimeError("inboard %s failed: %s" % (" ".join(args), result.stderr))
        return result.stdout

    def stop(self):
        self.process.terminate()
        self.process.wait(timeout=20)
        self.log.close()
        subprocess.run(["psql", "-q", ENV["INBOARD_TEST_DATABASE_ADMIN_URL"], "-c", "DROP DATABASE IF EXISTS %s WITH (FORCE)" % self.db], capture_output=True)


def browser(width=1280, height=900):
    options = webdriver.ChromeOptions()
    for argument in ["--headless=new", "--no-sandbox", "--disable-dev-shm-usage", "--window-size=%d,%d" % (width, height), "--lang=en-GB"]:
        options.add_argument(argument)
    return webdriver.Chrome(service=Service("/usr/bin/chromedriver"), options=options)


class WebPages(unittest.TestCase):
    server = None

    @classmethod
    def setUpClass(cls):
        SHOTS.mkdir(parents=True, exist_ok=True)
        cls.server = Server()
        cls.browsers = []

    @classmethod
    def tearDownClass(cls):
        for driver in cls.browsers:
            driver.quit()
        if cls.server:
            cls.server.stop()

    def open_browser(self, **size):
        driver = browser(**size)
        self.browsers.append(driver)
        return driver

    def wait(self, driver, seconds=10):
        return WebDriverWait(driver, seconds)

    def sign_in(self, driver, username, password):
        driver.delete_all_cookies()
        driver.get(self.server.url + "/login")
        driver.find_element(By.ID, "username").send_keys(username)
        driver.find_element(By.ID, "password").send_keys(password)
        driver.find_element(By.CSS_SELECTOR, "button[type=submit]").click()

    def accessible(self, driver, name):
        """Runs axe-core on the page as it is now. A violation fails the test as a subtest: the test goes on, so
        every page it visits is checked and reported. The whole result goes to .local/test-output/browser/axe/NAME.json."""
        axe = Axe(driver)
        axe.inject()
        result = driver.execute_async_script(
            "var done = arguments[arguments.length - 1];"
            "axe.run(document, {resultTypes: ['violations']}).then(done, function (e) { done({error: String(e)}); });")
        path = re.sub(r"^/people/\d+$", "/people/{id}", urllib.parse.urlparse(driver.current_url).path)
        AXE_OUT.mkdir(parents=True, exist_ok=True)
        (AXE_OUT / (name + ".json")).write_text(json.dumps(result, indent=1))
        with self.subTest(axe=name, path=path):
            self.assertNotIn("error", result, "axe-core did not run on %s: %s" % (path, result.get("error")))
            violations = result["violations"]
            CHECKED[name] = (path, sum(len(v["nodes"]) for v in violations))
            if violations:
                self.fail(axe_report(name, driver.current_url, violations))

    def shot(self, driver, name, whole=False):
        """Checks the page with axe (see `accessible`), then takes a screenshot; `whole` stretches the window to
        the page's height first (admin forms are long)."""
        self.accessible(driver, name)
        size = driver.get_window_size()
        if whole:
            height = driver.execute_script("return document.documentElement.scrollHeight")
            driver.set_window_size(size["width"], min(max(height + 120, size["height"]), 4000))
        driver.save_screenshot(str(SHOTS / (name + ".png")))
        if whole:
            driver.set_window_size(size["width"], size["height"])

    def test_1_login_page_refuses_a_wrong_password_and_admits_directory_and_local_accounts(self):
        driver = self.open_browser()
        driver.get(self.server.url + "/")
        self.assertIn("/login", driver.current_url, "the board sends an anonymous visitor to the login page")
        self.shot(driver, "login")
        self.sign_in(driver, "alice", "not-her-password")
        self.assertEqual(self.wait(driver).until(EC.presence_of_element_located((By.ID, "login-error"))).text, "Wrong username or password.")
        self.accessible(driver, "login-refused")
        self.sign_in(driver, "alice", PASSWORD)
        self.wait(driver).until(EC.presence_of_element_located((By.ID, "board")))
        self.assertIn("Alice", driver.find_element(By.CSS_SELECTOR, ".who").text)
        self.assertTrue(driver.find_elements(By.LINK_TEXT, "Directory"), "alice is an admin through inboard-admins")
        self.accessible(driver, "board-admin")
        self.sign_in(driver, "root", ADMIN_PASSWORD)
        self.wait(driver).until(EC.presence_of_element_located((By.ID, "board")))
        self.assertIn("root", driver.find_element(By.CSS_SELECTOR, ".who").text)
        self.accessible(driver, "board-local-admin")

    def test_2_a_status_set_in_one_browser_appears_live_in_another(self):
        watcher, setter = self.open_browser(), self.open_browser()
        self.sign_in(watcher, "bob", PASSWORD)
        self.wait(watcher).until(EC.text_to_be_present_in_element((By.ID, "live-state"), "Live"))
        self.sign_in(setter, "alice", PASSWORD)
        self.wait(setter).until(EC.presence_of_element_located((By.ID, "status-form")))
        alice_id = setter.execute_script("return document.querySelector('.who') && fetch('/api/v1/me').then(r => r.json()).then(j => j.id)")
        note = "In the Paris office until lunch"
        setter.find_element(By.CSS_SELECTOR, "#status-form input[name=note]").send_keys(note)
        setter.find_element(By.CSS_SELECTOR, "#status-form button[value=Remote]").click()
        self.wait(setter).until(EC.text_to_be_present_in_element((By.CSS_SELECTOR, ".flash.ok"), "Your status is set."))
        self.accessible(setter, "board-status-set")
        row = '#board tr[data-person="%s"]' % alice_id
        self.wait(watcher).until(EC.text_to_be_present_in_element((By.CSS_SELECTOR, row + " td.note"), note))
        self.assertEqual(watcher.find_element(By.CSS_SELECTOR, row + " td.status").text.strip(), "Remote")
        self.assertNotIn("?", watcher.current_url, "the watcher's page did not reload")
        self.shot(watcher, "board")
        mobile = self.open_browser(width=390, height=844)
        self.sign_in(mobile, "bob", PASSWORD)
        self.wait(mobile).until(EC.presence_of_element_located((By.ID, "board")))
        self.shot(mobile, "board-phone")
        watcher.find_element(By.CSS_SELECTOR, row + " td a").click()
        self.wait(watcher).until(EC.presence_of_element_located((By.ID, "watch"))).click()
        self.wait(watcher).until(EC.text_to_be_present_in_element((By.CSS_SELECTOR, ".flash.ok"), "You are watching"))
        self.shot(watcher, "person")
        watcher.get(self.server.url + "/me")
        watched = self.wait(watcher).until(EC.presence_of_element_located((By.CSS_SELECTOR, "main .plain li")))
        self.assertEqual(watched.find_element(By.TAG_NAME, "a").text, "Alice Smith", "bob watches alice")
        self.assertEqual(watched.find_element(By.CSS_SELECTOR, ".badge").text, "Remote", "and sees her status")
        self.shot(watcher, "me")
        mobile.get(self.server.url + "/people/%s" % alice_id)
        self.wait(mobile).until(EC.presence_of_element_located((By.ID, "person-name")))
        self.shot(mobile, "person-phone")

    def test_3_admin_edits_a_mapping_previews_saves_and_watches_a_sync_finish(self):
        driver = self.open_browser()
        self.sign_in(driver, "root", ADMIN_PASSWORD)
        self.wait(driver).until(EC.presence_of_element_located((By.ID, "board")))
        driver.get(self.server.url + "/admin/directory")
        self.assertEqual(driver.find_element(By.ID, "bindPassword").get_attribute("value"), "", "the stored password is never sent back")
        self.assertNotIn(ENV["INBOARD_TEST_LDAP_READER_PASSWORD"], driver.page_source)
        driver.find_element(By.ID, "test-connection").click()
        self.wait(driver).until(EC.presence_of_element_located((By.ID, "test-result")))
        self.assertIn("passed", driver.find_element(By.ID, "test-result").get_attribute("class"), driver.find_element(By.ID, "test-result").text)
        self.shot(driver, "admin-directory", whole=True)
        driver.get(self.server.url + "/admin/mappings")
        self.accessible(driver, "admin-mappings")
        title = driver.find_element(By.ID, "attr-title")
        title.clear()
        title.send_keys("{departmentNumber} team, {l}")
        driver.find_element(By.ID, "preview").click()
        self.wait(driver).until(EC.presence_of_element_located((By.ID, "preview-table")))
        self.assertIn("Engineering team, London", driver.find_element(By.ID, "preview-table").text)
        self.shot(driver, "admin-mappings-preview", whole=True)
        title = driver.find_element(By.ID, "attr-title")
        title.clear()
        title.send_keys("{departmentNumber} staff")
        driver.find_element(By.ID, "save").click()
        self.wait(driver).until(EC.text_to_be_present_in_element((By.CSS_SELECTOR, ".flash.ok"), "Mappings saved"))
        self.assertEqual(driver.find_element(By.ID, "attr-title").get_attribute("value"), "{departmentNumber} staff")
        self.accessible(driver, "admin-mappings-saved")
        driver.get(self.server.url + "/admin/sync")
        self.accessible(driver, "admin-sync-before")

        def newest_run(d):
            ids = [int(row.get_attribute("data-run")) for row in d.find_elements(By.CSS_SELECTOR, "#runs tr[data-run]")]
            return max(ids, default=0)

        before = newest_run(driver)
        driver.find_element(By.CSS_SELECTOR, "input[name=mode][value=full]").click()
        driver.find_element(By.ID, "run-now").click()

        # The run's own row, not the URL: a quick run ends and the page reloads (dropping ?run=) within
        # milliseconds, sooner than a wait polls, and any read may land on a page being replaced.
        def finished(d):
            try:
                run = newest_run(d)
                state = d.find_element(By.CSS_SELECTOR, '#runs tr[data-run="%s"]' % run).get_attribute("data-state")
                return run if run > before and state != "running" else False
            except Exception:
                return False
        run = self.wait(driver, 60).until(finished)
        first = driver.find_element(By.CSS_SELECTOR, '#runs tr[data-run="%s"]' % run)
        self.assertEqual(first.get_attribute("data-state"), "succeeded", first.text)
        self.assertIn("updated", first.text)
        self.shot(driver, "admin-sync", whole=True)
        titles = self.server.run("directory", "preview", "--limit", "1")
        self.assertIn("staff", titles, "the saved mapping is what the next preview uses")
        # Notifications: a test message to a closed port shows why it failed; to the sink it goes through.
        driver.get(self.server.url + "/admin/notifications")
        host, port = ENV["INBOARD_TEST_SMTP"].split(":")
        for field, value in [("host", host), ("port", str(free_port())), ("fromAddress", "inboard@acme.test"), ("testTo", "alice@acme.test")]:
            element = driver.find_element(By.ID, field)
            element.clear()
            element.send_keys(value)
        driver.find_element(By.CSS_SELECTOR, "#security option[value=none]").click()
        driver.find_element(By.CSS_SELECTOR, "input[name=enabled]").click()
        driver.find_element(By.ID, "send-test").click()
        self.assertIn("cannot reach", self.wait(driver).until(EC.presence_of_element_located((By.CSS_SELECTOR, ".flash.bad"))).text)
        self.accessible(driver, "admin-notifications-test-failed")
        element = driver.find_element(By.ID, "port")
        element.clear()
        element.send_keys(port)
        failed = driver.find_element(By.CSS_SELECTOR, ".flash.bad")
        driver.find_element(By.ID, "send-test").click()
        self.wait(driver).until(gone(failed))   # the page with the failure is gone
        self.assertIn("The server said: 250", self.wait(driver).until(EC.presence_of_element_located((By.CSS_SELECTOR, ".flash"))).text)
        driver.find_element(By.ID, "save").click()
        self.wait(driver).until(lambda d: "saved=settings" in d.current_url)
        self.assertIn("Saved", driver.find_element(By.CSS_SELECTOR, ".flash.ok").text)
        self.accessible(driver, "admin-notifications-saved")
        driver.find_element(By.CSS_SELECTOR, "details summary").click()
        driver.find_element(By.CSS_SELECTOR, "form[action='/admin/notifications/templates/note'] button[value=preview]").click()
        self.assertIn("Ann Admin left you a note", self.wait(driver).until(EC.presence_of_element_located((By.CSS_SELECTOR, ".preview"))).text)
        self.shot(driver, "admin-notifications", whole=True)
        driver.get(self.server.url + "/admin/policies?user=bob")
        rsop = self.wait(driver).until(EC.presence_of_element_located((By.ID, "rsop"))).text
        self.assertIn("idleMinutesBeforeAway 5 paris-office", rsop, "bob is in Paris: the OU's policy wins")
        self.assertIn("cacheMinutes 60 cache-baseline", rsop)
        self.shot(driver, "admin-policies", whole=True)
        for page, heading in [("status-types", "Status types"), ("people", "People"), ("audit", "Audit log"), ("jobs", "Jobs")]:
            driver.get(self.server.url + "/admin/" + page)
            self.assertEqual(driver.find_element(By.CSS_SELECTOR, "main h1").text, heading)
            self.shot(driver, "admin-" + page, whole=True)
        self.assertIn("status-expiry", driver.find_element(By.ID, "jobs").text)
        driver.get(self.server.url + "/admin/audit")
        self.assertIn("directory.settings.save", driver.find_element(By.ID, "audit").text)

    def test_4_a_non_admin_gets_403_on_every_admin_page_and_sees_no_admin_links(self):
        driver = self.open_browser()
        self.sign_in(driver, "carol", PASSWORD)
        self.wait(driver).until(EC.presence_of_element_located((By.ID, "board")))
        self.assertFalse(driver.find_elements(By.LINK_TEXT, "Directory"))
        cookie = driver.get_cookie("inboard_session")["value"]
        for path in ["directory", "mappings", "sync", "notifications", "status-types", "people", "audit", "policies", "jobs"]:
            request = urllib.request.Request(self.server.url + "/admin/" + path, headers={"Cookie": "inboard_session=" + cookie})
            with self.assertRaises(urllib.error.HTTPError) as caught:
                urllib.request.urlopen(request)
            self.assertEqual(caught.exception.code, 403, path)
            for action in ["", "/run", "/schedule"] if path == "sync" else [""]:
                post = urllib.request.Request(self.server.url + "/admin/" + path + action, data=b"_csrf=x", method="POST",
                                              headers={"Cookie": "inboard_session=" + cookie, "Content-Type": "application/x-www-form-urlencoded"})
                with self.assertRaises(urllib.error.HTTPError) as caught:
                    urllib.request.urlopen(post)
                self.assertIn(caught.exception.code, (403, 404, 405), path + action)
        self.accessible(driver, "board-member")
        driver.get(self.server.url + "/admin/directory")
        self.assertIn("admin role", driver.find_element(By.CSS_SELECTOR, "main").text)
        self.shot(driver, "forbidden")

    def test_5_a_form_post_without_the_csrf_token_is_refused(self):
        driver = self.open_browser()
        self.sign_in(driver, "dave", PASSWORD)
        self.wait(driver).until(EC.presence_of_element_located((By.ID, "status-form")))
        cookie = "inboard_session=" + driver.get_cookie("inboard_session")["value"]
        body = urllib.parse.urlencode({"type": "Sick", "note": "forged"}).encode()
        for extra in [{}, {"_csrf": "forged-token"}]:
            data = body + (("&" + urllib.parse.urlencode(extra)).encode() if extra else b"")
            request = urllib.request.Request(self.server.url + "/status", data=data, method="POST",
                                             headers={"Cookie": cookie, "Content-Type": "application/x-www-form-urlencoded"})
            with self.assertRaises(urllib.error.HTTPError) as caught:
                urllib.request.urlopen(request)
            self.assertEqual(caught.exception.code, 403)
        api = urllib.request.Request(self.server.url + "/api/v1/me/status", data=b'{"type":"Vacation"}', method="PUT",
                                     headers={"Cookie": cookie, "Content-Type": "application/json"})
        with self.assertRaises(urllib.error.HTTPError) as caught:
            urllib.request.urlopen(api)
        self.assertEqual(caught.exception.code, 403, "the API refuses a cookie without the CSRF header too")
        me = json.loads(urllib.request.urlopen(urllib.request.Request(self.server.url + "/api/v1/people?q=dave", headers={"Cookie": cookie})).read())
        statuses = [p.get("status") or {} for p in me["people"]]
        self.assertFalse(any(s.get("note") == "forged" for s in statuses), "the forged change was applied")
        token = driver.find_element(By.CSS_SELECTOR, "input[name=_csrf]").get_attribute("value")
        good = urllib.request.Request(self.server.url + "/status", data=body + b"&_csrf=" + token.encode(), method="POST",
                                      headers={"Cookie": cookie, "Content-Type": "application/x-www-form-urlencoded"})
        opener = urllib.request.build_opener(NoRedirect)
        with self.assertRaises(urllib.error.HTTPError) as caught:
            opener.open(good)
        self.assertEqual(caught.exception.code, 303, "the same post with the page's token works")

    def focused(self, driver):
        """What has the keyboard focus: (tag, id, name, value, text) of document.activeElement, and whether it shows it."""
        return driver.execute_script("""
            var e = document.activeElement, style = getComputedStyle(e);
            var ring = style.outlineStyle !== 'none' && parseFloat(style.outlineWidth) > 0 || style.boxShadow !== 'none';
            return {tag: e.tagName.toLowerCase(), id: e.id, name: e.getAttribute('name'), value: e.value || '',
                    text: (e.innerText || '').trim(), href: e.getAttribute('href'), ring: ring};""")

    def tab_to(self, driver, css, limit=60, backwards=False):
        """Presses Tab (Shift+Tab when `backwards`) until the element matching `css` has the focus; each element the
        focus lands on on the way must show that it has it (a focus ring)."""
        for _ in range(limit):
            press(driver, *([Keys.SHIFT, Keys.TAB] if backwards else [Keys.TAB]))
            now = self.focused(driver)
            if now["tag"] != "body":
                self.assertTrue(now["ring"], "no visible focus on %s" % now)
            if driver.execute_script("return document.activeElement.matches(arguments[0])", css):
                return now
        self.fail("%d presses of Tab never reached %s (the focus is on %s)" % (limit, css, self.focused(driver)))

    def test_6_the_keyboard_alone_signs_in_sets_a_status_and_opens_a_card(self):
        driver = self.open_browser()
        driver.get(self.server.url + "/login")
        self.assertEqual(self.focused(driver)["id"], "username", "the login page puts the focus in the username field")
        press(driver, "erin")
        self.tab_to(driver, "#password")
        press(driver, PASSWORD, Keys.ENTER)
        self.wait(driver).until(EC.presence_of_element_located((By.ID, "status-form")))
        self.assertIn("Erin", driver.find_element(By.CSS_SELECTOR, ".who").text)
        self.accessible(driver, "keyboard-board")
        # The first Tab reaches the skip link, and Enter on it takes the focus past the navigation to the content.
        first = self.tab_to(driver, "a.skip", limit=1)
        self.assertEqual(first["text"], "Skip to content")
        press(driver, Keys.ENTER)
        self.assertIn("#main", driver.current_url)
        after_skip = self.tab_to(driver, "main *", limit=1)
        self.assertEqual(after_skip["id"], "q", "the first stop after skipping is the board's search: %s" % after_skip)
        # Status: a note, then Space on a status type's button.
        self.tab_to(driver, "#status-form input[name=note]")
        note = "Typed without a mouse"
        press(driver, note)
        self.tab_to(driver, "#status-form button[value=Remote]")
        self.shot(driver, "keyboard-focus")
        press(driver, Keys.SPACE)
        self.wait(driver).until(EC.text_to_be_present_in_element((By.CSS_SELECTOR, ".flash.ok"), "Your status is set."))
        self.assertEqual(driver.find_element(By.CSS_SELECTOR, "#mine-title .badge").text, "Remote")
        mine = driver.find_element(By.XPATH, "//table[@id='board']//tr[td/a[normalize-space()='Erin Smith']]")
        self.assertIn(note, mine.find_element(By.CSS_SELECTOR, "td.note").text)
        self.accessible(driver, "keyboard-status-set")
        # Search the board for Grace, then Enter on her name opens her card.
        self.tab_to(driver, "#q")
        press(driver, "Grace", Keys.ENTER)
        self.wait(driver).until(lambda d: "q=Grace" in d.current_url)
        link = self.tab_to(driver, "#board td a")
        for _ in range(20):   # the directory has more than one Grace
            if link["text"] == "Grace Smith":
                break
            link = self.tab_to(driver, "#board td a")
        self.assertEqual(link["text"], "Grace Smith")
        press(driver, Keys.ENTER)
        self.assertEqual(self.wait(driver).until(EC.presence_of_element_located((By.ID, "person-name"))).text, "Grace Smith")
        # On her card: tick "only when back In" with Space, and watch her with Enter.
        self.tab_to(driver, "input[name=onlyIn]")
        press(driver, Keys.SPACE)
        self.assertTrue(driver.find_element(By.CSS_SELECTOR, "input[name=onlyIn]").is_selected())
        self.tab_to(driver, "#watch")
        press(driver, Keys.ENTER)
        self.wait(driver).until(EC.text_to_be_present_in_element((By.CSS_SELECTOR, ".flash.ok"), "You are watching"))
        self.assertIn("to In", driver.find_element(By.CSS_SELECTOR, "main").text)
        self.shot(driver, "keyboard-person")

    def test_7_status_badges_keep_their_contrast_whatever_colour_an_admin_picks(self):
        colours = [("Ink", "#000000", "frank"), ("Paper", "#ffffff", "grace"), ("Lemon", "#ffff00", "heidi"), ("Navy", "#000080", "ivan"),
                   ("Scarlet", "#ff0000", "judy"), ("Lime", "#00ff00", "mallory"), ("Mauve", "#6a1b9a", "niaj")]
        values = ", ".join("('%s', '%s', '%s')" % row for row in colours)
        subprocess.run(["psql", "-q", "-v", "ON_ERROR_STOP=1", self.server.env["INBOARD_DATABASE_URL"], "-c", """
            INSERT INTO status_types (name, colour, presence, sort_order) SELECT name, colour, 'out', 200 FROM (VALUES %s) v(name, colour, who);
            INSERT INTO statuses (person_id, type_id, set_at) SELECT p.id, t.id, now() FROM (VALUES %s) v(name, colour, who)
              JOIN people p ON p.username = v.who JOIN status_types t ON t.name = v.name
            ON CONFLICT (person_id) DO UPDATE SET type_id = EXCLUDED.type_id, note = NULL, return_at = NULL, expires_at = NULL, set_at = now()"""
                        % (values, values)], check=True, capture_output=True)
        driver = self.open_browser()
        self.sign_in(driver, "olivia", PASSWORD)
        self.wait(driver).until(EC.presence_of_element_located((By.ID, "board")))
        for name, colour, who in colours:
            badge = driver.find_element(By.XPATH, "//table[@id='board']//tr[td/a[normalize-space()='%s Smith']]//span[@class='badge']" % who.title())
            self.assertEqual(badge.text, name)
        self.accessible(driver, "board-any-colour")
        driver.find_element(By.LINK_TEXT, "Frank Smith").click()
        self.wait(driver).until(EC.presence_of_element_located((By.ID, "person-name")))
        self.shot(driver, "person-any-colour")

    def test_9_every_page_was_checked_for_accessibility(self):
        seen = {path for path, _ in CHECKED.values()}
        self.assertEqual([page for page in PAGES if page not in seen], [], "pages no test checked with axe")


def axe_report(name, url, violations, most=12):
    """axe's violations as lines a person can act on: rule, impact, how many, and for each element (up to `most` a
    rule) its selector and why it fails."""
    lines = ["%d accessibility violation(s) on %s (%s), axe-core rules:" % (sum(len(v["nodes"]) for v in violations), name, url)]
    for violation in violations:
        nodes = violation["nodes"]
        lines.append("- %s (%s, %d element%s): %s  <%s>" % (violation["id"], violation.get("impact") or "?", len(nodes),
                                                          "" if len(nodes) == 1 else "s", violation["help"], violation["helpUrl"]))
        for node in nodes[:most]:
            why = " ".join((node.get("failureSummary") or "").split())
            lines.append("    %s  %s\n        %s" % (" > ".join(map(str, node["target"])), node["html"][:160], why))
        if len(nodes) > most:
            lines.append("    ... and %d more" % (len(nodes) - most))
    return "\n".join(lines)


def gone(element):
    """A wait condition: the element has left the page. Like EC.staleness_of, but chromedriver may also answer
    'Node with given id does not belong to the document' while the old page is being torn down: gone as well."""
    def check(_):
        try:
            element.is_enabled()
            return False
        except WebDriverException:   # StaleElementReferenceException is one
            return True
    return check


def press(driver, *keys):
    """Keys typed at whatever has the focus, as a person at a keyboard would: no element is clicked or focused by script."""
    ActionChains(driver).send_keys(*keys).perform()


class NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args, **kwargs):
        return None


if __name__ == "__main__":
    result = unittest.main(argv=[sys.argv[0], "-v"], exit=False).result
    print("axe-core checks (violating elements per page):")
    for name, (path, count) in CHECKED.items():
        print("  %-34s %-22s %d" % (name, path, count))
    print("screenshots: %s" % SHOTS)
    sys.exit(0 if result.wasSuccessful() else 1)
