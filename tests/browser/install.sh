#!/usr/bin/env bash
# What tests/browser needs, installed only when missing (safe to run on every CI build):
#   - Debian's chromium and chromium-driver (/usr/bin/chromium, /usr/bin/chromedriver), a matched pair;
#   - a font with Chinese characters (fonts-wqy-zenhei), for the Chinese edition's pages;
#   - selenium in the project's virtual environment (.venv, made by `make setup`).
# Without them the browser tests skip; this script fails loudly when it cannot install them.
set -euo pipefail
cd "$(dirname "$0")/../.."
PYTHON=${PYTHON:-.venv/bin/python}

if [ ! -x /usr/bin/chromium ] || [ ! -x /usr/bin/chromedriver ]; then
    if ! command -v apt-get >/dev/null; then
        echo "tests/browser/install.sh: no apt-get; install Chromium and a matching chromedriver" \
             "at /usr/bin/chromium and /usr/bin/chromedriver by hand" >&2
        exit 1
    fi
    sudo=""
    if [ "$(id -u)" -ne 0 ]; then sudo="sudo"; fi
    echo "tests/browser/install.sh: installing chromium and chromium-driver (apt)"
    $sudo apt-get update -qq
    DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq chromium chromium-driver >/dev/null
fi

# The Chinese edition's pages need a font with Chinese characters (else Chromium draws boxes).
if ! fc-list 2>/dev/null | grep -qi "wqy\|noto.*cjk"; then
    sudo=""
    if [ "$(id -u)" -ne 0 ]; then sudo="sudo"; fi
    echo "tests/browser/install.sh: installing fonts-wqy-zenhei (apt), for the Chinese pages"
    $sudo apt-get update -qq
    DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq fonts-wqy-zenhei >/dev/null
fi

if [ ! -x "$PYTHON" ]; then
    echo "tests/browser/install.sh: $PYTHON not found; run \`make setup\` first" >&2
    exit 1
fi
if ! "$PYTHON" -c "import selenium" 2>/dev/null; then
    echo "tests/browser/install.sh: installing selenium into $("$PYTHON" -c 'import sys; print(sys.prefix)')"
    "$PYTHON" -m pip install --quiet "selenium>=4.11"
fi
