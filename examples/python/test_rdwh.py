#!/usr/bin/env python3
"""Tests of the Python host: the same .so, the same signed deliveries, through ctypes."""
import os
import sys
import threading
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
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
        self.assertEqual(names, ["pagerduty-V3-run-job", "pagerduty-run-job", "advanced-run-job"])
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
