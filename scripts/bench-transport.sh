#!/usr/bin/env bash
# Transport benchmark: in one run, on this machine, POST with a ~200-byte JSON body
# and APNs-like headers, -c 2 -m 100, over h2c and TLS:
#   1. h2load -> our server   vs  h2load -> nghttpd           (same flags)
#   2. our client -> our server vs h2load -> our server
# Each pair is run RUNS times, interleaved; the medians and ratios go to PERFORMANCE.md
# (between the transport markers) and to stdout.
# Usage: scripts/bench-transport.sh [REQUESTS (default 1000000)] [RUNS (default 3)]
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$root"
N="${1:-1000000}"
RUNS="${2:-3}"
C=2
M=100

bash scripts/setup.sh >/dev/null
bash scripts/gen-test-certs.sh "$root/.certs" >/dev/null
swift build -c release --product pushengine >/dev/null
PE="$root/.build/release/pushengine"
certs="$root/.certs"

work="$(mktemp -d)"
pids=()
cleanup() { for p in "${pids[@]:-}"; do kill "$p" 2>/dev/null || true; done; rm -rf "$work"; }
trap cleanup EXIT

token="$(printf 'ab%.0s' $(seq 1 32))"
path="/3/device/$token"
# The body: ~200 bytes of APNs JSON, the same as `pushengine transport load --body-size 200`.
python3 - "$work/body.json" <<'PY'
import sys
head = b'{"aps":{"alert":{"title":"Hello","body":"'
tail = b'"},"sound":"default"}}'
body = head + b'x' * (200 - len(head) - len(tail)) + tail
open(sys.argv[1], 'wb').write(body)
PY
mkdir -p "$work/docroot/3/device"
: > "$work/docroot/3/device/$token"   # nghttpd answers 200 with an empty file

free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1]); s.close()'; }
wait_port() { for _ in $(seq 1 200); do (echo > /dev/tcp/127.0.0.1/"$1") 2>/dev/null && return 0; sleep 0.05; done; echo "nothing listens on $1" >&2; exit 1; }

H=(-H 'apns-topic: com.example.app' -H 'apns-push-type: alert' -H 'apns-priority: 10' -H 'apns-expiration: 0')

# CPU seconds (user + system) of a process so far, from /proc.
proc_cpu() { awk -v hz="$(getconf CLK_TCK)" '{printf "%.3f\n", ($14 + $15) / hz}' "/proc/$1/stat"; }
# Runs a command; prints its stdout, and writes its own CPU seconds (user + system) to $work/cpu.
with_cpu() {
  python3 - "$work/cpu" "$@" <<'PY'
import resource, subprocess, sys
r = subprocess.run(sys.argv[2:], stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
u = resource.getrusage(resource.RUSAGE_CHILDREN)
open(sys.argv[1], "w").write(f"{u.ru_utime + u.ru_stime:.3f}\n")
sys.stdout.write(r.stdout)
sys.exit(r.returncode)
PY
}
us_per_request() { python3 -c "print(f'{$1 * 1e6 / $N:.2f}')"; }

h2load_rate() { # url server-pid -> "rate server-us/req client-us/req"
  local out s0 s1
  s0="$(proc_cpu "$2")"
  out="$(with_cpu h2load -n "$N" -c "$C" -m "$M" -t 1 -d "$work/body.json" "${H[@]}" "$1")"
  s1="$(proc_cpu "$2")"
  if ! grep -q "$N succeeded" <<<"$out"; then echo "h2load failed against $1:" >&2; echo "$out" >&2; exit 1; fi
  echo "$(sed -n 's/^finished in [^,]*, \([0-9.]*\) req\/s.*/\1/p' <<<"$out" | head -1)" \
       "$(us_per_request "$(python3 -c "print($s1 - $s0)")")" "$(us_per_request "$(cat "$work/cpu")")"
}

ours_rate() { # port tls(0/1) -> "rate client-us/req"
  local args=(transport load --port "$1" -n "$N" -c "$C" -m "$M" -t 1 --body-size 200 --json)
  [ "$2" = 1 ] && args+=(--tls --ca-file "$certs/ca.pem")
  echo "$(with_cpu "$PE" "${args[@]}" | python3 -c 'import json,sys; print(json.load(sys.stdin)["rate"])')" \
       "$(us_per_request "$(cat "$work/cpu")")"
}

median() { printf '%s\n' "$@" | sort -g | awk '{a[NR]=$1} END {print (NR%2) ? a[(NR+1)/2] : (a[NR/2]+a[NR/2+1])/2}'; }
ratio() { python3 -c "print(f'{$1/$2:.2f}')"; }

declare -A med
for mode in h2c tls; do
  ours_port="$(free_port)"; ng_port="$(free_port)"
  if [ "$mode" = tls ]; then
    "$PE" transport serve --port "$ours_port" --threads 1 --tls-cert "$certs/server.pem" --tls-key "$certs/server.key" >/dev/null &
    ours_pid=$!
    nghttpd -d "$work/docroot" --address=127.0.0.1 "$ng_port" "$certs/server.key" "$certs/server.pem" >/dev/null 2>&1 &
    ng_pid=$!
    scheme=https
  else
    "$PE" transport serve --port "$ours_port" --threads 1 >/dev/null &
    ours_pid=$!
    nghttpd -d "$work/docroot" --address=127.0.0.1 --no-tls "$ng_port" >/dev/null 2>&1 &
    ng_pid=$!
    scheme=http
  fi
  pids+=("$ours_pid" "$ng_pid")
  wait_port "$ours_port"; wait_port "$ng_port"
  a=(); b=(); c=(); sa=(); sb=(); cb=(); cc=()
  for run in $(seq 1 "$RUNS"); do
    read -r r s _ <<<"$(h2load_rate "$scheme://127.0.0.1:$ng_port$path" "$ng_pid")"; a+=("$r"); sa+=("$s")
    read -r r s cl <<<"$(h2load_rate "$scheme://127.0.0.1:$ours_port$path" "$ours_pid")"; b+=("$r"); sb+=("$s"); cb+=("$cl")
    t=0; [ "$mode" = tls ] && t=1
    read -r r cl <<<"$(ours_rate "$ours_port" "$t")"; c+=("$r"); cc+=("$cl")
    echo "$mode run $run: h2load->nghttpd ${a[-1]} (server ${sa[-1]} us/req)  h2load->ours ${b[-1]} (server ${sb[-1]}, h2load ${cb[-1]} us/req)  ours->ours ${c[-1]} (client ${cc[-1]} us/req)" >&2
  done
  med[$mode,ng]="$(median "${a[@]}")"; med[$mode,srv]="$(median "${b[@]}")"; med[$mode,cli]="$(median "${c[@]}")"
  med[$mode,ngcpu]="$(median "${sa[@]}")"; med[$mode,srvcpu]="$(median "${sb[@]}")"
  med[$mode,h2cpu]="$(median "${cb[@]}")"; med[$mode,clicpu]="$(median "${cc[@]}")"
  med[$mode,runs]="nghttpd: ${a[*]} / ours: ${b[*]} / client: ${c[*]}"
  for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done
  pids=()
  sleep 0.2
done

cpu="$(lscpu | sed -n 's/^Model name: *//p' | head -1)"
machine="$(nproc) cores, ${cpu:-unknown CPU}, $(uname -r), load average at start $(cut -d' ' -f1-3 /proc/loadavg)"
section="$(cat <<MD
<!-- transport:begin -->
## HTTP/2 transport

Command: \`scripts/bench-transport.sh $N $RUNS\` — run on $(date -u +%Y-%m-%d), machine: $machine.
POST \`$path\` with a 200-byte JSON body and APNs-like headers, \`-c $C -m $M -t 1\`, $N requests per run,
$RUNS runs of each, interleaved; medians in requests/s. Our server ran with one event-loop thread, as nghttpd does.

| | h2c | TLS |
|---|---:|---:|
| h2load → nghttpd | ${med[h2c,ng]} | ${med[tls,ng]} |
| h2load → our server | ${med[h2c,srv]} | ${med[tls,srv]} |
| our client → our server | ${med[h2c,cli]} | ${med[tls,cli]} |
| **ratio 1**: our server / nghttpd (h2load as client) | **$(ratio "${med[h2c,srv]}" "${med[h2c,ng]}")** | **$(ratio "${med[tls,srv]}" "${med[tls,ng]}")** |
| **ratio 2**: our client / h2load (our server) | **$(ratio "${med[h2c,cli]}" "${med[h2c,srv]}")** | **$(ratio "${med[tls,cli]}" "${med[tls,srv]}")** |

CPU per request (user + system, µs; lower is better; steadier than rates on a shared machine):

| | h2c | TLS |
|---|---:|---:|
| nghttpd (server) | ${med[h2c,ngcpu]} | ${med[tls,ngcpu]} |
| our server | ${med[h2c,srvcpu]} | ${med[tls,srvcpu]} |
| h2load (client, against our server) | ${med[h2c,h2cpu]} | ${med[tls,h2cpu]} |
| our client (against our server) | ${med[h2c,clicpu]} | ${med[tls,clicpu]} |
| server CPU ratio: nghttpd / ours (≥ 1 means ours is cheaper) | $(ratio "${med[h2c,ngcpu]}" "${med[h2c,srvcpu]}") | $(ratio "${med[tls,ngcpu]}" "${med[tls,srvcpu]}") |
| client CPU ratio: h2load / ours (≥ 1 means ours is cheaper) | $(ratio "${med[h2c,h2cpu]}" "${med[h2c,clicpu]}") | $(ratio "${med[tls,h2cpu]}" "${med[tls,clicpu]}") |

Raw runs (req/s) — h2c: ${med[h2c,runs]}; TLS: ${med[tls,runs]}.
<!-- transport:end -->
MD
)"
printf '%s\n' "$section"
python3 - "$root/PERFORMANCE.md" "$section" <<'PY'
import re, sys
path, section = sys.argv[1], sys.argv[2]
text = open(path).read()
pat = re.compile(r'<!-- transport:begin -->.*?<!-- transport:end -->', re.S)
text = pat.sub(lambda m: section, text) if pat.search(text) else text.rstrip('\n') + '\n\n' + section + '\n'
open(path, 'w').write(text)
PY
