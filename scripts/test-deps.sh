#!/usr/bin/env bash
# Makes sure what the full test run needs is here: PostgreSQL answering on 127.0.0.1:5432 and Chromium
# at /usr/bin/chromium (Debian's package; Playwright never downloads a browser). Idempotent and quick.
set -uo pipefail

pg_up() { pg_isready -q -h 127.0.0.1 -p 5432 2>/dev/null; }
if ! pg_up; then
  echo "test-deps: starting PostgreSQL"
  if command -v pg_ctlcluster >/dev/null 2>&1; then
    pg_ctlcluster --skip-systemctl-redirect "$(ls /etc/postgresql | head -1)" main start || true
  elif command -v service >/dev/null 2>&1; then
    service postgresql start || true
  fi
  for _ in $(seq 1 30); do pg_up && break; sleep 1; done
  pg_up || echo "test-deps: PostgreSQL is still not answering on 127.0.0.1:5432"
fi

if [ ! -x /usr/bin/chromium ]; then
  if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
    echo "test-deps: installing Debian's chromium"
    apt-get update -qq >/dev/null && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium fonts-noto-cjk >/dev/null \
      || echo "test-deps: could not install chromium"
  else
    echo "test-deps: /usr/bin/chromium is missing; install Debian's chromium package (sudo apt-get install chromium)"
  fi
fi
exit 0
