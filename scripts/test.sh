#!/usr/bin/env bash
# `npm test`: the whole suite against the real stack (Temporal dev server, PostgreSQL, SMTP).
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
npm run --silent generate >/dev/null
scripts/ensure-temporal.sh >/dev/null
scripts/ensure-chromium.sh >/dev/null
echo "[test] type-checking"
npx tsc --noEmit -p .
npx tsc --noEmit -p web
npx jest "$@"
