#!/usr/bin/env bash
# The README's test command: installs what is missing, generates test certificates,
# then builds and runs every test. Works from any directory.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$root"
bash scripts/setup.sh
bash scripts/gen-test-certs.sh "$root/.certs"
export PUSHENGINE_TEST_CERTS="$root/.certs"
swift build
swift test "$@"
