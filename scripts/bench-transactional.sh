#!/usr/bin/env bash
# Many small transactional sends at once: the threads and memory they take while in flight.
# Runs `pushengine bench-transactional` at SMALL and LARGE sends (one recipient each) against one
# `pushengine gateway --mode accept-all` over TLS, ROUNDS times each, and prints every run, then
# the memory per send in flight read as the slope between the two sizes (so the process's fixed
# memory cancels out).
# Usage: scripts/bench-transactional.sh [ROUNDS=3] [SMALL=1000] [LARGE=10000]
# Needs a release build; PUSHENGINE_BIN overrides .build/release/pushengine.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
rounds="${1:-3}"; small="${2:-1000}"; large="${3:-10000}"
bin="${PUSHENGINE_BIN:-$root/.build/release/pushengine}"
certs="$root/.certs"
bash "$root/scripts/gen-test-certs.sh" "$certs" >/dev/null
source "$root/scripts/accept-all-gateway.sh"
start_gateway "$bin" 1
median() { tr ' ' '\n' <<<"$1" | grep -v '^$' | sort -g | awk '{a[NR]=$1} END {print (NR%2 ? a[(NR+1)/2] : (a[NR/2]+a[NR/2+1])/2)}'; }
mem_small=""; mem_large=""
for round in $(seq 1 "$rounds"); do
  for n in "$small" "$large"; do
    out=$("$bin" bench-transactional --sends "$n" --port "$port" --ca-file "$certs/ca.pem")
    grep -q "^transactional: $n of $n sent" <<<"$out" || { echo "incomplete run: $out" >&2; exit 1; }
    echo "round $round, $n sends: $(tr '\n' ' ' <<<"$out")"
    m=$(sed -n 's/^memory: \(-*[0-9]*\) bytes.*/\1/p' <<<"$out")
    if [ "$n" = "$small" ]; then mem_small+="$m "; else mem_large+="$m "; fi
  done
done
s=$(median "$mem_small"); l=$(median "$mem_large")
echo
echo "medians of $rounds rounds: memory growth $s bytes at $small sends, $l bytes at $large sends:" \
  "$(awk -v s="$s" -v l="$l" -v a="$small" -v b="$large" 'BEGIN { printf "%.0f bytes per send in flight", (l - s) / (b - a) }')"
