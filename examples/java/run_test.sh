#!/usr/bin/env bash
# Compiles the JVM host's test against rdwh.jar and runs it, then the jar's Example, against a plugin:
#   run_test.sh PLUGIN.so RDWH_JAR SOURCE_DIR WORK_DIR
set -euo pipefail
plugin=$1 jar=$2 source_dir=$3 work=$4
jna=/usr/share/java/jna.jar
rm -rf "$work" && mkdir -p "$work"
javac -Xlint:all -Werror -d "$work" -cp "$jna:$jar" "$source_dir"/examples/java/test/*.java
java -cp "$jna:$jar:$work" RdwhHostTest "$plugin" "$source_dir"

echo "-- org.rdwh.Example"
secret=$(cat "$source_dir/examples/rundeck/example-secret.txt")
out=$(RDWH_PLUGIN_PATH=$(dirname "$plugin") java -cp "$jna:$jar" org.rdwh.Example \
  "$source_dir/examples/rundeck/pagerduty-v3.json" \
  "$source_dir/examples/deliveries/v3-incident.priority_updated-gopagerduty.json" \
  --secret "keys/pagerduty/v3-secret=$secret" \
  --header "X-PagerDuty-Signature: v1=0c0b9495b893a39e70d1fea2fe11fbe0a825f88b9f67846f6cc07dd2bc5476cd")
echo "$out"
grep -q '^status 200 {"msg":"ok"}' <<<"$out"
grep -q '^run job 9b1c5a52-0d6f-4d39-8bb3-5f0c2b7e1a02 options .*pd_incident_id=PGR0VU2' <<<"$out"
if grep -qF "$secret" <<<"$out"; then echo "the secret was printed"; exit 1; fi
