#!/usr/bin/env bash
# Regenerates Sources/PushService/OpenAPIDocument.swift from docs/openapi.yaml (the served copy).
set -euo pipefail
cd "$(dirname "$0")/.."
python3 - <<'PY'
y = open('docs/openapi.yaml').read()
assert '"""#' not in y
open('Sources/PushService/OpenAPIDocument.swift', 'w').write(
    '/// The OpenAPI 3.1 document of the REST API, served at `GET /openapi.yaml`: a copy of\n'
    '/// `docs/openapi.yaml` (a test keeps the two equal; regenerate with `scripts/openapi-swift.sh`).\n'
    'public enum OpenAPIDocument {\n'
    '    /// The YAML text.\n'
    '    public static let yaml = #"""\n' + y + '\n"""#\n}\n')
PY
