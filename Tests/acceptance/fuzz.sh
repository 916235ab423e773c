#!/usr/bin/env bash
# Fuzzing against the contract: schemathesis generates requests for every operation in openapi.yaml
# (examples, boundary values from the schemas, then random data) and sends them to a freshly
# started Kith holding the demo borough, with an admin key. It fails on any 5xx, on a response that
# breaks its documented schema, status code or content type.
#
#   bash Tests/acceptance/fuzz.sh .build/debug/kith        # FUZZ_TIME=240 FUZZ_EXAMPLES=25 FUZZ_SEED=20261126
#
# The run is seeded (same seed, same requests) and bounded by FUZZ_TIME seconds. schemathesis is
# pinned; the script installs it into a private virtualenv under .build/fuzz-venv when it is missing.
# Reports (JUnit and a pytest file that replays each failure) go to $FUZZ_REPORTS.
set -euo pipefail
KITH=${1:?usage: fuzz.sh PATH-TO-kith}
KITH=$(cd "$(dirname "$KITH")" && pwd)/$(basename "$KITH")   # absolute: the run below changes directory
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
SCHEMATHESIS_VERSION=4.32.5
FUZZ_TIME=${FUZZ_TIME:-240}
FUZZ_EXAMPLES=${FUZZ_EXAMPLES:-25}
FUZZ_SEED=${FUZZ_SEED:-20261126}
FUZZ_REPORTS=${FUZZ_REPORTS:-$ROOT/.build/fuzz-reports}

st_bin() {
    local venv="$ROOT/.build/fuzz-venv"
    if [ -x "$venv/bin/st" ] && "$venv/bin/st" --version 2>/dev/null | grep -q "$SCHEMATHESIS_VERSION"; then echo "$venv/bin/st"; return; fi
    if command -v st >/dev/null && st --version 2>/dev/null | grep -q "$SCHEMATHESIS_VERSION"; then command -v st; return; fi
    if python3 -m venv "$venv" >&2 && "$venv/bin/pip" install -q "schemathesis==$SCHEMATHESIS_VERSION" >&2; then echo "$venv/bin/st"; return; fi
    # No venv module (Debian without python3-venv): install for this user instead.
    python3 -m pip install -q --user "schemathesis==$SCHEMATHESIS_VERSION" >&2 || python3 -m pip install -q --user --break-system-packages "schemathesis==$SCHEMATHESIS_VERSION" >&2
    echo "$(python3 -m site --user-base)/bin/st"
}
ST=$(st_bin)

WORK=$(mktemp -d)
DB="$WORK/kith.sqlite"
SERVER_PID=""
cleanup() {
    if [ -n "$SERVER_PID" ] && kill -0 "$SERVER_PID" 2>/dev/null; then kill -KILL "$SERVER_PID" 2>/dev/null || true; fi
    rm -rf "$WORK"
}
trap cleanup EXIT

"$KITH" seed --demo --db "$DB" >/dev/null
ADMIN=$("$KITH" keys create --role admin --name fuzz-admin --db "$DB")
# Rate limits off: the fuzzer sends thousands of requests with one key. The access log is off to
# keep CI output short; problems are in the schemathesis report.
"$KITH" serve --db "$DB" --port 0 --rate-limits off --access-log off >"$WORK/stdout" 2>"$WORK/stderr" &
SERVER_PID=$!
PORT=""
for _ in $(seq 1 100); do
    PORT=$(grep -o '"address":"http://127.0.0.1:[0-9]*"' "$WORK/stderr" 2>/dev/null | grep -o '[0-9]*"$' | tr -d '"' || true)
    [ -n "$PORT" ] && break
    kill -0 "$SERVER_PID" 2>/dev/null || { echo "server exited:"; cat "$WORK/stderr"; exit 1; }
    sleep 0.1
done
[ -n "$PORT" ] || { echo "server did not start"; exit 1; }

# Real ids from the demo borough for each resource's {id}, half the time (Tests/acceptance/fuzz_ids.py).
python3 "$ROOT/Tests/acceptance/fuzz_ids.py" "$DB" >"$WORK/schemathesis.toml"

mkdir -p "$FUZZ_REPORTS"
cd "$WORK"   # schemathesis keeps a .schemathesis/ cache in the working directory
status=0
"$ST" --config-file "$WORK/schemathesis.toml" run "$ROOT/openapi.yaml" --url "http://127.0.0.1:$PORT" \
    -H "Authorization: Bearer $ADMIN" \
    --checks not_a_server_error,response_schema_conformance,status_code_conformance,content_type_conformance \
    --phases examples,coverage,fuzzing \
    --max-examples "$FUZZ_EXAMPLES" --seed "$FUZZ_SEED" --max-time "$FUZZ_TIME" \
    --workers 2 --request-timeout 10 --suppress-health-check all \
    --report junit,pytest --report-dir "$FUZZ_REPORTS" --output-truncate true || status=$?

if ! kill -0 "$SERVER_PID" 2>/dev/null; then echo "the server died during fuzzing:"; tail -n 20 "$WORK/stderr"; exit 1; fi
"$KITH" check --db "$DB" >/dev/null || { echo "kith check failed after fuzzing"; exit 1; }
exit "$status"
