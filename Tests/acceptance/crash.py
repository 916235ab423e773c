#!/usr/bin/env python3
"""Crash safety drill: concurrent writes while the server is killed with SIGKILL, again and again.

    python3 Tests/acceptance/crash.py --kith .build/debug/kith [--kills 5] [--workers 8]

It starts `kith serve` on a fresh database, seeds volunteers with Time Credits and a few groups,
then runs worker threads that give credits between volunteers (each gift with its own
Idempotency-Key) and edit groups, while the main thread kills the server with SIGKILL at random
moments and restarts it. A worker whose request got no answer retries it with the same key
after the restart, as a careful client would. At the end it checks, from the database itself:

- every gift that was acknowledged (201) is in the ledger, and no key moved credits twice;
- every acknowledged group edit is there (the version and the audit log);
- every credit balance is the sum of its movements, none is negative, the ledger sums to zero;
- `kith check` passes.
Standard library only. Exit status 0 when all holds.
"""
import argparse, os, random, sqlite3, subprocess, sys, tempfile, threading, time, uuid

import drill


def request(base, method, path, key, body=None, headers=None, timeout=10):
    status, answer, _ = drill.request(base, method, path, key, body, headers, timeout)
    return status, answer


def main():
    parser = argparse.ArgumentParser(description="Kith crash safety drill")
    parser.add_argument("--kith", required=True, help="the kith binary")
    parser.add_argument("--kills", type=int, default=5)
    parser.add_argument("--workers", type=int, default=8)
    parser.add_argument("--seed", type=int, default=20261126)
    args = parser.parse_args()
    random.seed(args.seed)
    work = tempfile.mkdtemp(prefix="kith-crash-")
    db = os.path.join(work, "kith.sqlite")
    admin = subprocess.run([args.kith, "keys", "create", "--role", "admin", "--name", "crash-drill", "--db", db],
                           capture_output=True, text=True, check=True).stdout.strip()
    server = drill.Server(args.kith, db)
    server.start()

    # Seed: areas, an organisation issuing credits, 12 volunteers with 216 credits each, 6 groups.
    base = server.base
    people, groups = drill.seed(base, admin)

    acknowledged_gifts = {}      # idempotency key -> movement id
    acknowledged_edits = {g: [] for g in groups}   # group -> versions acknowledged
    refused = [0]
    lock = threading.Lock()
    stop = threading.Event()

    def worker(n):
        rng = random.Random(args.seed + n)
        while not stop.is_set():
            if rng.random() < 0.7:
                a, b = rng.sample(people, 2)
                key = str(uuid.uuid4())
                body = {"from_person_id": a, "to_person_id": b, "credits": 1}
                while not stop.is_set():       # retry the same request, same key, until it is answered
                    try:
                        status, answer = request(server.base, "POST", "/v1/credit-gifts", admin, body, {"Idempotency-Key": key}, timeout=5)
                    except (OSError, ValueError):
                        time.sleep(0.05)
                        continue
                    with lock:
                        if status == 201:
                            acknowledged_gifts[key] = answer["id"]
                        else:
                            refused[0] += 1
                    break
            else:
                group = rng.choice(groups)
                try:
                    status, answer = request(server.base, "PATCH", f"/v1/groups/{group}", admin,
                                             {"description": f"edited {uuid.uuid4()}"}, timeout=5)
                except (OSError, ValueError):
                    time.sleep(0.05)
                    continue
                if status == 200:
                    with lock:
                        acknowledged_edits[group].append(answer["version"])

    threads = [threading.Thread(target=worker, args=(n,), daemon=True) for n in range(args.workers)]
    for t in threads:
        t.start()
    for k in range(args.kills):
        time.sleep(random.uniform(0.5, 2.0))
        server.kill()
        print(f"   kill -9 #{k + 1} after {len(acknowledged_gifts)} acknowledged gifts")
        time.sleep(random.uniform(0.0, 0.3))
        server.start()
    time.sleep(1.0)
    stop.set()
    for t in threads:
        t.join(timeout=15)
    server.kill()

    failures = []
    con = sqlite3.connect(db)
    ids = [row[0] for row in con.execute("SELECT id FROM credit_movements WHERE kind = 'gift'")]
    missing = [m for m in acknowledged_gifts.values() if m not in ids]
    if missing:
        failures.append(f"{len(missing)} acknowledged gift(s) missing from the ledger")
    if len(ids) != len(set(ids)) or len(set(acknowledged_gifts.values())) != len(acknowledged_gifts):
        failures.append("a gift appears twice")
    stored_keys = con.execute("SELECT count(*) FROM idempotency_keys").fetchone()[0]
    extra = len(ids) - len(acknowledged_gifts)
    # Gifts committed but whose answer was lost at shutdown are allowed only for requests still in flight.
    if extra < 0 or extra > args.workers:
        failures.append(f"{len(ids)} gifts in the ledger for {len(acknowledged_gifts)} acknowledged")
    for group, versions in acknowledged_edits.items():
        if not versions:
            continue
        version = con.execute("SELECT version FROM groups WHERE id = ?", (group,)).fetchone()[0]
        updates = con.execute("SELECT count(*) FROM audit_log WHERE resource_type = 'group' AND resource_id = ? AND action = 'update'",
                              (group,)).fetchone()[0]
        if version < max(versions) or updates < len(versions) or len(set(versions)) != len(versions):
            failures.append(f"group {group}: version {version}, {updates} updates logged, acknowledged {sorted(versions)}")
    ledger = drill.ledger_problems(con)
    con.close()
    failures += ["ledger: " + problem for problem in ledger]
    check = subprocess.run([args.kith, "check", "--db", db], capture_output=True, text=True)
    if check.returncode != 0:
        failures.append("kith check: " + check.stdout.strip())
    edits = sum(len(v) for v in acknowledged_edits.values())
    print(f"   {args.kills} kills; {len(acknowledged_gifts)} gifts and {edits} group edits acknowledged; {refused[0]} refused; "
          f"{stored_keys} idempotency keys stored; ledger balanced: {not ledger}")
    if failures:
        for failure in failures:
            print("FAILED:", failure)
        return 1
    print("crash drill passed")
    return 0


if __name__ == "__main__":
    sys.exit(main())
