#!/usr/bin/env python3
"""Deliveries refused for a wrong secret, verified again once it is fixed (PagerDuty does not retry
a 4xx): a signed V3 delivery is refused (key storage holds the wrong secret), the secret is fixed
(no reload), `--reverify` runs its job once (the Rundeck stand-in's recorded calls), a second
`--reverify` runs nothing; the page's "Verify again" does the same for one delivery. The signature
kept to do so never appears in the delivery page, the API's answers, --export, the output of
--reverify or the gateway's log.

    console_reverify_test.py GATEWAY HOST STANDIN PLUGIN_DIR DATA_DIR
"""
import hashlib
import hmac
import json
import re
import subprocess

from console_env import CONSOLE_TOKEN, check, form, run, step, v3_webhook

V = "/api/41"


def signature(env, path):
    return "v1=" + hmac.new(env.secret.encode(), open(path, "rb").read(), hashlib.sha256).hexdigest()


def set_secret(env, value):
    with open(env.path("keys", "pd", "secret"), "w") as f:
        f.write(value)


def reverify(env, *args):
    out = subprocess.run([env.gateway, "--config", env.path("gateway.json"), "--reverify", *args],
                         capture_output=True, text=True, timeout=60)
    lines = [json.loads(l) for l in out.stdout.splitlines()]
    return out.returncode, lines, out.stdout + out.stderr


def refused_deliveries(env, hook_id):
    page = env.api("GET", V + "/rdwh/project/ops/deliveries?webhook=%d&outcome=refused" % hook_id)[1]
    return [d for d in page["deliveries"] if not d["replayOf"]]


def main(env):
    env.start_standin()
    env.write_config(webhooks=[v3_webhook("pd", "tok-pd")])
    set_secret(env, "the-wrong-secret")
    env.start_gateway()
    hook = next(h for h in env.api("GET", V + "/project/ops/webhooks")[1] if h["name"] == "pd")

    step("a signed delivery is refused: key storage holds the wrong secret")
    body = env.body(1)
    sig = signature(env, body)
    digest = sig[3:]
    status, _ = env.send("tok-pd", body, key=False, headers=["X-PagerDuty-Signature: " + sig])
    check(status == 403, "refused: %s" % status)
    original = env.wait_for("the refused delivery", lambda: (refused_deliveries(env, hook["id"]) or [None])[0])
    check(original["verdict"] == "signature_invalid", original)

    step("still the wrong secret: --reverify says it is still refused and runs nothing")
    rc, lines, text = reverify(env, "--webhook", "pd")
    check(rc == 0 and len(lines) == 1, text)
    check(lines[0]["id"] == original["id"] and lines[0]["webhook"] == "pd", lines)
    check(lines[0]["result"] == "still_refused" and "signature" in lines[0]["reason"], lines)
    check(refused_deliveries(env, hook["id"]) == [original], "nothing stored for a still refused one")

    step("the secret fixed (no reload): --reverify runs the job once, recorded as a delivery linked to it")
    set_secret(env, env.secret)
    rc, lines, text = reverify(env, "--webhook", "pd", "--since", "1h")
    check(rc == 0 and len(lines) == 1, text)
    done = lines[0]
    check(done["id"] == original["id"] and done["result"] == "verified" and done["queued"] == 1, done)
    env.wait_for("the job", lambda: env.runs("Q2X369CTEOAGYM-1"))
    status, again = env.api("GET", V + "/rdwh/delivery/%d" % done["delivery"])
    check(status == 200 and again["replayOf"] == original["id"] and again["verdict"] == "accepted", again)
    check(again["jobs"][0]["deliveryKey"].startswith("event:"), again["jobs"])  # intake's identity

    step("a second --reverify runs nothing more")
    rc, lines, text = reverify(env, "--webhook", "pd")
    check(rc == 0 and len(lines) == 1, text)
    check(lines[0]["result"] == "verified_before" and lines[0]["queued"] == 0 and
          lines[0]["delivery"] == done["delivery"], lines)
    jobs = subprocess.run([env.gateway, "--config", env.path("gateway.json"), "--jobs"], capture_output=True,
                          text=True, check=True).stdout
    check(len([l for l in jobs.splitlines() if "Q2X369CTEOAGYM-1" in l]) == 1, jobs)  # one job for the event
    env.wait_for("the job done", lambda: '"status":"done"' in subprocess.run(
        [env.gateway, "--config", env.path("gateway.json"), "--jobs"], capture_output=True, text=True).stdout)
    check(len(env.runs("Q2X369CTEOAGYM-1")) == 1, env.runs("Q2X369CTEOAGYM-1"))

    step("bad arguments: an unknown webhook, a --since that is no time")
    rc, _, text = reverify(env, "--webhook", "no-such-hook")
    check(rc == 1 and "no-such-hook" in text, text)
    rc, _, text = reverify(env, "--since", "yesterday")
    check(rc == 1 and "--since" in text, text)
    rc, lines, text = reverify(env, "--since", "2999-01-01T00:00:00Z")
    check(rc == 0 and lines == [], text)

    step("the page: 'Verify again' (CSRF-checked) on a delivery the running handler refused")
    body2 = env.body(2)
    sig2 = signature(env, body2)
    # The live handler still holds the wrong secret (no reload): refused again.
    check(env.send("tok-pd", body2, key=False, headers=["X-PagerDuty-Signature: " + sig2])[0] == 403, "refused")
    second = env.wait_for("the second refused delivery", lambda: next(
        (d for d in refused_deliveries(env, hook["id"]) if d["id"] != original["id"]), None))
    origin = "http://127.0.0.1:%d" % env.console_port
    post = {"Content-Type": "application/x-www-form-urlencoded", "Origin": origin}
    _, hdrs, _ = env.http("POST", "/login", form({"token": CONSOLE_TOKEN, "next": "/deliveries"}), post)
    session = {"Cookie": hdrs["set-cookie"][0].split(";")[0]}
    status, _, page = env.http("GET", "/deliveries/%d" % second["id"], headers=session)
    check(status == 200 and 'id="reverify-run"' in page and 'action="/deliveries/%d/reverify"' % second["id"] in page,
          page[:300])
    csrf = re.search(r'name="csrf" value="([^"]+)"', page).group(1)
    status, _, text = env.http("POST", "/deliveries/%d/reverify" % second["id"], form({}), dict(post, **session))
    check(status == 403, "no CSRF token: %d" % status)
    status, hdrs, _ = env.http("POST", "/deliveries/%d/reverify" % second["id"], form({"csrf": csrf}),
                               dict(post, **session))
    check(status == 303 and hdrs["location"][0].endswith("?notice=verified"), (status, hdrs))
    env.wait_for("the second job", lambda: env.runs("Q2X369CTEOAGYM-2"))
    status, hdrs, _ = env.http("POST", "/deliveries/%d/reverify" % second["id"], form({"csrf": csrf}),
                               dict(post, **session))
    check(status == 303 and hdrs["location"][0].endswith("?notice=verified_before"), (status, hdrs))
    status, _, text = env.http("GET", hdrs["location"][0], headers=session)
    check(status == 200 and "verified again before" in text, text[:300])
    check(len(env.runs("Q2X369CTEOAGYM-2")) == 1, env.runs("Q2X369CTEOAGYM-2"))
    # An accepted delivery is not offered it.
    status, _, page = env.http("GET", "/deliveries/%d" % done["delivery"], headers=session)
    check(status == 200 and 'id="reverify-run"' not in page, "no button on an accepted delivery")

    step("the kept signatures appear nowhere: pages, API, debug-events, --export, the log")
    seen = []
    for d in (original, second):
        status, _, page = env.http("GET", "/deliveries/%d" % d["id"], headers=session)
        seen.append(page)
        status, api = env.api("GET", V + "/rdwh/delivery/%d" % d["id"])
        check(["X-PagerDuty-Signature", "(redacted)"] in api["headers"], api["headers"])
        seen.append(json.dumps(api))
    seen.append(json.dumps(env.api("GET", V + "/enterprise/project/ops/webhooks/%d/debug-events" % hook["id"])[1]))
    seen.append(json.dumps(env.api("GET", V + "/rdwh/project/ops/deliveries")[1]))
    seen.append(subprocess.run([env.gateway, "--config", env.path("gateway.json"), "--export", "-", "--with-tokens"],
                               capture_output=True, text=True, check=True).stdout)
    seen.append(reverify(env)[2])
    seen.append(open(env.path("gateway.log")).read())
    for text in seen:
        for secret in (digest, sig2[3:], env.secret):
            check(secret not in text, "a secret shows: " + text[:200])


if __name__ == "__main__":
    run(main)
