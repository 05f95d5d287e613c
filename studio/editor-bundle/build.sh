#!/usr/bin/env bash
# Rebuilds studio/web/vendor/codemirror.js from the versions pinned in
# package-lock.json. Run by hand after changing them; the bundle is
# committed, so neither the build nor CI needs Node.
set -euo pipefail
cd "$(dirname "$0")"
npm ci --no-audit --no-fund --loglevel=error
mkdir -p ../web/vendor
npm run --silent build
