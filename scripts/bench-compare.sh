#!/usr/bin/env bash
# The fan-out comparison, in one run on this machine against ONE gateway process (ours:
# `pushengine gateway --mode accept-all`, TLS, started here once), interleaved per round:
#   1. h2load with the same connections x streams and the same APNs request (path shape, headers, body);
#   2. `pushengine bench --gateway 127.0.0.1:PORT --ca-file ...` (all iOS, all opted in: N requests);
#   3. a Python peer: aioapns (PyPI, in a venv this script creates under .venv-bench) pointed at our
#      gateway by scripts/bench_compare.py, on a sample it can finish.
# Then a sweep of connections x streams (h2load and bench) for the chart docs/bench-compare.png,
# a table of rates and ratios (medians of the rounds), and PERFORMANCE.md updated between
# <!-- bench-compare:begin --> and <!-- bench-compare:end -->.
#
# Usage: scripts/bench-compare.sh [--rounds 3] [--installations 1000000] [--with-10m]
#          [--connections 4] [--streams 100] [--threads 1] [--aioapns-n 20000]
#          [--sweep "1x10 1x100 ..."] [--sweep-n 200000] [--sweep-rounds 3] [--no-sweep] [--no-update]
#        scripts/bench-compare.sh --report-only   # redo the table, chart and PERFORMANCE.md from .bench-compare/
# --with-10m adds 10,000,000 installations to the table (several minutes per round).
# Needs a release build; set PUSHENGINE_BIN to use one elsewhere than .build/release/pushengine
# (otherwise this script runs `swift build -c release --product pushengine`).
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$root"

rounds=3; sizes="1000000"; connections=4; streams=100; threads=1; aioapns_n=20000
sweep_points="1x10 1x100 1x250 2x10 2x100 2x250 4x10 4x100 4x250"; sweep_n=200000; sweep_rounds=3
do_sweep=1; update=1; gateway_threads="${GATEWAY_THREADS:-1}"
while [ $# -gt 0 ]; do
  case "$1" in
    --rounds) rounds="$2"; shift 2 ;;
    --installations) sizes="$2"; shift 2 ;;
    --with-10m) sizes="$sizes 10000000"; shift ;;
    --connections) connections="$2"; shift 2 ;;
    --streams) streams="$2"; shift 2 ;;
    --threads) threads="$2"; shift 2 ;;
    --aioapns-n) aioapns_n="$2"; shift 2 ;;
    --sweep) sweep_points="$2"; shift 2 ;;
    --sweep-n) sweep_n="$2"; shift 2 ;;
    --sweep-rounds) sweep_rounds="$2"; shift 2 ;;
    --no-sweep) do_sweep=0; shift ;;
    --no-update) update=0; shift ;;
    --report-only)
      py="$root/.venv-bench/bin/python"
      exec "$py" "$root/scripts/bench_compare.py" report --rounds "$root/.bench-compare/rounds.tsv" \
        --sweep "$root/.bench-compare/sweep.tsv" --meta "$root/.bench-compare/meta.json" \
        --png "$root/docs/bench-compare.png" --performance "$root/PERFORMANCE.md" ;;
    -h|--help) sed -n '2,/^set /p' "$0" | grep '^#'; exit 0 ;;
    *) echo "bench-compare: unknown argument $1" >&2; exit 2 ;;
  esac
done

bash scripts/setup.sh >/dev/null
command -v h2load >/dev/null || { echo "bench-compare: h2load missing (apt-get install nghttp2-client)" >&2; exit 1; }
certs="$root/.certs"
bash scripts/gen-test-certs.sh "$certs" >/dev/null
if [ -z "${PUSHENGINE_BIN:-}" ]; then
  echo "bench-compare: building (release)…"
  swift build -c release --product pushengine 2>&1 | tail -1
  bin="$root/.build/release/pushengine"
else
  bin="$PUSHENGINE_BIN"
fi

venv="$root/.venv-bench"
if [ ! -x "$venv/bin/python" ] || ! "$venv/bin/python" -c 'import aioapns, matplotlib' 2>/dev/null; then
  echo "bench-compare: creating $venv (aioapns, matplotlib)…"
  python3 -m venv "$venv"
  "$venv/bin/pip" install -q --disable-pip-version-check aioapns matplotlib
fi
py="$venv/bin/python"

source "$root/scripts/accept-all-gateway.sh"

gateway_command="pushengine gateway --port 0 --threads $gateway_threads --mode accept-all --tls-cert .certs/server.pem --tls-key .certs/server.key"
start_gateway "$bin" "$gateway_threads"
echo "bench-compare: gateway (pid $gateway_pid) on 127.0.0.1:$port"

# The engine's request: /3/device/<64 hex>, apns-topic, apns-push-type, a bearer JWT, this body.
printf '{"aps":{"alert":{"title":"Bench","body":"hello"}}}' > "$work/payload.json"
# Like the engine, h2load gets a distinct device token per request (h2load -i cycles through 100,000
# URIs), so neither side has its :path indexed by HPACK.
"$py" -c 'import sys
for i in range(100000): print("https://127.0.0.1:%s/3/device/%064x" % (sys.argv[1], (i * 0x9E3779B97F4A7C15 + 1) % (1 << 256)))' "$port" > "$work/uris.txt"
jwt="bearer eyJhbGciOiJFUzI1NiIsImtpZCI6IkJFTkNIS0VZMDEifQ.eyJpc3MiOiJCRU5DSFRFQU0xIiwiaWF0IjoxNzY0MzkwNDAwfQ.$(printf 'A%.0s' $(seq 1 86))"

h2load_rate() {  # N C M T -> "req/s client-CPU-µs/request"
  local n="$1" c="$2" m="$3" t="$4" out
  [ "$t" -gt "$c" ] && t="$c"
  out=$(/usr/bin/time -f 'h2load-cpu %U %S' h2load -n "$n" -c "$c" -m "$m" -t "$t" -d "$work/payload.json" -H "apns-topic: com.example.app" \
        -H "apns-push-type: alert" -H "authorization: $jwt" -i "$work/uris.txt" 2>&1)
  grep -q "$n succeeded" <<<"$out" || { echo "bench-compare: h2load did not fully succeed" >&2; grep -E 'requests:' <<<"$out" >&2; return 1; }
  echo "$(sed -n 's/^finished in [^,]*, \([0-9.]*\) req\/s.*/\1/p' <<<"$out")" \
       "$(awk -v n="$n" '/^h2load-cpu/ {printf "%.2f", ($2 + $3) * 1e6 / n}' <<<"$out")"
}

bench_run() {  # N C M T -> "rate wall peak_rss_bytes p50_ms p99_ms campaign-CPU-µs/notification"
  local n="$1" c="$2" m="$3" t="$4" out json
  out="$work/bench-out"
  rm -rf "$out"
  json=$(/usr/bin/time -f 'time %e %M' -o "$work/time" "$bin" bench --installations "$n" --ios-share 1 --optin-share 1 \
         --gateway "127.0.0.1:$port" --ca-file "$certs/ca.pem" --connections "$c" --streams "$m" --threads "$t" \
         --out "$out" --json 2>/dev/null)
  rm -rf "$out"
  "$py" - "$n" "$json" "$work/time" <<'PY'
import json, sys
n, j = int(sys.argv[1]), json.loads(sys.argv[2])
t = open(sys.argv[3]).read().split()
assert j["sent"] == n and j["targeted"] == n, "bench run incomplete: %s" % j
wall, maxrss_kb = float(t[t.index("time") + 1]), int(t[t.index("time") + 2])
print(j["rate"], wall, max(j["peak_rss_bytes"], maxrss_kb * 1024), j["latency_ms"]["p50"] if "latency_ms" in j else "-",
      j["latency_ms"]["p99"] if "latency_ms" in j else "-", "%.2f" % (j["campaign_cpu_seconds"] * 1e6 / n))
PY
}

aioapns_rate() {  # N C M -> rate
  "$py" scripts/bench_compare.py aioapns --port "$port" --ca "$certs/ca.pem" --key "$certs/apns-key.p8" \
    --n "$1" --connections "$2" --streams "$3" | "$py" -c 'import json,sys; print(json.load(sys.stdin)["rate"])'
}

rounds_tsv="$work/rounds.tsv"
printf 'installations\tround\th2load_rate\th2load_cpu_us\tbench_rate\tbench_cpu_us\tbench_wall\tbench_peak_rss\tbench_p50_ms\tbench_p99_ms\taioapns_rate\n' > "$rounds_tsv"
load_start=$(cut -d' ' -f1-3 /proc/loadavg)
for n in $sizes; do
  for round in $(seq 1 "$rounds"); do
    read -r h hcpu <<<"$(h2load_rate "$n" "$connections" "$streams" "$threads")"
    read -r b wall rss p50 p99 bcpu <<<"$(bench_run "$n" "$connections" "$streams" "$threads")"
    a=$(aioapns_rate "$aioapns_n" "$connections" "$streams")
    [ -n "$h" ] && [ -n "$b" ] && [ -n "$a" ] || { echo "bench-compare: a round failed" >&2; exit 1; }
    printf '%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n' "$n" "$round" "$h" "$hcpu" "$b" "$bcpu" "$wall" "$rss" "$p50" "$p99" "$a" >> "$rounds_tsv"
    printf 'N=%-9s round %s  h2load %9.0f req/s (%s µs CPU/req)  bench %9.0f/s (%.2f; %s µs CPU/req; p50 %s p99 %s ms)  wall %6.1f s  peak RSS %5d MB  aioapns %6.0f/s  (load %s)\n' \
      "$n" "$round" "$h" "$hcpu" "$b" "$(awk -v a="$b" -v b="$h" 'BEGIN{print a/b}')" "$bcpu" "$p50" "$p99" "$wall" "$((rss / 1048576))" "$a" \
      "$(cut -d' ' -f1 /proc/loadavg)"
  done
done

sweep_tsv="$work/sweep.tsv"
printf 'connections\tstreams\tround\th2load_rate\tbench_rate\n' > "$sweep_tsv"
if [ "$do_sweep" = 1 ]; then
  for round in $(seq 1 "$sweep_rounds"); do
    for point in $sweep_points; do
      c="${point%x*}"; m="${point#*x}"
      read -r h _ <<<"$(h2load_rate "$sweep_n" "$c" "$m" "$threads")"
      read -r b _ <<<"$(bench_run "$sweep_n" "$c" "$m" "$threads")"
      [ -n "$h" ] && [ -n "$b" ] || { echo "bench-compare: a sweep point failed" >&2; exit 1; }
      printf '%s\t%s\t%s\t%s\t%s\n' "$c" "$m" "$round" "$h" "$b" >> "$sweep_tsv"
      printf 'sweep round %s  %3s x %-4s h2load %9.0f req/s  bench %9.0f/s (%.2f)\n' "$round" "$c" "$m" "$h" "$b" \
        "$(awk -v a="$b" -v b="$h" 'BEGIN{print a/b}')"
    done
  done
fi

machine="$(lscpu | sed -n 's/^Model name: *//p' | head -1), $(nproc) vCPUs (shared), $(free -g | awk '/^Mem:/ {print $2}') GB RAM, Debian $(cat /etc/debian_version), $(swift --version 2>&1 | head -1 | sed 's/ (.*//'), release build"
"$py" - "$work/meta.json" <<PY
import json, sys, datetime
json.dump({
  "date": datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%d %H:%M UTC"),
  "machine": """$machine""", "load_start": "$load_start", "load_end": "$(cut -d' ' -f1-3 /proc/loadavg)", "rounds": "$rounds",
  "connections": "$connections", "streams": "$streams", "threads": "$threads", "gateway_threads": "$gateway_threads",
  "gateway_command": "$gateway_command", "aioapns_n": "$aioapns_n", "sweep_n": "$sweep_n", "sweep_rounds": "$sweep_rounds",
  "h2load_command": "h2load -n N -c $connections -m $streams -t $threads -d payload.json -H 'apns-topic: com.example.app' -H 'apns-push-type: alert' -H 'authorization: bearer <JWT>' -i uris.txt (100,000 distinct https://127.0.0.1:PORT/3/device/<64 hex>)",
  "bench_command": "pushengine bench --installations N --ios-share 1 --optin-share 1 --gateway 127.0.0.1:PORT --ca-file .certs/ca.pem --connections $connections --streams $streams --threads $threads --out DIR --json",
  "aioapns_command": "scripts/bench_compare.py aioapns --port PORT --ca .certs/ca.pem --key .certs/apns-key.p8 --n $aioapns_n --connections $connections --streams $streams",
}, open(sys.argv[1], "w"))
PY
echo
report_args=(--rounds "$rounds_tsv" --sweep "$sweep_tsv" --meta "$work/meta.json" --png "$root/docs/bench-compare.png")
[ "$update" = 1 ] && report_args+=(--performance "$root/PERFORMANCE.md")
[ "$do_sweep" = 1 ] || report_args[7]="$work/unused.png"
"$py" scripts/bench_compare.py report "${report_args[@]}"
mkdir -p "$root/.bench-compare"
cp "$rounds_tsv" "$sweep_tsv" "$work/meta.json" "$root/.bench-compare/"
echo
echo "raw rounds: .bench-compare/rounds.tsv, sweep: .bench-compare/sweep.tsv$([ "$do_sweep" = 1 ] && echo ', chart: docs/bench-compare.png')"
