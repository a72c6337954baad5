#!/usr/bin/env bash
# Instructions per notification, the figure that does not move with the machine's load:
# valgrind's callgrind counts the instructions of `pushengine bench-delivery` (a campaign to N
# generated installations, all iOS and opted in, index build included) for two campaign sizes
# against one running accept-all gateway, and prints the marginal count per notification
# (instructions at 2N minus at N, divided by N). Several binaries can be compared in one run.
# Usage: scripts/callgrind-per-notification.sh [-n 50000] BINARY [BINARY...]
# Each binary is copied and stripped of debug info (valgrind cannot read Swift's).
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
n=50000
if [ "${1:-}" = "-n" ]; then n="$2"; shift 2; fi
[ $# -ge 1 ] || { sed -n '2,/^set /p' "$0" | grep '^#'; exit 2; }
command -v valgrind >/dev/null || { echo "valgrind missing (apt-get install valgrind)" >&2; exit 1; }
certs="$root/.certs"
bash "$root/scripts/gen-test-certs.sh" "$certs" >/dev/null
source "$root/scripts/accept-all-gateway.sh"
start_gateway "$1" 1

instructions() {  # BINARY COUNT -> total instructions of the whole process
  local out="$work/cg.$RANDOM"
  valgrind --tool=callgrind --callgrind-out-file="$out" "$1" bench-delivery --installations "$2" --port "$port" \
    --ca-file "$certs/ca.pem" --connections 4 --streams 100 --loop-threads 1 >"$work/run.out" 2>"$work/vg.err"
  grep -q "$2 targeted, $2 sent" "$work/run.out" || { echo "incomplete run: $(cat "$work/run.out") $(tail -5 "$work/vg.err")" >&2; exit 1; }
  sed -n 's/^totals: *\([0-9]*\).*/\1/p' "$out" | head -1
}
i=0
for bin in "$@"; do
  i=$((i + 1))
  copy="$work/bin$i"
  cp "$bin" "$copy" && strip --strip-debug "$copy"
  small=$(instructions "$copy" "$n")
  large=$(instructions "$copy" $((2 * n)))
  awk -v b="$bin" -v s="$small" -v l="$large" -v n="$n" \
    'BEGIN { printf "%s: %.0f instructions at %d, %.0f at %d: %.0f per notification\n", b, s, n, l, 2 * n, (l - s) / n }'
done
