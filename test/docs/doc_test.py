#!/usr/bin/env python3
"""Runs the examples of the documentation, so a page cannot say what the programs do not do.

An example is opted in with an HTML comment on the line just before it (invisible when rendered):

  <!-- doc-test: sh [exit=N] -->     the fenced block runs in bash (-e -o pipefail) from a scratch
                                      directory that looks like the repository after a build:
                                      examples/, docs/, scripts/ and build/release/{bin,plugins}
                                      (the build under test); rdwh-host and rdwh-gateway are on PATH.
  <!-- doc-test: sh demo [exit=N] -->  the same, in the sandbox where `scripts/demo.sh` serves (started
                                      once per page with RDWH_DEMO_BUILD=0 on free ports, which replace
                                      the page's 127.0.0.1:4480 and :4481; stopped at the page's end).
  <!-- doc-test: providers -->       the table or block names, in `code`, every provider the plugins
                                      offer (`rdwh-host plugins`).
  <!-- doc-test: output -->          the fenced block is what the last `sh` block printed: JSON is
                                      compared as a subset (every key shown has that value; "..."
                                      strings match anything); text: each line shown appears, in order
                                      (spaces and line breaks compared as single spaces).
  <!-- doc-test: c -->               the fenced C snippet compiles (C99, -Wall -Wextra -Werror) inside a
                                      function, with the host's variables it names declared.
  <!-- doc-test: config PROVIDER -->  the fenced JSON is a config the provider accepts (keys it names
                                      are served with a dummy value).
  <!-- doc-test: event -->           the fenced JSON is the event the tables below are about.
  <!-- doc-test: conditions-table --> every `path` / `value` pair in the "holds" and "does not hold"
                                      columns holds, or does not, on that event.
  <!-- doc-test: values-table -->    every value in the first column renders, on that event, as the
                                      code shown in the last column ("(empty)": nothing; "..." skips a
                                      value, or inside a result matches anything).

    doc_test.py SOURCE_DIR BIN_DIR PLUGIN_DIR [FILE.md ...]
"""
import json
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time

SOURCE = BIN = PLUGINS = FILES = None  # from the command line (or set by test/docs/demo_test.py)
MARKER = re.compile(r"^<!-- doc-test: (\S+)(.*?) -->\s*$")
FENCE = re.compile(r"^```(\w*)\s*$")
CODE = re.compile(r"`([^`]*)`")

failures = []
checked = 0


def fail(where, message):
    failures.append(f"{where}: {message}")


def host(*args, stdin=None):
    return subprocess.run([os.path.join(BIN, "rdwh-host"), "--plugin-dir", PLUGINS, *args], input=stdin,
                          capture_output=True, text=True, timeout=60)


# ------------------------------------------------------------------------------------------- reading

def blocks_and_tables(path):
    """(marker kind, marker args, line number, content, fence language) for every marked fenced
    block or table (content: the block's text, or the table's lines)."""
    lines = open(path, encoding="utf-8").read().split("\n")
    i = 0
    while i < len(lines):
        m = MARKER.match(lines[i])
        if not m:
            i += 1
            continue
        kind, args, start = m.group(1), m.group(2).strip(), i + 2
        i += 1
        if i < len(lines) and FENCE.match(lines[i]):
            lang = FENCE.match(lines[i]).group(1)
            body = []
            i += 1
            while i < len(lines) and not lines[i].startswith("```"):
                body.append(lines[i])
                i += 1
            yield kind, args, start, "\n".join(body), lang
        elif i < len(lines) and lines[i].startswith("|"):
            rows = []
            while i < len(lines) and lines[i].startswith("|"):
                rows.append(lines[i])
                i += 1
            yield kind, args, start, rows, ""
        else:
            fail(f"{path}:{start - 1}", f"doc-test marker '{kind}' is not followed by a fenced block or a table")
        i += 1


def cells(row):
    """A markdown table row's cells (a `\\|` inside a cell is a literal bar)."""
    parts = re.split(r"(?<!\\)\|", row.strip().strip("|"))
    return [p.strip().replace("\\|", "|") for p in parts]


def table_rows(rows):
    return [cells(r) for r in rows[2:]]  # after the header and the --- line


# ------------------------------------------------------------------------------------------- sh

def sandbox():
    """A scratch directory laid out like the repository after `cmake --preset release` + build."""
    root = tempfile.mkdtemp(prefix="rdwh-doc-test-")
    for name in ("examples", "docs", "scripts", "abi", "test"):
        os.symlink(os.path.join(SOURCE, name), os.path.join(root, name))
    os.makedirs(os.path.join(root, "build", "release"))
    os.symlink(BIN, os.path.join(root, "build", "release", "bin"))
    os.symlink(PLUGINS, os.path.join(root, "build", "release", "plugins"))
    man = os.path.join(os.path.dirname(BIN), "man")  # the build's man pages (cmake/man-pages.cmake)
    if os.path.isdir(man):
        os.symlink(man, os.path.join(root, "build", "release", "man"))
    return root


def sh_env():
    return dict(os.environ, PATH=BIN + os.pathsep + os.environ["PATH"], RDWH_PLUGIN_PATH=PLUGINS)


def free_port(also_next=False):
    """A free port of loopback (with also_next: one whose next port is free too)."""
    while True:
        with socket.socket() as s, socket.socket() as t:
            s.bind(("127.0.0.1", 0))
            port = s.getsockname()[1]
            if not also_next:
                return port
            try:
                t.bind(("127.0.0.1", port + 1))
                return port
            except OSError:
                continue


class Demo:
    """scripts/demo.sh serving in a sandbox of its own, on free ports; console_port=None leaves the
    console's port to the demo (RDWH_DEMO_CONSOLE_PORT unset)."""

    def __init__(self, console_port="free"):
        self.root = sandbox()
        self.port = free_port(also_next=console_port is None)
        self.console_port = free_port() if console_port == "free" else console_port
        self.log = open(os.path.join(self.root, "demo.out"), "w+")
        env = dict(sh_env(), RDWH_DEMO_BUILD="0", RDWH_DEMO_PORT=str(self.port))
        env.pop("RDWH_DEMO_CONSOLE_PORT", None)
        if self.console_port is not None:
            env["RDWH_DEMO_CONSOLE_PORT"] = str(self.console_port)
        self.process = subprocess.Popen(["bash", "scripts/demo.sh"], cwd=self.root, env=env, stdout=self.log,
                                        stderr=subprocess.STDOUT, start_new_session=True)
        deadline = time.monotonic() + 60
        while "\nServing." not in self.output() and self.process.poll() is None and time.monotonic() < deadline:
            time.sleep(0.1)
        self.error = None if "\nServing." in self.output() else "scripts/demo.sh did not serve:\n" + self.output()

    def output(self):
        self.log.seek(0)
        return self.log.read()

    def script(self, text):
        return text.replace("127.0.0.1:4480", f"127.0.0.1:{self.port}").replace(
            "127.0.0.1:4481", f"127.0.0.1:{self.console_port}")

    def stop(self):
        if self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGTERM)  # the demo, its gateway and its stand-in
            self.process.wait(timeout=30)
        self.log.close()
        shutil.rmtree(self.root, ignore_errors=True)


def run_sh(where, args, script, demo=None):
    expected_exit = int(re.search(r"exit=(\d+)", args).group(1)) if "exit=" in args else 0
    if demo and demo.error:
        fail(where, demo.error)
        return ""
    root = demo.root if demo else sandbox()
    try:
        r = subprocess.run(["bash", "-e", "-o", "pipefail", "-c", demo.script(script) if demo else script], cwd=root,
                           env=sh_env(), capture_output=True, text=True, timeout=120)
    finally:
        if not demo:
            shutil.rmtree(root, ignore_errors=True)
    if r.returncode != expected_exit:
        fail(where, f"exit {r.returncode}, expected {expected_exit}\n--- stdout\n{r.stdout}\n--- stderr\n{r.stderr}")
    return r.stdout


def matches(expected, actual):
    """JSON subset: every key shown is there with a matching value; "..." strings match anything."""
    if isinstance(expected, str) and "..." in expected:
        pieces = [re.escape(p) for p in expected.split("...")]
        return isinstance(actual, str) and re.fullmatch(".*".join(pieces), actual, re.S) is not None
    if isinstance(expected, dict):
        return isinstance(actual, dict) and all(k in actual and matches(v, actual[k]) for k, v in expected.items())
    if isinstance(expected, list):
        return isinstance(actual, list) and len(expected) == len(actual) and all(
            matches(e, a) for e, a in zip(expected, actual))
    return expected == actual


def check_output(where, lang, expected, actual):
    if actual is None:
        fail(where, "an 'output' block with no 'sh' block before it")
        return
    if lang == "json":
        try:
            want = json.loads(expected)
        except json.JSONDecodeError as e:
            fail(where, f"the expected output is not JSON: {e}")
            return
        try:
            got = json.loads(actual)
        except json.JSONDecodeError:
            fail(where, f"the command did not print JSON:\n{actual}")
            return
        if not matches(want, got):
            fail(where, f"the output differs from the page:\n--- page\n{expected}\n--- program\n{actual}")
        return
    pos = 0
    flowing = " ".join(actual.split())  # a run of spaces or line breaks is one space (man fills lines)
    for line in (" ".join(l.split()) for l in expected.split("\n")):
        if not line:
            continue
        found = flowing.find(line, pos)
        if found < 0:
            fail(where, f"the output lacks '{line}' (in this order):\n{actual}")
            return
        pos = found + len(line)


# ------------------------------------------------------------------------------------------- c

C_PRELUDE = r"""
#include <rdwh/rdwh.h>
#include <dlfcn.h>
#include <stdio.h>
#ifndef RDWH_PLUGIN_DIR
#define RDWH_PLUGIN_DIR "/usr/lib/rdwh/plugins"
#endif
extern void *my_data;
void my_log(const rdwh_host_t *host, rdwh_log_level level, rdwh_str_t message);
rdwh_status my_get_secret(const rdwh_host_t *host, rdwh_str_t path, uint8_t *out, size_t cap, size_t *out_len);
int64_t my_clock(const rdwh_host_t *host);
void run(const rdwh_job_t *job);
extern rdwh_str_t config, body;
extern const rdwh_header_t *headers;
extern size_t header_count;
int doc_snippet(void);
int doc_snippet(void) {
"""


def check_c(where, snippet):
    with tempfile.TemporaryDirectory() as d:
        src = os.path.join(d, "snippet.c")
        with open(src, "w") as f:
            f.write(C_PRELUDE + snippet + "\nreturn 0;\n}\n")
        r = subprocess.run(["cc", "-std=c99", "-D_POSIX_C_SOURCE=200809L", "-Wall", "-Wextra", "-Werror",
                            "-fsyntax-only", "-I", os.path.join(SOURCE, "abi", "include"), src],
                           capture_output=True, text=True)
        if r.returncode:
            fail(where, f"the C snippet does not compile cleanly:\n{r.stderr}")


# ------------------------------------------------------------------------------------------- configs

def secret_paths(config):
    text = json.dumps(config)
    paths = set(re.findall(r"\$\{KS:([^}]+)\}", text))
    if isinstance(config, dict) and config.get("keyStoragePath"):
        paths.add(config["keyStoragePath"])
    return paths


def handle(provider, config, body, now=None, with_keys=True):
    with tempfile.TemporaryDirectory() as d:
        cfg, bdy = os.path.join(d, "config.json"), os.path.join(d, "body.json")
        with open(cfg, "w") as f:
            json.dump(config, f)
        with open(bdy, "w") as f:
            f.write(body)
        args = ["handle", "--provider", provider, "--config", cfg, "--body", bdy]
        for p in secret_paths(config) if with_keys else ():
            args += ["--key", f"{p}=doc-test-secret"]
        if now:
            args += ["--now", now]
        return host(*args)


def check_config(where, provider, text):
    try:
        config = json.loads(text)
    except json.JSONDecodeError as e:
        fail(where, f"not JSON: {e}")
        return
    body = '{"event": {"id": "E1", "event_type": "pagey.ping", "data": {}}}' if "V3" in provider else "{}"
    if provider == "pagerduty-run-job":
        body = '{"messages": []}'
    r = handle(provider, config, body)
    if r.returncode != 0:
        fail(where, f"{provider} refuses the config: {r.stderr.strip()}")


# ------------------------------------------------------------------------------------------- tables

def code_values(cell):
    return CODE.findall(cell)


def check_conditions(where, event, rows):
    checks = []  # (row text, path, type, value, should hold)
    for row in table_rows(rows):
        if len(row) < 4:
            continue
        ctype = code_values(row[0])
        if not ctype:
            continue
        for column, should in ((row[2], True), (row[3], False)):
            for pair in filter(None, (p.strip() for p in column.split(";"))):
                values = code_values(pair)
                if values:
                    checks.append((pair, values[0], ctype[0], values[1] if len(values) > 1 else ".", should))
    rules = [{"name": f"check {i}", "jobId": "j", "conditions": [{"path": p, "condition": t, "value": v}]}
             for i, (_, p, t, v, _) in enumerate(checks)]
    r = handle("advanced-run-job", {"rules": rules}, json.dumps(event), now="2024-05-01T12:30:00Z")
    if r.returncode != 0:
        fail(where, f"the table's conditions do not compile: {r.stderr.strip()}")
        return
    fired = {j["rule"] for j in json.loads(r.stdout)["jobs"]}
    for i, (text, path, ctype, value, should) in enumerate(checks):
        if (f"check {i}" in fired) != should:
            fail(where, f"{ctype} {text}: {'does not hold' if should else 'holds'} on the event, "
                        f"the page says it {'holds' if should else 'does not'}")
    return len(checks)


def expected_results(cell):
    """The results a cell shows, in order: `code`, "(empty)" (nothing), or a bare "..." (skip)."""
    out = []
    for code, other in re.findall(r"`([^`]*)`|(\(empty\)|(?<![`\w])\.\.\.(?![`\w]))", cell):
        out.append(code if not other else ("" if other == "(empty)" else "..."))
    return out


def check_values(where, event, rows):
    pairs = []
    for row in table_rows(rows):
        if len(row) < 3:
            continue
        values, results = code_values(row[0]), expected_results(row[-1])
        if not results:
            continue
        if len(values) != len(results):
            fail(where, f"row '{row[0]}': {len(values)} values, {len(results)} results")
            continue
        pairs += [(v, r) for v, r in zip(values, results) if r != "..."]  # a bare "..." skips that value
    # One rule per value, its option named `p`: a value that fails its rule (the page shows the
    # error) leaves the others' jobs alone.
    rules = [{"name": f"v{i}", "jobId": "j", "jobOptions": [{"name": "p", "value": v}]} for i, (v, _) in enumerate(pairs)]
    r = handle("advanced-run-job", {"rules": rules}, json.dumps(event))
    if r.returncode != 0:
        fail(where, f"the table's values do not compile: {r.stderr.strip()}")
        return
    answer = json.loads(r.stdout)
    rendered = {job["rule"]: job["options"]["p"] for job in answer["jobs"]}
    errors = {e["rule"]: e.get("error") for ev in answer["evaluations"] for e in ev["rules"]}
    for i, (value, want) in enumerate(pairs):
        got = rendered[f"v{i}"] if f"v{i}" in rendered else errors.get(f"v{i}")
        if got is None or not matches(want, got):
            fail(where, f"`{value}` renders as `{got}`, the page says `{want}`")
    return len(pairs)


# ------------------------------------------------------------------------------------------- main

def check_providers(where, content):
    named = set(CODE.findall("\n".join(content) if isinstance(content, list) else content))
    offered = {p["name"] for plugin in json.loads(host("plugins").stdout)["plugins"] for p in plugin["providers"]}
    for name in sorted(offered - named):
        fail(where, f"the provider {name} is not named")


def check_file(path):
    global checked
    rel = os.path.relpath(path, SOURCE)
    last_output, event, demo = None, None, None
    try:
        for kind, args, line, content, lang in blocks_and_tables(path):
            where = f"{rel}:{line}"
            checked += 1
            if kind == "sh" and args.split()[:1] == ["demo"]:
                demo = demo or Demo()
                last_output = run_sh(where, args, content, demo)
            else:
                last_output = check_block(where, kind, args, content, lang, last_output, event)
                if kind == "event":
                    event = json.loads(content)
    finally:
        if demo:
            demo.stop()


def check_block(where, kind, args, content, lang, last_output, event):
    """Checks one block; returns what the next `output` block is compared with."""
    if kind == "sh":
        return run_sh(where, args, content)
    if kind == "output":
        check_output(where, lang, content, last_output)
    elif kind == "c":
        check_c(where, content)
    elif kind == "config":
        check_config(where, args, content)
    elif kind == "providers":
        check_providers(where, content)
    elif kind == "event":
        pass
    elif kind in ("conditions-table", "values-table"):
        if event is None:
            fail(where, f"{kind} with no 'event' block before it")
        else:
            (check_conditions if kind == "conditions-table" else check_values)(where, event, content)
    else:
        fail(where, f"unknown doc-test kind '{kind}'")
    return last_output


def main():
    pages = FILES or sorted(
        [os.path.join(SOURCE, "README.md")] +
        [os.path.join(SOURCE, "docs", f) for f in os.listdir(os.path.join(SOURCE, "docs")) if f.endswith(".md")] +
        [os.path.join(SOURCE, "examples", d, "README.md") for d in os.listdir(os.path.join(SOURCE, "examples"))
         if os.path.isfile(os.path.join(SOURCE, "examples", d, "README.md"))])
    for page in pages:
        check_file(page)
    for f in failures:
        print(f"FAIL {f}\n")
    print(f"{checked} documented examples checked, {len(failures)} failing")
    return 1 if failures or checked == 0 else 0


if __name__ == "__main__":
    SOURCE, BIN, PLUGINS = (os.path.abspath(p) for p in sys.argv[1:4])
    FILES = sys.argv[4:] or None
    sys.exit(main())
