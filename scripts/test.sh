#!/usr/bin/env bash
# The test suite: unit tests, integration tests of the real stack (real
# PostgreSQL, Redis, namespaces), the embedded-mode smoke test and the TS,
# Python and Go client smoke tests. Ends with one "N passed, N failed" line.
set -euo pipefail
cd "$(dirname "$0")/.."

# Only this run's own list counts (never one inherited from the caller).
WRENN_STARTED_SERVICES=
services=$(bash scripts/services.sh) || exit 1
eval "$services"
export DATABASE_URL REDIS_URL WRENN_STARTED_SERVICES
# Servers this run started are stopped when it ends, however it ends (failure,
# Ctrl-C, TERM); ones that were already running are left alone.
trap 'bash scripts/services.sh stop || true' EXIT
trap 'exit 130' INT
trap 'exit 143' TERM
[ -z "$WRENN_STARTED_SERVICES" ] || echo "[test] started for this run, stopped at its end: $WRENN_STARTED_SERVICES" >&2
npm run --silent build -w @wrenn/envd >/dev/null

report=$(mktemp -t wrenn-vitest-XXXXXX.json)
status=0
npx vitest run --reporter=default --reporter=json --outputFile.json="$report" "$@" || status=$?

node -e '
  const r = JSON.parse(require("fs").readFileSync(process.argv[1], "utf8"));
  const skipped = (r.numPendingTests ?? 0) + (r.numTodoTests ?? 0);
  console.log(`tests: ${r.numPassedTests} passed, ${r.numFailedTests} failed, ${skipped} skipped`);
' "$report" || echo "tests: 0 passed, 1 failed"
rm -f "$report"
exit "$status"
