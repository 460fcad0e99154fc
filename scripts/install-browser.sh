#!/usr/bin/env bash
# Installs Debian's headless browser for the dashboard's end-to-end test: chromium and
# chromium-driver, with apt-get, when /usr/bin/chromium (or /usr/bin/chromedriver) is missing.
# Idempotent: does nothing when both are present. Needs root (or sudo) and Debian's package index.
set -euo pipefail

CHROMIUM=/usr/bin/chromium
DRIVER=/usr/bin/chromedriver

if [[ -x "$CHROMIUM" && -x "$DRIVER" ]]; then
    echo "install-browser: $CHROMIUM and $DRIVER already present; nothing to do"
    "$CHROMIUM" --version 2>/dev/null || true
    exit 0
fi

if ! command -v apt-get >/dev/null 2>&1; then
    echo "install-browser: apt-get not found; install chromium and chromium-driver by hand" >&2
    exit 1
fi

SUDO=()
if [[ "$(id -u)" -ne 0 ]]; then
    if command -v sudo >/dev/null 2>&1; then
        SUDO=(sudo -n)
    else
        echo "install-browser: not root and no sudo; cannot install chromium" >&2
        exit 1
    fi
fi

export DEBIAN_FRONTEND=noninteractive
echo "install-browser: apt-get update"
"${SUDO[@]}" apt-get update -q
echo "install-browser: apt-get install chromium chromium-driver"
"${SUDO[@]}" apt-get install -y -q --no-install-recommends chromium chromium-driver fonts-dejavu-core

for tool in "$CHROMIUM" "$DRIVER"; do
    if [[ ! -x "$tool" ]]; then
        echo "install-browser: $tool still missing after the install" >&2
        exit 1
    fi
done
echo "install-browser: installed $("$CHROMIUM" --version 2>/dev/null || echo chromium)" \
     "and $("$DRIVER" --version 2>/dev/null | head -n1 || echo chromedriver)"
