#!/usr/bin/env bash
# Installs what rdwh needs to build, test and run on Debian 12, plus any extra packages named on
# the command line (e.g. scripts/setup-debian.sh clang valgrind). Idempotent: skips the package
# manager when everything is already there.
set -euo pipefail

packages=("$@"
  build-essential cmake ninja-build pkg-config binutils ca-certificates
  rapidjson-dev libssl-dev libfmt-dev libre2-dev catch2 libcurl4-openssl-dev
  libmicrohttpd-dev libsqlite3-dev libpq-dev postgresql python3 openjdk-17-jdk-headless libjna-java
  libyaml-cpp-dev libarchive-dev help2man man-db prometheus
  libkainjow-mustache-dev chromium chromium-driver python3-selenium
  libjsonpath-java libjson-smart-java libslf4j-java libjackson2-databind-java groovy
)

missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ ${#missing[@]} -eq 0 ]; then
  exit 0
fi

sudo=""
if [ "$(id -u)" -ne 0 ]; then
  command -v sudo >/dev/null || { echo "setup: need root or sudo to install: ${missing[*]}" >&2; exit 1; }
  sudo="sudo"
fi
echo "setup: installing ${missing[*]}" >&2
export DEBIAN_FRONTEND=noninteractive
$sudo apt-get update -qq
$sudo apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
