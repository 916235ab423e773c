#!/usr/bin/env python3
"""Kith acceptance stories: cross-module journeys run over HTTP against a freshly started server.

    python3 Tests/acceptance/stories.py --base http://127.0.0.1:8080 --admin kith_...

`.ci/run` starts a server on an empty database and runs this. Standard library only. Each story
prints its steps; any unexpected answer stops the run with exit status 1 and the response.
"""
import argparse, datetime, json, sys, urllib.error, urllib.request, uuid

BASE = ""
ADMIN = ""
TODAY = datetime.date.today()
CONSENT = [{"purpose": "store_details", "given": True, "method": "written"}]


class StoryFailed(Exception):
    pass


def call(method, path, key=None, body=None, expect=200, money=False, content_type="application/json"):
    """One request; fails the story unless the status is `expect` (an int or a tuple)."""
    data = None
    if body is not None:
        data = body.encode() if isinstance(body, str) else json.dumps(body).encode()
    req = urllib.request.Request(BASE + path, data=data, method=method)
    if key:
        req.add_header("Authorization", "Bearer " + key)
    if data is not None:
        req.add_header("Content-Type", content_type)
    elif method in ("POST", "PUT", "PATCH"):
        req.add_header("Content-Length", "0")
    if money:
        req.add_header("Idempotency-Key", str(uuid.uuid4()))
    try:
        with urllib.request.urlopen(req, timeout=30) as resp:
            status, raw = resp.status, resp.read()
    except urllib.error.HTTPError as err:
        status, raw = err.code, err.read()
    expected = expect if isinstance(expect, tuple) else (expect,)
    if status not in expected:
        raise StoryFailed(f"{method} {path}: wanted {expected}, got {status}: {raw[:600].decode(errors='replace')}")
    return json.loads(raw) if raw and raw[:1] in (b"{", b"[") else raw.decode(errors="replace")


def check(condition, message):
    if not condition:
        raise StoryFailed(message)


def step(text):
    print(f"   - {text}")


def key(role, name, scope=None):
    body = {"name": name, "role": role}
    if scope:
        body["scope"] = scope
    return call("POST", "/v1/keys", ADMIN, body, expect=201)["key"]


def areas():
    csv = ("id,name,kind,parent_id,code\n"
           "waltham-forest,Waltham Forest,council,,E09000031\nleyton,Leyton,area,waltham-forest,\n"
           "walthamstow,Walthamstow,area,waltham-forest,\npeterborough,Peterborough,council,,E06000031\n"
           "ortons,The Ortons,area,peterborough,\n")
    call("POST", "/v1/areas/import", ADMIN, csv, content_type="text/csv")


def me(k):
    return call("GET", "/v1/me", k)["id"]


def story_group_to_grant():
    """A group registers through the survey, is verified, joins the Leyton network, applies to a
    round, is awarded and paid, and reports."""
    print("story 1: from the survey to a paid, reported grant")
    survey = call("POST", "/v1/groups/survey", None, {
        "name": "Leyton Lunch Club", "kind": "community_group", "based_in": "leyton", "activities": ["food"],
        "beneficiaries": ["older_people"], "needs": ["funding"], "contact": {"email": "lunch@example.org"},
        "consent_to_store": True}, expect=202)
    group = survey["reference"]
    step(f"survey received: {group} (pending)")
    check(call("GET", f"/v1/groups/{group}", None, expect=404) is not None, "a pending group is not public")
    call("POST", f"/v1/groups/{group}/status", ADMIN, {"status": "verified"})
    call("GET", f"/v1/groups/{group}")
    step("verified by an officer; now on the public map")
    group_key = key("group", "Leyton Lunch Club", f"group:{group}")
    network = call("POST", "/v1/networks", ADMIN, {"name": "Leyton Community Network", "areas": ["leyton"], "status": "active"}, expect=201)["id"]
    member = call("POST", f"/v1/networks/{network}/join", group_key, expect=201)["id"]
    call("POST", f"/v1/networks/{network}/members/{member}/approve", ADMIN)
    step("joined the Leyton network (asked, approved)")
    funder = call("POST", "/v1/funders", ADMIN, {"name": "Waltham Forest Council", "organisation_identifier": "GB-LAE-WFT"}, expect=201)["id"]
    programme = call("POST", "/v1/programmes", ADMIN, {"funder_id": funder, "name": "Community Bank"}, expect=201)["id"]
    round_ = call("POST", "/v1/rounds", ADMIN, {
        "programme_id": programme, "name": "Community Bank (acceptance)", "opens_on": str(TODAY - datetime.timedelta(days=7)),
        "closes_on": str(TODAY + datetime.timedelta(days=30)), "budget_pence": 1_000_000, "min_grant_pence": 10_000,
        "max_grant_pence": 500_000, "eligibility": {"areas": ["waltham-forest"], "open_to_all": True},
        "criteria": [{"id": "need", "name": "Need", "weight": 1}], "network_ids": [network]}, expect=201)["id"]
    application = call("POST", "/v1/applications", group_key, {
        "round_id": round_, "title": "Lunch and a chat", "amount_requested_pence": 250_000, "open_to_all": True,
        "beneficiaries": ["older_people"], "starts_on": str(TODAY), "ends_on": str(TODAY + datetime.timedelta(days=180))}, expect=201)["id"]
    submitted = call("POST", f"/v1/applications/{application}/submit", group_key)
    check(submitted["status"] == "eligible", f"submitted application is {submitted['status']}: {submitted['eligibility_failures']}")
    step("applied and found eligible")
    for to in ("under_assessment", "recommended"):
        call("POST", f"/v1/applications/{application}/transitions", ADMIN, {"to": to, "reason": "acceptance story"})
    grant = call("POST", f"/v1/applications/{application}/award", ADMIN, {"amount_pence": 250_000}, expect=201, money=True)
    step(f"awarded £2,500: {grant['id']}")
    paid = call("POST", f"/v1/grants/{grant['id']}/payments", ADMIN,
                {"amount_pence": 250_000, "paid_on": str(TODAY), "reference": "ACC-0001"}, expect=201, money=True)
    check(paid["status"] == "paid" and paid["remaining_pence"] == 0, f"grant after payment: {paid['status']}, {paid['remaining_pence']} left")
    step("paid in full; nothing left to pay")
    report = paid["reports"][0]["id"]
    call("PUT", f"/v1/grant-reports/{report}", group_key, {"people_reached": {"older_people": 40}, "volunteers": 6, "outcomes": "A weekly lunch for 40."})
    published = call("GET", "/v1/grants/360giving")["grants"]
    check(any(g["id"].endswith(grant["id"]) and g["grantStatus"] == "paid" for g in published), "the grant is in the 360Giving feed as paid")
    step("progress report in; the grant is published as 360Giving open data")


def clear(person):
    issued = str(TODAY - datetime.timedelta(days=200))
    for check_ in ({"kind": "dbs", "detail": "enhanced", "status": "clear", "issued_on": issued},
                   {"kind": "reference", "detail": "employer", "status": "clear", "issued_on": issued},
                   {"kind": "reference", "detail": "friend", "status": "clear", "issued_on": issued},
                   {"kind": "training", "detail": "safeguarding", "status": "clear", "issued_on": issued},
                   {"kind": "training", "detail": "befriending_induction", "status": "clear", "issued_on": issued}):
        call("POST", f"/v1/people/{person}/checks", ADMIN, check_, expect=201)


def volunteer(name, area, languages=("en",)):
    person = call("POST", "/v1/people", ADMIN, {"full_name": name, "roles": ["volunteer"], "area_id": area,
                                                "languages": list(languages), "consents": CONSENT}, expect=201)["id"]
    clear(person)
    return person


def story_buddy_credits():
    """A new arrival is matched with a FAN buddy; three meetings are logged; the buddy earns three
    credits and spends two at a venue."""
    print("story 2: a FAN buddy's meetings become Time Credits spent at a venue")
    call("PATCH", "/v1/credit-settings", ADMIN, {"contact_credits": ["fan"]})
    buddy = volunteer("Layla Haddad", "leyton", ("en", "ar"))
    call("PUT", f"/v1/people/{buddy}/offers/fan", ADMIN, {"capacity": 2, "modes": ["meet_up"]}, expect=201)
    referral = call("POST", "/v1/referrals", ADMIN, {
        "scheme": "fan", "source": "group", "person": {"full_name": "Amal Nasser", "area_id": "leyton", "languages": ["ar"],
                                                       "consents": CONSENT},
        "details": {"english": "not_well", "goals": ["english_practice"]}}, expect=201)["id"]
    suggestions = call("GET", f"/v1/referrals/{referral}/suggestions", ADMIN)["data"]
    check(suggestions and suggestions[0]["volunteer_id"] == buddy, "the buddy is the top suggestion")
    step(f"suggested first: {', '.join(suggestions[0]['reasons'])}")
    match = call("POST", "/v1/matches", ADMIN, {"referral_id": referral, "volunteer_id": buddy}, expect=201)["id"]
    call("POST", f"/v1/matches/{match}/introduce", ADMIN)
    call("POST", f"/v1/matches/{match}/activate", ADMIN)
    buddy_key = key("volunteer", "Layla", f"person:{buddy}")
    for days_ago in (3, 2, 1):
        when = (datetime.datetime.now(datetime.timezone.utc) - datetime.timedelta(days=days_ago)).strftime("%Y-%m-%dT%H:%M:%SZ")
        call("POST", f"/v1/matches/{match}/contacts", buddy_key, {"happened_at": when, "minutes": 60, "kind": "informal_learning"},
             expect=201, money=True)
    account = call("GET", "/v1/credit-accounts", buddy_key)["data"][0]
    check(account["balance"] == 3, f"three hours earned three credits, not {account['balance']}")
    step("three meetings logged by the buddy: three credits")
    venue = call("POST", "/v1/credit-organisations", ADMIN, {"name": "Vestry House Museum", "venue": True, "area_id": "walthamstow"},
                 expect=201)["id"]
    venue_key = key("venue", "Vestry House", f"organisation:{venue}")
    offer = call("POST", "/v1/credit-offers", venue_key, {
        "venue_id": venue, "title": "Family tour", "category": "museum", "credits": 2, "capacity": 10,
        "valid_from": str(TODAY - datetime.timedelta(days=1)), "valid_to": str(TODAY + datetime.timedelta(days=60))}, expect=201)["id"]
    booking = call("POST", f"/v1/credit-offers/{offer}/bookings", buddy_key, expect=201, money=True)
    visit = call("POST", f"/v1/bookings/{booking['id']}/confirm", venue_key)
    check(visit["first_visit"] is True, "a first visit to the venue")
    statement = call("GET", f"/v1/credit-accounts/{account['id']}/statement", buddy_key)
    check(statement["closing_balance"] == 1 and [e["kind"] for e in statement["entries"]] == ["issue", "issue", "issue", "spend"],
          f"statement: {statement}")
    step("two credits spent on a museum tour (a first visit); one left, the statement agrees")


def story_expired_check():
    """An older person's befriender's DBS check expires and the match is blocked from renewal."""
    print("story 3: an expired DBS check blocks a befriender's next match")
    provider = call("POST", "/v1/providers", ADMIN, {"name": "Leyton Befrienders", "scheme": "befriending", "area_id": "leyton"},
                    expect=201)["id"]
    coordinator = key("coordinator", "Leyton Befrienders", f"organisation:{provider}")
    befriender = volunteer("Priya Shah", "leyton")
    call("PATCH", f"/v1/people/{befriender}", ADMIN, {"provider_id": provider})
    call("PUT", f"/v1/people/{befriender}/offers/befriending", coordinator, {"capacity": 2, "modes": ["visit"]}, expect=201)

    def refer(name):
        return call("POST", "/v1/referrals", coordinator, {
            "scheme": "befriending", "source": "gp", "person": {"full_name": name, "area_id": "leyton", "consents": CONSENT},
            "details": {"living_situation": "alone"}}, expect=201)["id"]

    first = refer("Edith Clarke")
    match = call("POST", "/v1/matches", coordinator, {"referral_id": first, "volunteer_id": befriender}, expect=201)["id"]
    call("POST", f"/v1/matches/{match}/introduce", coordinator)
    call("POST", f"/v1/matches/{match}/activate", coordinator)
    step("matched with Edith while every check is valid")
    dbs = next(c for c in call("GET", f"/v1/people/{befriender}/checks", coordinator)["data"] if c["kind"] == "dbs")
    renewed_too_late = str(TODAY - datetime.timedelta(days=3 * 365 + 2))
    call("PATCH", f"/v1/people/{befriender}/checks/{dbs['id']}", coordinator, {"issued_on": renewed_too_late})
    expiring = call("GET", "/v1/checks/expiring?within_days=0", coordinator)["data"]
    check(any(e["person_id"] == befriender and e["expired"] for e in expiring), "the expired check is listed for the coordinator")
    step("the DBS certificate turns out older: expired, and listed for the coordinator")
    second = refer("Arthur Jones")
    excluded = call("GET", f"/v1/referrals/{second}/suggestions", coordinator)["excluded"]
    check(any(e["volunteer_id"] == befriender and "dbs" in "; ".join(e["reasons"]) for e in excluded), "excluded for the DBS check")
    refused = call("POST", "/v1/matches", coordinator, {"referral_id": second, "volunteer_id": befriender}, expect=422)
    check("dbs: enhanced" in json.dumps(refused), "the refusal names the check")
    step("a new match for the befriender is refused until the DBS is renewed")


def main():
    global BASE, ADMIN
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--base", required=True, help="the server, e.g. http://127.0.0.1:8080")
    parser.add_argument("--admin", required=True, help="an admin key")
    args = parser.parse_args()
    BASE, ADMIN = args.base.rstrip("/"), args.admin
    try:
        areas()
        story_group_to_grant()
        story_buddy_credits()
        story_expired_check()
    except StoryFailed as failure:
        print(f"FAILED: {failure}")
        return 1
    print("all acceptance stories passed")
    return 0


if __name__ == "__main__":
    sys.exit(main())
