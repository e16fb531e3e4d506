#!/usr/bin/env bash
# Fails when gen/ differs from what proto/ produces (someone edited gen/ by
# hand, or changed a proto without running `npm run gen`).
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/gen.sh >/dev/null
if ! git diff --quiet -- gen || [ -n "$(git ls-files --others --exclude-standard gen)" ]; then
  echo "gen-check: gen/ is not what proto/ produces; run 'npm run gen' and commit:" >&2
  git status --short -- gen >&2
  git diff --stat -- gen >&2
  exit 1
fi
echo "gen-check: gen/ matches proto/"
