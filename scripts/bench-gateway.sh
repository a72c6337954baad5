#!/usr/bin/env bash
# Speed of the mock gateway against nghttpd, same h2load flags, same run.
# Usage: scripts/bench-gateway.sh [ROUNDS=3] [REQUESTS=200000]
# Needs a release build: swift build -c release --product pushengine [--scratch-path DIR]
#   (set PUSHENGINE_BIN to the binary if it is not .build/release/pushengine).
# The gateway runs with GATEWAY_THREADS loops (default 1, like nghttpd's single worker).
# Prints one line per run and the medians with their ratios to nghttpd: throughput (higher is
# better) and the server process's CPU time per request (lower is better; steadier on a shared box).
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
rounds="${1:-3}"
requests="${2:-200000}"
bin="${PUSHENGINE_BIN:-$root/.build/release/pushengine}"
certs="$root/.certs"
bash "$root/scripts/gen-test-certs.sh" "$certs" >/dev/null
work="$(mktemp -d)"
pids=()
cleanup() {
  for pid in "${pids[@]}"; do kill -TERM "$pid" 2>/dev/null || true; done
  rm -rf "$work"
}
trap cleanup EXIT

token=$(printf 'ab%.0s' $(seq 1 32))
topic=com.example.app
printf '{"aps":{"alert":"hello"}}' > "$work/payload.json"
mkdir -p "$work/docroot/3/device" && : > "$work/docroot/3/device/$token"
flags=(-n "$requests" -c 4 -m 100 -t 1 -d "$work/payload.json" -H "apns-topic: $topic")

# An ES256 provider token signed with the test .p8 (raw r||s, base64url), for validating mode.
jwt=$(python3 - "$certs/apns-key.p8" <<'PY'
import base64, json, subprocess, sys, time
b64 = lambda b: base64.urlsafe_b64encode(b).rstrip(b"=").decode()
signing_input = b64(json.dumps({"alg": "ES256", "kid": "BENCHKEY01"}).encode()) + "." + \
    b64(json.dumps({"iss": "BENCHTEAM1", "iat": int(time.time())}).encode())
der = subprocess.run(["openssl", "dgst", "-sha256", "-sign", sys.argv[1]], input=signing_input.encode(),
                     capture_output=True, check=True).stdout
def ints(d):  # SEQUENCE { INTEGER r, INTEGER s }
    i = 2 if d[1] < 0x80 else 3
    out = []
    for _ in range(2):
        n = d[i + 1]; out.append(int.from_bytes(d[i + 2:i + 2 + n], "big")); i += 2 + n
    return out
r, s = ints(der)
print(signing_input + "." + b64(r.to_bytes(32, "big") + s.to_bytes(32, "big")))
PY
)

free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1]); s.close()'; }

start_gateway() { # mode tls|h2c [extra...]; sets $port
  local mode="$1" transport="$2"; shift 2
  local out="$work/gw.$RANDOM"
  local tlsargs=(--plaintext)
  [ "$transport" = tls ] && tlsargs=(--tls-cert "$certs/server.pem" --tls-key "$certs/server.key")
  "$bin" gateway --port 0 --threads "${GATEWAY_THREADS:-1}" --mode "$mode" "${tlsargs[@]}" "$@" >"$out" 2>/dev/null &
  pids+=($!)
  for _ in $(seq 1 100); do grep -q '^listening on' "$out" 2>/dev/null && break; sleep 0.05; done
  port=$(sed -n 's/^listening on .*:\([0-9]*\)$/\1/p' "$out")
}

start_nghttpd() { # tls|h2c; sets $port
  port=$(free_port)
  if [ "$1" = tls ]; then
    nghttpd -d "$work/docroot" "$port" "$certs/server.key" "$certs/server.pem" >/dev/null 2>&1 &
  else
    nghttpd -d "$work/docroot" --no-tls "$port" >/dev/null 2>&1 &
  fi
  pids+=($!)
  for _ in $(seq 1 100); do (echo >/dev/tcp/127.0.0.1/"$port") 2>/dev/null && break; sleep 0.05; done
}

stop_last() { local pid="${pids[-1]}"; kill -TERM "$pid" 2>/dev/null || true; wait "$pid" 2>/dev/null || true; unset 'pids[-1]'; }

run_h2load() { # url [extra flags]
  local url="$1"; shift
  local out; out=$(h2load "${flags[@]}" "$@" "$url")
  if ! grep -q "$requests succeeded" <<<"$out"; then echo "h2load did not succeed fully against $url" >&2; grep -E 'requests:|status codes' <<<"$out" >&2; exit 1; fi
  sed -n 's/^finished in [^,]*, \([0-9.]*\) req\/s.*/\1/p' <<<"$out"
}

cpu_ticks() { awk '{print $14 + $15}' "/proc/$1/stat"; }   # utime + stime, in clock ticks

# Runs h2load against the server started last; records its rate and the server's CPU per request.
measure() { # name url [extra h2load flags]
  local name="$1" url="$2"; shift 2
  local pid="${pids[-1]}" before after rate cpu
  before=$(cpu_ticks "$pid")
  rate=$(run_h2load "$url" "$@")
  after=$(cpu_ticks "$pid")
  stop_last
  cpu=$(awk -v t="$((after - before))" -v hz="$(getconf CLK_TCK)" -v n="$requests" 'BEGIN{printf "%.2f", t / hz * 1e6 / n}')
  results["$name"]+="$rate "
  cpus["$name"]+="$cpu "
  printf 'round %s %-18s %10.0f req/s  server CPU %s us/request\n' "$round" "$name" "$rate" "$cpu"
}

declare -A results cpus
for round in $(seq 1 "$rounds"); do
  for transport in h2c tls; do
    scheme=http; [ "$transport" = tls ] && scheme=https
    start_nghttpd "$transport"
    measure "nghttpd-$transport" "$scheme://127.0.0.1:$port/3/device/$token"
    start_gateway accept-all "$transport"
    measure "accept-all-$transport" "$scheme://127.0.0.1:$port/3/device/$token"
    start_nghttpd "$transport"
    measure "nghttpd+jwt-$transport" "$scheme://127.0.0.1:$port/3/device/$token" -H "authorization: bearer $jwt"
    start_gateway validating "$transport" --verify-key "BENCHKEY01:BENCHTEAM1:$certs/apns-key.pub.pem"
    measure "validating-$transport" "$scheme://127.0.0.1:$port/3/device/$token" -H "authorization: bearer $jwt"
  done
done

median() { tr ' ' '\n' <<<"$1" | grep -v '^$' | sort -g | awk '{a[NR]=$1} END {print (NR%2 ? a[(NR+1)/2] : (a[NR/2]+a[NR/2+1])/2)}'; }
echo
echo "medians of $rounds rounds (h2load ${flags[*]:0:8}); each gateway mode against nghttpd with the same flags:"
echo "(validating and nghttpd+jwt also send 'authorization: bearer <ES256 JWT>', which HPACK never indexes)"
for transport in h2c tls; do
  for pair in "nghttpd accept-all" "nghttpd+jwt validating"; do
    set -- $pair
    base=$(median "${results[$1-$transport]}"); basecpu=$(median "${cpus[$1-$transport]}")
    m=$(median "${results[$2-$transport]}"); c=$(median "${cpus[$2-$transport]}")
    printf '%-4s %-11s %8.0f req/s vs %-11s %8.0f req/s: ratio %.2f | server CPU %5.2f vs %5.2f us/request: ratio %.2f\n' \
      "$transport" "$2" "$m" "$1" "$base" "$(awk -v a="$m" -v b="$base" 'BEGIN{print a/b}')" \
      "$c" "$basecpu" "$(awk -v a="$c" -v b="$basecpu" 'BEGIN{print a/b}')"
  done
done
