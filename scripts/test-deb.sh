#!/usr/bin/env bash
# Builds the .deb and proves it on a clean Debian 12: debootstrap a minimal bookworm into a
# scratch directory, `apt-get install ./rdwh_*.deb` there (Depends resolved from Debian), and run
# the installed rdwh-host on a signed delivery and rdwh-gateway --check on its /etc config.
# Debian comes from the mirror this machine's apt uses (scripts/apt-mirror.sh), through its apt
# proxy settings if any, so it works behind a proxy or with a local mirror.
#   scripts/test-deb.sh [CHROOT_DIR]      (root; downloads a minimal Debian, ~2 minutes)
set -euo pipefail
cd "$(dirname "$0")/.."
root=${1:-$PWD/build/deb-chroot}
scripts/setup-debian.sh
command -v debootstrap >/dev/null || DEBIAN_FRONTEND=noninteractive apt-get install -y -qq debootstrap >/dev/null
cmake --preset deb >/dev/null
cmake --build --preset deb -j "$(nproc)" >/dev/null
cpack --preset deb >/dev/null
deb=$(ls build/deb/rdwh_*.deb)

mirror=$(scripts/apt-mirror.sh bookworm)
# apt's proxy (Acquire::http::Proxy) also serves debootstrap's downloads.
proxy=$(apt-config shell p Acquire::http::Proxy | sed -n "s/^p='\(.*\)'$/\1/p")
if [ -n "$proxy" ] && [ -z "${http_proxy:-}" ]; then export http_proxy=$proxy; fi
if [ ! -x "$root/usr/bin/apt-get" ]; then
  rm -rf "$root"
  debootstrap --variant=minbase bookworm "$root" "$mirror" >/dev/null
fi
# The chroot's apt uses the same proxy settings as this machine's.
for conf in /etc/apt/apt.conf.d/*; do
  grep -qi 'proxy' "$conf" 2>/dev/null && cp "$conf" "$root/etc/apt/apt.conf.d/"
done
cp "$deb" "$root/tmp/"
cp examples/deliveries/v3-incident.priority_updated-gopagerduty.json examples/rundeck/pagerduty-v3.json "$root/tmp/"
mount --bind /proc "$root/proc" 2>/dev/null || true
trap 'umount "$root/proc" 2>/dev/null || true' EXIT
chroot "$root" /bin/sh -ec "
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq /tmp/$(basename "$deb") >/dev/null
  rdwh-host plugins
  rdwh-host handle --brief --provider pagerduty-V3-run-job --config /tmp/pagerduty-v3.json \
    --body /tmp/v3-incident.priority_updated-gopagerduty.json \
    --key keys/pagerduty/v3-secret=lDQHScfUeXUKaQRNF+8XIiDKZ7XX3itBAYzwU0TARw8lJqRnkKl2iB1anSb0Z+IK \
    --header 'X-PagerDuty-Signature: v1=0c0b9495b893a39e70d1fea2fe11fbe0a825f88b9f67846f6cc07dd2bc5476cd' | grep -q '\"status\": 200'
  printf 'lDQHScfUeXUKaQRNF+8XIiDKZ7XX3itBAYzwU0TARw8lJqRnkKl2iB1anSb0Z+IK\n' > /etc/rdwh/keys/pagerduty/v3-secret
  echo token > /etc/rdwh/rundeck.token
  rdwh-gateway --config /etc/rdwh/gateway.json --check
  id rdwh
  test \"\$(stat -c '%a %U %G' /etc/rdwh/gateway.json)\" = '640 root rdwh'
  grep -q '^ExecStart=/usr/bin/rdwh-gateway --config /etc/rdwh/gateway.json$' /usr/lib/systemd/system/rdwh-gateway.service
  grep -q '^StateDirectory=rdwh-gateway$' /usr/lib/systemd/system/rdwh-gateway.service
  grep -q '\"pluginDir\": \"/usr/lib/rdwh/plugins\"' /etc/rdwh/gateway.json
  test -f /usr/share/man/man1/rdwh-host.1.gz -o -f /usr/share/man/man1/rdwh-host.1
  test -f /usr/share/bash-completion/completions/rdwh-gateway
  test -f /usr/share/java/rdwh.jar
  rdwh-host --version
  rdwh-gateway --version
  # The Python host from the package finds the packaged plugin by itself.
  apt-get install -y -qq --no-install-recommends python3 >/dev/null
  python3 -c 'import rdwh; p = rdwh.load(provider=\"pagerduty-V3-run-job\"); print(p.path, p.version)' | grep -q '^/usr/lib/rdwh/plugins/'
"
echo "deb test passed: $(basename "$deb") installs and runs on a clean Debian 12"
