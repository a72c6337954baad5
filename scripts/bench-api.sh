#!/usr/bin/env bash
# REST API speed: `pushengine serve` (release) with the embedded accept-all gateway and N
# installations loaded through POST /1.0/{key}/installations (arrays of 1,000: the bulk
# registration rate), then wrk posting transactional sends (one custom ID each, distinct users)
# against the same process's GET /healthz as the HTTP stack's floor, in the same run.
# Prints: registrations/s, transactional calls/s answered, pushes/s delivered to the gateway,
# p50/p99 latency, and the ratio to the floor.   A benchmark, not a test.
# Usage: scripts/bench-api.sh [installations=1000000] [seconds=10] [connections=64]
set -euo pipefail
cd "$(dirname "$0")/.."
installations=${1:-1000000}
seconds=${2:-10}
connections=${3:-64}
command -v wrk >/dev/null || { echo "bench-api.sh: needs wrk (apt-get install wrk)" >&2; exit 1; }

swift build -c release --product pushengine >/dev/null
bin="$(swift build -c release --show-bin-path)/pushengine"
work=$(mktemp -d)
port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1]); s.close()')
cat >"$work/config.json" <<JSON
{"port": $port, "data_dir": "$work/data", "log_level": "warning", "max_body_bytes": 16777216,
 "apps": [{"name": "Bench", "rest_key": "BENCH_REST_KEY", "requests_per_second": 100000000,
           "ios": {"api_key": "BENCH_IOS_KEY", "apns": {"origin": "embedded", "topic": "com.example.bench"}}}]}
JSON
"$bin" serve --config "$work/config.json" >"$work/serve.log" 2>&1 &
server=$!
cleanup() { kill -TERM "$server" 2>/dev/null || true; wait "$server" 2>/dev/null || true; rm -rf "$work"; }
trap cleanup EXIT
base="http://127.0.0.1:$port"
for _ in $(seq 1 100); do curl -sf "$base/readyz" >/dev/null && break; sleep 0.1; done

python3 - "$base" "$installations" <<'PY'
import http.client, sys, time, urllib.parse
base, n = sys.argv[1], int(sys.argv[2])
u = urllib.parse.urlparse(base)
bodies = []
for start in range(0, n, 1000):
    items = ",".join('{"install_id":"i-%d","custom_id":"u%d","token":"%064x","optin":true}' % (i, i, i + 1)
                     for i in range(start, min(n, start + 1000)))
    bodies.append(("[" + items + "]").encode())
conn = http.client.HTTPConnection(u.hostname, u.port)
headers = {"X-Authorization": "BENCH_REST_KEY", "Content-Type": "application/json"}
t0 = time.perf_counter()
for body in bodies:
    conn.request("POST", "/1.0/BENCH_IOS_KEY/installations", body, headers)
    r = conn.getresponse(); r.read()
    assert r.status == 200, r.status
elapsed = time.perf_counter() - t0
print(f"registration: {n} installations in {elapsed:.2f} s = {n / elapsed:,.0f} installations/s (arrays of 1,000, one connection)")
PY

cat >"$work/send.lua" <<LUA
local counter = 0
local offset = 0
local threads = 0
function setup(thread) thread:set("id", threads); threads = threads + 1 end
function init(args) offset = id * 1000003 end
request = function()
  counter = counter + 1
  local user = (offset + counter) % $installations
  local body = '{"group_id":"bench","recipients":{"custom_ids":["u' .. user .. '"]},"message":{"body":"x"}}'
  return wrk.format("POST", "/1.1/BENCH_IOS_KEY/transactional/send",
                    {["X-Authorization"] = "BENCH_REST_KEY", ["Content-Type"] = "application/json"}, body)
end
LUA

sent() { curl -s "$base/metrics" | awk '/^pushengine_notifications_total.*outcome="sent"/ {s += $2} END {print s + 0}'; }
before=$(sent)
echo "floor: wrk -t2 -c$connections -d${seconds}s --latency $base/healthz"
wrk -t2 -c"$connections" -d"${seconds}s" --latency "$base/healthz" | tee "$work/floor.txt" | grep -E "Requests/sec|50%|99%"
echo "transactional: wrk -t2 -c$connections -d${seconds}s --latency -s send.lua (one distinct custom ID per call)"
t0=$(date +%s.%N)
wrk -t2 -c"$connections" -d"${seconds}s" --latency -s "$work/send.lua" "$base" | tee "$work/send.txt" | grep -E "Requests/sec|50%|99%|Non-2xx"
# Wait for the gateway to drain what was accepted.
last=-1
while true; do now=$(sent); [ "$now" = "$last" ] && break; last=$now; sleep 0.5; done
t1=$(date +%s.%N)
after=$(sent)
python3 - "$work/floor.txt" "$work/send.txt" "$before" "$after" "$t0" "$t1" <<'PY'
import re, sys
floor = float(re.search(r"Requests/sec:\s+([\d.]+)", open(sys.argv[1]).read()).group(1))
text = open(sys.argv[2]).read()
calls = float(re.search(r"Requests/sec:\s+([\d.]+)", text).group(1))
total = int(re.search(r"(\d+) requests in", text).group(1))
non2xx = re.search(r"Non-2xx or 3xx responses: (\d+)", text)
delivered = float(sys.argv[4]) - float(sys.argv[3])
wall = float(sys.argv[6]) - float(sys.argv[5])
print(f"transactional calls/s: {calls:,.0f} ({total} calls, {non2xx.group(1) if non2xx else 0} not 201)")
print(f"pushes delivered: {delivered:,.0f} = {delivered / wall:,.0f}/s over {wall:.1f} s including the drain")
print(f"floor (GET /healthz): {floor:,.0f} req/s; ratio {calls / floor:.2f}")
PY
