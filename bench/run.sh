#!/usr/bin/env bash
# Kith HTTP benchmark: builds Kith in release mode, starts it on a fresh database, measures a few
# routes with wrk, and writes raw output plus a Markdown summary. With PEER=1 it also builds and
# measures the Hummingbird peer (/work/shared/bench/peer-hummingbird) in the same run, so Kith's
# speed can be stated as a ratio. See bench/README.md.
#
#   bash bench/run.sh                 # Kith only
#   PEER=1 bash bench/run.sh          # Kith, then the peer, then a comparison table
#
# Settings (environment): PEER=0|1, DURATION=10s, WARMUP=3s, THREADS=2, CONNECTIONS=64,
# SCRATCH=.build-bench (Kith's SwiftPM scratch path), OUT=bench/results/<UTC time>,
# PEER_SRC=/work/shared/bench/peer-hummingbird, PEER_BUILD_TIMEOUT=1200 (seconds).
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

# ------------------------------------------------------------------ what is measured
# One line per measured route: route <label> <path> <auth> <expected body part>
#   label: names the raw file and the summary row; auth: admin (send the admin key) or - (none);
#   body part: the smoke check before measuring wants status 200, a JSON content type and this text.
# The path may use $TARGET_KEY_ID, the id of a second key this script creates (not the caller's).
kith_routes() {
    route kith-healthz /healthz - '"status":"ok"'
    route kith-me /v1/me admin '"role":"admin"'
    route kith-key "/v1/keys/$TARGET_KEY_ID" admin "\"id\":\"$TARGET_KEY_ID\""
    # route kith-group /v1/groups/g005000 admin '"id":"g005000"'   # once Groups exists (rows: seed_kith)
}
peer_routes() {
    route peer-healthz /healthz - '"status":"ok"'
    route peer-group /v1/groups/g005000 - '"id":"g005000"'
}
# Pairs compared when PEER=1: "<kith label> <peer label> <description>". A pair whose Kith label was
# not measured is left out of the table, so kith-group's row appears once its route line is enabled.
COMPARE=(
    "kith-healthz peer-healthz /healthz, no key: Kith vs peer"
    "kith-key peer-group one row by id: Kith /v1/keys/{id} (with key check) vs peer /v1/groups/{id} (no auth)"
    "kith-group peer-group one row by id: Kith /v1/groups/{id} (with key check) vs peer /v1/groups/{id} (no auth)"
)
# Rows Kith's routes read beyond the two keys. Called with the server running; $BASE and $KEY set.
seed_kith() {
    :   # e.g. create group g005000 with POST /v1/groups once that route exists
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
install_missing wrk:wrk curl:curl sqlite3:sqlite3 dpkg:libsqlite3-dev dpkg:libssl-dev

free_port() { # a port nothing answers on (random, 20000-39999)
    local p
    for _ in $(seq 1 100); do
        p=$((20000 + RANDOM % 20000))
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
    local url=$1 auth=$2 part=$3 out status body hdr=()
    [[ $auth == - ]] || hdr=(-H "Authorization: Bearer $KEY")
    out=$(curl -s ${hdr[@]+"${hdr[@]}"} -w '\n%{http_code} %{content_type}' "$url")
    status=${out##*$'\n'}
    body=${out%$'\n'*}
    printf '   %-60s -> %s  %.100s\n' "${url#http://127.0.0.1:*/}" "$status" "$body"
    if [[ ${status%% *} != 200 || $status != *application/json* || $body != *"$part"* ]]; then
        echo "unexpected answer from $url (wanted 200, JSON, containing $part)" >&2
        exit 1
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
route() { ROUTES+=("$1|$2|$3|$4"); }
TSV="$OUT/runs.tsv"
bench() { # bench <server name> <pid> <base url> <label> <path> <auth>
    local server=$1 pid=$2 base=$3 label=$4 path=$5 auth=$6
    local file="$OUT/$label.txt" hdr=() shown=""
    if [[ $auth != - ]]; then
        hdr=(-H "Authorization: Bearer $KEY")
        shown=" -H 'Authorization: Bearer <$auth key>'"
    fi
    wrk "${WARMUP_ARGS[@]}" ${hdr[@]+"${hdr[@]}"} "$base$path" >/dev/null   # unreported warm-up
    echo "\$ wrk ${WRK_ARGS[*]}$shown $base$path" >"$file"
    local s0 s1 m0 m1 w
    snapshot >"$TMP/procs0"
    s0=$(proc_ticks "$pid")
    m0=$(machine_ticks)
    # wrk runs in a subshell so that the subshell's reaped-children time is wrk's own CPU time.
    w=$( (wrk "${WRK_ARGS[@]}" ${hdr[@]+"${hdr[@]}"} "$base$path" >>"$file"; proc_ticks "$BASHPID" children) )
    m1=$(machine_ticks)
    s1=$(proc_ticks "$pid")
    snapshot >"$TMP/procs1"
    local busy total others b0 t0 b1 t1
    read -r b0 t0 <<<"$m0"
    read -r b1 t1 <<<"$m1"
    busy=$((b1 - b0)) total=$((t1 - t0))
    others=$(top_others "$TMP/procs0" "$TMP/procs1" "$$" "$pid")
    awk -v label="$label" -v server="$server" -v path="$path" -v st=$((s1 - s0)) -v wt="$w" \
        -v busy="$busy" -v total="$total" -v others="$others" -v hz="$HZ" -v tsv="$TSV" '
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
            printf "%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%.1f\t%s\t%s\t%.2f\t%.2f\t%.2f\t%.2f\t%.2f\t%s\n",
                label, server, path, n, secs, rps, p50, p75, p90, p99, us,
                (non2xx == "" ? 0 : non2xx), (errs == "" ? "none" : errs),
                st / hz, wt / hz, busy / hz, total / hz, other, (others == "" ? "none" : others) >> tsv
        }' "$file" >"$TMP/cpu.txt"
    cat "$TMP/cpu.txt" >>"$file"
    cat "$file"
    echo
}
measure_server() { # measure_server <name> <pid> <base url>: smoke-check, then measure every route in ROUTES
    local name=$1 pid=$2 base=$3 entry label path auth part mem_before mem_after
    for entry in "${ROUTES[@]}"; do
        IFS='|' read -r label path auth part <<<"$entry"
        expect "$base$path" "$auth" "$part"
    done
    mem_before=$(memory "$pid")
    echo "   pid $pid; VmRSS/VmHWM (kB) and threads before: $mem_before"
    echo
    for entry in "${ROUTES[@]}"; do
        IFS='|' read -r label path auth part <<<"$entry"
        echo "== $label: GET $path"
        bench "$name" "$pid" "$base" "$label" "$path" "$auth"
    done
    mem_after=$(memory "$pid")
    printf '%s\t%s\t%s\n' "$name" "$mem_before" "$mem_after" | tr ' ' '\t' >>"$OUT/memory.tsv"
}

# ------------------------------------------------------------------ start
mkdir -p "$OUT" "$RAW"
TMP=$(mktemp -d "${TMPDIR:-/tmp}/kith-bench.XXXXXX")
printf 'label\tserver\tpath\trequests\tseconds\treq_per_s\tp50\tp75\tp90\tp99\tserver_cpu_us_per_req\tnon2xx\tsocket_errors\tserver_cpu_s\twrk_cpu_s\tmachine_busy_s\tmachine_total_s\tother_cpu_s\tbiggest_other_processes\n' >"$TSV"
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
"$KITH" serve --db "$DB" --host 127.0.0.1 --port "$PORT" --rate-limits off --access-log off >"$RAW/kith.log" 2>&1 &
KITH_PID=$!
PIDS+=("$KITH_PID")
wait_up "$BASE/healthz" "$KITH_PID"
seed_kith
ROUTES=()
kith_routes
measure_server kith "$KITH_PID" "$BASE"
stop "$KITH_PID"
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
    echo "${WARMUP} warm-up (\`wrk ${WARMUP_ARGS[*]}\`) on the same URL. Kith ran as"
    echo "\`kith serve --rate-limits off --access-log off\` (release build) on a fresh database holding two API keys."
    echo "Raw wrk output: \`$REL_OUT/<run>.txt\`; all figures also in \`$REL_OUT/runs.tsv\`."
    echo
    echo "| run | GET | req/s | p50 | p75 | p90 | p99 | server CPU µs/req | non-2xx | socket errors | other CPU-s |"
    echo "|---|---|---:|---:|---:|---:|---:|---:|---:|---|---:|"
    awk -F'\t' "$AWK_GROUP"' NR > 1 {
        path = $3; gsub(/\/v1\/keys\/[^\/]+$/, "/v1/keys/{id}", path)
        printf "| %s | `%s` | %s | %s | %s | %s | %s | %.0f | %s | %s | %.2f |\n",
            $1, path, group($6), ms($7), ms($8), ms($9), ms($10), $11, $12, $13, $18
    }' "$TSV"
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
    echo "- Kith has no \`/v1/groups/{id}\` route yet (the Groups module comes later). Until it does, Kith's"
    echo "  single-row read is \`/v1/keys/{id}\` (an admin reads another key's row by id), compared with the"
    echo "  peer's \`/v1/groups/{id}\`. Kith's authenticated routes also check the API key first (SHA-256 of the"
    echo "  key, then one SELECT by that hash), so they do two row reads per request; the peer has no"
    echo "  authentication. Kith's key table holds 2 rows, the peer's groups table 10,000."
    echo "- \`server CPU µs/req\`: the server's user+system CPU time over the measured run (from"
    echo "  \`/proc/<pid>/stat\`), divided by the requests wrk completed."
    kith_status=$(awk '$1 == "kith" {print $2}' "$OUT/exit-status.txt")
    if [[ -n $kith_status && $kith_status != 0 && $kith_status != 143 ]]; then
        signal=""
        (( kith_status > 128 )) && signal=" (signal SIG$(kill -l $((kith_status - 128)) 2>/dev/null || echo $((kith_status - 128))))"
        echo "- **Kith did not exit cleanly on SIGTERM**: exit status $kith_status$signal. Its log is in"
        echo "  \`$REL_OUT/raw/kith.log\` (gitignored). The figures above were taken before the stop."
    fi
    if awk -F'\t' 'NR > 1 && $18 >= 0.5 {bad = 1} END {exit !bad}' "$TSV"; then
        echo "- Runs in which other processes used 0.5 CPU-s or more, with the biggest of them by name (a process"
        echo "  that ended during the run counts, with all its CPU time, under the parent that reaped it, so a"
        echo "  name's figure can exceed the run's):"
        awk -F'\t' 'NR > 1 && $18 >= 0.5 { printf "  - %s: %.2f CPU-s (%s)\n", $1, $18, $19 }' "$TSV"
    fi
    for log in "$RAW/kith.log" "$RAW/peer.log"; do
        [[ -f $log ]] || continue
        lines=$(wc -l <"$log")
        if (( lines > 20 )); then
            echo "- **$(basename "$log" .log) wrote $lines lines to its log** although the access log was off: debugging"
            echo "  output in the build measured may have slowed it (see \`$REL_OUT/raw/$(basename "$log")\`)."
        fi
    done
    if awk -F'\t' 'NR > 1 && ($12 != 0 || $13 != "none") {bad = 1} END {exit !bad}' "$TSV"; then
        echo "- **Some runs had non-2xx responses or socket errors**: their req/s does not measure successful work."
    fi
    [[ -z $PEER_NOTE ]] || echo "- $PEER_NOTE"
} >"$SUMMARY"
mkdir -p "$ROOT/bench/results"
cp "$SUMMARY" "$ROOT/bench/results/latest.md"
echo
cat "$SUMMARY"
echo
echo "wrote $REL_OUT/summary.md and bench/results/latest.md"
