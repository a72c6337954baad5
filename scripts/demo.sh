#!/usr/bin/env bash
# The README's first command: set-up on a fresh Debian 12 machine, a release build, then the
# main job. Until the delivery engine lands (issues 6/7), the main job is the transport at full
# speed: a million APNs-style notifications sent by our HTTP/2 client over TLS to the embedded
# mock gateway (accept-all), with the client's summary and the gateway's statistics.
# Usage: scripts/demo.sh [REQUESTS (default 1000000)]
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$root"
N="${1:-1000000}"

bash scripts/setup.sh
bash scripts/gen-test-certs.sh "$root/.certs" >/dev/null
echo "demo: building (release)…"
swift build -c release --product pushengine 2>&1 | tail -1
PE="$root/.build/release/pushengine"
certs="$root/.certs"

out="$(mktemp)"
"$PE" gateway --port 0 --mode accept-all --tls-cert "$certs/server.pem" --tls-key "$certs/server.key" >"$out" &
gw=$!
trap 'kill "$gw" 2>/dev/null || true; rm -f "$out"' EXIT
port=""
for _ in $(seq 1 200); do
  port="$(sed -n 's/^listening on .*:\([0-9][0-9]*\)$/\1/p' "$out" | head -1)"
  [ -n "$port" ] && break
  sleep 0.05
done
[ -n "$port" ] || { echo "demo: the gateway did not start" >&2; cat "$out" >&2; exit 1; }
echo "demo: mock APNs gateway (accept-all, TLS) on 127.0.0.1:$port"
echo "demo: sending $N notifications over 2 TLS connections x 100 streams…"
"$PE" transport load --port "$port" --tls --ca-file "$certs/ca.pem" -n "$N" -c 2 -m 100 -t 1
kill -TERM "$gw"
wait "$gw" || true
echo "demo: gateway statistics: $(tail -1 "$out")"
