#!/usr/bin/env python3
"""Bulk requeue and replay from the deliveries page, in headless Chromium, against rdwh-gateway
with the real plugin and the Rundeck stand-in:

    console_bulk_test.py GATEWAY HOST STANDIN PLUGIN_DIR DATA_DIR SCREENSHOT_DIR

Rundeck refuses four jobs (three of webhook "Bulk", one of "Other"). The deliveries page, filtered
to Bulk's refused jobs, previews "Requeue their jobs…": three jobs. A fifth refused delivery
arrives after the preview. Confirming runs exactly the three previewed jobs, once each (the
stand-in's recorded calls say so); the late one and Other's stay refused. "Replay these…" on
Other's deliveries previews its job as already in the outbox, and the replay runs nothing again.
"""
import os
import shutil
import sys

from selenium.webdriver.support.ui import Select

from console_browser_test import Browser
from console_env import CONSOLE_TOKEN, check, run, step, v3_webhook

V = "/api/41"


def incident(n):
    return "Q2X369CTEOAGYM-%d" % n


def deliveries(env, hook_id, outcome=""):
    status, body = env.api("GET", V + "/rdwh/project/ops/deliveries?webhook=%d&outcome=%s" % (hook_id, outcome))
    check(status == 200, body)
    return body["deliveries"]


def refused_by_rundeck(env, n):
    return len([r for r in open(env.path("runs.jsonl")) if '"status":400' in r]) >= n


def main(env):
    shots = SHOTS
    shutil.rmtree(shots, ignore_errors=True)
    os.makedirs(shots)
    env.start_standin()
    env.write_config([v3_webhook("Bulk", "tok-bulk"), v3_webhook("Other", "tok-other")])
    env.start_gateway()
    status, hooks = env.api("GET", V + "/project/ops/webhooks")
    ids = {h["name"]: h["id"] for h in hooks}

    step("Rundeck refuses four jobs: three of Bulk, one of Other")
    env.standin_control("fail?count=4&status=400")
    for n in (1, 2, 3):
        check(env.send("tok-bulk", env.body(n))[0] == 200, "delivery %d" % n)
    check(env.send("tok-other", env.body(4))[0] == 200, "delivery 4")
    env.wait_for("four refusals", lambda: refused_by_rundeck(env, 4))
    env.wait_for("the refusals recorded", lambda: len(deliveries(env, ids["Bulk"], "jobs_refused")) == 3
                 and len(deliveries(env, ids["Other"], "jobs_refused")) == 1)

    b = Browser(env, shots)
    try:
        b.open("/login")
        b.find("#token").send_keys(CONSOLE_TOKEN)
        b.go("#login")

        step("the deliveries page, filtered to Bulk's refused jobs: Requeue their jobs… previews three")
        b.open("/deliveries")
        Select(b.find("#filter-webhook")).select_by_value(str(ids["Bulk"]))
        Select(b.find("#filter-outcome")).select_by_value("jobs_refused")
        b.go("#bulk-requeue")
        summary = b.text("#bulk-summary")
        check("3 deliveries match the filter; 3 of their jobs would be requeued" in summary, summary)
        check("Skipped jobs are left alone" in summary, summary)
        check("arriving after this preview are not included" in b.text("#bulk-note"), b.text("#bulk-note"))
        rows = b.all("#bulk-rows tbody tr")
        check(len(rows) == 3 and all("Bulk" in r.text and "refused" in r.text for r in rows), [r.text for r in rows])
        previewed = sorted(r.get_attribute("data-id") for r in rows)
        carried = sorted(i.get_attribute("value") for i in b.all("#bulk-form input[name='id']"))
        check(previewed == carried, "the confirm carries the previewed jobs: %s %s" % (previewed, carried))
        b.shot("01-requeue-preview")

        step("a fifth delivery is refused after the preview: the confirm leaves it out")
        env.standin_control("fail?count=1&status=400")
        check(env.send("tok-bulk", env.body(5))[0] == 200, "delivery 5")
        env.wait_for("the fifth refusal", lambda: len(deliveries(env, ids["Bulk"], "jobs_refused")) == 4)
        b.go("#bulk-confirm")
        check("Requeued 3 of 3 jobs" in b.text("h1"), b.text("h1"))
        done = sorted(r.get_attribute("data-id") for r in b.all("#bulk-rows tbody tr"))
        check(done == previewed, "requeued %s, previewed %s" % (done, previewed))
        b.shot("02-requeued")

        step("exactly the previewed jobs ran, once each; the late one and Other's did not")
        env.wait_for("the three jobs", lambda: all(len(env.runs(incident(n))) == 1 for n in (1, 2, 3)))
        env.wait_for("Bulk's first three done", lambda: len(deliveries(env, ids["Bulk"], "jobs_done")) == 3)
        check(len(env.runs(incident(5))) == 0, "the delivery after the preview ran: %s" % env.runs(incident(5)))
        check(len(env.runs(incident(4))) == 0, "Other's refused job ran: %s" % env.runs(incident(4)))
        refused = deliveries(env, ids["Bulk"], "jobs_refused")
        check(len(refused) == 1 and refused[0]["jobStates"]["refused"] == 1, refused)
        check(len(deliveries(env, ids["Other"], "jobs_refused")) == 1, "Other's job is still refused")
        for n in (1, 2, 3):
            check(len(env.runs(incident(n))) == 1, "job %d ran %d times" % (n, len(env.runs(incident(n)))))

        step("Replay these… on Other's deliveries: a preview, then a replay that runs nothing twice")
        b.open("/deliveries?webhook=%d" % ids["Other"])
        b.go("#bulk-replay")
        summary = b.text("#bulk-summary")
        check("1 delivery match the filter; 1 can be replayed; 0 jobs would be queued now" in summary, summary)
        check("already in the outbox, not run again" in b.text("#bulk-rows"), b.text("#bulk-rows"))
        b.shot("03-replay-preview")
        b.go("#bulk-confirm")
        check("Replayed 1 of 1 deliveries" in b.text("h1"), b.text("h1"))
        check("0 jobs queued, 1 already in the outbox" in b.text("#bulk-rows"), b.text("#bulk-rows"))
        b.shot("04-replayed")
        check(len(env.runs(incident(4))) == 0, "the replay ran Other's refused job")

        step("a filter selecting nothing previews nothing to confirm; a bad time is refused")
        b.open("/deliveries/bulk?action=requeue&webhook=%d&from=2000-01-01T00:00&to=2000-01-02T00:00" % ids["Bulk"])
        check("0 deliveries match" in b.text("#bulk-summary") and not b.all("#bulk-confirm"), b.text("body")[:300])
        b.open("/deliveries/bulk?action=requeue&from=yesterday")
        check("from: not a time" in b.text("#message"), b.text("body")[:300])

        b.check_console_errors([("/deliveries/bulk", "400")])
    except BaseException:
        b.keep_failure()
        raise
    finally:
        b.quit()


if __name__ == "__main__":
    SHOTS = os.path.abspath(sys.argv.pop(6))
    run(main)
