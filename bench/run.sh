#!/usr/bin/env bash
# Kith HTTP benchmark: builds Kith in release mode, starts it on a fresh database, loads 50,000
# groups through the API (bench/seed-groups.py), measures a few routes and the group search
# (bench/search.lua) with wrk, and writes raw output plus a Markdown summary. With PEER=1 it also
# builds and measures the Hummingbird peer (/work/shared/bench/peer-hummingbird) in the same run, so
# Kith's speed can be stated as a ratio. See bench/README.md.
#
#   bash bench/run.sh                 # Kith only
#   PEER=1 bash bench/run.sh          # Kith, then the peer, then a comparison table
#
# Settings (environment): PEER=0|1, DURATION=10s, WARMUP=3s, THREADS=2, CONNECTIONS=64,
# SCRATCH=.build-bench (Kith's SwiftPM scratch path), OUT=bench/results/<UTC time>,
# PEER_SRC=/work/shared/bench/peer-hummingbird, PEER_BUILD_TIMEOUT=1200 (seconds),
# GROUP_COUNT=50000, SEED=20261126 (seed-groups.py), SEARCH_CONNECTIONS="64 8" (one search-mix run
# each), QUERY_DURATION=3s and QUERY_WARMUP=1s (each search query alone, 1 connection; QUERIES=0 skips).
#
# It stops only the processes it started, by PID: TERM, then KILL after 10 s. Never pkill/killall.
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$ROOT"

PEER=${PEER:-0}
DURATION=${DURATION:-10s}
WARMUP=${WARMUP:-3s}
THREADS=${THREADS:-2}
CONNECTIONS=${CONNECTIONS:-64}
SCRATCH=${SCRATCH:-.build-bench}
PEER_SRC=${PEER_SRC:-/work/shared/bench/peer-hummingbird}
PEER_DIR="$ROOT/bench/.peer"
PEER_BUILD_TIMEOUT=${PEER_BUILD_TIMEOUT:-1200}
STAMP=$(date -u +%Y-%m-%dT%H-%M-%SZ)
OUT=${OUT:-$ROOT/bench/results/$STAMP}
RAW="$OUT/raw"   # server logs and build logs (gitignored); wrk output stays in $OUT (small, committable)
WRK_ARGS=(-t"$THREADS" -c"$CONNECTIONS" -d"$DURATION" --latency)
WARMUP_ARGS=(-t"$THREADS" -c"$CONNECTIONS" -d"$WARMUP")
HZ=$(getconf CLK_TCK)
GROUP_COUNT=${GROUP_COUNT:-50000}       # (not GROUPS: bash reserves that name)
SEED=${SEED:-20261126}
SEARCH_CONNECTIONS=${SEARCH_CONNECTIONS:-"$CONNECTIONS 8"}
QUERIES=${QUERIES:-1}
QUERY_DURATION=${QUERY_DURATION:-3s}
QUERY_WARMUP=${QUERY_WARMUP:-1s}
SEARCH_TIMEOUT=30s                      # wrk's default 2 s would count slow searches under load as errors
KITH_MAX_BODY=8388608                   # 5000-row CSV imports are about 3.2 MB; Kith's default limit is 1 MiB
SEARCH_LUA=bench/search.lua
# The search queries, from the list in search.lua (one quoted path per line between the markers).
mapfile -t SEARCH_QUERIES < <(sed -n '/-- queries:begin/,/-- queries:end/p' "$SEARCH_LUA" | sed -n 's/^ *"\(\/[^"]*\)".*/\1/p')

# ------------------------------------------------------------------ what is measured
# One line per measured route: route <label> <path> <auth> <expected body part> [options]
#   label: names the raw file and the summary row; auth: admin (send the admin key) or - (none);
#   body part: the smoke check before measuring wants status 200, a JSON content type and this text;
#   options (space-separated name=value): script=<wrk Lua file, which then chooses the paths>,
#   conns=, threads=, duration=, warmup=, timeout= (wrk settings other than the defaults above), and
#   table=queries (a row of the one-query-at-a-time search table, not of the main table).
# The path may use $TARGET_KEY_ID, the id of a second key this script creates (not the caller's), and
# $GROUP_ID, the known verified group seed-groups.py creates.
kith_routes() {
    route kith-healthz /healthz - '"status":"ok"'
    route kith-me /v1/me admin '"role":"admin"'
    route kith-key "/v1/keys/$TARGET_KEY_ID" admin "\"id\":\"$TARGET_KEY_ID\""
    route kith-group "/v1/groups/$GROUP_ID" - "\"id\":\"$GROUP_ID\""
    local c i
    for c in $SEARCH_CONNECTIONS; do
        route "kith-search-c$c" "${SEARCH_QUERIES[0]}" - '"data":[' "script=$SEARCH_LUA conns=$c timeout=$SEARCH_TIMEOUT"
    done
    if [[ $QUERIES == 1 ]]; then
        for i in "${!SEARCH_QUERIES[@]}"; do
            route "kith-q$(printf %02d $((i + 1)))" "${SEARCH_QUERIES[$i]}" - '"data":[' \
                "threads=1 conns=1 duration=$QUERY_DURATION warmup=$QUERY_WARMUP timeout=$SEARCH_TIMEOUT table=queries"
        done
    fi
}
peer_routes() {
    route peer-healthz /healthz - '"status":"ok"'
    route peer-group /v1/groups/g005000 - '"id":"g005000"'
}
# Pairs compared when PEER=1: "<kith label> <peer label> <description>". A pair whose Kith label was
# not measured is left out of the table, so kith-group's row appears once its route line is enabled.
COMPARE=(
    "kith-healthz peer-healthz /healthz, no key: Kith vs peer"
    "kith-group peer-group one group by id, public, no key (like for like): Kith /v1/groups/{id} vs peer /v1/groups/{id}"
    "kith-key peer-group one row by id: Kith /v1/keys/{id} (with key check) vs peer /v1/groups/{id} (no auth)"
)
# Rows Kith's routes read beyond the two keys: the areas, one known group ($GROUP_ID) and
# $GROUP_COUNT generated groups, through the HTTP API. Then searches with known answers.
# Called with the server running; $BASE, $KEY and $KITH_PID set.
GROUP_ID=""
seed_kith() {
    local s0 s1 t0 t1 status=0
    echo
    echo "== seeding: python3 bench/seed-groups.py --count $GROUP_COUNT --seed $SEED (areas, then groups by POST /v1/groups/import)"
    s0=$(proc_ticks "$KITH_PID")
    t0=$(date +%s.%N)
    python3 bench/seed-groups.py --base "$BASE" --key "$KEY" --count "$GROUP_COUNT" --seed "$SEED" \
        --max-body-bytes "$KITH_MAX_BODY" >"$OUT/seed.txt" 2>"$RAW/seed.log" || status=$?
    t1=$(date +%s.%N)
    s1=$(proc_ticks "$KITH_PID")
    if ((status != 0)); then
        tail -5 "$RAW/seed.log" >&2
        echo "seeding failed (exit status $status); see $RAW/seed.log" >&2
        exit 1
    fi
    GROUP_ID=$(awk '$1 == "known_group_id" {print $2}' "$OUT/seed.txt")
    [[ -n $GROUP_ID ]] || { echo "seed-groups.py printed no known_group_id" >&2; exit 1; }
    # seed.tsv: one line of figures for the summary
    awk -v st=$((s1 - s0)) -v hz="$HZ" -v wall="$(awk -v a="$t0" -v b="$t1" 'BEGIN {printf "%.2f", b - a}')" \
        -v db="$(du -cb "$DB" "$DB-wal" 2>/dev/null | awk 'END {print $1}')" '
        $1 == "loaded" { rows = $2; secs = $3; rate = $4; batches = $5 }
        $1 == "batch"  { if ($3 > maxrows) maxrows = $3 }
        END {
            printf "rows\tbatches\tmax_rows_per_batch\tload_seconds\trows_per_second\tserver_cpu_s\tserver_cpu_ms_per_1000_rows\tseed_script_wall_s\tdb_bytes\n"
            printf "%d\t%d\t%d\t%.2f\t%.1f\t%.2f\t%.1f\t%s\t%d\n", rows, batches, maxrows, secs, rate, st / hz, st / hz * 1e6 / rows, wall, db
        }' "$OUT/seed.txt" >"$OUT/seed.tsv"
    awk -F'\t' 'NR == 2 { printf "   %d groups in %d requests: %.1f s, %.0f rows/s; server CPU %.1f s; database %.0f MB\n", $1, $2, $4, $5, $6, $9 / 1e6 }' "$OUT/seed.tsv"
    echo "   known group: $GROUP_ID"
    echo "== search checks (answers known from the seed)"
    python3 bench/seed-groups.py --base "$BASE" --check-only "$GROUP_ID" >"$OUT/search-checks.txt" 2>&1 || true
    sed 's/^/   /' "$OUT/search-checks.txt"
}

# The ledger: committed credit movements per second with LEDGER_CONNECTIONS concurrent clients,
# each request a gift of 1 credit between two of 64 seeded volunteers (bench/ledger.lua), each
# with its own Idempotency-Key. Afterwards `kith check` must find the ledger balanced.
LEDGER_CONNECTIONS=${LEDGER_CONNECTIONS:-32}
LEDGER=${LEDGER:-1}
ledger_bench() {
    local file="$OUT/kith-ledger.txt" s0 s1 requests non2xx secs
    echo
    echo "== ledger: seeding 64 volunteers with 960 credits each (bench/seed-ledger.py)"
    python3 bench/seed-ledger.py --base "$BASE" --key "$KEY" --volunteers 64 --credits 960 >"$TMP/ledger-people.txt" 2>"$RAW/seed-ledger.log" \
        || { tail -5 "$RAW/seed-ledger.log" >&2; echo "ledger seeding failed" >&2; exit 1; }
    echo "== ledger: wrk -t$THREADS -c$LEDGER_CONNECTIONS -d$DURATION -s bench/ledger.lua (POST /v1/credit-gifts)"
    KITH_LEDGER_PEOPLE="$TMP/ledger-people.txt" KITH_KEY="$KEY" wrk -t"$THREADS" -c"$LEDGER_CONNECTIONS" -d"$WARMUP" \
        -s bench/ledger.lua "$BASE" >/dev/null
    s0=$(proc_ticks "$KITH_PID")
    KITH_LEDGER_PEOPLE="$TMP/ledger-people.txt" KITH_KEY="$KEY" wrk -t"$THREADS" -c"$LEDGER_CONNECTIONS" -d"$DURATION" --latency \
        -s bench/ledger.lua "$BASE" >"$file"
    s1=$(proc_ticks "$KITH_PID")
    requests=$(awk '/requests in/ {print $1}' "$file")
    secs=$(awk '/requests in/ {gsub("s,", "", $4); print $4}' "$file")
    non2xx=$(awk '/Non-2xx/ {print $NF}' "$file")
    awk -v r="$requests" -v n="${non2xx:-0}" -v s="$secs" -v st=$((s1 - s0)) -v hz="$HZ" -v c="$LEDGER_CONNECTIONS" '
        /^ +50%/ {p50 = $2} /^ +99%/ {p99 = $2}
        END {
            printf "connections\trequests\tnon2xx\tseconds\tmovements_per_s\tp50\tp99\tserver_cpu_us_per_movement\n"
            printf "%d\t%d\t%d\t%s\t%.0f\t%s\t%s\t%.0f\n", c, r, n, s, (r - n) / s, p50, p99, ((r - n) > 0 ? st / hz * 1e6 / (r - n) : 0)
        }' "$file" >"$OUT/ledger.tsv"
    awk -F'\t' 'NR == 2 { printf "   %d movements committed at %s req/s (p50 %s, p99 %s), %d refused\n", $2 - $3, $5, $6, $7, $3 }' "$OUT/ledger.tsv"
}
ledger_check() { # after the server stopped: the ledger must balance
    "$KITH" check --db "$DB" >"$OUT/ledger-check.txt" 2>&1 || true
    echo "== kith check after the ledger run: $(head -3 "$OUT/ledger-check.txt" | tr '\n' ' ')"
}

# ------------------------------------------------------------------ processes
PIDS=()            # every server this script started and has not stopped yet
TMP=""
alive() { # alive <pid>: running, and not a zombie waiting to be reaped
    [[ -r /proc/$1/stat ]] && [[ $(cut -d' ' -f3 "/proc/$1/stat" 2>/dev/null) != Z ]]
}
STOP_STATUS=""
stop() { # stop <pid>: TERM one process this script started, KILL after 10 s, reap; sets STOP_STATUS
    local pid=$1 status=0
    STOP_STATUS=""
    [[ -n $pid ]] || return 0
    kill -TERM "$pid" 2>/dev/null || true
    for _ in $(seq 1 100); do
        alive "$pid" || break
        sleep 0.1
    done
    if alive "$pid"; then
        echo "pid $pid still running 10 s after TERM; sending KILL" >&2
        kill -KILL "$pid" 2>/dev/null || true
    fi
    wait "$pid" 2>/dev/null || status=$?
    STOP_STATUS=$status
    local kept=() p
    for p in "${PIDS[@]}"; do [[ $p == "$pid" ]] || kept+=("$p"); done
    PIDS=(${kept[@]+"${kept[@]}"})
}
cleanup() {
    local pid
    for pid in ${PIDS[@]+"${PIDS[@]}"}; do stop "$pid"; done
    [[ -n $TMP && -d $TMP ]] && rm -rf "$TMP"
    return 0
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# ------------------------------------------------------------------ tools
install_missing() { # apt-get install whatever of <command>:<package> ... is missing
    local pkgs=() pair
    for pair in "$@"; do
        local cmd=${pair%%:*} pkg=${pair#*:}
        if [[ $cmd == dpkg ]]; then
            dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q 'ok installed' || pkgs+=("$pkg")
        else
            command -v "$cmd" >/dev/null 2>&1 || pkgs+=("$pkg")
        fi
    done
    ((${#pkgs[@]})) || return 0
    echo "== installing from Debian: ${pkgs[*]}"
    local sudo=()
    [[ $(id -u) == 0 ]] || sudo=(sudo)
    ${sudo[@]+"${sudo[@]}"} apt-get update -q
    DEBIAN_FRONTEND=noninteractive ${sudo[@]+"${sudo[@]}"} apt-get install -y -q --no-install-recommends "${pkgs[@]}"
}
install_missing wrk:wrk curl:curl sqlite3:sqlite3 python3:python3 dpkg:libsqlite3-dev dpkg:libssl-dev

free_port() { # a port nothing answers on (random, 20000-32767: below the kernel's ephemeral range,
    local p       # where wrk's own client ports could take it between this check and the bind)
    for _ in $(seq 1 100); do
        p=$((20000 + RANDOM % 12768))
        if ! (exec 3<>"/dev/tcp/127.0.0.1/$p") 2>/dev/null; then echo "$p"; return 0; fi
    done
    echo "no free port found" >&2
    return 1
}
wait_up() { # wait_up <url> <pid>
    for _ in $(seq 1 300); do
        curl -fs -o /dev/null --max-time 1 "$1" && return 0
        alive "$2" || { echo "server (pid $2) exited before answering $1" >&2; return 1; }
        sleep 0.1
    done
    echo "no answer from $1 after 30 s" >&2
    return 1
}
expect() { # expect <url> <auth> <body part>: 200, a JSON content type and the body part, before measuring
    local url=$1 auth=$2 part=$3 out status body hdr=() hits
    [[ $auth == - ]] || hdr=(-H "Authorization: Bearer $KEY")
    out=$(curl -s ${hdr[@]+"${hdr[@]}"} -w '\n%{http_code} %{content_type} %{time_total}' "$url")
    status=${out##*$'\n'}
    body=${out%$'\n'*}
    printf '   %-60s -> %s  %.100s\n' "${url#http://127.0.0.1:*/}" "${status% *}" "$body"
    if [[ ${status%% *} != 200 || $status != *application/json* || $body != *"$part"* ]]; then
        echo "unexpected answer from $url (wanted 200, JSON, containing $part)" >&2
        exit 1
    fi
    if [[ $url == */v1/groups\?* ]]; then   # a search: note how many groups the first page held
        hits=$(grep -o '"organisation_identifier"' <<<"$body" | wc -l)
        printf '%s\t%s\t%s\t%s\n' "/${url#http://*/}" "$hits" "$([[ $body == *'"next_cursor":null'* ]] && echo no || echo yes)" \
            "${status##* }" >>"$OUT/search-hits.tsv"
    fi
}
proc_ticks() { # proc_ticks <pid> [children]: user+system clock ticks of a process (or of its reaped children)
    local stat rest mode=${2:-self}
    stat=$(<"/proc/$1/stat")
    rest=${stat##*) }                       # fields from 3 (state) on; comm may contain spaces
    # shellcheck disable=SC2086
    set -- $rest                            # so $12 $13 = utime stime, $14 $15 = cutime cstime
    if [[ $mode == children ]]; then echo $(( ${14} + ${15} )); else echo $(( ${12} + ${13} )); fi
}
machine_ticks() { # "busy total" clock ticks of all CPUs since boot, from /proc/stat
    awk '/^cpu / { busy = $2 + $3 + $4 + $7 + $8 + $9; print busy, busy + $5 + $6; exit }' /proc/stat
}
snapshot() { # "pid comm ticks" for every process; ticks = its own plus its reaped children's user+system time
    local f s pid comm rest
    for f in /proc/[0-9]*/stat; do
        s=$(<"$f") 2>/dev/null || continue
        pid=${s%% *}; comm=${s#*(}; comm=${comm%)*}; rest=${s##*) }
        # shellcheck disable=SC2086
        set -- $rest
        echo "$pid ${comm// /_} $(( ${12} + ${13} + ${14} + ${15} ))"
    done
}
top_others() { # top_others <before> <after> <pid to leave out>...: the 3 biggest CPU users meanwhile, by name
    local before=$1 after=$2
    shift 2
    awk -v skip=" $* " -v hz="$HZ" '
        FNR == NR { t0[$1] = $3; next }
        index(skip, " " $1 " ") == 0 { d = $3 - ($1 in t0 ? t0[$1] : 0); if (d > 0) by[$2] += d }
        END { for (c in by) printf "%.2f %s\n", by[c] / hz, c }' "$before" "$after" \
        | sort -rn | head -3 | awk '{ printf "%s%s %s", (NR > 1 ? ", " : ""), $2, $1 } END { print "" }'
}
memory() { # memory <pid>: "VmRSS VmHWM Threads" (kB, kB, count)
    awk '/^VmRSS/ {r = $2} /^VmHWM/ {h = $2} /^Threads/ {t = $2} END {print r, h, t}' "/proc/$1/status"
}

# ------------------------------------------------------------------ measuring
ROUTES=()
route() { ROUTES+=("$1|$2|$3|$4|${5:-}"); }
TSV="$OUT/runs.tsv"
QTSV="$OUT/search-queries.tsv"   # the table=queries runs (same columns)
bench() { # bench <server name> <pid> <base url> <label> <path> <auth> [options, see route]
    local server=$1 pid=$2 base=$3 label=$4 path=$5 auth=$6 options=${7:-}
    local file="$OUT/$label.txt" hdr=() shown="" opt script="" conns=$CONNECTIONS threads=$THREADS
    local duration=$DURATION warmup=$WARMUP timeout="" tsv=$TSV shown_path=$path
    for opt in $options; do
        case $opt in
            script=*) script=${opt#*=} ;;
            conns=*) conns=${opt#*=} ;;
            threads=*) threads=${opt#*=} ;;
            duration=*) duration=${opt#*=} ;;
            warmup=*) warmup=${opt#*=} ;;
            timeout=*) timeout=${opt#*=} ;;
            table=queries) tsv=$QTSV ;;
        esac
    done
    local wrk_args=(-t"$threads" -c"$conns" -d"$duration" --latency) warmup_args=(-t"$threads" -c"$conns" -d"$warmup")
    if [[ -n $timeout ]]; then wrk_args+=(--timeout "$timeout"); warmup_args+=(--timeout "$timeout"); fi
    if [[ -n $script ]]; then
        wrk_args+=(-s "$script"); warmup_args+=(-s "$script")
        shown_path="$(basename "$script"): ${#SEARCH_QUERIES[@]} queries in turn"
    fi
    if [[ $auth != - ]]; then
        hdr=(-H "Authorization: Bearer $KEY")
        shown=" -H 'Authorization: Bearer <$auth key>'"
    fi
    wrk "${warmup_args[@]}" ${hdr[@]+"${hdr[@]}"} "$base$path" >/dev/null   # unreported warm-up
    echo "\$ wrk ${wrk_args[*]}$shown $base$path" >"$file"
    local s0 s1 m0 m1 w
    snapshot >"$TMP/procs0"
    s0=$(proc_ticks "$pid")
    m0=$(machine_ticks)
    # wrk runs in a subshell so that the subshell's reaped-children time is wrk's own CPU time.
    w=$( (wrk "${wrk_args[@]}" ${hdr[@]+"${hdr[@]}"} "$base$path" >>"$file"; proc_ticks "$BASHPID" children) )
    m1=$(machine_ticks)
    s1=$(proc_ticks "$pid")
    snapshot >"$TMP/procs1"
    local busy total others b0 t0 b1 t1
    read -r b0 t0 <<<"$m0"
    read -r b1 t1 <<<"$m1"
    busy=$((b1 - b0)) total=$((t1 - t0))
    others=$(top_others "$TMP/procs0" "$TMP/procs1" "$$" "$pid")
    awk -v label="$label" -v server="$server" -v path="$shown_path" -v st=$((s1 - s0)) -v wt="$w" \
        -v busy="$busy" -v total="$total" -v others="$others" -v hz="$HZ" -v tsv="$tsv" \
        -v conns="$conns" -v threads="$threads" '
        /^ +50%/           { p50 = $2 }
        /^ +75%/           { p75 = $2 }
        /^ +90%/           { p90 = $2 }
        /^ +99%/           { p99 = $2 }
        / requests in /    { n = $1; secs = $4; sub(/s,$/, "", secs) }
        /^Requests\/sec:/  { rps = $2 }
        /Non-2xx or 3xx/   { non2xx = $NF }
        /Socket errors:/   { sub(/^ *Socket errors: /, ""); errs = $0 }
        END {
            if (n == "" || n == 0) { print "wrk reported no requests" > "/dev/stderr"; exit 1 }
            us = st / hz * 1e6 / n
            other = (busy - st - wt) / hz; if (other < 0) other = 0
            printf "server CPU: %.2f s over the run, %.1f us per request\n", st / hz, us
            printf "wrk CPU: %.2f s; machine busy: %.2f of %.2f CPU-s; other processes: %.2f CPU-s\n",
                wt / hz, busy / hz, total / hz, other
            printf "biggest other processes (CPU-s): %s\n", (others == "" ? "none" : others)
            printf "%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%.1f\t%s\t%s\t%.2f\t%.2f\t%.2f\t%.2f\t%.2f\t%s\t%s\t%s\n",
                label, server, path, n, secs, rps, p50, p75, p90, p99, us,
                (non2xx == "" ? 0 : non2xx), (errs == "" ? "none" : errs),
                st / hz, wt / hz, busy / hz, total / hz, other, (others == "" ? "none" : others), conns, threads >> tsv
        }' "$file" >"$TMP/cpu.txt"
    cat "$TMP/cpu.txt" >>"$file"
    cat "$file"
    echo
}
measure_server() { # measure_server <name> <pid> <base url>: smoke-check, then measure every route in ROUTES
    local name=$1 pid=$2 base=$3 entry label path auth part options mem_before mem_after
    for entry in "${ROUTES[@]}"; do
        IFS='|' read -r label path auth part options <<<"$entry"
        [[ $options == *script=* ]] && continue   # its paths are the table=queries routes' paths
        expect "$base$path" "$auth" "$part"
    done
    mem_before=$(memory "$pid")
    echo "   pid $pid; VmRSS/VmHWM (kB) and threads before: $mem_before"
    echo
    for entry in "${ROUTES[@]}"; do
        IFS='|' read -r label path auth part options <<<"$entry"
        if [[ $options == *script=* ]]; then echo "== $label: GET $path and the rest of ${options#*script=}"
        else echo "== $label: GET $path"; fi
        bench "$name" "$pid" "$base" "$label" "$path" "$auth" "$options"
    done
    mem_after=$(memory "$pid")
    printf '%s\t%s\t%s\n' "$name" "$mem_before" "$mem_after" | tr ' ' '\t' >>"$OUT/memory.tsv"
}

# ------------------------------------------------------------------ start
mkdir -p "$OUT" "$RAW"
TMP=$(mktemp -d "${TMPDIR:-/tmp}/kith-bench.XXXXXX")
printf 'label\tserver\tpath\trequests\tseconds\treq_per_s\tp50\tp75\tp90\tp99\tserver_cpu_us_per_req\tnon2xx\tsocket_errors\tserver_cpu_s\twrk_cpu_s\tmachine_busy_s\tmachine_total_s\tother_cpu_s\tbiggest_other_processes\tconnections\tthreads\n' | tee "$QTSV" >"$TSV"
printf 'path\tgroups_on_first_page\tmore_pages\tcurl_seconds\n' >"$OUT/search-hits.tsv"
printf 'server\tvmrss_kb_before\tvmhwm_kb_before\tthreads_before\tvmrss_kb_after\tvmhwm_kb_after\tthreads_after\n' >"$OUT/memory.tsv"
: >"$OUT/exit-status.txt"

KITH_COMMIT=$(git -C "$ROOT" rev-parse --short HEAD 2>/dev/null || echo unknown)
if [[ -n $(git -C "$ROOT" status --porcelain -- Sources Package.swift migrations openapi.yaml Plugins 2>/dev/null) ]]; then
    KITH_COMMIT+=" + uncommitted changes"
fi
{
    echo "date:    $(date -u '+%Y-%m-%d %H:%M:%S UTC')"
    echo "machine: nproc=$(nproc), $(grep -m1 '^model name' /proc/cpuinfo | cut -d: -f2- | sed 's/^ *//'), $(awk '/MemTotal/ {printf "%.1f GiB RAM", $2/1048576}' /proc/meminfo), kernel $(uname -r)"
    echo "load:    $(cut -d' ' -f1-3 /proc/loadavg) (1, 5, 15 min) at start"
    echo "kith:    $KITH_COMMIT"
    echo "swift:   $(swift --version 2>&1 | grep -m1 'Swift version')"
    echo "wrk:     $(wrk -v 2>&1 | head -1)"
    echo "sqlite:  $(sqlite3 --version | cut -d' ' -f1)"
    echo "peer:    $([[ $PEER == 1 ]] && echo "yes, from $PEER_SRC" || echo "no (PEER=1 to include it)")"
} | tee "$OUT/machine.txt"

# ------------------------------------------------------------------ Kith
echo
# Always from a clean scratch folder: an incremental build over changed struct layouts has been
# seen to link a stale, crashing binary here, and a benchmark must measure the source as it is.
echo "== swift build -c release --product kith --scratch-path $SCRATCH (clean)"
rm -rf "$SCRATCH"
swift build -c release --product kith --scratch-path "$SCRATCH" 2>&1 | tee "$RAW/kith-build.log" | tail -3
KITH="$(swift build -c release --scratch-path "$SCRATCH" --show-bin-path)/kith"
[[ -x $KITH ]] || { echo "no binary at $KITH" >&2; exit 1; }

DB="$TMP/kith.sqlite"
KEY=$("$KITH" keys create --role admin --name bench-admin --db "$DB" 2>>"$RAW/kith-keys.log")
"$KITH" keys create --role officer --name bench-target --db "$DB" >/dev/null 2>"$TMP/target.err"
cat "$TMP/target.err" >>"$RAW/kith-keys.log"
TARGET_KEY_ID=$(awk '/^created / {print $2; exit}' "$TMP/target.err")
[[ -n $KEY && -n $TARGET_KEY_ID ]] || { echo "could not create the benchmark keys (see $RAW/kith-keys.log)" >&2; exit 1; }

PORT=$(free_port)
BASE="http://127.0.0.1:$PORT"
echo
echo "== kith serve on $BASE (fresh database $DB)"
"$KITH" serve --db "$DB" --host 127.0.0.1 --port "$PORT" --rate-limits off --access-log off \
    --max-body-bytes "$KITH_MAX_BODY" >"$RAW/kith.log" 2>&1 &
KITH_PID=$!
PIDS+=("$KITH_PID")
wait_up "$BASE/healthz" "$KITH_PID"
seed_kith
ROUTES=()
kith_routes
measure_server kith "$KITH_PID" "$BASE"
[[ $LEDGER == 1 ]] && ledger_bench
stop "$KITH_PID"
[[ $LEDGER == 1 ]] && ledger_check
echo "kith $STOP_STATUS" >>"$OUT/exit-status.txt"
echo "== kith stopped (exit status $STOP_STATUS after TERM)"

# ------------------------------------------------------------------ Hummingbird peer (PEER=1)
PEER_NOTE=""
if [[ $PEER == 1 ]]; then
    echo
    echo "== peer: copying $PEER_SRC to bench/.peer and building it (swift build -c release)"
    mkdir -p "$PEER_DIR"
    tar -C "$PEER_SRC" --exclude=./.build --exclude=./results --exclude='*.sqlite*' --exclude=./nginx/logs \
        --exclude=./nginx/tmp -cf - . | tar -C "$PEER_DIR" -xf -
    chmod -R u+w "$PEER_DIR"
    if (cd "$PEER_DIR" && timeout "$PEER_BUILD_TIMEOUT" swift build -c release --product peer) >"$RAW/peer-build.log" 2>&1; then
        tail -2 "$RAW/peer-build.log"
        PEER_BIN="$(cd "$PEER_DIR" && swift build -c release --show-bin-path)/peer"
        PEER_DB="$TMP/groups.sqlite"
        bash "$PEER_DIR/make-db.sh" "$PEER_DB"
        PORT=$(free_port)
        BASE="http://127.0.0.1:$PORT"
        echo "== peer on $BASE"
        PORT=$PORT DB=$PEER_DB "$PEER_BIN" >"$RAW/peer.log" 2>&1 &
        PEER_PID=$!
        PIDS+=("$PEER_PID")
        wait_up "$BASE/healthz" "$PEER_PID"
        ROUTES=()
        peer_routes
        measure_server peer "$PEER_PID" "$BASE"
        stop "$PEER_PID"
        echo "peer $STOP_STATUS" >>"$OUT/exit-status.txt"
        echo "== peer stopped (exit status $STOP_STATUS after TERM)"
    else
        PEER_NOTE="The peer did not build (or took over ${PEER_BUILD_TIMEOUT} s); see raw/peer-build.log. No comparison."
        echo "$PEER_NOTE" >&2
        tail -20 "$RAW/peer-build.log" >&2
    fi
fi

# ------------------------------------------------------------------ summary
# awk helpers: group(12345.6) -> "12,346"; ms("634.00us") -> "0.63 ms"
AWK_GROUP='function group(x,   s, r) { s = sprintf("%.0f", x); r = ""
    while (length(s) > 3) { r = "," substr(s, length(s) - 2) r; s = substr(s, 1, length(s) - 3) }
    return s r }
function ms(t,   v) { v = t + 0                       # wrk prints 634.00us, 1.65ms or 1.02s
    if (t ~ /us$/) v /= 1000; else if (t ~ /[0-9]s$/) v *= 1000
    return sprintf("%.2f ms", v) }'
SUMMARY="$OUT/summary.md"
REL_OUT=${OUT#"$ROOT"/}
{
    echo "# Kith benchmark, $(sed -n 's/^date: *//p' "$OUT/machine.txt")"
    echo
    echo "**Provisional.** This is a 2-core shared machine: wrk runs on the same cores as the server, and other"
    echo "work (e.g. compilers) may have been running. The \"other CPU-s\" column shows how many CPU-seconds"
    echo "processes other than the server and wrk used during each run (out of $(nproc) cores × $DURATION);"
    echo "anything well above 0 means the figures are depressed. Compare servers within one run, and prefer the"
    echo "server-CPU-per-request column, which depends much less on what else ran."
    echo
    echo '```'
    cat "$OUT/machine.txt"
    echo '```'
    echo
    echo "Each row: \`wrk ${WRK_ARGS[*]} [-H 'Authorization: Bearer <key>'] URL\` after an unreported"
    echo "${WARMUP} warm-up (\`wrk ${WARMUP_ARGS[*]}\`) on the same URL; the search rows use \`-s $SEARCH_LUA\`,"
    echo "\`--timeout $SEARCH_TIMEOUT\` and the connections shown. Kith ran as"
    echo "\`kith serve --rate-limits off --access-log off --max-body-bytes $KITH_MAX_BODY\` (release build) on a fresh"
    echo "database holding two API keys, $(awk -F'\t' "$AWK_GROUP"' NR == 2 {print group($1)}' "$OUT/seed.tsv" 2>/dev/null) generated groups and one known group, loaded as below."
    echo "Raw wrk output: \`$REL_OUT/<run>.txt\`; all figures also in \`$REL_OUT/runs.tsv\`."
    echo
    echo "| run | GET | conns | req/s | p50 | p75 | p90 | p99 | server CPU µs/req | non-2xx | socket errors | other CPU-s |"
    echo "|---|---|---:|---:|---:|---:|---:|---:|---:|---:|---|---:|"
    awk -F'\t' "$AWK_GROUP"' NR > 1 {
        path = $3; gsub(/\/v1\/keys\/[^\/]+$/, "/v1/keys/{id}", path); gsub(/\/v1\/groups\/grp_[^\/]+$/, "/v1/groups/{id}", path)
        printf "| %s | `%s` | %s | %s | %s | %s | %s | %s | %.0f | %s | %s | %.2f |\n",
            $1, path, $20, group($6), ms($7), ms($8), ms($9), ms($10), $11, $12, $13, $18
    }' "$TSV"
    if [[ -s $OUT/seed.tsv ]]; then
        echo
        echo "## Loading the groups"
        echo
        awk -F'\t' "$AWK_GROUP"' NR == 2 {
            printf "`bench/seed-groups.py --count %s --seed '"$SEED"'` loaded %s groups through `POST /v1/groups/import`\n", $1, group($1)
            printf "(text/csv, admin key) in %d requests of at most %s rows, after the 19 areas (`POST /v1/areas/import`) and\n", $2, group($3)
            printf "one known group (`POST /v1/groups`): **%.1f s, %s rows/s**. Kith spent %.1f CPU-s on it (%.0f ms per\n", $4, group($5), $6, $7
            printf "1,000 rows); the database was %.0f MB afterwards (file and WAL).\n", $9 / 1e6
        }' "$OUT/seed.tsv"
    fi
    if grep -q '^kith-search' "$TSV"; then
        echo
        echo "## Group search"
        echo
        echo "Anonymous \`GET /v1/groups\` (the public map: verified groups, public fields, 50 a page unless"
        echo "\`limit\` says otherwise), the ${#SEARCH_QUERIES[@]} queries of \`$SEARCH_LUA\` in turn. With many connections"
        echo "the latency is mostly time queued behind other searches; fewer connections show the latency of one."
        echo
        echo "| connections | req/s | p50 | p75 | p90 | p99 | server CPU ms/req | non-2xx | socket errors | other CPU-s |"
        echo "|---:|---:|---:|---:|---:|---:|---:|---:|---|---:|"
        awk -F'\t' "$AWK_GROUP"' NR > 1 && $1 ~ /^kith-search/ {
            printf "| %s | %.1f | %s | %s | %s | %s | %.2f | %s | %s | %.2f |\n", $20, $6, ms($7), ms($8), ms($9), ms($10), $11 / 1000, $12, $13, $18
        }' "$TSV"
    fi
    if [[ $(wc -l <"$QTSV") -gt 1 ]]; then
        echo
        echo "### Each search query alone"
        echo
        echo "\`wrk -t1 -c1 -d$QUERY_DURATION --latency\` on each query's URL after a $QUERY_WARMUP warm-up: one request at a time, so"
        echo "req/s is about 1 ÷ the mean latency. \"page 1\" is how many groups the first page held (and whether there were more)."
        echo
        echo "| run | query | page 1 | req/s | p50 | p90 | p99 | server CPU ms/req | non-2xx | other CPU-s |"
        echo "|---|---|---:|---:|---:|---:|---:|---:|---:|---:|"
        awk -F'\t' "$AWK_GROUP"' FNR == NR { if (FNR > 1) { hits[$1] = $2; more[$1] = $3 }; next }
            FNR > 1 {
                printf "| %s | `%s` | %s%s | %.1f | %s | %s | %s | %.2f | %s | %.2f |\n", $1, $3, hits[$3], (more[$3] == "yes" ? "+" : ""),
                    $6, ms($7), ms($9), ms($10), $11 / 1000, $12, $18
            }' "$OUT/search-hits.tsv" "$QTSV"
    fi
    if [[ -s $OUT/search-checks.txt ]]; then
        echo
        echo "### Search checks"
        echo
        echo "Searches whose answers the seed makes known (\`seed-groups.py --check-only\`), run once before measuring:"
        echo
        echo '```'
        cat "$OUT/search-checks.txt"
        echo '```'
    fi
    echo
    echo "Server memory (kB; before = after start-up and smoke checks, after = after the last run):"
    echo
    echo "| server | VmRSS before | VmHWM before | VmRSS after | VmHWM after | threads after | exit status after TERM |"
    echo "|---|---:|---:|---:|---:|---:|---:|"
    awk "$AWK_GROUP"' FNR == NR { split($0, f, " "); st[f[1]] = f[2]; next }
        FNR > 1 { split($0, f, "\t")
                  printf "| %s | %s | %s | %s | %s | %s | %s |\n", f[1], group(f[2]), group(f[3]), group(f[5]), group(f[6]), f[7], st[f[1]] }' \
        "$OUT/exit-status.txt" "$OUT/memory.tsv"
    if [[ $PEER == 1 && -z $PEER_NOTE ]]; then
        echo
        echo "## Kith against the Hummingbird peer (same run)"
        echo
        echo "Ratios are Kith ÷ peer for req/s (above 1: Kith serves more) and peer ÷ Kith for CPU per request"
        echo "(above 1: Kith spends less CPU on each request)."
        echo
        echo "| comparison | Kith req/s | peer req/s | req/s ratio | Kith µs/req | peer µs/req | CPU ratio | Kith p99 | peer p99 |"
        echo "|---|---:|---:|---:|---:|---:|---:|---:|---:|"
        for pair in "${COMPARE[@]}"; do
            read -r k p what <<<"$pair"
            awk -F'\t' -v k="$k" -v p="$p" -v what="$what" "$AWK_GROUP"'
                $1 == k { kr = $6; ku = $11; k99 = $10 } $1 == p { pr = $6; pu = $11; p99 = $10 }
                END {
                    if (kr == "" || pr == "") exit
                    printf "| %s | %s | %s | **%.2f** | %.0f | %.0f | **%.2f** | %s | %s |\n",
                        what, group(kr), group(pr), kr / pr, ku, pu, pu / ku, ms(k99), ms(p99)
                }' "$TSV"
        done
    fi
    echo
    echo "## Notes"
    echo
    echo "- \`kith-group\` (\`GET /v1/groups/{id}\`, no key, a verified group) is the like-for-like single-row read"
    echo "  against the peer's \`/v1/groups/{id}\`: neither checks a key. Kith reads the group's row and then its"
    echo "  answers (activities, languages, ...: a second SELECT on group_facets) and returns over 1 kB of JSON with"
    echo "  an ETag; the peer reads one row of six columns. Kith's groups table holds $(awk -F'\t' "$AWK_GROUP"' NR == 2 {print group($1 + 1)}' "$OUT/seed.tsv" 2>/dev/null) rows, the peer's 10,000."
    echo "- \`kith-key\` (\`GET /v1/keys/{id}\` with the admin key) checks the API key first (SHA-256 of the key, then"
    echo "  one SELECT by that hash, remembered for 5 s), then reads the row; kept for comparison with earlier runs."
    echo "- \`server CPU µs/req\`: the server's user+system CPU time over the measured run (from"
    echo "  \`/proc/<pid>/stat\`), divided by the requests wrk completed."
    kith_status=$(awk '$1 == "kith" {print $2}' "$OUT/exit-status.txt")
    if [[ -n $kith_status && $kith_status != 0 && $kith_status != 143 ]]; then
        signal=""
        (( kith_status > 128 )) && signal=" (signal SIG$(kill -l $((kith_status - 128)) 2>/dev/null || echo $((kith_status - 128))))"
        echo "- **Kith did not exit cleanly on SIGTERM**: exit status $kith_status$signal. Its log is in"
        echo "  \`$REL_OUT/raw/kith.log\` (gitignored). The figures above were taken before the stop."
    fi
    if awk -F'\t' 'FNR > 1 && $18 >= 0.5 {bad = 1} END {exit !bad}' "$TSV" "$QTSV"; then
        echo "- Runs in which other processes used 0.5 CPU-s or more, with the biggest of them by name (a process"
        echo "  that ended during the run counts, with all its CPU time, under the parent that reaped it, so a"
        echo "  name's figure can exceed the run's):"
        awk -F'\t' 'FNR > 1 && $18 >= 0.5 { printf "  - %s: %.2f CPU-s (%s)\n", $1, $18, $19 }' "$TSV" "$QTSV"
    fi
    for log in "$RAW/kith.log" "$RAW/peer.log"; do
        [[ -f $log ]] || continue
        lines=$(wc -l <"$log")
        if (( lines > 20 )); then
            echo "- **$(basename "$log" .log) wrote $lines lines to its log** although the access log was off: debugging"
            echo "  output in the build measured may have slowed it (see \`$REL_OUT/raw/$(basename "$log")\`)."
        fi
    done
    if awk -F'\t' 'FNR > 1 && ($12 != 0 || $13 != "none") {bad = 1} END {exit !bad}' "$TSV" "$QTSV"; then
        echo "- **Some runs had non-2xx responses or socket errors**: their req/s does not measure successful work."
    fi
    [[ -z $PEER_NOTE ]] || echo "- $PEER_NOTE"
    if [[ -s $OUT/ledger.tsv ]]; then
        echo
        echo "## The credits ledger"
        echo
        echo "Committed double-entry movements per second: \`wrk -t$THREADS -c$LEDGER_CONNECTIONS -d$DURATION -s bench/ledger.lua\`,"
        echo "each request \`POST /v1/credit-gifts\` of 1 credit between two of 64 volunteers seeded with 960 credits each"
        echo "(\`bench/seed-ledger.py\`), with a unique \`Idempotency-Key\` (stored in the same transaction). Every 201 is one"
        echo "movement; the server's CPU time is divided by the movements. \`kith check\` afterwards: $(head -1 "$OUT/ledger-check.txt")."
        echo
        echo "| connections | movements/s | p50 | p99 | server CPU µs per movement | refused (non-2xx) |"
        echo "|---:|---:|---:|---:|---:|---:|"
        awk -F'\t' 'NR == 2 { printf "| %d | %s | %s | %s | %s | %d |\n", $1, $5, $6, $7, $8, $3 }' "$OUT/ledger.tsv"
    fi
} >"$SUMMARY"
mkdir -p "$ROOT/bench/results"
cp "$SUMMARY" "$ROOT/bench/results/latest.md"
echo
cat "$SUMMARY"
echo
echo "wrote $REL_OUT/summary.md and bench/results/latest.md"
