#!/usr/bin/env bash
# The PostgreSQL server the gradebook tests start (tests/test_postgres.py), installed only when
# missing (safe on every CI build): Debian's postgresql, whose initdb and pg_ctl the tests run
# from /usr/lib/postgresql/<version>/bin. Without it those tests skip; this script fails loudly
# when it cannot install it.
set -euo pipefail
if ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1 || command -v initdb >/dev/null; then
    exit 0
fi
if ! command -v apt-get >/dev/null; then
    echo "tools/install-postgresql.sh: no apt-get; install PostgreSQL (initdb, pg_ctl) by hand" >&2
    exit 1
fi
sudo=""
if [ "$(id -u)" -ne 0 ]; then sudo="sudo"; fi
echo "tools/install-postgresql.sh: installing postgresql (apt)"
$sudo apt-get update -qq
DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq postgresql >/dev/null
