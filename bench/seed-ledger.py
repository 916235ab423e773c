#!/usr/bin/env python3
"""Seeds a Kith server for the ledger bench: areas, a credit organisation, N volunteers each with
`credits` credits (recorded volunteering, 24 hours a day on past dates), gifting on. Prints the
volunteer ids, one per line, to stdout. Standard library only."""
import argparse, json, sys, urllib.request, uuid

def call(base, key, method, path, body=None, content_type="application/json", idempotent=False):
    data = body.encode() if isinstance(body, str) else (json.dumps(body).encode() if body is not None else None)
    req = urllib.request.Request(base + path, data=data, method=method)
    req.add_header("Authorization", "Bearer " + key)
    if data is not None:
        req.add_header("Content-Type", content_type)
    if idempotent:
        req.add_header("Idempotency-Key", str(uuid.uuid4()))
    with urllib.request.urlopen(req) as resp:
        return json.loads(resp.read() or b"null")

def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--base", required=True)
    ap.add_argument("--key", required=True)
    ap.add_argument("--volunteers", type=int, default=64)
    ap.add_argument("--credits", type=int, default=960)
    a = ap.parse_args()
    call(a.base, a.key, "POST", "/v1/areas/import", "id,name,kind,parent_id,code\npeterborough,Peterborough,council,,E06000031\nortons,The Ortons,area,peterborough,\n", "text/csv")
    call(a.base, a.key, "PATCH", "/v1/credit-settings", {"gifting_allowed": True, "max_hours_per_day": 24})
    org = call(a.base, a.key, "POST", "/v1/credit-organisations", {"name": "Orton Litter Pickers", "earns": True, "area_id": "ortons"})["id"]
    days = (a.credits + 23) // 24
    ids = []
    for i in range(a.volunteers):
        person = call(a.base, a.key, "POST", "/v1/people", {
            "full_name": f"Bench Volunteer {i}", "roles": ["volunteer"], "area_id": "ortons",
            "consents": [{"purpose": "store_details", "given": True, "method": "written"}]})["id"]
        for d in range(days):
            day = f"2025-{1 + d // 28:02d}-{1 + d % 28:02d}"
            call(a.base, a.key, "POST", "/v1/volunteering", {"person_id": person, "organisation_id": org, "on_date": day,
                 "hours": 24, "activity": "litter_picking"}, idempotent=True)
        ids.append(person)
    print("\n".join(ids))

if __name__ == "__main__":
    sys.exit(main())
