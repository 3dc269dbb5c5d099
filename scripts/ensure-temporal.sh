#!/usr/bin/env bash
# Prints the path of a Temporal CLI (dev server) to use, building the pinned one if needed.
# Order: `temporal` on PATH, then .tools/bin/temporal, then `go install` of the pinned version.
set -euo pipefail
PINNED="github.com/temporalio/cli/cmd/temporal@v1.5.1"
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
local_cli="$root/.tools/bin/temporal"

if command -v temporal >/dev/null 2>&1; then command -v temporal; exit 0; fi
if [ -x "$local_cli" ]; then echo "$local_cli"; exit 0; fi

if ! command -v go >/dev/null 2>&1; then
  cat >&2 <<MSG
No Temporal CLI found, and Go is not installed to build one.
Either install the Temporal CLI (https://docs.temporal.io/cli, so that 'temporal' is on PATH),
or install Go 1.22+ and run this again: it builds $PINNED into .tools/bin.
MSG
  exit 1
fi

echo "Building the Temporal CLI ($PINNED) into .tools/bin; the first build takes several minutes..." >&2
mkdir -p "$root/.tools/bin"
GOBIN="$root/.tools/bin" go install "$PINNED" >&2
echo "$local_cli"
