#!/usr/bin/env python3
"""rdwh-host's own surface, as scripts and tools read it: --version, `plugins` with versions,
`describe` in the shape of Rundeck's plugin detail (ApiPluginProviderDetail / ApiProviderProp),
exit codes of `send`, and `send --fresh`.   cli_test.py RDWH_HOST"""
import datetime
import hashlib
import hmac
import http.server
import json
import os
import subprocess
import sys
import threading
import time
import unittest

HOST = sys.argv.pop(1)
DELIVERY = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "..", "examples", "deliveries",
                        "v3-incident.triggered-nudgebee.json")

# Rundeck's plugin detail (GET /api/{v}/plugin/detail/{service}/{provider}) and property shapes.
DETAIL_KEYS = {"id", "name", "pluginVersion", "title", "description", "iconUrl", "providerMetadata", "desc", "ver",
               "rundeckCompatibilityVersion", "targetHostCompatibility", "license", "sourceLink",
               "thirdPartyDependencies", "projectMapping", "fwkMapping", "dynamicProps", "dynamicDefaults",
               "vueConfigComponent", "props"}
PROP_KEYS = {"name", "desc", "title", "defaultValue", "staticTextDefaultValue", "required", "type", "allowed",
             "selectLabels", "scope", "options"}


def run(*args, check=True):
    return subprocess.run([HOST, *args], capture_output=True, text=True, check=check)


class CliTest(unittest.TestCase):
    def test_version(self):
        out = run("--version").stdout
        self.assertRegex(out, r"^rdwh-host \d+\.\d+\.\d+ \(rdwh ABI 1\.\d+\.\d+\)\n$")

    def test_plugins_show_their_versions(self):
        plugin = json.loads(run("plugins").stdout)["plugins"][0]
        self.assertEqual(plugin["name"], "rdwh-pagerduty")
        self.assertRegex(plugin["version"], r"^\d+\.\d+\.\d+$")
        self.assertRegex(plugin["abiVersion"], r"^1\.\d+\.\d+$")

    def test_describe_has_rundecks_plugin_detail_shape(self):
        for provider in ("pagerduty-V3-run-job", "pagerduty-run-job", "advanced-run-job"):
            d = json.loads(run("describe", provider).stdout)
            self.assertLessEqual(DETAIL_KEYS, set(d), provider)
            self.assertEqual(d["name"], provider)
            self.assertRegex(d["id"], r"^[0-9a-f]{12}$")
            self.assertEqual(d["ver"], d["pluginVersion"])
            self.assertEqual(d["rundeckCompatibilityVersion"], "3.4+")
            self.assertEqual(d["targetHostCompatibility"], "all")
            self.assertIn("RapidJSON", d["thirdPartyDependencies"])
            for prop in d["props"]:
                self.assertEqual(set(prop), PROP_KEYS, prop["name"])
                self.assertEqual(prop["staticTextDefaultValue"], prop["defaultValue"] or "")
                # Rundeck says null, not [] or {}, for what a property does not have.
                self.assertNotEqual(prop["allowed"], [])
                self.assertNotEqual(prop["options"], {})
        v3 = json.loads(run("describe", "pagerduty-V3-run-job").stdout)
        by_name = {p["name"]: p for p in v3["props"]}
        self.assertIsNone(by_name["batchKey"]["options"])
        self.assertEqual(by_name["returnProcessingInfo"]["defaultValue"], "false")
        self.assertEqual(by_name["keyStoragePath"]["options"]["selectionAccessor"], "STORAGE_PATH")
        # Rundeck's id for a built-in provider: the first 12 hex digits of sha256(name).
        import hashlib
        self.assertEqual(v3["id"], hashlib.sha256(b"pagerduty-V3-run-job").hexdigest()[:12])

    def test_send_exit_codes(self):
        # Nothing listens on port 9 of loopback: not sent at all.
        r = run("send", "http://127.0.0.1:9/api/41/webhook/x", "--body", "/dev/null", check=False)
        self.assertEqual(r.returncode, 1, r.stderr)
        r = run("send", "--body", "/dev/null", check=False)
        self.assertEqual(r.returncode, 2)

    def test_send_exits_3_on_an_answer_that_is_not_2xx(self):
        class Answer(http.server.BaseHTTPRequestHandler):
            status = 200

            def do_POST(self):
                self.rfile.read(int(self.headers.get("Content-Length", 0)))
                self.send_response(Answer.status)
                self.send_header("Content-Type", "application/json")
                self.end_headers()
                self.wfile.write(b'{"err":"Webhook not found"}' if Answer.status >= 400 else b'{"msg":"ok"}')

            def log_message(self, *args):
                pass

        server = http.server.HTTPServer(("127.0.0.1", 0), Answer)
        threading.Thread(target=server.serve_forever, daemon=True).start()
        url = f"http://127.0.0.1:{server.server_port}/api/41/webhook/t"
        try:
            ok = run("send", url, "--body", "/dev/null")
            self.assertEqual(json.loads(ok.stdout), {"status": 200, "body": '{"msg":"ok"}'})
            Answer.status = 400
            refused = run("send", url, "--body", "/dev/null", check=False)
            self.assertEqual(refused.returncode, 3)
            self.assertEqual(json.loads(refused.stdout)["status"], 400)
        finally:
            server.shutdown()


class Recorder(http.server.BaseHTTPRequestHandler):
    """Answers 200 and keeps each request's body and headers."""
    received = []

    def do_POST(self):
        body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
        Recorder.received.append((body, dict(self.headers)))
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.end_headers()
        self.wfile.write(b'{"msg":"ok"}')

    def log_message(self, *args):
        pass


def iso_ms(text):
    return int(datetime.datetime.strptime(text, "%Y-%m-%dT%H:%M:%S.%f%z").timestamp() * 1000)


class SendFreshTest(unittest.TestCase):
    SECRET = "send-fresh-secret"

    def setUp(self):
        Recorder.received = []
        self.server = http.server.HTTPServer(("127.0.0.1", 0), Recorder)
        threading.Thread(target=self.server.serve_forever, daemon=True).start()
        self.url = f"http://127.0.0.1:{self.server.server_port}/api/41/webhook/t"

    def tearDown(self):
        self.server.shutdown()
        self.server.server_close()

    def signature(self, body):
        return "v1=" + hmac.new(self.SECRET.encode(), body, hashlib.sha256).hexdigest()

    def test_without_fresh_the_files_bytes_go_out_unchanged(self):
        run("send", self.url, "--body", DELIVERY, "--key", self.SECRET)
        body, headers = Recorder.received[0]
        with open(DELIVERY, "rb") as f:
            self.assertEqual(body, f.read())
        self.assertEqual(headers["X-PagerDuty-Signature"], self.signature(body))

    def test_fresh_gives_a_new_id_and_occurred_at_now_and_signs_the_new_body(self):
        with open(DELIVERY, "rb") as f:
            original = json.loads(f.read())
        before = int(time.time() * 1000)  # the same clock rdwh-host reads; no window is assumed
        for _ in range(2):
            out = run("send", "--fresh", self.url, "--body", DELIVERY, "--key", self.SECRET).stdout
            self.assertEqual(json.loads(out), {"status": 200, "body": '{"msg":"ok"}'})
        after = int(time.time() * 1000)
        ids = set()
        for body, headers in Recorder.received:
            self.assertEqual(headers["X-PagerDuty-Signature"], self.signature(body))
            event = json.loads(body)["event"]
            self.assertRegex(event["id"], r"^[0-9A-HJKMNP-TV-Z]{26}$")
            ids.add(event["id"])
            self.assertLessEqual(before - before % 1000, iso_ms(event["occurred_at"]))
            self.assertLessEqual(iso_ms(event["occurred_at"]), after)
            rest = dict(event, id=original["event"]["id"], occurred_at=original["event"]["occurred_at"])
            self.assertEqual(rest, original["event"])
        self.assertEqual(len(ids), 2)
        self.assertNotIn(original["event"]["id"], ids)

    def test_fresh_needs_a_v3_delivery(self):
        r = run("send", "--fresh", self.url, "--body", "/dev/null", check=False)
        self.assertEqual(r.returncode, 2)
        self.assertIn("--fresh needs a PagerDuty V3 delivery", r.stderr)
        self.assertEqual(Recorder.received, [])


if __name__ == "__main__":
    unittest.main(verbosity=2)
