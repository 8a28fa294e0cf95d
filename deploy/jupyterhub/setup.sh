#!/usr/bin/env bash
# One machine serving the course to a class through JupyterHub (in the spirit of The Littlest
# JupyterHub): run as root from a clone of this repository.
#
#   sudo deploy/jupyterhub/setup.sh [--prefix /opt/gan-lab] [--course /srv/gan-lab/course]
#                                   [--lab mlp_gan] [--subdomain-host https://hub.example.edu] ...
#
# This script does what needs a shell: the system packages (bubblewrap, the proxy from npm),
# the course folder (a clone of this repository) and the instructors' and graders' environment
# (PREFIX/envs/staff, from /usr/bin/python3, with the full gan_lab installed from the course
# folder). Everything else is `gan-lab hub setup` from that environment: groups, folders and
# permissions, the students' environment with the student build of --lab, MNIST, the
# JupyterHub configuration and its systemd unit (deploy/jupyterhub/README.md). Running it again
# changes only what is missing or out of date. Every option after the first two is passed on:
# `PREFIX/envs/staff/bin/gan-lab hub setup --help` lists them.
set -euo pipefail

REPO=$(cd "$(dirname "$0")/../.." && pwd)
PREFIX=/opt/gan-lab
COURSE=/srv/gan-lab/course
PASS=()
while [ $# -gt 0 ]; do
    case "$1" in
        --prefix) PREFIX=$2; shift 2 ;;
        --course) COURSE=$2; shift 2 ;;
        *) PASS+=("$1"); shift ;;
    esac
done
# Accounts other than root run these environments: the interpreter must be one they can read
# (a Python built under /root is not), and the version the course is tested with.
PYTHON=${GAN_LAB_HUB_PYTHON:-/usr/bin/python3}
PROXY_VERSION=5

say() { echo "gan-lab hub setup: $*"; }
fail() { echo "gan-lab hub setup: error: $*" >&2; exit 1; }

[ "$(id -u)" -eq 0 ] || fail "run as root (it creates groups, accounts' environments and /srv folders)"
[ -x "$PYTHON" ] || fail "$PYTHON not found; install Debian's python3 and python3-venv, or set GAN_LAB_HUB_PYTHON"
"$PYTHON" -c 'import sys, venv; sys.exit(sys.version_info[:2] < (3, 10))' \
    || fail "$PYTHON is older than 3.10 or has no venv module (apt-get install python3-venv)"
case "$(readlink -f "$PYTHON")" in
    /root/*) fail "$PYTHON lives under /root, which other accounts cannot read; use /usr/bin/python3" ;;
esac

# --------------------------------------------------------------------------- system packages
apt_install() {
    command -v apt-get >/dev/null || fail "no apt-get: install $* by hand"
    say "installing $* (apt)"
    apt-get update -qq
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "$@" >/dev/null
}
command -v bwrap >/dev/null || apt_install bubblewrap
command -v git >/dev/null || apt_install git
command -v npm >/dev/null || apt_install nodejs npm
if ! command -v configurable-http-proxy >/dev/null; then
    say "installing configurable-http-proxy@$PROXY_VERSION (npm, JupyterHub's proxy)"
    npm install --global --silent --no-fund --no-audit "configurable-http-proxy@$PROXY_VERSION" >/dev/null
fi

# --------------------------------------------------------------------------- the course folder
# The instructors' course folder is a clone of this repository: solutions/, notebooks/,
# nbgrader_config.py and gan_lab/ itself, which the staff environment imports from there.
if [ ! -e "$COURSE" ]; then
    say "cloning $REPO into $COURSE (the course folder)"
    mkdir -p "$(dirname "$COURSE")"
    git clone --quiet "$REPO" "$COURSE"
elif [ ! -f "$COURSE/pyproject.toml" ] || [ ! -d "$COURSE/solutions" ]; then
    fail "$COURSE exists but is not a clone of gan-lab (no pyproject.toml and solutions/); move it or give --course"
else
    say "course folder $COURSE kept as it is (update it with git pull)"
fi

# --------------------------------------------------------------------------- the staff environment
STAFF=$PREFIX/envs/staff
STAMP=$STAFF/.gan-lab-installed
if [ ! -f "$STAMP" ] || [ "$COURSE/pyproject.toml" -nt "$STAMP" ]; then
    say "building the instructors' and graders' environment in $STAFF (torch included: a few minutes)"
    mkdir -p "$PREFIX/envs"
    [ -x "$STAFF/bin/python" ] || "$PYTHON" -m venv "$STAFF"
    "$STAFF/bin/python" -m pip install --quiet --upgrade pip
    # Pinned first and on their own: a looser range would download gigabytes of CUDA wheels.
    "$STAFF/bin/python" -m pip install --quiet torch==2.14.1 torchvision==0.29.1
    "$STAFF/bin/python" -m pip install --quiet -e "$COURSE[course,hub]"
    touch "$STAMP"
else
    say "staff environment $STAFF is up to date"
fi

exec "$STAFF/bin/gan-lab" hub setup --prefix "$PREFIX" --course "$COURSE" --python "$PYTHON" "${PASS[@]+"${PASS[@]}"}"
