#!/usr/bin/env bash
# The README's first command: set-up on a fresh Debian 12 machine (Debian packages, test
# certificates, a release build), then the main job: `pushengine bench` with its defaults —
# a million generated installations (60% iOS, 80% opted in), one campaign to every opted-in one
# through the engine (APNs to iOS, FCM HTTP v1 to Android), over TLS,
# to the mock APNs/FCM gateway embedded in the same process (accept-all) — and its summary.
# Events land as daily CSV files under ./pushengine-out (published after the day + 2 h;
# until then they are in ./pushengine-out/spool).
# Usage: scripts/demo.sh [INSTALLATIONS (default 1000000)]
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$root"
N="${1:-1000000}"

bash scripts/setup.sh
bash scripts/gen-test-certs.sh "$root/.certs" >/dev/null
echo "demo: building (release)…"
swift build -c release --product pushengine 2>&1 | tail -1
certs="$root/.certs"
rm -rf "$root/pushengine-out"
"$root/.build/release/pushengine" bench --installations "$N" --ios-share 0.6 --optin-share 0.8 \
  --tls-cert "$certs/server.pem" --tls-key "$certs/server.key" --ca-file "$certs/ca.pem" \
  --out "$root/pushengine-out"
echo "demo: event files:"
find "$root/pushengine-out" -name '*.csv*' -printf '  %p (%s bytes)\n'
