# Sourced by the benchmark scripts (not run): a work directory removed at exit, and
# start_gateway BIN [THREADS], which starts `BIN gateway --mode accept-all` over TLS with the
# test certificates on a free loopback port, sets `port` and `gateway_pid`, and stops it at exit.
# Needs `root` and `certs` set, and the certificates generated (scripts/gen-test-certs.sh).
work="$(mktemp -d)"
gateway_pid=""
cleanup() {
  [ -n "$gateway_pid" ] && kill -TERM "$gateway_pid" 2>/dev/null || true
  rm -rf "$work"
}
trap cleanup EXIT

start_gateway() {
  "$1" gateway --port 0 --threads "${2:-1}" --mode accept-all \
    --tls-cert "$certs/server.pem" --tls-key "$certs/server.key" >"$work/gw.out" 2>/dev/null &
  gateway_pid=$!
  for _ in $(seq 1 100); do grep -q '^listening on' "$work/gw.out" 2>/dev/null && break; sleep 0.05; done
  port=$(sed -n 's/^listening on .*:\([0-9]*\)$/\1/p' "$work/gw.out")
  [ -n "$port" ] || { echo "the gateway did not start" >&2; exit 1; }
}
