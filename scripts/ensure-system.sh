#!/usr/bin/env bash
# Makes sure the system packages the project needs are present (Debian/Ubuntu).
# Usage: scripts/ensure-system.sh [pango] [redis] [chromium] [poppler] [postgres] [promtool]
# As root with apt-get it installs what is missing; otherwise it says what to install.
set -euo pipefail

declare -A probe=(
  [pango]="ldconfig -p | grep -q libpangoft2-1.0.so.0 && ldconfig -p | grep -q libharfbuzz-subset.so.0"
  [redis]="command -v redis-server >/dev/null"
  [chromium]="test -x /usr/bin/chromium"
  [poppler]="command -v pdftoppm >/dev/null"
  [postgres]="ls /usr/lib/postgresql/*/bin/postgres >/dev/null 2>&1"
  [promtool]="command -v promtool >/dev/null"
)
declare -A debian=(
  [pango]="libpango-1.0-0 libpangoft2-1.0-0 libharfbuzz-subset0 fontconfig"
  [redis]="redis-server"
  [chromium]="chromium"
  [poppler]="poppler-utils"
  [postgres]="postgresql"
  # promtool checks deploy/prometheus/alerts.yml in the tests; Debian ships it with Prometheus.
  [promtool]="prometheus"
)

missing=()
for need in "$@"; do
  if ! bash -c "${probe[$need]}"; then
    missing+=("${debian[$need]}")
  fi
done
[ ${#missing[@]} -eq 0 ] && exit 0

packages="${missing[*]}"
if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null; then
  echo "Installing system packages: $packages"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  # shellcheck disable=SC2086
  apt-get install -y -qq --no-install-recommends $packages >/dev/null
else
  echo "Missing system packages. On Debian/Ubuntu run:" >&2
  echo "  sudo apt-get update && sudo apt-get install -y $packages" >&2
  exit 1
fi
