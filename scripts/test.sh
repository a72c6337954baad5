#!/usr/bin/env bash
# The README's test command: installs what is missing, generates test certificates,
# then builds and runs every test. Works from any directory.
# Then checks the REST API's OpenAPI contract with schemathesis against `pushengine serve`,
# and runs the index, delivery, transport and facade suites again under ThreadSanitizer
# (its own build directory, .build-tsan), after the normal run so that run's summary comes
# first. The filter keeps the suites whose threads share state and leaves out the pure ones,
# so the extra time stays a fraction of the normal build and test time. CI runs it;
# PUSHENGINE_SKIP_TSAN=1 skips it locally.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$root"
bash scripts/setup.sh
bash scripts/gen-test-certs.sh "$root/.certs"
export PUSHENGINE_TEST_CERTS="$root/.certs"
swift build
swift test "$@"
# The REST contract against a running `pushengine serve` (schemathesis, in a venv it makes).
PUSHENGINE_BIN="$(swift build --show-bin-path)/pushengine" bash scripts/schemathesis.sh
if [ "${PUSHENGINE_SKIP_TSAN:-0}" != "1" ]; then
  echo "test: ThreadSanitizer run (PUSHENGINE_SKIP_TSAN=1 skips it)"
  # Stop at the first report: a race fails the run with its stacks on stderr.
  export TSAN_OPTIONS="${TSAN_OPTIONS:-halt_on_error=1}"
  swift test --sanitize=thread --scratch-path .build-tsan \
    --filter '^(PushIndexTests|DeliveryTests|HTTP2TransportTests|PushEngineTests)\.'
fi
