#!/usr/bin/env python3
"""Tests of the Python host: the same .so, the same signed deliveries, through ctypes."""
import json
import os
import subprocess
import sys
import threading
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import rdwh  # noqa: E402
from rdwh import Plugin, RdwhError  # noqa: E402

PLUGIN = os.environ["RDWH_PLUGIN"]
SOURCE = os.environ["RDWH_SOURCE_DIR"]
SECRET = "lDQHScfUeXUKaQRNF+8XIiDKZ7XX3itBAYzwU0TARw8lJqRnkKl2iB1anSb0Z+IK"
GOOD = "v1=0c0b9495b893a39e70d1fea2fe11fbe0a825f88b9f67846f6cc07dd2bc5476cd"
BAD = "v1=7020c8a7ec668a9b7012bc3dd82e483394b038f4230acc6785efbf2a7d8bcaf5"


def read(rel):
    with open(os.path.join(SOURCE, rel), "rb") as f:
        return f.read()


class PythonHostTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.plugin = Plugin(PLUGIN)
        cls.config = read("examples/rundeck/pagerduty-v3.json")
        cls.body = read("examples/deliveries/v3-incident.priority_updated-gopagerduty.json")

    def handler(self):
        return self.plugin.create("pagerduty-V3-run-job", self.config, secrets={"keys/pagerduty/v3-secret": SECRET})

    def test_providers(self):
        names = [p["name"] for p in self.plugin.providers()]
        self.assertEqual(names, ["pagerduty-V3-run-job", "pagerduty-run-job", "advanced-run-job", "webhook-run-job"])
        self.assertEqual(self.plugin.name, "rdwh-pagerduty")

    def test_signed_delivery_gives_jobs(self):
        with self.handler() as h:
            r = h.handle(self.body, headers={"X-PagerDuty-Signature": GOOD}, explain=True)
        self.assertEqual(r.status, 200)
        self.assertEqual(r.verdict, "accepted")
        self.assertEqual(r.body, '{"msg":"ok"}')
        self.assertEqual(len(r.jobs), 1)
        job = r.jobs[0]
        self.assertEqual(job["jobId"], "9b1c5a52-0d6f-4d39-8bb3-5f0c2b7e1a02")
        self.assertEqual(job["options"], {"pd_incident_id": "PGR0VU2", "priority": "P1",
                                          "event": "incident.priority_updated"})
        self.assertEqual(job["asUser"], "pagerduty-bot")
        self.assertEqual(r.evaluations[0]["eventId"], "01BWDWL3NYY7LUFPZCC28QUCMK")
        # ABI 1.1 identities, signed
        self.assertEqual(job["eventKey"], "01BWDWL3NYY7LUFPZCC28QUCMK")
        self.assertEqual(job["resourceId"], "PGR0VU2")
        self.assertEqual(job["eventTimeMs"], 1619458587458)
        self.assertTrue(job["signed"])

    def test_bad_and_missing_signatures(self):
        with self.handler() as h:
            bad = h.handle(self.body, headers={"X-PagerDuty-Signature": BAD})
            missing = h.handle(self.body)
        self.assertEqual((bad.status, bad.verdict, bad.jobs), (403, "signature_invalid", []))
        self.assertEqual((missing.status, missing.verdict), (400, "signature_missing"))
        self.assertNotIn(SECRET, bad.body + missing.body)

    def test_v2_batch(self):
        with self.plugin.create("pagerduty-run-job", read("examples/rundeck/pagerduty-v2.json")) as h:
            r = h.handle(read("examples/deliveries/v2-incident.resolve-pddocs.json"))
        self.assertEqual(r.status, 200)
        self.assertEqual([j["rule"] for j in r.jobs], ["Close the ticket on resolve"])
        self.assertEqual(r.jobs[0]["options"]["summary"], "Incident #33 resolved: My new incident")
        # Unset members are left out, as rdwh-host prints them.
        self.assertNotIn("asUser", r.jobs[0])
        self.assertNotIn("filter", r.jobs[0])
        self.assertFalse(r.jobs[0]["signed"])

    def test_load_finds_plugins_by_path_directory_and_environment(self):
        plugin_dir = os.path.dirname(PLUGIN)
        self.assertEqual(rdwh.load(PLUGIN).path, PLUGIN)
        self.assertEqual(rdwh.load(plugin_dir, provider="pagerduty-run-job").name, "rdwh-pagerduty")
        old = os.environ.get("RDWH_PLUGIN_PATH")
        os.environ["RDWH_PLUGIN_PATH"] = "/nonexistent:" + plugin_dir
        try:
            self.assertEqual(rdwh.plugin_dirs(), ["/nonexistent", plugin_dir])
            self.assertEqual(rdwh.load(provider="advanced-run-job").name, "rdwh-pagerduty")
            with self.assertRaises(RdwhError) as caught:
                rdwh.load(provider="no-such-provider")
            self.assertIn("no-such-provider", str(caught.exception))
        finally:
            if old is None:
                del os.environ["RDWH_PLUGIN_PATH"]
            else:
                os.environ["RDWH_PLUGIN_PATH"] = old
        with self.assertRaises(RdwhError):
            rdwh.load(PLUGIN, provider="no-such-provider")

    def test_provider_properties(self):
        v3 = self.plugin.providers()[0]
        self.assertEqual(v3["title"], "PagerDuty: Generic V3 Webhook")
        key_storage = [p for p in v3["properties"] if p["name"] == "keyStoragePath"][0]
        self.assertEqual(key_storage["renderingOptions"]["selectionAccessor"], "STORAGE_PATH")
        self.assertIsNone(key_storage["defaultValue"])

    def test_config_as_dict_and_header_pairs(self):
        config = {"rules": [{"name": "r", "jobId": "j", "jobOptions": [{"name": "h", "value": "${webhook['X-A']}"}]}]}
        with self.plugin.create("advanced-run-job", config) as h:
            r = h.handle("{}", headers=[("X-A", "1"), ("X-B", "2")])
        self.assertEqual(r.jobs[0]["options"], {"h": "1"})

    def test_example_script_runs_as_its_readme_says(self):
        env = dict(os.environ, RDWH_PLUGIN_PATH=os.path.dirname(PLUGIN))
        here = os.path.dirname(os.path.abspath(__file__))
        out = subprocess.run([sys.executable, os.path.join(here, "example.py"),
                              os.path.join(SOURCE, "examples/rundeck/pagerduty-v3.json"),
                              os.path.join(SOURCE, "examples/deliveries/v3-incident.priority_updated-gopagerduty.json"),
                              "--secret", "keys/pagerduty/v3-secret=" + SECRET,
                              "--header", "X-PagerDuty-Signature: " + GOOD],
                             env=env, capture_output=True, text=True, check=True)
        printed = json.loads(out.stdout)
        self.assertEqual(printed["status"], 200)
        self.assertEqual(printed["jobs"][0]["options"]["pd_incident_id"], "PGR0VU2")
        self.assertNotIn(SECRET, out.stdout + out.stderr)

    def test_config_error_names_the_field(self):
        with self.assertRaises(RdwhError) as caught:
            self.plugin.create("advanced-run-job", '{"rules":[{"policy":"most"}]}')
        self.assertEqual(caught.exception.code, 8)
        self.assertIn("rules[0].policy", str(caught.exception))

    def test_threads_share_a_handler(self):
        failures = []
        with self.handler() as h:
            def work():
                for _ in range(50):
                    r = h.handle(self.body, headers={"X-PagerDuty-Signature": GOOD})
                    if r.status != 200 or len(r.jobs) != 1:
                        failures.append(r.status)
            threads = [threading.Thread(target=work) for _ in range(4)]
            for t in threads:
                t.start()
            for t in threads:
                t.join()
        self.assertEqual(failures, [])


if __name__ == "__main__":
    unittest.main(verbosity=2)
