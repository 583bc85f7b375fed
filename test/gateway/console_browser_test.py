#!/usr/bin/env python3
"""Rundeck's PagerDuty seed flow in a real browser (headless Chromium through Selenium) against
rdwh-gateway's console, with the real plugin and the Rundeck stand-in:

    console_browser_test.py GATEWAY HOST STANDIN PLUGIN_DIR DATA_DIR SCREENSHOT_DIR

Log in; add a webhook, pick "PagerDuty: Generic V3 Webhook"; the sample action "PagerDuty Example
Action" is filled in; choose a job from the stand-in's list, set the shared secret's key storage
path, add a job option from the suggestions; save; copy the Post URL; send a signed delivery to it
with `rdwh-host send` (Rundeck refuses its job once) and one that matches no rule; find them on
the deliveries page; see why the second ran nothing and why the first's job was refused; requeue
it and see it run; a dry-run replay; find a delivery by its incident, event and delivery id and by
time, and from its webhook's editor; at a phone's width (390 px) no page scrolls sideways and no
two buttons share a name; a delivery refused while key storage held the wrong secret, verified
again with the fixed one ("Verify again"), its job run once. Every page is saved as a PNG in
SCREENSHOT_DIR.
"""
import os
import shutil
import signal
import sys
import tempfile

from selenium import webdriver
from selenium.common.exceptions import StaleElementReferenceException, WebDriverException
from selenium.webdriver.chrome.service import Service
from selenium.webdriver.common.by import By
from selenium.webdriver.common.keys import Keys
from selenium.webdriver.support.ui import Select

from console_env import CONSOLE_TOKEN, check, run, step

CHROME_FLAGS = ["--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage", "--no-first-run",
                "--disable-background-networking", "--disable-component-update", "--disable-sync",
                "--window-size=1280,900", "--lang=en-US"]


class Browser:
    def __init__(self, env, shots):
        options = webdriver.ChromeOptions()
        options.binary_location = "/usr/bin/chromium"
        for flag in CHROME_FLAGS:
            options.add_argument(flag)
        options.add_argument("--user-data-dir=" + tempfile.mkdtemp(prefix="chromium-", dir=env.dir))
        # Selenium picks chromedriver's port by binding and releasing it; a test running beside
        # this one may take it meanwhile (its servers listen on free ports too): then try again.
        for attempt in range(3):
            try:
                self.driver = webdriver.Chrome(service=Service("/usr/bin/chromedriver"), options=options)
                break
            except WebDriverException:
                if attempt == 2:
                    raise
        self.env, self.shots = env, shots
        self.base = "http://127.0.0.1:%d" % env.console_port
        self.driver.execute_cdp_cmd("Browser.grantPermissions", {
            "origin": self.base, "permissions": ["clipboardReadWrite", "clipboardSanitizedWrite"]})

    def open(self, path):
        self.driver.get(self.base + path)

    def go(self, element_or_css):
        """Clicks what loads another page, and waits until that page is there."""
        old = self.find("html")
        element = self.find(element_or_css) if isinstance(element_or_css, str) else element_or_css
        element.click()

        def loaded():
            try:
                old.tag_name  # raises once the old page is gone
                return False
            except StaleElementReferenceException:
                pass
            except WebDriverException as e:
                # Chromium may say so in its own words while the old document is being replaced.
                if "does not belong to the document" not in str(e):
                    raise
            return self.driver.execute_script("return document.readyState") == "complete"

        self.env.wait_for("the next page", loaded)

    def find(self, css):
        return self.driver.find_element(By.CSS_SELECTOR, css)

    def all(self, css):
        return self.driver.find_elements(By.CSS_SELECTOR, css)

    def text(self, css="body"):
        return self.find(css).text

    def wait_text(self, what, needle, css="body", reload=False, timeout=10):
        def seen():
            if reload:
                self.driver.refresh()
            elements = self.all(css)  # none yet while the next page loads
            return elements and needle in elements[0].text
        self.env.wait_for(what, seen, timeout)

    def shot(self, name):
        """The whole page as SCREENSHOT_DIR/name.png: the window grows to the page's height for it."""
        height = self.driver.execute_script("return document.documentElement.scrollHeight")
        self.driver.set_window_size(1280, max(900, min(height + 140, 6000)))
        self.driver.save_screenshot(os.path.join(self.shots, name + ".png"))
        self.driver.set_window_size(1280, 900)

    def check_console_errors(self, expected=()):
        """No severe error in the browser's console but those the flow makes on purpose: each of
        `expected` is a pair of texts (a URL part, a status) such an error's message holds."""
        errors = [e for e in self.driver.get_log("browser") if e["level"] == "SEVERE"
                  and not any(where in e["message"] and status in e["message"] for where, status in expected)]
        check(not errors, "browser console errors: %s" % errors)

    def keep_failure(self):
        """The page as it was when a step failed: failed.png and failed.html in SCREENSHOT_DIR."""
        self.shot("failed")
        with open(os.path.join(self.shots, "failed.html"), "w") as f:
            f.write(self.driver.page_source)

    def quit(self):
        self.driver.quit()


def log_in(b):
    step("the console asks for the token first")
    b.open("/webhooks")
    check(b.driver.current_url.startswith(b.base + "/login"), b.driver.current_url)
    b.find("#token").send_keys("not the token")
    b.go("#login")
    check("Wrong token" in b.text("#login-error"), "a wrong token is refused")
    b.shot("01-login")
    b.find("#token").send_keys(CONSOLE_TOKEN)
    b.go("#login")
    check(b.driver.current_url == b.base + "/webhooks", b.driver.current_url)
    cookies = b.driver.get_cookies()
    check(len(cookies) == 1 and cookies[0]["httpOnly"] and cookies[0]["sameSite"] == "Strict", cookies)
    check(b.driver.execute_script("return document.cookie") == "", "the session cookie is not readable by script")


def create_from_sample(b):
    step("Webhooks > Add: name, project, PagerDuty: Generic V3 Webhook")
    b.go("#add-webhook")
    b.find("#name").send_keys("PagerDuty")
    b.find("#project").send_keys("ops")
    b.find("#provider-pagerduty-V3-run-job").click()
    b.shot("02-add-webhook")
    b.go("#continue")

    step("the sample action is filled in: pd_incident_id from the incident, incident.triggered events")
    rule = b.find("fieldset.rule")
    check(rule.find_element(By.CSS_SELECTOR, ".rule-name").get_attribute("value") == "PagerDuty Example Action", "sample")
    option_values = [e.get_attribute("value") for e in rule.find_elements(By.CSS_SELECTOR, "table.opt input")]
    check(option_values == ["pd_incident_id", "$.event.data.id"], option_values)
    cond = [e.get_attribute("value") for e in rule.find_elements(By.CSS_SELECTOR, "table.cond input")]
    check(cond == ["$.event.event_type", "incident.triggered"], cond)
    suggestions = [o.get_attribute("value") for o in b.all("#fields option")]
    check("$.event.data.id" in suggestions and "$.event.data.urgency" in suggestions, suggestions)
    check(rule.find_element(By.CSS_SELECTOR, "table.opt input[name$='opt.value']").get_attribute("list") == "fields",
          "option values suggest the PagerDuty fields")

    step("Choose A Job from Rundeck's list, the shared secret's key, one more option from the suggestions")
    jobs = Select(rule.find_element(By.CSS_SELECTOR, "select.job-select"))
    labels = [o.text for o in jobs.options]
    check("pagerduty/Diagnose incident" in labels and "pagerduty/remediation/Restart service" in labels, labels)
    jobs.select_by_visible_text("pagerduty/Diagnose incident")
    b.find("#keyStoragePath").send_keys("keys/pd/secret")
    rule.find_element(By.CSS_SELECTOR, "button.add-row[data-kind='opt']").click()
    names = rule.find_elements(By.CSS_SELECTOR, "table.opt input[name$='opt.name']")
    values = rule.find_elements(By.CSS_SELECTOR, "table.opt input[name$='opt.value']")
    check(len(names) == 2 and values[1].get_attribute("list") == "fields", "a new option row")
    names[1].send_keys("urgency")
    values[1].send_keys("$.event.data.urgency", Keys.ESCAPE)  # closes the suggestion drop-down
    b.shot("03-edit-sample-action")
    b.go("#save")
    b.wait_text("the save", "Saved.", "#notice")


def copy_post_url(b):
    step("copy the Post URL")
    url = b.find("#post-url").get_attribute("value")
    check(url.startswith("http://127.0.0.1:%d/api/41/webhook/" % b.env.port) and url.endswith("#PagerDuty"), url)
    b.find("#copy-post-url").click()
    b.env.wait_for("the copy", lambda: b.find("#copy-post-url").text in ("Copied", "Press Ctrl+C"))
    try:
        copied = b.driver.execute_async_script(
            "const done = arguments[0]; navigator.clipboard.readText().then(done, () => done(null));")
    except WebDriverException:
        copied = None
    check(b.find("#copy-post-url").text == "Copied" and copied in (url, None), "copied: %r" % copied)
    b.shot("04-saved-post-url")
    b.open("/webhooks")
    check(b.find("#webhooks .post-url").get_attribute("value") == url, "the list shows the same Post URL")
    b.shot("05-webhooks")
    return copied or url


def deliver(b, url):
    step("PagerDuty delivers: a signed incident.triggered (Rundeck refuses its job once), a priority change")
    env = b.env
    env.standin_control("fail?count=1&status=400")
    status, _ = env.send(url.split("/webhook/")[1].split("#")[0], env.body(1))
    check(status == 200, "the triggered delivery")
    env.wait_for("Rundeck's refusal", lambda: [r for r in open(env.path("runs.jsonl")) if '"status":400' in r])
    status, _ = env.send(url.split("/webhook/")[1].split("#")[0],
                         env.body(2, "v3-incident.priority_updated-gopagerduty.json"))
    check(status == 200, "the priority delivery")


def why_nothing_ran(b):
    step("Deliveries, filtered to those that ran nothing: why the priority change started no job")
    b.go("#nav-deliveries")
    # One that ran nothing is recorded in the background: within moments.
    b.env.wait_for("both deliveries", lambda: b.driver.refresh() or len(b.all("#deliveries tbody tr")) == 2)
    b.shot("06-deliveries")
    b.find("#filter-ran-nothing").click()
    b.go("#filter")
    rows = b.all("#deliveries tbody tr")
    # Newest first: the priority change (no rule fired), then the trigger whose job Rundeck refused.
    check(len(rows) == 2 and "no rule fired" in rows[0].text and "refused by Rundeck" in rows[1].text,
          [r.text for r in rows])
    b.go(rows[0].find_element(By.CSS_SELECTOR, "a.delivery-link"))
    check("No rule fired" in b.text("#why-summary"), b.text("#why-summary"))
    rule = b.find(".rule-result.not-fired")
    check("PagerDuty Example Action" in rule.text and "fails" in rule.text, rule.text)
    check('"incident.priority_updated"' in rule.text and "incident.triggered" in rule.text, rule.text)
    b.shot("07-delivery-ran-nothing")


def requeue_refused(b):
    step("the triggered delivery: the rule fired; Rundeck refused the job (HTTP 400); requeue it")
    b.open("/deliveries?outcome=queued")
    b.go("#deliveries a.delivery-link")
    check("✔ PagerDuty Example Action" in b.text(".rule-result.fired"), b.text("#why"))
    check("pd_incident_id=Q2X369CTEOAGYM-1" in b.text("#jobs") and "urgency=high" in b.text("#jobs"), b.text("#jobs"))
    b.wait_text("the refusal on the page", "refused by Rundeck (HTTP 400)", ".job-state", reload=True)
    b.shot("08-delivery-job-refused")
    runs = len(b.env.runs("Q2X369CTEOAGYM-1"))
    b.go("button.requeue")
    check("queued again" in b.text("#notice"), b.text("#notice"))
    b.wait_text("the job to run", "done: execution", ".job-state", reload=True)
    check(len(b.env.runs("Q2X369CTEOAGYM-1")) == runs + 1, "the stand-in ran it")
    b.shot("09-delivery-requeued")

    step("a dry-run replay: the job already ran for this event, so it would not run again")
    b.go("#replay-dry")
    check("Dry run" in b.text("h1"), b.text("h1"))
    check("already in the outbox, not run again" in b.text("#jobs"), b.text("#jobs"))
    b.shot("10-replay-dry-run")


def find_deliveries(b):
    step("find a delivery: by its incident id, event id, delivery id and time; a webhook's deliveries")
    b.open("/deliveries")
    rows = b.all("#deliveries tbody tr")
    check(len(rows) >= 2, [r.text for r in rows])
    trigger = rows[-1]  # the oldest: the incident.triggered
    check("incident.triggered" in trigger.text, trigger.text)
    tid = trigger.get_attribute("data-id")
    values = {"incident": trigger.find_element(By.CSS_SELECTOR, ".incident-id").text,
              "event": trigger.find_element(By.CSS_SELECTOR, ".event-id").text,
              "delivery": trigger.find_element(By.CSS_SELECTOR, "td[data-label='Delivery id'] code").text}
    when = trigger.find_element(By.CSS_SELECTOR, "a.delivery-link").text  # "YYYY-MM-DD HH:MM:SS"
    for what, value in values.items():
        check(value, "the list shows the %s id" % what)
        b.open("/deliveries")
        b.find("#filter-q").send_keys(value)
        b.go("#filter")
        check("q=" in b.driver.current_url, b.driver.current_url)  # the search is in the URL
        found = [r.get_attribute("data-id") for r in b.all("#deliveries tbody tr")]
        check(tid in found and all(f == tid for f in found) if what != "incident" else tid in found,
              "%s %s found %s" % (what, value, found))
    minute = when[:16].replace(" ", "T")
    b.open("/deliveries?q=%s&from=%s&to=%s" % (values["event"], minute, minute))
    check([r.get_attribute("data-id") for r in b.all("#deliveries tbody tr")] == [tid], b.text())
    check(b.find("#filter-from").get_attribute("value") == minute, "the From field keeps the search")
    b.open("/deliveries?from=2000-01-01T00:00&to=2000-01-01T00:01")
    check(b.all("#no-deliveries"), b.text())
    b.open("/deliveries?from=yesterday")
    check("from: not a time" in b.text(), b.text())
    b.open("/webhooks")
    b.go("a.webhook-link")
    b.go("#webhook-deliveries")
    check("webhook=" in b.driver.current_url and tid in [r.get_attribute("data-id") for r in b.all("#deliveries tbody tr")],
          b.driver.current_url)


def phone_width(b):
    step("at a phone's width (390 px) nothing scrolls sideways; no two buttons share a name")
    b.open("/webhooks")
    editor = b.find("a.webhook-link").get_attribute("href")
    b.open("/deliveries")
    delivery = b.find("a.delivery-link").get_attribute("href")
    b.driver.set_window_size(390, 844)
    try:
        for url in [b.base + "/webhooks", b.base + "/deliveries", delivery, editor]:
            b.driver.get(url)
            widths = b.driver.execute_script(
                "return [document.documentElement.scrollWidth, window.innerWidth]")
            check(widths[0] <= widths[1], "%s scrolls sideways at 390 px: %s" % (url, widths))
            names = b.driver.execute_script(
                "return [...document.querySelectorAll('button')].map("
                "b => (b.getAttribute('aria-label') || b.textContent).trim())")
            check(len(names) == len(set(names)), "%s: buttons share a name: %s" % (url, sorted(names)))
    finally:
        b.driver.set_window_size(1280, 900)


def verify_again(b, url):
    step("the wrong secret in key storage (reloaded): a signed delivery is refused; fixed, 'Verify again' runs it")
    env = b.env
    with open(env.path("keys", "pd", "secret"), "w") as f:
        f.write("the-wrong-secret")
    reloads = env.count_lines(env.logs["gateway"], '"msg":"config reloaded"')
    env.procs["gateway"].send_signal(signal.SIGHUP)
    env.wait_for("the reload", lambda: env.count_lines(env.logs["gateway"], '"msg":"config reloaded"') > reloads)
    status, _ = env.send(url.split("/webhook/")[1].split("#")[0], env.body(3))
    check(status == 403, "refused for its signature: %s" % status)
    with open(env.path("keys", "pd", "secret"), "w") as f:
        f.write(env.secret)  # fixed, no reload: verifying again reads key storage as it is now
    b.open("/deliveries?outcome=refused")
    b.env.wait_for("the refused delivery", lambda: b.driver.refresh() or b.all("#deliveries a.delivery-link"))
    b.go("#deliveries a.delivery-link")
    check("signature_invalid" in b.text("#summary"), b.text("#summary"))
    check("(redacted)" in b.text("#request"), b.text("#request"))
    b.shot("11-delivery-refused-signature")
    b.go("#reverify-run")
    check("Verified again" in b.text("#notice"), b.text("#notice"))
    check("accepted" in b.text("#summary") and "Replay of" in b.text("#summary"), b.text("#summary"))
    b.wait_text("the job to run", "done: execution", ".job-state", reload=True)
    check(len(env.runs("Q2X369CTEOAGYM-3")) == 1, "the stand-in ran it once")
    b.shot("12-delivery-verified-again")


def main(env):
    shots = SHOTS
    shutil.rmtree(shots, ignore_errors=True)  # only this run's pages
    os.makedirs(shots)
    env.start_standin()
    env.write_config([])
    env.start_gateway()
    b = Browser(env, shots)
    try:
        log_in(b)
        create_from_sample(b)
        url = copy_post_url(b)
        deliver(b, url)
        why_nothing_ran(b)
        requeue_refused(b)
        find_deliveries(b)
        phone_width(b)
        verify_again(b, url)
        # The wrong token's 403 and the unreadable time's 400 are the errors the flow makes on purpose.
        b.check_console_errors([("/login", "403"), ("from=yesterday", "400")])
    except BaseException:
        b.keep_failure()
        raise
    finally:
        b.quit()


if __name__ == "__main__":
    SHOTS = os.path.abspath(sys.argv.pop(6))
    run(main)
