#!/usr/bin/env bash
# rdwh-gateway's command line as an operator uses it: --version; --jobs refusing a status that
# does not exist; --import refusing an export whose merged config --check would refuse (the key
# the imported webhook names is not there yet), then merging it once the key exists, --check
# passing; a bad export leaving the file untouched; a webhook's followUp refused without the
# pagerduty section.
#   cli_test.sh GATEWAY PLUGIN_DIR WORK_DIR
set -euo pipefail
gateway=$1 plugin_dir=$2 T=$3
rm -rf "$T" && mkdir -p "$T/keys"
fail() { echo "FAIL: $*"; exit 1; }
printf 'rundeck-api-token\n' >"$T/rundeck.token"
cat >"$T/gateway.json" <<JSON
{"listen": "127.0.0.1:0", "pluginDir": "$plugin_dir", "stateDir": "state", "keyStorageDir": "keys",
 "rundeck": {"url": "http://127.0.0.1:9", "apiVersion": 41, "authTokenFile": "rundeck.token"},
 "webhooks": []}
JSON
chmod 0640 "$T/gateway.json"
cat >"$T/webhooks.yaml" <<'YAML'
webhooks:
- uuid: 72fbadce-0000-4000-8000-000000000001
  name: PagerDuty V3
  project: ops
  eventPlugin: pagerduty-V3-run-job
  config: '{"keyStoragePath":"keys/pagerduty/v3-secret","rules":[{"name":"Run Job 1","jobId":"3a13fca8-1","jobOptions":[{"name":"raw","value":"$"}],"conditions":[],"enabled":true,"policy":"all"}]}'
  enabled: true
  user: admin
  roles: admin,user
  authToken: ExportedToken0123456789abcdefABCD
YAML

version=$("$gateway" --version)
[[ $version =~ ^rdwh-gateway\ [0-9]+\.[0-9]+\.[0-9]+\ \(rdwh\ ABI\ 1\.[0-9]+\.[0-9]+\)$ ]] || fail "--version: $version"
mkdir -p "$T/state"
"$gateway" --config "$T/gateway.json" --jobs --status done >/dev/null || fail "--jobs --status done"
if "$gateway" --config "$T/gateway.json" --jobs --status bogus 2>"$T/jobs.err"; then fail "--status bogus accepted"; fi
grep -q "unknown status 'bogus'" "$T/jobs.err" || fail "--status bogus: $(cat "$T/jobs.err")"

# A syntax error is placed as an editor places it: FILE:LINE:COLUMN.
printf '{\n  "listen": "127.0.0.1:0",\n  "stateDir" "state"\n}\n' >"$T/broken.json"
if "$gateway" --config "$T/broken.json" --check 2>"$T/broken.err"; then fail "a broken config passed --check"; fi
grep -q "broken.json:3:14: invalid JSON: Missing a colon after a name of object member" "$T/broken.err" ||
  fail "no line:column: $(cat "$T/broken.err")"

cp "$T/gateway.json" "$T/before.json"
if "$gateway" --config "$T/gateway.json" --import "$T/webhooks.yaml" --with-tokens >"$T/import.out" 2>&1; then
  fail "imported a webhook whose key is not in key storage"
fi
cat "$T/import.out"
grep -q "would not pass --check" "$T/import.out" || fail "the refusal does not say why"
grep -q "keyStoragePath" "$T/import.out" || fail "the refusal does not name the missing key"
grep -q 'ExportedToken' "$T/import.out" && fail "the token was printed"
cmp -s "$T/before.json" "$T/gateway.json" || fail "a refused import changed the config"
mkdir -p "$T/keys/pagerduty"
printf 'secret\n' >"$T/keys/pagerduty/v3-secret"

out=$("$gateway" --config "$T/gateway.json" --import "$T/webhooks.yaml" --with-tokens)
echo "$out"
grep -q '^added ops/PagerDuty V3$' <<<"$out" || fail "no 'added' line"
grep -q 'ExportedToken' <<<"$out" && fail "the token was printed"
grep -q '"authToken": "ExportedToken0123456789abcdefABCD"' "$T/gateway.json" || fail "token not kept with --with-tokens"
[ "$(stat -c %a "$T/gateway.json")" = 640 ] || fail "the config's mode changed"
"$gateway" --config "$T/gateway.json" --check || fail "--check refused the imported config"

cp "$T/gateway.json" "$T/before.json"
printf 'webhooks:\n- name: broken\n' >"$T/bad.yaml"
if "$gateway" --config "$T/gateway.json" --import "$T/bad.yaml" 2>"$T/bad.err"; then fail "a bad export was imported"; fi
cat "$T/bad.err"
grep -q "bad.yaml:2: 'project' is missing" "$T/bad.err" || fail "unclear error"
cmp -s "$T/before.json" "$T/gateway.json" || fail "a failed import changed the config"
if "$gateway" --config "$T/gateway.json" --with-tokens 2>/dev/null; then fail "--with-tokens alone accepted"; fi

# A followUp writes to PagerDuty: --check refuses it without the pagerduty section, with the
# reason; with it (and its token file) the config passes, and the token is never printed.
python3 - "$T/gateway.json" "$T/followup.json" <<'PY'
import json, sys
c = json.load(open(sys.argv[1]))
c["webhooks"][0]["followUp"] = {"note": True, "outputLines": 5}
json.dump(c, open(sys.argv[2], "w"))
c["pagerduty"] = {"tokenFile": "pagerduty.token", "from": "oncall@example.com"}
json.dump(c, open(sys.argv[2].replace(".json", "-pd.json"), "w"))
PY
if "$gateway" --config "$T/followup.json" --check 2>"$T/followup.err"; then fail "a followUp without pagerduty passed --check"; fi
grep -q 'webhooks\[0\].followUp: note needs the top-level "pagerduty" section' "$T/followup.err" ||
  fail "the followUp refusal does not say why: $(cat "$T/followup.err")"
printf 'pd-secret-token-123\n' >"$T/pagerduty.token"
"$gateway" --config "$T/followup-pd.json" --check >"$T/followup-pd.out" 2>&1 ||
  fail "--check refused a followUp with its pagerduty section: $(cat "$T/followup-pd.out")"
grep -q 'pd-secret-token-123' "$T/followup-pd.out" && fail "the PagerDuty token was printed"
echo "command line test passed"
