#!/usr/bin/env python3
"""The web pages in a real browser: headless Chromium driven by selenium, against a real `inboard serve`
(debug build) on its own PostgreSQL database, with the sample slapd directory synced into it.

  python3 Tests/Browser/web_test.py [--keep]      (run by scripts/test; needs the services started)

Screenshots of every page go to .local/test-output/browser/. Exits non-zero on any failure."""
import http.cookiejar, json, os, pathlib, socket, subprocess, sys, tempfile, time, unittest, urllib.error, urllib.parse, urllib.request

from selenium import webdriver
from selenium.webdriver.chrome.service import Service
from selenium.webdriver.common.by import By
from selenium.webdriver.support import expected_conditions as EC
from selenium.webdriver.support.ui import WebDriverWait

ROOT = pathlib.Path(__file__).resolve().parents[2]
SHOTS = ROOT / ".local/test-output/browser"
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

    def shot(self, driver, name, whole=False):
        """A screenshot; `whole` stretches the window to the page's height first (admin forms are long)."""
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
        self.sign_in(driver, "alice", PASSWORD)
        self.wait(driver).until(EC.presence_of_element_located((By.ID, "board")))
        self.assertIn("Alice", driver.find_element(By.CSS_SELECTOR, ".who").text)
        self.assertTrue(driver.find_elements(By.LINK_TEXT, "Directory"), "alice is an admin through inboard-admins")
        self.sign_in(driver, "root", ADMIN_PASSWORD)
        self.wait(driver).until(EC.presence_of_element_located((By.ID, "board")))
        self.assertIn("root", driver.find_element(By.CSS_SELECTOR, ".who").text)

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
        driver.get(self.server.url + "/admin/sync")
        driver.find_element(By.CSS_SELECTOR, "input[name=mode][value=full]").click()
        driver.find_element(By.ID, "run-now").click()
        self.wait(driver).until(lambda d: "run=" in d.current_url)
        run = urllib.parse.parse_qs(urllib.parse.urlparse(driver.current_url).query)["run"][0]

        def finished(d):   # the page reloads itself when the run ends: look again each time
            try:
                return d.find_element(By.CSS_SELECTOR, '#runs tr[data-run="%s"]' % run).get_attribute("data-state") != "running"
            except Exception:
                return False
        self.wait(driver, 60).until(finished)
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
        element = driver.find_element(By.ID, "port")
        element.clear()
        element.send_keys(port)
        failed = driver.find_element(By.CSS_SELECTOR, ".flash.bad")
        driver.find_element(By.ID, "send-test").click()
        self.wait(driver).until(EC.staleness_of(failed))   # the page with the failure is gone
        self.assertIn("The server said: 250", self.wait(driver).until(EC.presence_of_element_located((By.CSS_SELECTOR, ".flash"))).text)
        driver.find_element(By.ID, "save").click()
        self.wait(driver).until(lambda d: "saved=settings" in d.current_url)
        self.assertIn("Saved", driver.find_element(By.CSS_SELECTOR, ".flash.ok").text)
        driver.find_element(By.CSS_SELECTOR, "details summary").click()
        driver.find_element(By.CSS_SELECTOR, "form[action='/admin/notifications/templates/note'] button[value=preview]").click()
        self.assertIn("Ann Admin left you a note", self.wait(driver).until(EC.presence_of_element_located((By.CSS_SELECTOR, ".preview"))).text)
        self.shot(driver, "admin-notifications", whole=True)
        driver.get(self.server.url + "/admin/policies?user=bob")
        rsop = self.wait(driver).until(EC.presence_of_element_located((By.ID, "rsop"))).text
        self.assertIn("idleMinutesBeforeAway 5 paris-office", rsop, "bob is in Paris: the OU's policy wins")
        self.assertIn("cacheMinutes 60 cache-baseline", rsop)
        self.shot(driver, "admin-policies", whole=True)
        for page, heading in [("status-types", "Status types"), ("people", "People"), ("audit", "Audit log")]:
            driver.get(self.server.url + "/admin/" + page)
            self.assertEqual(driver.find_element(By.CSS_SELECTOR, "main h1").text, heading)
            self.shot(driver, "admin-" + page, whole=True)
        self.assertIn("directory.settings.save", driver.find_element(By.ID, "audit").text)

    def test_4_a_non_admin_gets_403_on_every_admin_page_and_sees_no_admin_links(self):
        driver = self.open_browser()
        self.sign_in(driver, "carol", PASSWORD)
        self.wait(driver).until(EC.presence_of_element_located((By.ID, "board")))
        self.assertFalse(driver.find_elements(By.LINK_TEXT, "Directory"))
        cookie = driver.get_cookie("inboard_session")["value"]
        for path in ["directory", "mappings", "sync", "notifications", "status-types", "people", "audit", "policies"]:
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


class NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args, **kwargs):
        return None


if __name__ == "__main__":
    result = unittest.main(argv=[sys.argv[0], "-v"], exit=False).result
    print("screenshots: %s" % SHOTS)
    sys.exit(0 if result.wasSuccessful() else 1)
