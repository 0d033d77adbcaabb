#!/usr/bin/env bash
# The Debian packages the test suite needs beyond Python: Chromium for tests/browser (Debian's,
# not Playwright's download, which needs the internet). Installed when missing and this user
# may install packages without a password (root, or passwordless sudo); otherwise one line
# says how, and tests/browser skips (under CI=true it fails instead).
set -euo pipefail

if command -v chromium >/dev/null 2>&1; then
    exit 0
fi
if [ "$(id -u)" -eq 0 ]; then
    sudo=""
elif command -v sudo >/dev/null 2>&1 && sudo -n true 2>/dev/null; then
    sudo="sudo"
else
    echo "tests/browser needs Chromium: run 'sudo apt-get install chromium' (not installed: no root)" >&2
    exit 0
fi
if ! command -v apt-get >/dev/null 2>&1; then
    echo "tests/browser needs Chromium: install it with your package manager (no apt-get here)" >&2
    exit 0
fi
export DEBIAN_FRONTEND=noninteractive
echo "installing Chromium for tests/browser (apt-get)" >&2
$sudo apt-get update -qq >/dev/null
$sudo apt-get install -y -qq --no-install-recommends chromium >/dev/null
