#!/usr/bin/env bash
# The fuzz stage (test/fuzz/run.ts): a real platform on the namespace runtime
# against the Debian PostgreSQL and Redis, a bounded Schemathesis run against
# /openapi.json, a fuzz of every public gRPC method, and one of the E2B envd
# face (Connect process/filesystem, /files, /health) with a real sandbox's
# access token. Exits non-zero on any 5xx that is not documented,
# INTERNAL/UNKNOWN status, dropped connection, hang or dead service. About
# six minutes; FUZZ_HTTP_SECONDS / FUZZ_GRPC_SECONDS / FUZZ_ENVD_SECONDS set the budgets.
set -euo pipefail
cd "$(dirname "$0")/.."

eval "$(bash scripts/services.sh)"
export DATABASE_URL REDIS_URL
# Servers this run started are stopped when it ends, however it ends.
trap 'bash scripts/services.sh stop || true' EXIT
trap 'exit 130' INT
trap 'exit 143' TERM
npm run --silent build -w @wrenn/envd >/dev/null
npx tsx test/fuzz/run.ts
