#!/usr/bin/env bash
# Kith's memory at 1,000 idle keep-alive connections: builds Kith in release mode (clean, in the
# same scratch folder as bench/run.sh), raises the open-files limit, and runs bench/idle.py, which
# starts the server on a fresh database, opens the connections, measures VmRSS/VmHWM at rest, with
# them open and after closing them, and writes bench/results/<UTC time>-idle/summary.md.
# See bench/README.md ("Idle connections").
#
#   bash bench/idle.sh                       # 1,000 connections
#   CONNECTIONS=5000 bash bench/idle.sh      # more (the limit below grows with it)
#
# Settings (environment): CONNECTIONS=1000, SETTLE=5 (seconds idle before measuring),
# SCRATCH=.build-bench, KITH=<a kith binary> (skips the build), OUT=bench/results/<UTC time>-idle.
# It stops only the server it started, by PID. Never pkill/killall.
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$ROOT"

CONNECTIONS=${CONNECTIONS:-1000}
SETTLE=${SETTLE:-5}
SCRATCH=${SCRATCH:-.build-bench}
STAMP=$(date -u +%Y-%m-%dT%H-%M-%SZ)
OUT=${OUT:-$ROOT/bench/results/$STAMP-idle}

command -v python3 >/dev/null || { echo "python3 is needed" >&2; exit 1; }

if [[ -z ${KITH:-} ]]; then
    # Always from a clean scratch folder, as bench/run.sh does: an incremental build over changed
    # struct layouts has been seen to link a stale binary, and a benchmark must measure the source as it is.
    echo "== swift build -c release --product kith --scratch-path $SCRATCH (clean)"
    mkdir -p "$OUT/raw"
    rm -rf "$SCRATCH"
    swift build -c release --product kith --scratch-path "$SCRATCH" 2>&1 | tee "$OUT/raw/kith-build.log" | tail -3
    KITH="$(swift build -c release --scratch-path "$SCRATCH" --show-bin-path)/kith"
fi
[[ -x $KITH ]] || { echo "no binary at $KITH" >&2; exit 1; }

# Every connection is a descriptor in this process and one in the server (which inherits the limit).
need=$((CONNECTIONS + 512))
if [[ $(ulimit -n) != unlimited ]] && (( $(ulimit -n) < need )); then
    ulimit -n "$need" || { echo "cannot raise the open-files limit to $need (hard limit $(ulimit -Hn))" >&2; exit 1; }
fi
echo "== ulimit -n $(ulimit -n)"

python3 bench/idle.py --kith "$KITH" --connections "$CONNECTIONS" --settle "$SETTLE" --out "$OUT"
