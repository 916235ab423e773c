"""What the drills share (crash.py, backup.py): a `kith serve` process on a free port, JSON
requests with an admin key, and the seed both write against. Standard library only."""
import json, signal, socket, subprocess, time, urllib.error, urllib.request, uuid


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Server:
    """`kith serve` on a database, rate limits and access log off (the drills hammer it)."""

    def __init__(self, kith, db):
        self.kith, self.db, self.port, self.proc = kith, db, free_port(), None

    @property
    def base(self):
        return f"http://127.0.0.1:{self.port}"

    def start(self, attempts=400):
        self.proc = subprocess.Popen([self.kith, "serve", "--db", self.db, "--port", str(self.port), "--access-log", "off",
                                      "--rate-limits", "off"], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        for _ in range(attempts):
            try:
                urllib.request.urlopen(self.base + "/healthz", timeout=1).read()
                return
            except OSError:
                if self.proc.poll() is not None:
                    raise SystemExit(f"kith serve exited with {self.proc.returncode}")
                time.sleep(0.05)
        raise SystemExit("kith serve did not answer /healthz")

    def kill(self):
        """SIGKILL: the crash the drills are about."""
        self.proc.send_signal(signal.SIGKILL)
        self.proc.wait()

    def stop(self):
        """SIGTERM (a graceful stop), SIGKILL after 15 s; returns the exit status."""
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(timeout=15)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        return self.proc.returncode


def request(base, method, path, key, body=None, headers=None, timeout=10):
    """Returns (status, JSON answer, response headers)."""
    data = json.dumps(body).encode() if body is not None else None
    req = urllib.request.Request(base + path, data=data, method=method)
    req.add_header("Authorization", "Bearer " + key)
    if data is not None:
        req.add_header("Content-Type", "application/json")
    for name, value in (headers or {}).items():
        req.add_header(name, value)
    try:
        with urllib.request.urlopen(req, timeout=timeout) as resp:
            return resp.status, json.loads(resp.read() or b"null"), resp.headers
    except urllib.error.HTTPError as err:
        return err.code, json.loads(err.read() or b"null"), err.headers


def seed(base, admin, volunteers=12, groups=6):
    """Areas, gifting on, an organisation issuing credits, `volunteers` people with 216 credits each
    (9 days of 24 hours) and `groups` groups. Returns (volunteer ids, group ids)."""
    urllib.request.urlopen(urllib.request.Request(base + "/v1/areas/import", method="POST",
                           data=b"id,name,kind,parent_id,code\npeterborough,Peterborough,council,,\nortons,The Ortons,area,peterborough,\n",
                           headers={"Authorization": "Bearer " + admin, "Content-Type": "text/csv"})).read()
    request(base, "PATCH", "/v1/credit-settings", admin, {"gifting_allowed": True, "max_hours_per_day": 24})
    _, org, _ = request(base, "POST", "/v1/credit-organisations", admin, {"name": "Orton Litter Pickers", "earns": True, "area_id": "ortons"})
    people = []
    for i in range(volunteers):
        _, person, _ = request(base, "POST", "/v1/people", admin, {"full_name": f"Drill Volunteer {i}", "roles": ["volunteer"], "area_id": "ortons",
                                                                  "consents": [{"purpose": "store_details", "given": True, "method": "written"}]})
        for d in range(9):
            status, _, _ = request(base, "POST", "/v1/volunteering", admin, {"person_id": person["id"], "organisation_id": org["id"],
                                   "on_date": f"2026-01-{d + 1:02d}", "hours": 24, "activity": "litter_picking"},
                                   {"Idempotency-Key": str(uuid.uuid4())})
            assert status == 201, status
        people.append(person["id"])
    made = []
    for i in range(groups):
        status, group, _ = request(base, "POST", "/v1/groups", admin, {"name": f"Drill Group {i}", "kind": "community_group", "based_in": "ortons"})
        assert status == 201, (status, group)
        made.append(group["id"])
    return people, made


def ledger_problems(con):
    """What is wrong with the credits ledger in an open sqlite3 connection: balances that are not the
    sum of their movements, negative balances, a total that is not zero. Empty when it holds."""
    mismatched = con.execute("""
        SELECT count(*) FROM credit_accounts a
        WHERE a.balance <> coalesce((SELECT sum(credits) FROM credit_movements WHERE to_account = a.id), 0)
                         - coalesce((SELECT sum(credits) FROM credit_movements WHERE from_account = a.id), 0)""").fetchone()[0]
    negative = con.execute("SELECT count(*) FROM credit_accounts WHERE kind <> 'issuing' AND balance < 0").fetchone()[0]
    total = con.execute("SELECT coalesce(sum(balance), 0) FROM credit_accounts").fetchone()[0]
    return [] if not (mismatched or negative or total) else [f"{mismatched} mismatched balance(s), {negative} negative, total {total}"]
