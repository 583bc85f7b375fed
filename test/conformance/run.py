#!/usr/bin/env python3
"""One conformance test: rdwh and the oracle (Rundeck's engines) answer the same cases of one
kind; every case where they differ must be listed in expected/<kind>.jsonl with both answers, a
category and a reason. Fails on a difference not listed, on a listed one that no longer differs
(the plugin was fixed: drop it from the list), on a listed one whose answers changed, and on an
entry without a category.

  run.py --kind path|condition|template --cases CASES --docs DIR --rdwh PROGRAM --plugin MODULE
         --java JAVA --oracle-classpath CP [--update]

--update rewrites the kind's list from this run: entries already listed keep their category and
reason, new ones get one from classify.py (or "unclassified", which fails until a person decides).
"""
import argparse
import collections
import hashlib
import json
import subprocess
import sys
import tempfile
from pathlib import Path

import classify

HERE = Path(__file__).resolve().parent
META = ["--webhook-id", "conformance-delivery", "--project", "conformance", "--sender", "192.0.2.10",
        "--timestamp", "1714564800000"]


def answers(cmd, cases_file):
    with open(cases_file, "rb") as stdin:
        proc = subprocess.run(cmd + META, stdin=stdin, capture_output=True, timeout=600)
    if proc.returncode != 0:
        sys.exit("%s failed (%d):\n%s" % (cmd[0], proc.returncode, proc.stderr.decode(errors="replace")))
    out = {}
    for line in proc.stdout.decode().splitlines():
        a = json.loads(line)
        out[a.pop("id")] = a
    return out


def same(a, b):
    """Two answers agree: the same text, the same truth, or both an error (messages differ by design)."""
    if "error" in a and "error" in b:
        return True
    return record(a) == record(b)


def record(a):
    """An answer as the list keeps it: a long value as its start and a digest, a short message."""
    a = dict(a)
    if "sha1" not in a and len(a.get("value", "")) > 160:
        a["sha1"] = hashlib.sha1(a["value"].encode()).hexdigest()
        a["value"] = a["value"][:100] + "..."
    for key in ("error", "unsupported"):
        if key in a:
            a[key] = a[key][:160]
    return a


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--kind", required=True, choices=["path", "condition", "template"])
    ap.add_argument("--cases", required=True)
    ap.add_argument("--docs", required=True)
    ap.add_argument("--rdwh", required=True, help="the rdwh_conformance program")
    ap.add_argument("--plugin", required=True)
    ap.add_argument("--java", required=True)
    ap.add_argument("--oracle-classpath", required=True)
    ap.add_argument("--expected", default=str(HERE / "expected"))
    ap.add_argument("--update", action="store_true")
    args = ap.parse_args()

    cases = [json.loads(l) for l in open(args.cases, encoding="utf-8") if l.strip()]
    cases = [c for c in cases if c["kind"] == args.kind]
    with tempfile.NamedTemporaryFile("w", suffix=".jsonl", encoding="utf-8", delete=False) as f:
        for c in cases:
            f.write(json.dumps(c, ensure_ascii=False) + "\n")
        kind_file = f.name
    try:
        rdwh = answers([args.rdwh, "--plugin", args.plugin, "--docs", args.docs], kind_file)
        oracle = answers([args.java, "-cp", args.oracle_classpath, "RundeckOracle", "--docs", args.docs], kind_file)
    finally:
        Path(kind_file).unlink()

    listed_file = Path(args.expected) / (args.kind + ".jsonl")
    listed = {}
    if listed_file.exists():
        for line in listed_file.read_text(encoding="utf-8").splitlines():
            if line.strip():
                e = json.loads(line)
                listed[e["id"]] = e

    differences = {}
    for c in cases:
        r, o = rdwh.get(c["id"]), oracle.get(c["id"])
        if r is None or o is None:
            sys.exit("no answer for case %s (rdwh: %s, oracle: %s)" % (c["id"], r, o))
        if not same(r, o):
            differences[c["id"]] = (c, r, o)

    if args.update:
        entries = []
        for cid, (c, r, o) in sorted(differences.items()):
            old = listed.get(cid)
            category, reason = (old["category"], old["reason"]) if old else classify.classify(c, r, o)
            e = {"id": cid, "doc": c["doc"], "expr": c["expr"]}
            if c["kind"] == "condition":
                e["condition"], e["value"] = c["condition"], c["value"]
            e.update({"rdwh": record(r), "oracle": record(o), "category": category, "reason": reason})
            entries.append(e)
        listed_file.parent.mkdir(parents=True, exist_ok=True)
        listed_file.write_text("".join(json.dumps(e, ensure_ascii=False) + "\n" for e in entries), encoding="utf-8")
        listed = {e["id"]: e for e in entries}
        print("wrote %d entries to %s" % (len(entries), listed_file))

    problems = []
    for cid, (c, r, o) in differences.items():
        e = listed.get(cid)
        if e is None:
            problems.append("NEW DIFFERENCE %s: %r\n    rdwh:   %s\n    oracle: %s" % (cid, c["expr"], r, o))
        elif not (same(e["rdwh"], r) and same(e["oracle"], o)):
            problems.append("CHANGED %s: %r\n    rdwh:   %s (listed %s)\n    oracle: %s (listed %s)"
                            % (cid, c["expr"], r, e["rdwh"], o, e["oracle"]))
        elif e["category"] == "unclassified" or not e.get("reason"):
            problems.append("UNCLASSIFIED %s: %r" % (cid, c["expr"]))
    case_ids = {c["id"] for c in cases}
    for cid, e in listed.items():
        if cid not in differences:
            why = "no longer differs: remove it from the list" if cid in case_ids else "no such case any more"
            problems.append("STALE %s (%s): %r" % (cid, why, e["expr"]))

    by_category = collections.Counter(listed[cid]["category"] for cid in differences if cid in listed)
    print("%d %s cases: %d agree, %d differ" % (len(cases), args.kind, len(cases) - len(differences), len(differences)))
    for category, n in by_category.most_common():
        print("  %5d  %s" % (n, category))
    for p in problems:
        print(p)
    if problems:
        print("%d problem(s); see test/conformance/README.md" % len(problems))
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
