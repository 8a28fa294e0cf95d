#!/usr/bin/env bash
# The grading sandbox (gan_lab/sandbox.py) runs student code under bubblewrap. Installs Debian's
# bubblewrap when `bwrap` is missing; fails loudly when it cannot.
set -euo pipefail
if command -v bwrap >/dev/null; then
    exit 0
fi
if ! command -v apt-get >/dev/null; then
    echo "tools/install-bubblewrap.sh: no apt-get; install bubblewrap (bwrap) with your package" \
         "manager, or set GAN_LAB_SANDBOX=off to grade without a sandbox (trusted notebooks only)" >&2
    exit 1
fi
sudo=""
if [ "$(id -u)" -ne 0 ]; then sudo="sudo"; fi
echo "tools/install-bubblewrap.sh: installing bubblewrap (apt), for the grading sandbox"
$sudo apt-get update -qq
DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq bubblewrap >/dev/null
