"""The delivery store cannot fill the disk: what an outsider's request stores is small and sampled,
the store has a total cap (console.deliveries.maxBytes) with the oldest evicted, and records stop
(intake and /healthz stay 2xx) while the disk is short of console.deliveries.minFreeBytes."""
import hashlib
import hmac
import http.client
import json
import re

from console_env import check, step, v3_webhook

TOKEN = "disk-token-0123456789"
BIG_HEADER = "x" * 7000  # four of these: ~27 KiB of headers, as in the report


def post(env, conn, path, body, headers):
    conn.request("POST", path, body=body, headers=headers)
    r = conn.getresponse()
    r.read()
    return r.status


def signed(env, body):
    digest = hmac.new(env.secret.encode(), body, hashlib.sha256).hexdigest()
    return {"Content-Type": "application/json", "X-PagerDuty-Signature": "v1=" + digest}


def metric(env, name):
    status, _, text = env.http("GET", "/metrics", port=env.port)
    check(status == 200, "/metrics answers 200")
    found = re.search(r"^%s (\d+)$" % re.escape(name), text, re.M)
    return int(found.group(1)) if found else None


def deliveries(env):
    status, body = env.api("GET", "/api/41/rdwh/project/ops/deliveries?max=1000")
    check(status == 200, "the deliveries list answers 200: %s %s" % (status, body))
    return body["deliveries"]


def records_up_to(env, last_id):
    """Every stored delivery with an id up to last_id, whole (unknown tokens' too: they are in no
    project's list)."""
    out = []
    for i in range(1, last_id + 1):
        status, record = env.api("GET", "/api/41/rdwh/delivery/%d" % i)
        if status == 200:
            out.append(record)
    return out


def stored_size(record):
    """What a record keeps of what the sender sent (headers, body, error)."""
    return len(json.dumps(record.get("headers", []))) + len(record.get("body", "")) + len(record.get("error", ""))


def start(env, console=None, webhooks=None):
    env.start_standin()
    env.write_config(webhooks=webhooks or [v3_webhook("disk", TOKEN)], console=console)
    env.start_gateway()


def flood_unknown_token(env):
    start(env)
    step("400 requests with ~27 KiB of headers each to an unknown token")
    conn = http.client.HTTPConnection("127.0.0.1", env.port, timeout=30)
    headers = {"X-Big-%d" % i: BIG_HEADER for i in range(4)}
    statuses = set()
    for _ in range(400):
        statuses.add(post(env, conn, "/api/41/webhook/not-a-token", b"{}", headers))
    conn.close()
    check(statuses == {400}, "every request to an unknown token is answered 400: %s" % statuses)
    step("a sample of them is recorded, each small; the others are counted")

    def all_accounted():
        sampled_out = metric(env, "rdwh_gateway_deliveries_not_recorded_total") or 0
        return sampled_out > 0 and len(records_up_to(env, 400 - sampled_out + 1)) == 400 - sampled_out

    env.wait_for("every request to be recorded or counted", all_accounted, timeout=30)
    kept = records_up_to(env, 400)
    check(0 < len(kept) < 400, "a sample is recorded, not every request: %d of 400" % len(kept))
    for record in kept:
        check(stored_size(record) <= 4096, "a refused record keeps at most 4 KiB: %d" % stored_size(record))
    step("a real signed delivery is still acknowledged and runs its job")
    status, _ = env.send(TOKEN, env.body(1))
    check(status == 200, "the signed delivery is answered 200, not %s" % status)
    env.wait_for("its job to run", lambda: len(env.runs()) == 1)


def refused_record_bound(env):
    start(env)
    step("a known token, a wrong signature, 26 KiB of headers and a 60 KiB body")
    conn = http.client.HTTPConnection("127.0.0.1", env.port, timeout=30)
    headers = {"X-Big-%d" % i: BIG_HEADER for i in range(3)}
    headers.update({"Content-Type": "application/json", "X-PagerDuty-Signature": "v1=" + "0" * 64,
                    "X-Webhook-Id": "i" * 5000})
    body = json.dumps({"event": {"event_type": "incident.triggered", "pad": "p" * 60000}}).encode()
    status = post(env, conn, "/api/41/webhook/" + TOKEN, body, headers)
    conn.close()
    check(400 <= status < 500, "the forged delivery is refused: %s" % status)
    env.wait_for("its record", lambda: len(deliveries(env)) == 1)
    record = env.api("GET", "/api/41/rdwh/delivery/%d" % deliveries(env)[0]["id"])[1]
    check(record["outcome"] == "refused", "it is recorded as refused: %s" % record["outcome"])
    size = stored_size(record) + len(record.get("deliveryId", ""))
    # Refused for its signature by a known token: 16 KiB, so that a real one (the wrong secret in key
    # storage) keeps its body whole to be verified again; other refusals keep 4 KiB (the flood above).
    check(size <= 16384, "the refused record keeps at most 16 KiB: %d" % size)
    check(record["bodyTruncated"], "its body is marked cut")


def store_cap(env):
    start(env, console={"deliveries": {"maxBytes": 1048576}})
    step("40 signed deliveries of ~64 KiB that no rule runs: 2.5 MiB of records against a 1 MiB cap")
    conn = http.client.HTTPConnection("127.0.0.1", env.port, timeout=30)
    for i in range(40):
        body = json.dumps({"event": {"id": "cap-%d" % i, "event_type": "incident.acknowledged",
                                     "pad": "p" * 64000}}).encode()
        status = post(env, conn, "/api/41/webhook/" + TOKEN, body, signed(env, body))
        check(status == 200, "delivery %d is acknowledged: %s" % (i, status))
    conn.close()
    env.wait_for("the oldest deliveries to be evicted",
                 lambda: (metric(env, "rdwh_gateway_delivery_store_evicted_bytes_total") or 0) > 0, timeout=30)
    check(metric(env, "rdwh_gateway_delivery_store_bytes") <= 1048576, "the store is within maxBytes")
    kept = deliveries(env)
    check(0 < len(kept) < 40, "some deliveries are kept, the oldest evicted: %d of 40" % len(kept))
    ids = sorted(d["id"] for d in kept)
    check(ids == list(range(ids[0], ids[0] + len(ids))), "the newest are kept, the oldest evicted: %s" % ids)


def short_of_disk(env):
    start(env, console={"deliveries": {"minFreeBytes": 1 << 40}})
    step("the disk has less than minFreeBytes free: records stop, intake and /healthz do not")
    env.wait_for("/healthz to say the store is not recording",
                 lambda: "minFreeBytes" in env.http("GET", "/healthz", port=env.port)[2])
    status, _, text = env.http("GET", "/healthz", port=env.port)
    check(status == 200 and text.startswith("degraded: "), "/healthz stays 200, degraded: %s %s" % (status, text))
    check(metric(env, "rdwh_gateway_delivery_store_accepting") == 0, "the accepting gauge is 0")
    status, _ = env.send(TOKEN, env.body(1))
    check(status == 200, "a signed delivery is acknowledged: %s" % status)
    env.wait_for("its job to run", lambda: len(env.runs()) == 1)
    check(deliveries(env) == [], "nothing was recorded meanwhile")


SCENARIOS = {
    "disk_unknown_token_flood": flood_unknown_token,
    "disk_refused_record_bound": refused_record_bound,
    "disk_store_cap": store_cap,
    "disk_short_of_disk": short_of_disk,
}
