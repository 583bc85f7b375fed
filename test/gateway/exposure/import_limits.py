"""--import reads a file from elsewhere (Rundeck's export): it is bounded and checked before the
live config is touched. Each refused import exits 1 with a message naming the problem (and the
line), and leaves the config byte for byte; no refused import grows the process much (its peak
memory, as the kernel recorded it, stays far below what the file would expand to)."""
import os
import resource
import subprocess
import zipfile

from console_env import check, step, v3_webhook

MIB = 1 << 20
# What a refused import may use at its peak: the gateway itself and at most one 16 MiB text.
PEAK_LIMIT_KB = 160 * 1024


def setup(env):
    env.rd_port = env.rd_port or 9  # no Rundeck is called: the config only names one
    env.write_config(webhooks=[v3_webhook("Existing", "existing-token-0123456789abcdef")])
    return env.path("gateway.json")


def run_import(env, config, source, *extra):
    return subprocess.run([env.gateway, "--config", config, "--import", source] + list(extra),
                          capture_output=True, text=True, timeout=120, cwd=env.dir)


def refused(env, config, source, *messages):
    """The import of `source` exits 1, names every one of `messages`, and leaves `config` as it was."""
    before = open(config, "rb").read()
    out = run_import(env, config, source)
    print(out.stderr.strip()[:600])
    check(out.returncode == 1, "exit %d (1 expected): %s" % (out.returncode, out.stderr[-400:]))
    check("import failed, %s is unchanged" % config in out.stderr, "no clean error: " + out.stderr[-400:])
    for m in messages:
        check(m in out.stderr, "%r not in: %s" % (m, out.stderr[-600:]))
    check(open(config, "rb").read() == before, "a refused import changed the config")
    peak = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    check(peak < PEAK_LIMIT_KB, "an import used %d KiB at its peak" % peak)


def write(env, name, text):
    with open(env.path(name), "w") as f:
        f.write(text)
    return env.path(name)


HOOK = "webhooks:\n- name: a\n  project: ops\n  eventPlugin: advanced-run-job\n"


def alias_bomb(levels):
    text = HOOK + "  config:\n    a0: &a0 [lol,lol,lol,lol,lol,lol,lol,lol,lol,lol]\n"
    for i in range(1, levels):
        text += "    a%d: &a%d [%s]\n" % (i, i, ",".join(["*a%d" % (i - 1)] * 10))
    return text


def import_alias_bomb(env):
    config = setup(env)
    step("10^7 and 10^9 strings once expanded, in about 500 bytes: counted, never expanded")
    for levels in (7, 9):
        source = write(env, "bomb%d.yaml" % levels, alias_bomb(levels))
        refused(env, config, source, "bomb%d.yaml:11: more than 250000 nodes" % levels)
    step("an alias inside the node it names")
    refused(env, config, write(env, "cycle.yaml", HOOK + "  config: &c {x: *c}\n"), "cycle.yaml:5: an alias inside")


def import_deep_nesting(env):
    config = setup(env)
    step("flow brackets, block indentation and a config's JSON string, nested far too deep")
    refused(env, config, write(env, "flow.yaml", "webhooks: " + "[" * 100000 + "\n"),
            "flow.yaml:1: nested deeper than 64 levels")
    block = HOOK + "  config:\n" + "".join(" " * (4 + 2 * i) + "k:\n" for i in range(1000))
    refused(env, config, write(env, "block.yaml", block), "block.yaml:67: nested deeper than 64 levels")
    refused(env, config, write(env, "json.yaml", HOOK + "  config: '" + "[" * 1000000 + "'\n"),
            "json.yaml:5: nested deeper than 64 levels")


def import_zip_bomb(env):
    config = setup(env)
    step("a project archive of about 1 MiB whose webhooks.yaml is 256 MiB: refused at 16 MiB")
    jar = env.path("ops.rdproject.jar")
    with zipfile.ZipFile(jar, "w", compression=zipfile.ZIP_DEFLATED, compresslevel=1) as z:
        z.writestr("rundeck-ops/jobs/job-1.xml", "<joblist/>")
        with z.open("rundeck-ops/webhooks.yaml", "w", force_zip64=True) as f:
            f.write(HOOK.encode())
            chunk = b"#" + b" " * (MIB - 2) + b"\n"
            for _ in range(256):
                f.write(chunk)
    print("archive: %d bytes" % os.path.getsize(jar))
    refused(env, config, jar, "rundeck-ops/webhooks.yaml: larger than 16 MiB uncompressed: not read")
    step("a webhooks.yaml over 16 MiB: refused before it is read")
    with open(env.path("big.yaml"), "w") as f:
        f.write(HOOK)
        f.truncate(17 * MIB)
    refused(env, config, env.path("big.yaml"), "big.yaml: larger than 16 MiB: not read")


def import_bad_types(env):
    config = setup(env)
    step("values of the wrong type: an error with the line, never an abort")
    refused(env, config, write(env, "roles.yaml", HOOK + "  roles: [{a: 1}]\n"),
            "roles.yaml:5: each of 'roles' must be text")
    refused(env, config, write(env, "name.yaml", "webhooks:\n- name: {a: 1}\n  project: ops\n  eventPlugin: x\n"),
            "name.yaml:2: 'name' must be text")
    refused(env, config, write(env, "config.yaml", HOOK + "  config: [1, 2]\n"), "config.yaml:5: config must be a map")
    refused(env, config, write(env, "enabled.yaml", HOOK + "  enabled: [yes]\n"),
            "enabled.yaml:5: 'enabled' must be true or false")
    refused(env, config, write(env, "syntax.yaml", HOOK + "  config: {a: [1, 2}\n"), "syntax.yaml:5: not valid YAML")


def import_empty_project(env):
    config = setup(env)
    step("an empty project: refused with its line")
    refused(env, config, write(env, "empty.yaml", "webhooks:\n- name: a\n  project: \"\"\n  eventPlugin: x\n"),
            "empty.yaml:3: 'project' is empty")
    step("what only --check finds (a provider no plugin offers, a key not in key storage): refused, not written")
    refused(env, config, write(env, "provider.yaml", "webhooks:\n- name: a\n  project: ops\n  eventPlugin: nope\n"),
            "the merged config would not pass --check", "webhooks[1].eventPlugin", "webhooks[1] is ops/a (")
    v3 = "webhooks:\n- name: a\n  project: ops\n  eventPlugin: pagerduty-V3-run-job\n"
    refused(env, config, write(env, "key.yaml", v3 + "  config: '{\"keyStoragePath\": \"keys/pd/absent\"}'\n"),
            "keys/pd/absent")
    step("the config as it was still passes --check (the unit's ExecStartPre)")
    out = subprocess.run([env.gateway, "--config", config, "--check"], capture_output=True, text=True, timeout=60)
    check(out.returncode == 0, "--check: " + out.stderr)


def import_symlink(env):
    setup(env)
    step("the config is a symbolic link: written through it, the link stays")
    os.makedirs(env.path("etc"))
    os.replace(env.path("gateway.json"), env.path("etc", "gateway.json"))
    os.chmod(env.path("etc", "gateway.json"), 0o640)
    os.symlink("etc/gateway.json", env.path("gateway.json"))
    source = write(env, "webhooks.yaml", HOOK + "  config: '{\"rules\": []}'\n")
    out = run_import(env, env.path("gateway.json"), source)
    check(out.returncode == 0, "import: " + out.stderr)
    check("added ops/a" in out.stdout, "no 'added' line: " + out.stdout)
    check(os.path.islink(env.path("gateway.json")), "the link was replaced by a file")
    check(os.readlink(env.path("gateway.json")) == "etc/gateway.json", "the link points elsewhere")
    check('"name": "a"' in open(env.path("etc", "gateway.json")).read(), "the target was not rewritten")
    check(oct(os.stat(env.path("etc", "gateway.json")).st_mode & 0o777) == oct(0o640), "the mode changed")
    check(not [n for n in os.listdir(env.path("etc")) if ".import-" in n], "a temporary file was left")
    out = subprocess.run([env.gateway, "--config", env.path("gateway.json"), "--check"], capture_output=True,
                         text=True, timeout=60)
    check(out.returncode == 0, "--check after the import: " + out.stderr)


SCENARIOS = {
    "import_alias_bomb": import_alias_bomb,
    "import_deep_nesting": import_deep_nesting,
    "import_zip_bomb": import_zip_bomb,
    "import_bad_types": import_bad_types,
    "import_empty_project": import_empty_project,
    "import_symlink": import_symlink,
}
