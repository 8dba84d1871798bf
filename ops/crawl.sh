#!/bin/sh
# Scheduled crawl, for cron and systemd: crawl, append to a dated log, then run the health check.
# Usage: ops/crawl.sh [govarchive crawl arguments]   (default: --all registered sites)
# Environment: GOVARCHIVE_DB (default data/archive.db), GOVARCHIVE_LOG_DIR (default data/logs),
# GOVARCHIVE_BIN (the govarchive command; default: the checkout's .venv, else the one on PATH).
# Exit status: the crawl's (0 ok, 1 a site failed, 75 another run holds the lock),
# else 1 when `govarchive check` finds a problem.
set -u
cd "$(dirname "$0")/.." || exit 1
db="${GOVARCHIVE_DB:-data/archive.db}"
logs="${GOVARCHIVE_LOG_DIR:-data/logs}"
mkdir -p "$logs"
log="$logs/crawl-$(date -u +%Y-%m-%d).log"
if [ -n "${GOVARCHIVE_BIN:-}" ]; then govarchive="$GOVARCHIVE_BIN"
elif [ -x .venv/bin/govarchive ]; then govarchive=.venv/bin/govarchive
elif command -v govarchive >/dev/null; then govarchive=$(command -v govarchive)
else echo "govarchive not found: set GOVARCHIVE_BIN, or run make install" >&2; exit 1
fi
[ $# -gt 0 ] || set -- --all
echo "== $(date -u +%Y-%m-%dT%H:%M:%SZ) crawl $*" >>"$log"
"$govarchive" crawl --db "$db" "$@" >>"$log" 2>&1
status=$?
echo "== crawl exit $status" >>"$log"
[ "$status" -eq 75 ] && exit 75   # overlapping run: nothing wrong, try next time
"$govarchive" check --db "$db" >>"$log" 2>&1 || [ "$status" -ne 0 ] || status=1
exit "$status"
