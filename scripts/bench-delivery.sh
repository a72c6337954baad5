#!/usr/bin/env bash
# End-to-end fan-out: one campaign to N generated installations through the engine
# (index scan -> dispatcher -> APNs requests over TLS -> outcomes -> event log) against the mock
# gateway in accept-all mode, next to h2load against the same gateway process with the same
# connections and streams, interleaved in the same run. Prints each run and the medians.
# Usage: scripts/bench-delivery.sh [ROUNDS=3] [INSTALLATIONS=1000000] [CONNECTIONS=4] [STREAMS=100] [THREADS=2]
# THREADS is both h2load's -t and the engine's event-loop threads (the engine's default is one
# per core); the gateway runs GATEWAY_THREADS loops (default 1).
# H2LOAD_AUTH=1 makes h2load also send an `authorization: bearer <JWT-sized token>` header, as the
# engine's token-authenticated requests do (nghttp2 never HPACK-indexes `authorization`, so it is
# Huffman-encoded into every HEADERS frame): the reference then frames the same header bytes.
# Needs a release build: swift build -c release --product pushengine [--scratch-path DIR]
#   (set PUSHENGINE_BIN to the binary if it is not .build/release/pushengine).
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
rounds="${1:-3}"
n="${2:-1000000}"
connections="${3:-4}"
streams="${4:-100}"
threads="${5:-2}"
bin="${PUSHENGINE_BIN:-$root/.build/release/pushengine}"
certs="$root/.certs"
bash "$root/scripts/gen-test-certs.sh" "$certs" >/dev/null
source "$root/scripts/accept-all-gateway.sh"

start_gateway "$bin" "${GATEWAY_THREADS:-1}"

token=$(printf 'ab%.0s' $(seq 1 32))
auth=()
if [ "${H2LOAD_AUTH:-0}" = 1 ]; then
  # The shape and length (191 bytes) of the engine's ES256 provider token; accept-all does not verify it.
  auth=(-H "authorization: bearer eyJhbGciOiJFUzI1NiIsImtpZCI6IkJFTkNIS0VZMDEifQ.eyJpc3MiOiJCRU5DSFRFQU0xIiwiaWF0IjoxNzY0MzkwMDAwfQ.Fp02LzK57TezQozw7L1eTA9b0muE9QOH_3d-3PgURXHyr1f9rzy2iQxzVLZnoAzNhiotgHKeaXgl3bI-dBO7WQ")
fi
printf '{"aps":{"alert":{"title":"Bench","body":"hello"}}}' > "$work/payload.json"
median() { tr ' ' '\n' <<<"$1" | grep -v '^$' | sort -g | awk '{a[NR]=$1} END {print (NR%2 ? a[(NR+1)/2] : (a[NR/2]+a[NR/2+1])/2)}'; }
h2=""; engine=""; rss=""; h2cpu=""; enginecpu=""
for round in $(seq 1 "$rounds"); do
  out=$(/usr/bin/time -f "h2load-cpu %U %S" h2load -n "$n" -c "$connections" -m "$streams" -t "$threads" -d "$work/payload.json" \
        -H "apns-topic: com.example.app" -H "apns-push-type: alert" "${auth[@]}" "https://127.0.0.1:$port/3/device/$token" 2>&1)
  grep -q "$n succeeded" <<<"$out" || { echo "h2load did not fully succeed" >&2; grep -E 'requests:' <<<"$out" >&2; exit 1; }
  rate=$(sed -n 's/^finished in [^,]*, \([0-9.]*\) req\/s.*/\1/p' <<<"$out")
  h2+="$rate "
  hcpu=$(awk -v n="$n" '/^h2load-cpu/ {printf "%.2f", ($2 + $3) * 1e6 / n}' <<<"$out")
  h2cpu+="$hcpu "
  printf 'round %s h2load  %10.0f req/s  client CPU %s us/request\n' "$round" "$rate" "$hcpu"
  out=$("$bin" bench-delivery --installations "$n" --port "$port" --ca-file "$certs/ca.pem" \
        --connections "$connections" --streams "$streams" --loop-threads "$threads")
  grep -q "$n targeted, $n sent" <<<"$out" || { echo "engine run incomplete: $out" >&2; exit 1; }
  rate=$(sed -n 's/^rate: \([0-9]*\) per second.*/\1/p' <<<"$out")
  peak=$(sed -n 's/.*peak RSS: \([0-9]*\) bytes.*/\1/p' <<<"$out")
  built=$(sed -n 's/.*after index build: \([0-9]*\) bytes.*/\1/p' <<<"$out")
  ecpu=$(sed -n 's/^cpu: \([0-9.]*\) us per notification.*/\1/p' <<<"$out")
  engine+="$rate "; rss+="$peak "; enginecpu+="$ecpu "
  printf 'round %s engine  %10.0f req/s  client CPU %.2f us/request  (RSS after index build %s MB, peak %s MB)\n' \
    "$round" "$rate" "$ecpu" "$((built / 1048576))" "$((peak / 1048576))"
done
base=$(median "$h2"); ours=$(median "$engine")
echo
echo "medians of $rounds rounds, $n requests, $connections connections x $streams streams, $threads client threads, TLS, gateway accept-all$([ ${#auth[@]} -gt 0 ] && echo ', h2load with an authorization header'):"
printf 'h2load %.0f req/s, engine %.0f req/s, ratio %.2f; engine peak RSS median %s MB\n' \
  "$base" "$ours" "$(awk -v a="$ours" -v b="$base" 'BEGIN{print a/b}')" "$(( $(median "$rss") / 1048576 ))"
printf 'client CPU per request: h2load %s us, engine %s us (index scan, requests, outcomes, event log)\n' \
  "$(median "$h2cpu")" "$(median "$enginecpu")"
