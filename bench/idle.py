#!/usr/bin/env python3
"""Kith's memory with 1,000 idle keep-alive connections open.

    python3 bench/idle.py --kith .build-bench/release/kith [--connections 1000] [--settle 5] [--out DIR]

`bash bench/idle.sh` builds the release binary and runs this; see bench/README.md. It:

1. starts `kith serve` on a fresh database in a temporary folder, on a free port, with room for the
   connections (`--max-connections`, connections + 100) and an idle timeout longer than the run
   (`--idle-timeout 600`), and the access log off;
2. sends a few requests (each on a fresh connection) and records the server's VmRSS and VmHWM
   (from /proc/PID/status), threads and open file descriptors: "at rest";
3. opens N TCP connections, one after another; each sends one keep-alive `GET /healthz` (HTTP/1.1,
   no Connection header), reads the whole 200 answer, and then stays open and silent;
4. after --settle seconds records the same figures again and the server's CPU time meanwhile;
5. while they are open, times --probes fresh requests (a new connection, `GET /healthz`), and reads
   `kith_http_open_connections` from `GET /metrics`;
6. sends a second `GET /healthz` on every idle connection (so they were really kept open), records the
   figures, closes all of them, waits, and records the figures and the gauge once more.

It writes summary.md (and the figures as figures.tsv) into --out and prints the summary. Exit status 0
when every connection was accepted and answered twice, every probe answered in under --max-probe-ms,
and the open-connections gauge fell back after the close. Python 3, standard library only. It stops
only the server it started, by PID (SIGTERM, then SIGKILL after 10 s).
"""
import argparse, datetime, os, platform, re, resource, shutil, signal, socket, statistics, subprocess, sys, tempfile, time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def status_figures(pid):
    """VmRSS and VmHWM (kB), VmRSS split into anonymous and file-backed (shared libraries), threads and open
    file descriptors of a process."""
    fields = {}
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            name, _, value = line.partition(":")
            fields[name] = value.split()
    fds = len(os.listdir(f"/proc/{pid}/fd"))
    return {"rss": int(fields["VmRSS"][0]), "hwm": int(fields["VmHWM"][0]), "anon": int(fields["RssAnon"][0]),
            "file": int(fields["RssFile"][0]), "threads": int(fields["Threads"][0]), "fds": fds}


def cpu_seconds(pid):
    """User + system CPU time of a process, in seconds."""
    with open(f"/proc/{pid}/stat") as f:
        rest = f.read().rsplit(")", 1)[1].split()
    return (int(rest[11]) + int(rest[12])) / os.sysconf("SC_CLK_TCK")


def read_response(sock):
    """Reads one HTTP/1.1 response with a Content-Length. Returns (status, headers, body)."""
    data = b""
    while b"\r\n\r\n" not in data:
        chunk = sock.recv(65536)
        if not chunk:
            raise ConnectionError("closed before the response head")
        data += chunk
    head, _, body = data.partition(b"\r\n\r\n")
    lines = head.decode("latin-1").split("\r\n")
    status = int(lines[0].split()[1])
    headers = {}
    for line in lines[1:]:
        name, _, value = line.partition(":")
        headers[name.strip().lower()] = value.strip()
    length = int(headers.get("content-length", "0"))
    while len(body) < length:
        chunk = sock.recv(65536)
        if not chunk:
            raise ConnectionError("closed before the end of the body")
        body += chunk
    return status, headers, body


def get(sock, path):
    sock.sendall(f"GET {path} HTTP/1.1\r\nHost: 127.0.0.1\r\nUser-Agent: kith-bench-idle\r\n\r\n".encode())
    return read_response(sock)


def fresh_get(port, path, timeout=10):
    """One request on a new connection; returns (status, body, seconds from connect to the last byte)."""
    started = time.perf_counter()
    with socket.create_connection(("127.0.0.1", port), timeout=timeout) as sock:
        status, _, body = get(sock, path)
    return status, body, time.perf_counter() - started


def open_gauge(port):
    status, body, _ = fresh_get(port, "/metrics")
    match = re.search(rb"^kith_http_open_connections (\d+)", body, re.M)
    return int(match.group(1)) if status == 200 and match else None


def machine(kith):
    def run(*command):
        try:
            return subprocess.run(command, capture_output=True, text=True, timeout=60, cwd=ROOT).stdout.strip()
        except (OSError, subprocess.SubprocessError):
            return ""
    with open("/proc/meminfo") as f:
        mem_kb = int(next(line for line in f if line.startswith("MemTotal")).split()[1])
    commit = run("git", "rev-parse", "--short", "HEAD")
    dirty = run("git", "status", "--porcelain", "--untracked-files=no", "--", "Sources", "Package.swift")
    swift = next((line for line in run("swift", "--version").splitlines() if "Swift version" in line), "unknown")
    return [
        ("date", datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%d %H:%M:%S UTC")),
        ("host", f"{platform.node()}, {os.cpu_count()} CPUs (nproc {len(os.sched_getaffinity(0))}), "
                 f"{mem_kb / 1048576:.1f} GiB memory"),
        ("kernel", f"{platform.system()} {platform.release()} {platform.machine()}"),
        ("load", " ".join(open("/proc/loadavg").read().split()[:3]) + " (1, 5, 15 min) at start"),
        ("swift", swift),
        ("kith", f"{commit}{' + uncommitted changes in Sources/' if dirty else ''} ({os.path.relpath(kith, ROOT)})"),
        ("python", platform.python_version()),
    ]


def main():
    parser = argparse.ArgumentParser(description="Kith's memory at many idle keep-alive connections")
    parser.add_argument("--kith", required=True, help="the kith binary (a release build)")
    parser.add_argument("--connections", type=int, default=1000)
    parser.add_argument("--settle", type=float, default=5.0, help="seconds to leave the connections idle before measuring")
    parser.add_argument("--probes", type=int, default=20, help="fresh requests timed while the connections are open")
    parser.add_argument("--max-probe-ms", type=float, default=250.0, help="a slower probe fails the run")
    parser.add_argument("--out", help="folder for summary.md and figures.tsv [bench/results/<UTC time>-idle]")
    args = parser.parse_args()
    kith = os.path.abspath(args.kith)
    stamp = datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%dT%H-%M-%SZ")
    out = os.path.abspath(args.out or os.path.join(ROOT, "bench", "results", f"{stamp}-idle"))
    os.makedirs(os.path.join(out, "raw"), exist_ok=True)

    # This process holds every client socket: raise its own descriptor limit (the server inherits it too).
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    want = args.connections + 512
    if soft != resource.RLIM_INFINITY and soft < want:
        if hard != resource.RLIM_INFINITY and hard < want:
            raise SystemExit(f"the open-files limit is {soft}/{hard}; {want} are needed (ulimit -n {want})")
        resource.setrlimit(resource.RLIMIT_NOFILE, (want, hard))
    info = machine(kith)
    info.append(("open files", f"ulimit -n {resource.getrlimit(resource.RLIMIT_NOFILE)[0]} (client and server)"))

    work = tempfile.mkdtemp(prefix="kith-idle-")
    db = os.path.join(work, "kith.sqlite")
    max_connections = args.connections + 100
    command = [kith, "serve", "--db", db, "--host", "127.0.0.1", "--port", "0", "--max-connections", str(max_connections),
               "--idle-timeout", "600", "--access-log", "off"]
    shown = "kith serve --db <fresh> --host 127.0.0.1 --port 0 " + " ".join(command[8:])
    log_path = os.path.join(out, "raw", "kith.log")
    log = open(log_path, "w")
    server = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=log)   # stdout: the bootstrap admin key, unused
    clients = []
    failures = []
    rows = []   # (phase, figures, note)

    def record(phase, note=""):
        figures = status_figures(server.pid)
        figures["cpu"] = cpu_seconds(server.pid)
        rows.append((phase, figures, note))
        print(f"   {phase:<44} VmRSS {figures['rss']:>7,} kB (anon {figures['anon']:>6,})  VmHWM {figures['hwm']:>7,} kB  "
              f"threads {figures['threads']:>3}"
              f"  fds {figures['fds']:>5}  {note}", flush=True)
        return figures

    try:
        port = None
        for _ in range(300):
            match = re.search(r'"address":"http://127\.0\.0\.1:(\d+)"', open(log_path).read())
            if match:
                port = int(match.group(1))
                break
            if server.poll() is not None:
                raise SystemExit(f"kith serve exited with {server.returncode}; see {log_path}")
            time.sleep(0.1)
        if port is None:
            raise SystemExit(f"kith serve did not log its address in 30 s; see {log_path}")
        print(f"== {shown} (pid {server.pid}, port {port})")

        # At rest: started, a few requests served on fresh connections, nothing open.
        for _ in range(10):
            status, _, _ = fresh_get(port, "/healthz")
            assert status == 200, status
        time.sleep(1.0)
        record("at rest (started, 10 requests served)")

        # Open the connections: one keep-alive GET /healthz each, answer read, then silent.
        started = time.perf_counter()
        refused = 0
        for i in range(args.connections):
            sock = socket.create_connection(("127.0.0.1", port), timeout=10)
            status, headers, body = get(sock, "/healthz")
            if status != 200 or headers.get("connection", "").lower() == "close":
                refused += 1
                sock.close()
                if refused <= 3:
                    print(f"   connection {i + 1}: status {status}, Connection: {headers.get('connection')}, {body[:100]!r}")
                continue
            clients.append(sock)
        open_seconds = time.perf_counter() - started
        print(f"   opened {len(clients)} keep-alive connections in {open_seconds:.2f} s ({refused} refused or closed)")
        if len(clients) != args.connections:
            failures.append(f"only {len(clients)} of {args.connections} connections were kept open ({refused} refused or closed)")

        cpu0 = cpu_seconds(server.pid)
        time.sleep(args.settle)
        idle_cpu = cpu_seconds(server.pid) - cpu0
        idle = record(f"{len(clients):,} open, idle for {args.settle:g} s", f"server CPU while idle {idle_cpu * 1000:.0f} ms")

        # While they are open: fresh requests still answered quickly?
        probes = []
        for _ in range(args.probes):
            status, _, seconds = fresh_get(port, "/healthz")
            if status != 200:
                failures.append(f"a fresh GET /healthz with the connections open got {status}")
            probes.append(seconds * 1000)
        gauge_open = open_gauge(port)
        probe_median, probe_max = statistics.median(probes), max(probes)
        print(f"   {args.probes} fresh GET /healthz with them open: median {probe_median:.2f} ms, max {probe_max:.2f} ms; "
              f"kith_http_open_connections {gauge_open}")
        if probe_max > args.max_probe_ms:
            failures.append(f"a fresh request took {probe_max:.0f} ms with the connections open (limit {args.max_probe_ms:g} ms)")
        if gauge_open is None or gauge_open < len(clients):
            failures.append(f"kith_http_open_connections was {gauge_open} with {len(clients)} connections open")

        # Every idle connection still usable: a second request on each.
        started = time.perf_counter()
        second_ok = 0
        for sock in clients:
            try:
                status, _, _ = get(sock, "/healthz")
                second_ok += status == 200
            except OSError:
                pass
        second_seconds = time.perf_counter() - started
        print(f"   second GET /healthz on each idle connection: {second_ok} of {len(clients)} answered 200 ({second_seconds:.2f} s)")
        if second_ok != len(clients):
            failures.append(f"only {second_ok} of {len(clients)} idle connections answered a second request")
        record(f"{len(clients):,} open, after a 2nd request on each")

        # Close them all; the server should drop its per-connection state.
        for sock in clients:
            sock.close()
        closed_count = len(clients)
        clients = []
        time.sleep(3.0)
        gauge_closed = open_gauge(port)
        after = record("all closed, 3 s later", f"kith_http_open_connections {gauge_closed} (the /metrics request itself)")
        if gauge_closed is None or gauge_closed > 1:
            failures.append(f"kith_http_open_connections was {gauge_closed} after all {closed_count} connections closed")
        if after["fds"] > rows[0][1]["fds"] + 5:
            failures.append(f"the server holds {after['fds']} file descriptors after the close, {rows[0][1]['fds']} at rest")
        if server.poll() is not None:
            failures.append(f"the server exited ({server.returncode})")
    finally:
        for sock in clients:
            sock.close()
        stop_status = None
        if server.poll() is None:
            server.send_signal(signal.SIGTERM)
            try:
                stop_status = server.wait(timeout=10)
            except subprocess.TimeoutExpired:
                server.kill()
                stop_status = server.wait()
        else:
            stop_status = server.returncode
        log.close()
        shutil.rmtree(work, ignore_errors=True)

    rest = rows[0][1]
    per_connection = (idle["rss"] - rest["rss"]) / max(1, args.connections)
    with open(os.path.join(out, "figures.tsv"), "w") as f:
        f.write("phase\tvmrss_kb\tvmhwm_kb\trss_anon_kb\trss_file_kb\tthreads\tfds\tcpu_s\n")
        for phase, fig, _ in rows:
            f.write(f"{phase}\t{fig['rss']}\t{fig['hwm']}\t{fig['anon']}\t{fig['file']}\t{fig['threads']}\t{fig['fds']}\t{fig['cpu']:.2f}\n")
    lines = [f"# Kith with {args.connections:,} idle keep-alive connections, {info[0][1]}", "", "```"]
    lines += [f"{name + ':':<12}{value}" for name, value in info]
    lines += ["```", "",
              f"`python3 bench/idle.py --connections {args.connections} --settle {args.settle:g}` against the release build, run as",
              f"`{shown}`.",
              f"Each of {args.connections:,} TCP connections sent one keep-alive `GET /healthz` (HTTP/1.1), read the 200 and stayed",
              f"open and silent; they were opened one after another in {open_seconds:.2f} s. Memory from `/proc/<pid>/status` (kB, as /proc counts them: KiB):",
              "", "| phase | VmRSS | of it anonymous | of it files | VmHWM | threads | open fds | note |",
              "|---|---:|---:|---:|---:|---:|---:|---|"]
    lines += [f"| {phase} | {fig['rss']:,} | {fig['anon']:,} | {fig['file']:,} | {fig['hwm']:,} | {fig['threads']} | {fig['fds']:,} | {note} |"
              for phase, fig, note in rows]
    lines += ["",
              f"- **{per_connection:.1f} kB of resident memory per idle connection** (VmRSS with them open minus at rest, "
              f"÷ {args.connections:,}); {(idle['rss'] - rest['rss']) / 1024:.1f} MiB for all of them, "
              f"{idle['rss'] / 1024:.1f} MiB in all.",
              f"- At rest, {rest['file'] / 1024:.1f} MiB of the {rest['rss'] / 1024:.1f} MiB resident are pages of files mapped in "
              "(the binary and the shared libraries: libswiftCore, Foundation, libcrypto, libsqlite3, ...), shared with any "
              f"other process using them; {rest['anon'] / 1024:.1f} MiB are the server's own (RssAnon).",
              f"- The server used {idle_cpu * 1000:.0f} ms of CPU in the {args.settle:g} s the connections sat idle.",
              f"- With them open, {args.probes} fresh requests (new connection, `GET /healthz`): median {probe_median:.2f} ms, "
              f"max {probe_max:.2f} ms; `kith_http_open_connections` read {gauge_open}.",
              f"- A second `GET /healthz` on each idle connection: {second_ok:,} of {closed_count:,} answered 200 "
              f"(in {second_seconds:.2f} s), so none had been dropped.",
              f"- After closing them all: VmRSS {after['rss']:,} kB ({(after['rss'] - rest['rss']) / 1024:+.1f} MiB on rest; "
              "freed memory is kept by the allocator, VmHWM is the peak), "
              f"`kith_http_open_connections` {gauge_closed}, {after['fds']} open fds.",
              f"- Exit status after SIGTERM: {stop_status} (0 is a graceful stop).",
              ""]
    if failures:
        lines += ["**FAILED:**", ""] + [f"- {failure}" for failure in failures] + [""]
    else:
        lines += ["All checks passed: every connection kept open and answered twice, probes under "
                  f"{args.max_probe_ms:g} ms, the gauge back to 1 and the descriptors released after the close.", ""]
    summary = "\n".join(lines)
    with open(os.path.join(out, "summary.md"), "w") as f:
        f.write(summary)
    print()
    print(summary)
    print(f"wrote {os.path.relpath(out, ROOT)}/summary.md")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
