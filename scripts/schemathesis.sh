#!/usr/bin/env bash
# The REST contract checked by a tool nobody here wrote: starts `pushengine serve` on its
# embedded default on a free loopback port, runs schemathesis (in .venv-schemathesis, made here)
# against docs/openapi.yaml with generated valid and invalid inputs, and passes only with no 5xx
# and every response conforming to the document. Stops the server either way.
# Usage: scripts/schemathesis.sh [extra schemathesis args]   (PUSHENGINE_BIN overrides the binary)
set -euo pipefail
cd "$(dirname "$0")/.."
root=$(pwd)

venv="$root/.venv-schemathesis"
if [ ! -x "$venv/bin/st" ]; then
    python3 -m venv "$venv"
    "$venv/bin/pip" install --quiet --disable-pip-version-check schemathesis
fi

bin="${PUSHENGINE_BIN:-}"
if [ -z "$bin" ]; then
    swift build --product pushengine >/dev/null
    bin="$(swift build --show-bin-path)/pushengine"
fi

port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1]); s.close()')
data=$(mktemp -d)
log="$data/serve.log"
"$bin" serve --port "$port" --data-dir "$data/pushengine-data" --log-level warning >"$log" 2>&1 &
server=$!
cleanup() {
    kill -TERM "$server" 2>/dev/null || true
    wait "$server" 2>/dev/null || true
    rm -rf "$data"
}
trap cleanup EXIT

for _ in $(seq 1 100); do
    if curl -sf "http://127.0.0.1:$port/readyz" >/dev/null; then break; fi
    if ! kill -0 "$server" 2>/dev/null; then cat "$log"; echo "schemathesis.sh: pushengine serve exited" >&2; exit 1; fi
    sleep 0.1
done

# Valid API keys and REST key for most calls (the demo's), so generated bodies reach the handlers;
# the generator still varies everything else, and sends invalid inputs in the negative phase.
"$venv/bin/st" run "http://127.0.0.1:$port/openapi.yaml" \
    --url "http://127.0.0.1:$port" \
    --header "X-Authorization: DEMO_REST_KEY" \
    --checks not_a_server_error,status_code_conformance,content_type_conformance,response_schema_conformance \
    --max-examples "${SCHEMATHESIS_MAX_EXAMPLES:-60}" \
    "$@"

# The server must still be up and answer.
curl -sf "http://127.0.0.1:$port/healthz" >/dev/null
echo "schemathesis.sh: passed (server up after the run)"
