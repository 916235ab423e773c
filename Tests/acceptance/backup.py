#!/usr/bin/env python3
"""Backup and restore drill: `kith backup` of a live database under concurrent writes, then a restore.

    python3 Tests/acceptance/backup.py --kith .build/debug/kith [--workers 8] [--groups 4000]

It starts `kith serve` on a fresh database, seeds areas, volunteers with Time Credits and a few
thousand groups (about 16 MB, so the copy is not instant), then runs worker threads that give credits
between volunteers (each gift with its own Idempotency-Key), create groups (also with a key) and edit
groups. While they write, it runs `kith backup OUT --db DB` in another process, lets the writes go on a
little longer, stops them and stops the server. Then it checks:

- the backup: `kith backup` exited 0 within --backup-timeout (20 s; if not, the same backup is timed
  again with the writes stopped, for the diagnosis) and left no -wal/-shm beside its file; every write acknowledged
  (2xx) before the backup started is in it; it is one consistent snapshot (no write in it was sent
  after a write missing from it was acknowledged); no gift key moved credits twice and no group was
  created twice; the ledger balances;
- the live database: `kith check` passes; every acknowledged write is there exactly once; every
  table holds at least as many rows as in the backup;
- the restore (stop the server, move the database and its -wal/-shm aside, copy the backup into its
  place, `kith check`, start the server): `kith check` passes; the server starts on it; the counts it
  serves over the API (gift movements, groups) equal those counted with sqlite in the backup; a retry
  of a gift acknowledged before the backup gets the stored answer (Idempotent-Replayed) and moves
  nothing; after that server stops, every table's row count equals the backup's; a new gift on the
  restored database succeeds and `kith check` still passes.
Standard library only. Exit status 0 when all holds.
"""
import argparse, os, random, shutil, sqlite3, subprocess, sys, tempfile, threading, time, urllib.error, urllib.request, uuid

import drill


from drill import Server, request


def list_all(base, path, key):
    """Every item of a paged list, following next_cursor."""
    items, cursor = [], None
    while True:
        sep = "&" if "?" in path else "?"
        status, page, _ = request(base, "GET", path + sep + "limit=200" + (f"&cursor={cursor}" if cursor else ""), key)
        assert status == 200, (status, page)
        items += page["data"]
        cursor = page.get("next_cursor")
        if not cursor:
            return items


def table_counts(path):
    """Rows in every table of a database file, read-only: ({table: rows}, the virtual tables' shadow tables).
    A shadow table (an FTS5 index's segments, an R*Tree's nodes) can shrink as its index merges, so only
    the ordinary tables are compared between the live database and the backup."""
    con = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
    try:
        tables = [row[0] for row in con.execute(
            "SELECT name FROM sqlite_schema WHERE type = 'table' AND name NOT LIKE 'sqlite_%' "
            "AND sql NOT LIKE 'CREATE VIRTUAL TABLE%' ORDER BY name")]
        virtual = [row[0] for row in con.execute("SELECT name FROM sqlite_schema WHERE type = 'table' AND sql LIKE 'CREATE VIRTUAL TABLE%'")]
        shadow = {t for t in tables if any(t.startswith(v + "_") for v in virtual)}
        return {t: con.execute(f'SELECT count(*) FROM "{t}"').fetchone()[0] for t in tables}, shadow
    finally:
        con.close()


def kith_check(kith, db):
    check = subprocess.run([kith, "check", "--db", db], capture_output=True, text=True, timeout=120)
    return None if check.returncode == 0 else (check.stdout + check.stderr).strip()[:500]


def main():
    parser = argparse.ArgumentParser(description="Kith backup and restore drill")
    parser.add_argument("--kith", required=True, help="the kith binary")
    parser.add_argument("--workers", type=int, default=8)
    parser.add_argument("--groups", type=int, default=4000, help="groups imported before the load, so the file is a few MB")
    parser.add_argument("--before", type=float, default=3.0, help="seconds of writes before the backup starts")
    parser.add_argument("--after", type=float, default=2.0, help="seconds of writes after the backup ends")
    parser.add_argument("--backup-timeout", type=float, default=20.0,
                        help="seconds kith backup may take under load (it copies the drill's database in well under 1 s)")
    parser.add_argument("--seed", type=int, default=20261126)
    parser.add_argument("--keep", action="store_true", help="keep the work folder (printed) for inspection")
    args = parser.parse_args()
    random.seed(args.seed)
    kith = os.path.abspath(args.kith)
    work = tempfile.mkdtemp(prefix="kith-backup-")
    db = os.path.join(work, "kith.sqlite")
    backup = os.path.join(work, "backup.sqlite")
    failures = []
    t0 = time.monotonic()

    admin = subprocess.run([kith, "keys", "create", "--role", "admin", "--name", "backup-drill", "--db", db],
                           capture_output=True, text=True, check=True).stdout.strip()
    server = Server(kith, db)
    server.start()
    base = server.base
    try:
        # Seed: areas, an organisation issuing credits, 12 volunteers with 216 credits each, 6 groups to edit,
        # and --groups more imported as CSV, so the file is a few MB.
        people, edited = drill.seed(base, admin)
        rng = random.Random(args.seed)
        words = "food bank lunch club knitting circle garden advice youth choir walking football repair cafe English conversation".split()
        csv = ["name,kind,based_in,description"]
        for i in range(args.groups):
            description = " ".join(rng.choice(words) for _ in range(rng.randint(30, 60)))
            csv.append(f"Imported Drill Group {i:05d},community_group,ortons,{description}")
        for start in range(0, len(csv) - 1, 2000):     # about 0.7 MB a request: under the default 1 MiB body limit
            body = ("\n".join([csv[0]] + csv[1 + start:1 + start + 2000]) + "\n").encode()
            with urllib.request.urlopen(urllib.request.Request(base + "/v1/groups/import", method="POST", data=body,
                                        headers={"Authorization": "Bearer " + admin, "Content-Type": "text/csv"}), timeout=120) as resp:
                assert resp.status == 200, resp.status
        size = sum(os.path.getsize(p) for p in (db, db + "-wal") if os.path.exists(p))
        print(f"   seeded in {time.monotonic() - t0:.1f} s: 12 volunteers, {args.groups + 6} groups; database and WAL {size / 1e6:.1f} MB")

        # The load. Each acknowledged write: (sent, acknowledged) monotonic times.
        gifts = {}          # movement id -> (key, body, sent, acked)
        creates = {}        # group id -> (name, sent, acked)
        edits = []          # (group id, version, sent, acked)
        refused, errors = [0], [0]
        lock = threading.Lock()
        stop = threading.Event()

        def worker(n):
            rng = random.Random(args.seed + n)
            while not stop.is_set():
                roll = rng.random()
                sent = time.monotonic()
                try:
                    if roll < 0.6:
                        a, b = rng.sample(people, 2)
                        key, body = str(uuid.uuid4()), {"from_person_id": a, "to_person_id": b, "credits": 1}
                        status, answer, _ = request(base, "POST", "/v1/credit-gifts", admin, body, {"Idempotency-Key": key})
                        acked = time.monotonic()
                        with lock:
                            if status == 201:
                                gifts[answer["id"]] = (key, body, sent, acked)
                            else:
                                refused[0] += 1
                    elif roll < 0.85:
                        name = f"Load Group {n}-{uuid.uuid4().hex[:12]}"
                        status, answer, _ = request(base, "POST", "/v1/groups", admin,
                                                    {"name": name, "kind": "community_group", "based_in": "ortons"},
                                                    {"Idempotency-Key": str(uuid.uuid4())})
                        acked = time.monotonic()
                        with lock:
                            if status == 201:
                                creates[answer["id"]] = (name, sent, acked)
                            else:
                                refused[0] += 1
                    else:
                        group = rng.choice(edited)
                        status, answer, _ = request(base, "PATCH", f"/v1/groups/{group}", admin, {"description": f"edited {uuid.uuid4()}"})
                        acked = time.monotonic()
                        with lock:
                            if status == 200:
                                edits.append((group, answer["version"], sent, acked))
                            else:
                                refused[0] += 1
                except (OSError, ValueError):
                    with lock:
                        errors[0] += 1
                    time.sleep(0.05)

        threads = [threading.Thread(target=worker, args=(n,), daemon=True) for n in range(args.workers)]
        t_load = time.monotonic()
        for t in threads:
            t.start()
        time.sleep(args.before)

        def check_live(backup_counts, shadow):
            """The live database after the load: whole, every acknowledged write there once, no table behind the backup."""
            problem = kith_check(kith, db)
            if problem:
                failures.append(f"kith check on the live database: {problem}")
            live_counts, _ = table_counts(db)
            shrunk = {t: (backup_counts[t], live_counts.get(t)) for t in backup_counts or {}
                      if t not in shadow and live_counts.get(t, -1) < backup_counts[t]}
            if shrunk:
                failures.append(f"live tables with fewer rows than the backup (backup, live): {shrunk}")
            con = sqlite3.connect(f"file:{db}?mode=ro", uri=True)
            l_gifts = [row[0] for row in con.execute("SELECT id FROM credit_movements WHERE kind = 'gift'")]
            l_groups = {row[0] for row in con.execute("SELECT id FROM groups")}
            l_versions = {row[0]: row[1] for row in con.execute(f"SELECT id, version FROM groups WHERE id IN ({','.join('?' * len(edited))})", edited)}
            failures.extend(f"live ledger: {p}" for p in drill.ledger_problems(con))
            con.close()
            if sorted(l_gifts) != sorted(gifts):
                failures.append(f"live: {len(l_gifts)} gift movements for {len(gifts)} acknowledged gifts")
            if set(creates) - l_groups or any(l_versions.get(g, 0) < v for g, v, _, _ in edits):
                failures.append("live: an acknowledged group create or edit is missing")
            compared = (f"; at least the backup's rows in all {len(backup_counts) - len(shadow)} ordinary tables: "
                        f"{'yes' if not shrunk else 'NO'}") if backup_counts else ""
            print(f"   live: kith check {'ok' if not problem else 'FAILED'}; {len(l_gifts)} gifts, {len(l_groups)} groups; "
                  f"{sum(live_counts.values())} rows{compared}")

        # The backup, in another process, while the workers write.
        with lock:
            before_counts = (len(gifts), len(creates), len(edits))
        backup_started = time.monotonic()
        try:
            run = subprocess.run([kith, "backup", backup, "--db", db], capture_output=True, text=True, timeout=args.backup_timeout)
            backup_status, backup_log = run.returncode, (run.stdout + run.stderr).strip()
        except subprocess.TimeoutExpired:
            backup_status, backup_log = None, f"did not finish in {args.backup_timeout:g} s"
        backup_ended = time.monotonic()
        with lock:
            during = (len(gifts) - before_counts[0], len(creates) - before_counts[1], len(edits) - before_counts[2])
        print(f"   kith backup after {before_counts[0]} gifts, {before_counts[1]} groups created and {before_counts[2]} edits "
              f"acknowledged: exit {backup_status} in {backup_ended - backup_started:.2f} s, while {during[0]} gifts, "
              f"{during[1]} creates and {during[2]} edits were acknowledged ({backup_log.splitlines()[-1] if backup_log else ''})")
        time.sleep(args.after)
        stop.set()
        for t in threads:
            t.join(timeout=15)
        if backup_status is None:
            # Diagnose: the same backup with the writes stopped (the server still running).
            started = time.monotonic()
            try:
                idle_run = subprocess.run([kith, "backup", backup + ".idle", "--db", db], capture_output=True, text=True,
                                          timeout=args.backup_timeout)
                idle_result = f"exit {idle_run.returncode} in {time.monotonic() - started:.2f} s"
            except subprocess.TimeoutExpired:
                idle_result = f"did not finish in {args.backup_timeout:g} s either"
            failures.append(f"kith backup did not finish in {args.backup_timeout:g} s while the workers wrote ({sum(during)} writes "
                            f"were acknowledged meanwhile); with the writes stopped the same backup: {idle_result}. A backup "
                            "that copies a few pages a step restarts whenever another process commits, unless it holds one read "
                            "transaction across its steps, so steady writes can keep it from ever finishing.")
        elif backup_status != 0:
            failures.append(f"kith backup under load: exit status {backup_status}: {backup_log[-500:]}")
        status = server.stop()
        if status != 0:
            failures.append(f"the live server exited with {status} after SIGTERM")
        print(f"   load: {len(gifts)} gifts, {len(creates)} groups created, {len(edits)} edits acknowledged; "
              f"{refused[0]} refused, {errors[0]} transport errors")
        # How long writes took before and while the backup ran (those acknowledged in each window).
        timings = [(sent, acked) for _, _, sent, acked in gifts.values()] + [(sent, acked) for _, sent, acked in creates.values()]
        timings += [(sent, acked) for _, _, sent, acked in edits]

        def latency(window):
            ms = sorted((acked - sent) * 1000 for sent, acked in timings if window[0] <= sent and acked <= window[1])
            if not ms:
                return "none"
            return f"{len(ms)} writes, p50 {ms[len(ms) // 2]:.1f} ms, p99 {ms[int(len(ms) * 0.99)]:.1f} ms, max {ms[-1]:.1f} ms"
        print(f"   write latency before the backup: {latency((t_load, backup_started))}; while it ran: {latency((backup_started, backup_ended))}")
        if errors[0]:
            failures.append(f"{errors[0]} requests got no answer during the load")
        if backup_status != 0:
            check_live(None, set())      # the live database must still be whole; nothing to restore
            raise StopIteration
        leftovers = [os.path.basename(p) for p in (backup + "-wal", backup + "-shm", backup + "-journal") if os.path.exists(p)]
        if leftovers:
            failures.append(f"kith backup left {', '.join(leftovers)} beside the backup: the file alone is not the whole backup")

        # --- The backup, read-only with sqlite.
        backup_counts, shadow = table_counts(backup)
        con = sqlite3.connect(f"file:{backup}?mode=ro", uri=True)
        b_gifts = [row[0] for row in con.execute("SELECT id FROM credit_movements WHERE kind = 'gift'")]
        b_groups = {row[0]: row[1] for row in con.execute("SELECT id, name FROM groups")}
        b_versions = {row[0]: row[1] for row in con.execute(f"SELECT id, version FROM groups WHERE id IN ({','.join('?' * len(edited))})", edited)}
        failures += [f"backup ledger: {p}" for p in drill.ledger_problems(con)]
        con.close()
        b_gift_set = set(b_gifts)
        if len(b_gifts) != len(b_gift_set):
            failures.append("backup: a gift movement appears twice")
        unknown = b_gift_set - set(gifts)
        if unknown:
            failures.append(f"backup: {len(unknown)} gift movement(s) no request was acknowledged for (a gift moved twice?)")
        names = [n for n in b_groups.values()]
        if len(names) != len(set(names)):
            failures.append("backup: a group was created twice")
        unknown_groups = [g for g, n in b_groups.items() if n.startswith("Load Group") and g not in creates]
        if unknown_groups:
            failures.append(f"backup: {len(unknown_groups)} group(s) no request was acknowledged for")
        # Acknowledged before the backup started: must be in it.
        missing_gifts = [m for m, (_, _, _, acked) in gifts.items() if acked < backup_started and m not in b_gift_set]
        missing_groups = [g for g, (_, _, acked) in creates.items() if acked < backup_started and g not in b_groups]
        stale_edits = [(g, v) for g, v, _, acked in edits if acked < backup_started and b_versions.get(g, 0) < v]
        if missing_gifts or missing_groups or stale_edits:
            failures.append(f"backup: acknowledged before it started but missing: {len(missing_gifts)} gift(s), "
                            f"{len(missing_groups)} group(s), {len(stale_edits)} edit(s)")
        # One consistent snapshot: nothing in it was sent after something missing from it was acknowledged.
        writes = [(m in b_gift_set, sent, acked) for m, (_, _, sent, acked) in gifts.items()]
        writes += [(g in b_groups, sent, acked) for g, (_, sent, acked) in creates.items()]
        writes += [(b_versions.get(g, 0) >= v, sent, acked) for g, v, sent, acked in edits]
        latest_sent_in = max((sent for inside, sent, _ in writes if inside), default=float("-inf"))
        earliest_acked_out = min((acked for inside, _, acked in writes if not inside), default=float("inf"))
        if latest_sent_in > earliest_acked_out:
            failures.append(f"backup is not one snapshot: a write sent {latest_sent_in - earliest_acked_out:.3f} s after a missing "
                            "write was acknowledged is in it")
        after_end = [1 for inside, sent, _ in writes if inside and sent > backup_ended]
        if after_end:
            failures.append(f"backup holds {len(after_end)} write(s) sent after it ended")
        acked_in = sum(1 for inside, _, _ in writes if inside)
        early_in = sum(1 for inside, _, acked in writes if inside and acked < backup_started)
        early = sum(1 for _, _, acked in writes if acked < backup_started)
        print(f"   backup: {len(b_gift_set)} gifts, {len(b_groups)} groups; {acked_in} of {len(writes)} acknowledged writes, "
              f"{early_in} of the {early} acknowledged before it started; {sum(backup_counts.values())} rows in "
              f"{len(backup_counts)} tables, {os.path.getsize(backup) / 1e6:.1f} MB")

        # --- The live database after the load.
        check_live(backup_counts, shadow)

        # --- Restore: stop the server (done), move the database and its -wal/-shm aside, copy the backup in, check, start.
        aside = os.path.join(work, "replaced")
        os.mkdir(aside)
        for suffix in ("", "-wal", "-shm"):
            if os.path.exists(db + suffix):
                shutil.move(db + suffix, os.path.join(aside, os.path.basename(db) + suffix))
        shutil.copyfile(backup, db)
        problem = kith_check(kith, db)
        if problem:
            failures.append(f"kith check on the restored database: {problem}")
        server = Server(kith, db)
        server.start()
        base = server.base
        api_gifts = list_all(base, "/v1/credit-movements?kind=gift", admin)
        api_groups = list_all(base, "/v1/groups", admin)
        if sorted(m["id"] for m in api_gifts) != sorted(b_gift_set):
            failures.append(f"restored: the API lists {len(api_gifts)} gift movements, the backup holds {len(b_gift_set)}")
        if sorted(g["id"] for g in api_groups) != sorted(b_groups):
            failures.append(f"restored: the API lists {len(api_groups)} groups, the backup holds {len(b_groups)}")
        # A client retrying a gift acknowledged before the backup gets the stored answer; nothing moves twice.
        early_gifts = [m for m, (_, _, _, acked) in gifts.items() if acked < backup_started]
        replayed = 0
        for m in early_gifts[:5]:
            key, body, _, _ = gifts[m]
            status, answer, headers = request(base, "POST", "/v1/credit-gifts", admin, body, {"Idempotency-Key": key})
            if status == 201 and answer.get("id") == m and headers.get("Idempotent-Replayed") == "true":
                replayed += 1
            else:
                failures.append(f"restored: retrying gift {m} with its key got {status} {answer.get('id')}, "
                                f"Idempotent-Replayed {headers.get('Idempotent-Replayed')}")
        status = server.stop()
        if status != 0:
            failures.append(f"the restored server exited with {status} after SIGTERM")
        restored_counts, _ = table_counts(db)
        differ = {t: (backup_counts.get(t), restored_counts.get(t)) for t in set(backup_counts) | set(restored_counts)
                  if backup_counts.get(t) != restored_counts.get(t)}
        if differ:
            failures.append(f"restored tables whose row count differs from the backup's (backup, restored): {differ}")
        # It takes new writes.
        server = Server(kith, db)
        server.start()
        new_gift, answer, _ = request(server.base, "POST", "/v1/credit-gifts", admin,
                                      {"from_person_id": people[0], "to_person_id": people[1], "credits": 1}, {"Idempotency-Key": str(uuid.uuid4())})
        if new_gift != 201:
            failures.append(f"restored: a new gift got {new_gift} {answer}")
        status = server.stop()
        problem = kith_check(kith, db)
        if problem:
            failures.append(f"kith check on the restored database after a new write: {problem}")
        print(f"   restored: kith check {'ok' if not problem else 'FAILED'}; the API serves {len(api_gifts)} gifts and "
              f"{len(api_groups)} groups (as the backup); {replayed} retried gifts replayed, not moved again; "
              f"row counts equal the backup's in {len(restored_counts) - len(differ)} of {len(restored_counts)} tables; "
              f"a new gift: {new_gift}")
    except StopIteration:
        pass
    finally:
        if server.proc.poll() is None:
            server.proc.kill()
            server.proc.wait()
        if args.keep:
            print(f"   kept {work}")
        else:
            shutil.rmtree(work, ignore_errors=True)

    print(f"   {time.monotonic() - t0:.1f} s in all")
    if failures:
        for failure in failures:
            print("FAILED:", failure)
        return 1
    print("backup drill passed")
    return 0


if __name__ == "__main__":
    sys.exit(main())
