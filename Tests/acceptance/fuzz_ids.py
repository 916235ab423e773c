#!/usr/bin/env python3
"""Writes a schemathesis.toml that gives each resource's `{id}` a real id from a Kith database half
the time (the other half stays generated). Without them almost every request to /v1/<resource>/{id}
meets a 404 and the handlers behind it are never reached. API keys are left out: the fuzzer must
not revoke its own.

    python3 Tests/acceptance/fuzz_ids.py DB > schemathesis.toml
"""
import sqlite3, sys

# path segment -> table
RESOURCES = {"applications": "applications", "areas": "areas", "bookings": "credit_bookings", "concerns": "concerns",
             "credit-accounts": "credit_accounts", "credit-movements": "credit_movements", "credit-offers": "credit_offers",
             "credit-organisations": "credit_organisations", "funders": "funders", "grant-reports": "grant_reports",
             "grants": "grants", "groups": "groups", "matches": "matches", "networks": "networks", "other-funders": "other_funders",
             "people": "people", "programmes": "programmes", "providers": "providers", "referrals": "referrals", "rounds": "rounds",
             "volunteering": "volunteering"}


def toml_string(text):
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"') + '"'


def main():
    con = sqlite3.connect(f"file:{sys.argv[1]}?mode=ro", uri=True)
    found = {}
    for segment, table in RESOURCES.items():
        ids = [row[0] for row in con.execute(f"SELECT id FROM {table} ORDER BY id LIMIT 5")]
        if ids:
            found[segment] = ids
    print("[dictionaries]")
    for segment, ids in found.items():
        print(f"{segment.replace('-', '_')} = {{ values = [{', '.join(toml_string(i) for i in ids)}] }}")
    for segment in found:
        print()
        print("[[operations]]")
        print(f"include-path-regex = {toml_string('^/v1/' + segment + '/[{]id[}]')}")
        print(f"parameters = {{ \"path.id\" = {{ dictionary = {toml_string(segment.replace('-', '_'))}, probability = 0.5 }} }}")


if __name__ == "__main__":
    main()
