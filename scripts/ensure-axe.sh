#!/usr/bin/env bash
# Puts axe-core (Deque's accessibility engine, MPL-2.0) where the browser tests inject it:
# var/axe-core/<version>/axe.min.js. Fetched once with npm from the npm registry, checked
# against the registry's integrity hash by npm itself; var/ is git-ignored.
# Usage: scripts/ensure-axe.sh   (prints the path of axe.min.js)
set -euo pipefail

VERSION="${AXE_CORE_VERSION:-4.14.1}"
cd "$(dirname "$0")/.."
target="var/axe-core/$VERSION"
if [ ! -s "$target/axe.min.js" ]; then
  if ! command -v npm >/dev/null; then
    echo "npm is needed once to fetch axe-core $VERSION (Debian/Ubuntu: apt-get install npm)" >&2
    exit 1
  fi
  work="$(mktemp -d)"
  trap 'rm -rf "$work"' EXIT
  (cd "$work" && npm pack --silent "axe-core@$VERSION" >/dev/null)
  tar -xzf "$work/axe-core-$VERSION.tgz" -C "$work"
  mkdir -p "$target"
  cp "$work/package/axe.min.js" "$work/package/LICENSE" "$target/"
fi
echo "$PWD/$target/axe.min.js"
