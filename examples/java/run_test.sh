#!/usr/bin/env bash
# Compiles the JVM host and runs its test against a plugin: run_test.sh PLUGIN.so SOURCE_DIR WORK_DIR
set -euo pipefail
plugin=$1 source_dir=$2 work=$3
jna=/usr/share/java/jna.jar
rm -rf "$work" && mkdir -p "$work"
javac -d "$work" -cp "$jna" "$source_dir"/examples/java/*.java
exec java -cp "$jna:$work" RdwhHostTest "$plugin" "$source_dir"
