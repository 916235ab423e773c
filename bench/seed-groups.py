#!/usr/bin/env python3
"""Seed a Kith server with a deterministic, realistic set of community groups, through its HTTP API.

    python3 bench/seed-groups.py --base http://127.0.0.1:8080 --key "$ADMIN_KEY" [--count 50000] [--seed 1]
    python3 bench/seed-groups.py --csv groups.csv [--count 1000]     # write the CSV only, no server

What it does, in order:
  1. POST /v1/areas/import (text/csv): the Waltham Forest and Peterborough area trees (councils, areas,
     wards, a neighbourhood). Importing again only updates them, so a re-run is harmless.
  2. POST /v1/groups (JSON): one known group with a fixed name that nothing else shares
     (KNOWN_NAME), for correctness checks and single-row reads. Its id goes to stdout as
     `known_group_id <id>`.
  3. POST /v1/groups/import (text/csv): --count generated groups in batches of at most --batch rows
     (5000, the route's limit) and at most --max-body-bytes bytes (Kith's --max-body-bytes; 1 MiB by
     default, which holds fewer than 5000 realistic rows, so batches are split to fit).
  4. Optional (--check): a few searches whose answers are known, printed as `check ok|FAIL ...`.

The same --seed and --count give the same groups (names, answers, places) every time; only the ids
and timestamps Kith assigns differ. Python 3 standard library only.

Output (stdout, one `key value...` per line, for scripts): `known_group_id`, `batch`, `loaded`
(rows, seconds, rows per second), `check`. Progress goes to stderr.
"""

import argparse
import csv
import http.client
import io
import json
import math
import random
import sys
import time
import urllib.parse

KNOWN_NAME = "Quillfeather Bench Reference Food Bank"

# --------------------------------------------------------------------------------------------------
# Places. centre = (latitude, longitude); spread = standard deviation of the scatter, in km.

COUNCILS = [
    # id, name, code, weight of groups
    ("waltham-forest", "Waltham Forest", "E09000031", 0.68),
    ("peterborough", "Peterborough", "E06000031", 0.32),
]

# id, name, kind, parent, centre, spread_km, postcode outward codes, local place names
AREAS = [
    ("walthamstow", "Walthamstow", "area", "waltham-forest", (51.584, -0.020), 1.1, ["E17"],
     ["Hoe Street", "Wood Street", "Blackhorse Road", "Higham Hill", "St James Street", "Walthamstow Village",
      "Lloyd Park", "Coppermill", "Chapel End", "Walthamstow Central", "Palmerston Road", "Forest Road",
      "Walthamstow Wetlands", "Markhouse Road", "Church Hill", "Orford Road", "Hatherley Mews", "Ravenswood"]),
    ("leyton", "Leyton", "area", "waltham-forest", (51.561, -0.011), 0.9, ["E10"],
     ["Francis Road", "Lea Bridge", "Bakers Arms", "Leyton Green", "Church Road", "Coronation Gardens",
      "Ive Farm", "Leyton Marshes", "Oliver Road", "Grange Park", "Beaumont", "Leyton High Road", "Buckingham Road",
      "Jubilee Park", "Estate Way"]),
    ("leytonstone", "Leytonstone", "area", "waltham-forest", (51.568, 0.008), 0.9, ["E11"],
     ["Cann Hall", "Harrow Green", "Wanstead Flats", "Grove Green", "Hollydown", "Church Lane", "Bushwood",
      "Leytonstone High Road", "Hainault Road", "Fillebrook", "Drapers Field", "Forest Glade", "Browning Road"]),
    ("chingford", "Chingford", "area", "waltham-forest", (51.631, 0.004), 1.2, ["E4"],
     ["Chingford Hatch", "Friday Hill", "Pole Hill", "Ridgeway Park", "Hatch Lane", "Station Road",
      "Chingford Green", "Kings Head Hill", "Endlebury", "Yardley Lane", "Chingford Plain", "Larks Wood"]),
    ("south-chingford", "South Chingford", "neighbourhood", "chingford", (51.617, -0.007), 0.7, ["E4"],
     ["Chingford Mount", "Old Church Road", "Larkswood", "Hall Lane", "Highams Park", "Hale End", "Winchester Road",
      "Chingford Road", "New Road"]),
    ("ortons", "The Ortons", "area", "peterborough", (52.553, -0.289), 1.3, ["PE2"],
     ["Orton Malborne", "Orton Goldhay", "Orton Brimbles", "Orton Southgate", "Ferry Meadows", "Orton Longueville",
      "Orton Wistow", "Orton Centre", "Lynchwood", "Botolph Green"]),
    ("orton-waterville", "Orton Waterville", "ward", "ortons", (52.555, -0.297), 0.6, ["PE2"],
     ["Orton Waterville Village", "Herlington", "Thorpe Wood", "Nene Park", "Cherry Orton Road"]),
    ("hamptons", "The Hamptons", "area", "peterborough", (52.540, -0.276), 1.1, ["PE7"],
     ["Hampton Vale", "Hampton Hargate", "Hampton Centre", "Hampton Gardens", "Hampton Lakes", "Serpentine Green",
      "Hampton Leys", "Great Haddon", "Hampton Water"]),
    ("castor", "Castor", "area", "peterborough", (52.574, -0.338), 1.0, ["PE5"],
     ["Castor Village", "Ailsworth", "Sutton", "Upton", "Mill Lane", "Peterborough Road", "Splash Lane"]),
    # A few wards, so area filters on a subtree and on a leaf both have work.
    ("hoe-street", "Hoe Street", "ward", "walthamstow", (51.585, -0.015), 0.5, ["E17"], []),
    ("high-street", "High Street", "ward", "walthamstow", (51.583, -0.030), 0.5, ["E17"], []),
    ("markhouse", "Markhouse", "ward", "walthamstow", (51.576, -0.030), 0.5, ["E17"], []),
    ("lea-bridge", "Lea Bridge", "ward", "leyton", (51.564, -0.034), 0.5, ["E10"], []),
    ("cathall", "Cathall", "ward", "leytonstone", (51.558, 0.001), 0.5, ["E11"], []),
    ("cann-hall", "Cann Hall", "ward", "leytonstone", (51.559, 0.011), 0.5, ["E11"], []),
    ("chingford-green", "Chingford Green", "ward", "chingford", (51.635, 0.010), 0.6, ["E4"], []),
    ("hampton-vale", "Hampton Vale", "ward", "hamptons", (52.533, -0.262), 0.5, ["PE7"], []),
]
# Where groups are based, with weights (bigger places, more groups).
BASE_WEIGHTS = {
    "walthamstow": 20, "hoe-street": 4, "high-street": 4, "markhouse": 3,
    "leyton": 14, "lea-bridge": 3,
    "leytonstone": 12, "cathall": 3, "cann-hall": 3,
    "chingford": 9, "chingford-green": 3, "south-chingford": 6,
    "ortons": 12, "orton-waterville": 5,
    "hamptons": 10, "hampton-vale": 4,
    "castor": 4,
}
COUNCIL_OF = {}
for _a in AREAS:
    _p = _a[3]
    while _p not in ("waltham-forest", "peterborough"):
        _p = next(x[3] for x in AREAS if x[0] == _p)
    COUNCIL_OF[_a[0]] = _p
AREA = {a[0]: a for a in AREAS}


def area_field(area_id, index):
    """centre, spread, postcodes and place names of an area, inherited from the parent when empty."""
    a = AREA[area_id]
    value = a[index]
    if (value is None or value == [] or value == 0.0) and a[3] in AREA:
        return area_field(a[3], index)
    return value


# The name people use for the town a group is based in (a ward's groups say Walthamstow, not Hoe Street).
TOWN = {
    "walthamstow": "Walthamstow", "hoe-street": "Walthamstow", "high-street": "Walthamstow", "markhouse": "Walthamstow",
    "leyton": "Leyton", "lea-bridge": "Leyton", "leytonstone": "Leytonstone", "cathall": "Leytonstone",
    "cann-hall": "Leytonstone", "chingford": "Chingford", "chingford-green": "Chingford", "south-chingford": "South Chingford",
    "ortons": "Orton", "orton-waterville": "Orton Waterville", "hamptons": "Hampton", "hampton-vale": "Hampton Vale",
    "castor": "Castor",
}


# --------------------------------------------------------------------------------------------------
# Vocabularies (values from Sources/Groups/Vocabulary.swift).

KINDS = ["charity", "community_group", "faith_group", "mutual_aid_group", "tenants_association", "social_enterprise",
         "network", "school", "business", "public_service", "other"]
ACTIVITIES = ["food", "english_language", "youth", "older_people", "health_and_wellbeing", "mental_health",
              "arts_and_culture", "sport", "employment", "advice", "befriending", "family", "education", "environment",
              "faith", "housing", "digital_inclusion", "domestic_abuse", "crisis_response", "other"]
BENEFICIARIES = ["everyone", "new_arrivals", "refugees", "bame_women", "women", "men", "children", "young_people",
                 "older_people", "families", "disabled_people", "carers", "isolated_people", "people_on_low_incomes", "lgbtq"]
NEEDS = ["funding", "premises", "volunteers", "training", "dbs_checks", "publicity", "networking", "charity_setup",
         "bank_account"]
OFFERS = ["space", "volunteers", "food", "goods", "teaching", "english_practice", "translation", "equipment",
          "crisis_response"]
SCALES = ["street", "neighbourhood", "town_area", "borough_wide"]

# Group types: (weight, name nouns, kind choices, activities, beneficiaries, offers, likely needs, description phrase)
TYPES = [
    (9, ["Food Bank", "Community Larder", "Food Pantry", "Community Fridge", "Soup Kitchen", "Food Hub"],
     ["charity", "community_group", "mutual_aid_group", "faith_group"], ["food", "crisis_response"],
     ["people_on_low_incomes", "families", "everyone"], ["food", "goods", "volunteers"], ["volunteers", "premises", "funding"],
     "hands out free food parcels, fresh fruit and vegetables and toiletries, with no referral needed"),
    (6, ["ESOL Conversation Club", "English Conversation Cafe", "ESOL Class", "English Language Circle", "Conversation Club"],
     ["community_group", "charity", "school", "faith_group"], ["english_language", "education"],
     ["new_arrivals", "refugees", "bame_women", "everyone"], ["english_practice", "teaching", "translation"],
     ["volunteers", "premises", "training"],
     "runs friendly ESOL sessions where learners practise speaking English over tea, from beginners to confident speakers"),
    (5, ["Knitting Circle", "Knit and Natter", "Sewing Bee", "Craft Club", "Quilting Group", "Crochet Circle"],
     ["community_group", "other"], ["arts_and_culture", "befriending", "older_people"],
     ["older_people", "isolated_people", "women", "everyone"], ["equipment", "space"], ["premises", "publicity"],
     "knits, sews and chats: bring a project or learn from scratch, wool and needles provided"),
    (6, ["Youth Club", "Youth Project", "Junior Football Club", "Youth Boxing Club", "Homework Club", "Youth Forum"],
     ["charity", "community_group", "social_enterprise"], ["youth", "sport", "education"],
     ["young_people", "children"], ["volunteers", "equipment", "space"], ["dbs_checks", "volunteers", "funding", "premises"],
     "gives young people a safe place after school with sport, games, mentoring and trips"),
    (5, ["Lunch Club", "Over 60s Club", "Tea Dance", "Friendship Club", "Silver Surfers", "Memory Cafe"],
     ["charity", "community_group", "faith_group"], ["older_people", "befriending", "health_and_wellbeing"],
     ["older_people", "isolated_people", "carers"], ["space", "food"], ["volunteers", "funding", "publicity"],
     "brings older neighbours together for a hot lunch, company, quizzes and the odd outing"),
    (5, ["Mental Health Support Group", "Wellbeing Cafe", "Peer Support Group", "Men's Shed", "Walk and Talk Group"],
     ["charity", "community_group"], ["mental_health", "health_and_wellbeing", "befriending"],
     ["everyone", "men", "women", "isolated_people"], ["space", "volunteers"], ["training", "funding", "premises"],
     "offers peer support and a listening ear for anyone finding life hard, in a relaxed and confidential setting"),
    (4, ["Community Garden", "Litter Pickers", "Allotment Society", "Tree Wardens", "Friends of the Park", "Wildlife Group"],
     ["community_group", "charity", "other"], ["environment", "health_and_wellbeing"],
     ["everyone", "families"], ["equipment", "volunteers"], ["volunteers", "funding", "publicity"],
     "looks after green spaces: litter picks, planting, composting and wildlife surveys, tools and gloves provided"),
    (4, ["Advice Centre", "Welfare Rights Drop-in", "Debt Advice Service", "Housing Advice Surgery", "Legal Advice Clinic"],
     ["charity", "public_service", "social_enterprise"], ["advice", "housing", "employment"],
     ["people_on_low_incomes", "refugees", "new_arrivals", "everyone"], ["translation", "teaching"],
     ["funding", "training", "premises"],
     "gives free, confidential advice on benefits, debt, housing and immigration, by appointment or drop-in"),
    (4, ["Parent and Toddler Group", "Stay and Play", "Dads' Group", "Family Support Network", "Baby Bank"],
     ["community_group", "charity", "faith_group"], ["family", "youth"],
     ["families", "children", "women", "men"], ["goods", "space"], ["volunteers", "premises", "dbs_checks"],
     "is a welcoming stay-and-play session for parents, carers and under-fives, with songs, stories and toys"),
    (4, ["Running Club", "Walking Football", "Cricket Club", "Badminton Club", "Yoga Group", "Cycling Club", "Table Tennis Club"],
     ["community_group", "social_enterprise", "other"], ["sport", "health_and_wellbeing"],
     ["everyone", "older_people", "young_people", "women", "disabled_people"], ["equipment", "volunteers"],
     ["premises", "funding", "publicity"],
     "gets people active at every level, with beginner sessions and no pressure"),
    (4, ["Refugee Welcome Group", "Migrant Support Network", "New Neighbours Project", "Sanctuary Drop-in"],
     ["charity", "community_group", "network"], ["advice", "befriending", "english_language", "crisis_response"],
     ["refugees", "new_arrivals", "families"], ["translation", "english_practice", "goods", "volunteers"],
     ["funding", "volunteers", "premises"],
     "welcomes refugees and asylum seekers with befriending, help with forms, clothing and English practice"),
    (4, ["Women's Group", "Sisters Network", "Mothers' Circle", "Women's Wellbeing Group"],
     ["community_group", "charity", "faith_group"], ["health_and_wellbeing", "befriending", "education"],
     ["women", "bame_women", "new_arrivals"], ["space", "teaching", "translation"], ["premises", "funding", "training"],
     "is a safe space for women to meet, learn new skills and support each other"),
    (3, ["Digital Skills Drop-in", "Computer Club", "Tech Help Cafe", "Coding Club"],
     ["charity", "social_enterprise", "public_service"], ["digital_inclusion", "education", "employment"],
     ["older_people", "people_on_low_incomes", "everyone"], ["equipment", "teaching"], ["volunteers", "training", "funding"],
     "helps people get online: using a phone, email, video calls, applying for jobs and council services"),
    (3, ["Job Club", "Employment Support Project", "Skills Exchange", "Work Ready Programme"],
     ["charity", "social_enterprise", "public_service"], ["employment", "education", "advice"],
     ["people_on_low_incomes", "young_people", "new_arrivals", "everyone"], ["teaching", "equipment"],
     ["funding", "networking"],
     "supports people into work with CV help, mock interviews and introductions to local employers"),
    (3, ["Church", "Mosque", "Gurdwara", "Temple", "Synagogue", "Parish Community", "Faith Forum"],
     ["faith_group"], ["faith", "food", "befriending"],
     ["everyone", "families", "older_people"], ["space", "food", "volunteers"], ["funding", "publicity"],
     "is a faith community open to all, running a community meal and welcoming visitors"),
    (3, ["Residents' Association", "Tenants' Association", "Neighbourhood Watch", "Street Association"],
     ["tenants_association", "community_group"], ["housing", "environment", "other"],
     ["everyone", "families"], ["volunteers", "space"], ["networking", "publicity", "bank_account"],
     "speaks up for residents on repairs, safety and the local environment, and organises street parties"),
    (2, ["Choir", "Community Theatre", "Art Collective", "Music Project", "Film Club", "Writers' Circle", "Dance School"],
     ["community_group", "charity", "social_enterprise"], ["arts_and_culture", "befriending"],
     ["everyone", "young_people", "older_people", "disabled_people"], ["space", "equipment", "teaching"],
     ["premises", "funding", "publicity"],
     "makes music, art and performance together, with shows, open sessions and workshops for all abilities"),
    (2, ["Carers' Support Group", "Disability Forum", "Autism Family Network", "Deaf Club"],
     ["charity", "community_group", "network"], ["health_and_wellbeing", "advice", "family"],
     ["carers", "disabled_people", "families"], ["space", "translation"], ["funding", "training"],
     "brings carers and disabled people together for peer support, information and short breaks"),
    (2, ["Domestic Abuse Support Service", "Safe Space Project", "Freedom Programme"],
     ["charity", "public_service"], ["domestic_abuse", "advice", "mental_health"],
     ["women", "families", "bame_women", "lgbtq"], ["translation", "space"], ["funding", "training", "premises"],
     "gives confidential support to anyone affected by domestic abuse, with advocacy and group programmes"),
    (2, ["Mutual Aid Group", "Community Response Network", "Good Neighbours Scheme", "Street Helpers"],
     ["mutual_aid_group", "network", "community_group"], ["crisis_response", "befriending", "food"],
     ["isolated_people", "older_people", "everyone"], ["volunteers", "crisis_response", "food"],
     ["dbs_checks", "bank_account", "networking"],
     "is neighbours helping neighbours with shopping, prescriptions, lifts and a friendly phone call"),
    (2, ["Repair Cafe", "Tool Library", "Community Shop", "Uniform Exchange", "Furniture Reuse Project"],
     ["social_enterprise", "community_group", "charity"], ["environment", "other", "crisis_response"],
     ["people_on_low_incomes", "families", "everyone"], ["goods", "equipment", "volunteers"],
     ["premises", "volunteers", "charity_setup"],
     "keeps things out of landfill by repairing, lending and passing on goods at low or no cost"),
    (2, ["LGBTQ+ Social", "Pride Network", "Rainbow Youth Group"],
     ["community_group", "network"], ["befriending", "mental_health", "youth"],
     ["lgbtq", "young_people", "everyone"], ["space"], ["premises", "funding", "publicity"],
     "is a friendly social and support group for LGBTQ+ people and their friends"),
]
TYPE_WEIGHTS = [t[0] for t in TYPES]
for _t in TYPES:   # every value must be in Kith's vocabulary, or the import rejects the batch
    assert set(_t[2]) <= set(KINDS) and set(_t[3]) <= set(ACTIVITIES) and set(_t[4]) <= set(BENEFICIARIES), _t[1]
    assert set(_t[5]) <= set(OFFERS) and set(_t[6]) <= set(NEEDS), _t[1]

# Community qualifiers for names, with the languages they bring (ISO 639-1 or 639-3).
COMMUNITIES = {
    "waltham-forest": [
        ("Polish", ["pl"]), ("Somali", ["so"]), ("Pakistani", ["ur", "pa"]), ("Bengali", ["bn"]), ("Turkish", ["tr"]),
        ("Kurdish", ["ku"]), ("Romanian", ["ro"]), ("Lithuanian", ["lt"]), ("Portuguese", ["pt"]), ("Tamil", ["ta"]),
        ("Caribbean", ["en"]), ("Ghanaian", ["tw"]), ("Nigerian", ["yo"]), ("Eritrean", ["ti"]), ("Afghan", ["prs", "ps"]),
        ("Arabic-speaking", ["ar"]), ("Syrian", ["ar"]), ("Albanian", ["sq"]), ("Bulgarian", ["bg"]), ("Latin American", ["es"]),
        ("Ukrainian", ["uk"]), ("Gujarati", ["gu"]), ("Punjabi", ["pa"]), ("Sudanese", ["ar"]), ("Congolese", ["fr", "ln"]),
    ],
    "peterborough": [
        ("Polish", ["pl"]), ("Lithuanian", ["lt"]), ("Latvian", ["lv"]), ("Pakistani", ["ur", "pa"]), ("Kashmiri", ["ur"]),
        ("Portuguese", ["pt"]), ("Romanian", ["ro"]), ("Slovak", ["sk"]), ("Czech", ["cs"]), ("Kurdish", ["ku"]),
        ("Bulgarian", ["bg"]), ("Ukrainian", ["uk"]), ("Punjabi", ["pa"]), ("Roma", ["rom", "sk"]), ("Hungarian", ["hu"]),
        ("Afghan", ["prs", "ps"]), ("Arabic-speaking", ["ar"]), ("Eritrean", ["ti"]), ("Filipino", ["tl"]),
    ],
}
OTHER_QUALIFIERS = ["Community", "Neighbourhood", "Family", "Young People's", "Seniors'", "Together", "Friends of",
                    "Saturday", "Sunday", "Tuesday", "Wednesday", "Evening", "Morning", "Women's", "Men's", "Village",
                    "United", "Open Door", "Rainbow", "Hope", "Unity", "Harmony", "Bridge", "Forest", "Riverside", "Lime Tree",
                    "Oak Tree", "Phoenix", "Sunrise", "Little Acorns", "St Mary's", "St John's", "St Andrew's", "St Peter's",
                    "All Saints", "Holy Trinity", "Christ Church", "Trinity", "Central", "North", "South", "East", "West"]
VENUES = ["the community centre", "the library", "St Mary's church hall", "the leisure centre", "the primary school hall",
          "the mosque hall", "the youth centre", "the scout hut", "the family hub", "the methodist church", "the pub's back room",
          "the park cafe", "the housing estate's community room", "the Quaker meeting house", "the village hall", "the gurdwara"]
DAYS = ["Mondays", "Tuesdays", "Wednesdays", "Thursdays", "Fridays", "Saturdays", "Sundays"]
FIRST = ["Amina", "Grace", "Tomasz", "Fatima", "David", "Priya", "Mohammed", "Sarah", "Kwame", "Agnieszka", "Hassan", "Joan",
         "Rukhsana", "Daniel", "Olu", "Ewa", "Liam", "Sadia", "Marek", "Chloe", "Abdi", "Rosa", "Imran", "Helen", "Jurgita",
         "Samuel", "Nadia", "Peter", "Zainab", "Ioana", "Michael", "Shanice", "Raj", "Margaret", "Yusuf", "Ana"]
LAST = ["Ahmed", "Okafor", "Kowalski", "Khan", "Smith", "Patel", "Hussain", "Jones", "Mensah", "Nowak", "Ali", "Brown",
        "Begum", "Williams", "Adeyemi", "Wisniewska", "Murphy", "Iqbal", "Kazlauskas", "Taylor", "Farah", "Silva", "Popescu",
        "Evans", "Osei", "Singh", "Yilmaz", "Clarke", "Mahmood", "Green", "Haile", "Rahman", "Walker", "Hughes"]
EXTRA_SENTENCES = [
    "Everyone is welcome and there is no charge.", "Refreshments are provided.", "Step-free access and a hearing loop.",
    "We are run entirely by volunteers.", "Children are welcome with a parent or carer.",
    "We work closely with local schools and GP surgeries.", "Interpreters can be arranged on request.",
    "New volunteers are always welcome, no experience needed.", "Sessions are small and friendly.",
    "We signpost to other local services when we cannot help ourselves.", "Just turn up, no need to book.",
    "Please get in touch before your first visit.", "We have been part of the local community for many years.",
    "We share our space with other groups in the week.",
]


def slug(text):
    out = []
    for ch in text.lower():
        if ch.isalnum():
            out.append(ch)
        elif out and out[-1] != "-":
            out.append("-")
    return "".join(out).strip("-")


def name_key(name):
    """Roughly Kith's Rules.nameKey: lowercase words, without 'the', & as 'and'."""
    words = "".join(ch if ch.isalnum() else " " for ch in name.lower().replace("&", " and ")).split()
    return " ".join(w for w in words if w != "the")


def scatter(rng, centre, spread_km):
    """A point near centre: a 2-D normal with sigma spread_km, clipped at 3 sigma."""
    lat0, lon0 = centre
    dx = max(-3, min(3, rng.gauss(0, 1))) * spread_km
    dy = max(-3, min(3, rng.gauss(0, 1))) * spread_km
    lat = lat0 + dy / 111.0
    lon = lon0 + dx / (111.0 * math.cos(math.radians(lat0)))
    return round(lat, 6), round(lon, 6)


# --------------------------------------------------------------------------------------------------
# Generation

def pick_some(rng, values, low, high, first=None):
    n = rng.randint(low, high)
    chosen = [first] if first else []
    pool = [v for v in values if v not in chosen]
    rng.shuffle(pool)
    for v in pool:
        if len(chosen) >= n:
            break
        chosen.append(v)
    return chosen


def make_group(rng, used_names, base=None, noun=None, name=None):
    """One group as a CSV row. base, noun (a name noun from TYPES) and name fix those choices."""
    base = base or rng.choices(list(BASE_WEIGHTS), weights=list(BASE_WEIGHTS.values()))[0]
    council = COUNCIL_OF[base]
    centre = area_field(base, 4)
    spread = area_field(base, 5)
    postcodes = area_field(base, 6)
    places = AREA[base][7] or area_field(base, 7)
    t = next(t for t in TYPES if noun in t[1]) if noun else rng.choices(TYPES, weights=TYPE_WEIGHTS)[0]
    _, nouns, kinds, activities, beneficiaries, offers, needs, phrase = t
    noun = noun or rng.choice(nouns)
    community, community_languages = (None, [])
    if rng.random() < 0.28 and not name:
        community, community_languages = rng.choice(COMMUNITIES[council])

    # The name: a place (the town area or a local place) and the type, sometimes a community or
    # another qualifier. Names stay unique within the whole set (Kith flags same names in a council
    # as possible duplicates, which real data has few of).
    town = TOWN[base]
    if name:
        used_names.add(name_key(name))
    for attempt in range(0 if name else 40):
        place = town if rng.random() < 0.4 else rng.choice(places or [town])
        r = rng.random()
        if noun in ("Church", "Mosque", "Gurdwara", "Temple", "Synagogue", "Parish Community"):
            saint = rng.choice(["St Mary's", "St John's", "St Saviour's", "Holy Trinity", "Central", "Jamia", "Masjid Al-Noor",
                                "Shri Ram", "Guru Nanak", "Emmanuel", "New Life", "Bethel", "Grace", "Our Lady of Grace"])
            candidate = f"{saint} {noun} {place}" if r < 0.5 else f"{place} {saint} {noun}"
        elif community and r < 0.75:
            candidate = f"{place} {community} {noun}" if r < 0.4 else f"{community} {noun} {place}"
        elif r < 0.45:
            candidate = f"{place} {noun}"
        elif r < 0.8:
            candidate = f"{rng.choice(OTHER_QUALIFIERS)} {noun} {place}" if rng.random() < 0.5 \
                else f"{place} {rng.choice(OTHER_QUALIFIERS)} {noun}"
        else:
            candidate = f"{rng.choice(OTHER_QUALIFIERS)} {place} {noun}"
        if attempt >= 20:
            candidate += f" {rng.choice(['Two', 'North', 'South', 'Central', 'Plus', 'Online', 'Hub', 'CIC', 'Trust'])}"
        if attempt >= 30:
            candidate += f" {rng.randint(2, 999)}"
        key = name_key(candidate)
        if key not in used_names:
            used_names.add(key)
            name = candidate
            break
    if name is None:
        name = f"{town} {noun} {len(used_names)}"
        used_names.add(name_key(name))

    kind = rng.choice(kinds)
    acts = pick_some(rng, activities, 1, min(3, len(activities)), first=activities[0] if rng.random() < 0.7 else None)
    if rng.random() < 0.12:
        extra = rng.choice(ACTIVITIES)
        if extra not in acts:
            acts.append(extra)
    bens = pick_some(rng, beneficiaries, 1, min(3, len(beneficiaries)))
    if rng.random() < 0.15:
        bens.append(rng.choice([b for b in BENEFICIARIES if b not in bens]))
    if community and rng.random() < 0.5 and "new_arrivals" not in bens:
        bens.append("new_arrivals")
    langs = ["en"] if rng.random() < 0.93 else []
    for code in community_languages:
        if code not in langs:
            langs.append(code)
    if rng.random() < 0.12:
        extra = rng.choice(rng.choice(COMMUNITIES[council])[1])
        if extra not in langs:
            langs.append(extra)
    if not langs:
        langs = ["en"]
    group_needs = [n for n in needs if rng.random() < 0.45]
    if rng.random() < 0.15:
        group_needs.append(rng.choice([n for n in NEEDS if n not in group_needs]))
    group_offers = [o for o in offers if rng.random() < 0.4]

    # Operates in: a sibling or two in the same council, sometimes.
    operates = []
    if rng.random() < 0.2:
        same = [a for a in BASE_WEIGHTS if COUNCIL_OF[a] == council and a != base]
        operates = rng.sample(same, rng.randint(1, 2))

    founded_year = rng.choices(range(1950, 2027), weights=[1 + (y - 1950) // 4 for y in range(1950, 2027)])[0]
    founded = f"{founded_year:04d}-{rng.randint(1, 12):02d}-{rng.randint(1, 28):02d}"
    newly_formed = founded_year >= 2026 or (founded_year == 2025 and rng.random() < 0.5)

    day, day2 = rng.sample(DAYS, 2)
    hour = rng.choice([9, 10, 10, 11, 13, 14, 16, 18, 19])
    pattern, when = rng.choice([
        (f"{day} {hour}:00 to {hour + 2}:00", f"on {day} from {hour}:00 to {hour + 2}:00"),
        (f"Every other {day[:-1]}, {hour}:00", f"every other {day[:-1]} at {hour}:00"),
        (f"{day} and {day2} {hour}:30", f"on {day} and {day2} at {hour}:30"),
        (f"First {day[:-1]} of the month, {hour}:00", f"on the first {day[:-1]} of the month at {hour}:00"),
        ("By appointment", "by appointment"),
        (f"{day[:-1]} mornings", f"on {day[:-1]} mornings"),
        (f"{day[:-1]} evenings", f"on {day[:-1]} evenings"),
    ])
    venue = rng.choice(VENUES)
    who = {"people_on_low_incomes": "people on low incomes", "new_arrivals": "new arrivals", "bame_women": "BAME women",
           "young_people": "young people", "older_people": "older people", "disabled_people": "disabled people",
           "isolated_people": "people who feel isolated", "lgbtq": "LGBTQ+ people"}
    audience = ", ".join(who.get(b, b.replace("_", " ")) for b in bens)
    description = f"{name} {phrase}. We meet {when} at {venue} in {town}, for {audience}."
    if community:
        description += f" Many of us are from the {community} community"
        if community_languages and community_languages != ["en"]:
            description += " and we speak " + " and ".join(community_languages) + " as well as English"
        description += "."
    description += " " + " ".join(rng.sample(EXTRA_SENTENCES, rng.randint(0, 3)))
    description = description.strip()

    lat = lon = ""
    if rng.random() < 0.94:
        lat, lon = scatter(rng, centre, spread)
    first, last = rng.choice(FIRST), rng.choice(LAST)
    has_contact = rng.random() < 0.85
    phone = ""
    if has_contact and rng.random() < 0.7:
        phone = (f"020 8{rng.randint(100, 999)} {rng.randint(1000, 9999)}" if council == "waltham-forest"
                 else f"01733 {rng.randint(100000, 999999)}")
    website = f"https://{slug(name)[:40].strip('-')}.org.uk" if rng.random() < 0.45 else ""
    charity = str(rng.randint(1000000, 1209999)) if kind == "charity" and rng.random() < 0.7 else ""
    company = f"{rng.randint(0, 99999999):08d}" if kind == "social_enterprise" and rng.random() < 0.7 else ""
    return {
        "name": name,
        "description": description,
        "kind": kind,
        "based_in": base,
        "operates_in": ";".join(operates),
        "activities": ";".join(acts),
        "beneficiaries": ";".join(bens),
        "languages": ";".join(langs),
        "needs": ";".join(group_needs),
        "offers": ";".join(group_offers),
        "contact_name": f"{first} {last}" if has_contact else "",
        # Names are unique, so these emails mostly are too (a shared email marks a possible duplicate).
        "contact_email": f"{first.lower()}.{slug(name)[:24].strip('-')}@example.org" if has_contact else "",
        "contact_phone": phone,
        "contact_public": "true" if has_contact and rng.random() < 0.6 else "false",
        "website": website,
        "meeting_pattern": pattern,
        "volunteers": str(rng.choice([0, 1, 2, 3, 5, 8, 12, 20, 35, 60])),
        "people_per_week": str(rng.choice([5, 10, 15, 20, 30, 50, 80, 120, 200, 400])),
        "founded": founded,
        "newly_formed": "true" if newly_formed else "false",
        "known_to_council": "true" if rng.random() < 0.55 else "false",
        "works_with_council": "true" if rng.random() < 0.3 else "false",
        "scale": rng.choices(SCALES, weights=[2, 5, 4, 1])[0],
        "open_to_all": "true" if rng.random() < 0.85 else "false",
        "latitude": f"{lat}" if lat != "" else "",
        "longitude": f"{lon}" if lon != "" else "",
        "postcode_outward": rng.choice(postcodes),
        "charity_number": charity,
        "company_number": company,
    }


CSV_COLUMNS = ["name", "description", "kind", "based_in", "operates_in", "activities", "beneficiaries", "languages",
               "needs", "offers", "contact_name", "contact_email", "contact_phone", "contact_public", "website",
               "meeting_pattern", "volunteers", "people_per_week", "founded", "newly_formed", "known_to_council",
               "works_with_council", "scale", "open_to_all", "latitude", "longitude", "postcode_outward",
               "charity_number", "company_number"]


# Groups the examples and checks name: made first, so every seed and count (from 3) has them.
ANCHORS = [("leyton", "Food Bank", "Leyton Food Bank"), ("chingford", "Knitting Circle", "Chingford Knitting Circle"),
           ("walthamstow", "ESOL Conversation Club", "Walthamstow ESOL Conversation Club")]


def generate(count, seed):
    rng = random.Random(seed)
    used = {name_key(KNOWN_NAME)} | {name_key(a[2]) for a in ANCHORS}
    rows = [make_group(rng, used, base, noun, name) for base, noun, name in ANCHORS[:count]]
    return rows + [make_group(rng, used) for _ in range(count - len(rows))]


def csv_text(rows):
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=CSV_COLUMNS, lineterminator="\r\n")
    writer.writeheader()
    writer.writerows(rows)
    return out.getvalue()


def areas_csv():
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(["id", "name", "kind", "parent_id", "code"])
    for cid, name, code, _ in COUNCILS:
        writer.writerow([cid, name, "council", "", code])
    for a in AREAS:   # listed parents first
        writer.writerow([a[0], a[1], a[2], a[3], ""])
    return out.getvalue()


def batches(rows, max_rows, max_bytes):
    """Consecutive slices of rows, each at most max_rows rows and (as CSV with header) max_bytes bytes."""
    header = len(csv_text([]).encode())
    start = 0
    while start < len(rows):
        size, end = header, start
        while end < len(rows) and end - start < max_rows:
            row_size = len(csv_text([rows[end]]).encode()) - header
            if end > start and size + row_size > max_bytes:
                break
            size += row_size
            end += 1
        yield rows[start:end]
        start = end


# --------------------------------------------------------------------------------------------------
# HTTP

class Client:
    def __init__(self, base, key, timeout):
        url = urllib.parse.urlsplit(base)
        self.host, self.port = url.hostname, url.port or 80
        self.key, self.timeout = key, timeout
        self.conn = None

    def request(self, method, path, body=None, content_type=None, auth=True):
        headers = {"Accept": "application/json"}
        if auth and self.key:
            headers["Authorization"] = f"Bearer {self.key}"
        if content_type:
            headers["Content-Type"] = content_type
        data = body.encode() if isinstance(body, str) else body
        for attempt in (1, 2):
            if self.conn is None:
                self.conn = http.client.HTTPConnection(self.host, self.port, timeout=self.timeout)
            try:
                self.conn.request(method, path, body=data, headers=headers)
                response = self.conn.getresponse()
                payload = response.read()
                if response.getheader("Connection", "").lower() == "close":
                    self.conn.close()
                    self.conn = None
                text = payload.decode("utf-8", "replace")
                try:
                    parsed = json.loads(text) if text else None
                except ValueError:
                    parsed = None
                return response.status, parsed, text
            except (ConnectionError, http.client.HTTPException):
                self.conn.close()
                self.conn = None
                if attempt == 2:
                    raise
        raise RuntimeError("unreachable")


def fail(message):
    print(f"seed-groups: {message}", file=sys.stderr)
    sys.exit(1)


def known_group():
    return {
        "name": KNOWN_NAME,
        "description": "A fixed group the benchmark reads by id and searches for: hands out food parcels in Leyton "
                       "for refugees and families, in Arabic and English.",
        "kind": "charity",
        "based_in": "leyton",
        "activities": ["food", "crisis_response"],
        "beneficiaries": ["refugees", "families"],
        "languages": ["en", "ar"],
        "needs": ["volunteers"],
        "offers": ["food"],
        "contact": {"name": "Bench Contact", "email": "bench.reference@example.org", "phone": "020 8000 0001", "public": True},
        "meeting_pattern": "Saturdays 10:00 to 12:00",
        "scale": "town_area",
        "location": {"latitude": 51.5612, "longitude": -0.0108},
        "postcode_outward": "E10",
    }


def run_checks(client, known_id):
    """Searches whose answers are known. Returns the number of failures."""
    failures = 0

    def search(params):
        path = "/v1/groups?" + urllib.parse.urlencode(params)
        status, body, text = client.request("GET", path, auth=False)
        if status != 200 or not isinstance(body, dict):
            return status, [], text
        return status, body.get("data", []), text

    def check(label, ok, detail):
        nonlocal failures
        print(f"check {'ok' if ok else 'FAIL'} {label}: {detail}")
        if not ok:
            failures += 1

    status, hits, text = search({"q": "quillfeather"})
    check("q=quillfeather finds the known group first", status == 200 and hits and hits[0]["id"] == known_id,
          f"status {status}, {len(hits)} hits, first {hits[0]['name'] if hits else text[:120]!r}")
    status, hits, text = search({"q": "quilfeather bench"})
    check("typo q=quilfeather bench still finds it", status == 200 and any(h["id"] == known_id for h in hits[:5]),
          f"status {status}, {len(hits)} hits, top {[h['name'] for h in hits[:3]]}")
    status, hits, text = search({"q": "food bank", "limit": "20"})
    check("q=food bank: top 20 all mention food", status == 200 and len(hits) == 20
          and all("food" in (h["name"] + " " + h["description"]).lower() for h in hits),
          f"status {status}, {len(hits)} hits, top {[h['name'] for h in hits[:3]]}")
    status, hits, text = search({"q": "leyten fod", "limit": "10"})
    check("typo q=leyten fod: a Leyton food group (e.g. Leyton Food Bank) in the top 10", status == 200
          and any("leyton" in h["name"].lower() and "food" in h["name"].lower() for h in hits),
          f"status {status}, {len(hits)} hits, top {[h['name'] for h in hits[:3]]}")
    status, hits, text = search({"q": "leyton food bank", "limit": "5"})
    check("q=leyton food bank: Leyton Food Bank first", status == 200 and hits and hits[0]["name"] == "Leyton Food Bank",
          f"status {status}, top {[h['name'] for h in hits[:3]]}")
    for short in ("st", "a"):   # what a search box sends after one or two keystrokes
        status, hits, text = search({"q": short, "limit": "5"})
        check(f"q={short} (a word under 3 letters) answers 200", status == 200,
              f"status {status}, {len(hits)} hits" + ("" if status == 200 else f", {text[:100]!r}"))
    status, hits, text = search({"activity": "food", "area": "leyton", "limit": "200"})
    check("activity=food&area=leyton: every hit has food and is in Leyton", status == 200 and len(hits) > 0
          and all("food" in h["activities"] and (h["based_in"] in ("leyton", "lea-bridge") or
                                                 set(h["operates_in"]) & {"leyton", "lea-bridge"}) for h in hits),
          f"status {status}, {len(hits)} hits")
    status, hits, text = search({"beneficiary": "refugees", "language": "ar", "limit": "200"})
    check("beneficiary=refugees&language=ar: every hit matches both", status == 200 and len(hits) > 0
          and all("refugees" in h["beneficiaries"] and "ar" in h["languages"] for h in hits),
          f"status {status}, {len(hits)} hits")
    status, hits, text = search({"near": "51.5612,-0.0108", "radius_km": "2", "sort": "distance", "limit": "50"})
    dists = [h.get("distance_km") for h in hits]
    check("near=51.5612,-0.0108&radius_km=2&sort=distance: known group first, sorted, within 2 km",
          status == 200 and hits and hits[0]["id"] == known_id and dists == sorted(dists) and all(d <= 2 for d in dists),
          f"status {status}, {len(hits)} hits, first {hits[0]['name'] if hits else text[:120]!r}, distances {dists[:3]}...")
    # Paging: the second page continues the first without overlap.
    status, page1, _ = search({"q": "knitting", "limit": "10"})
    status2, body, _ = client.request("GET", "/v1/groups?" + urllib.parse.urlencode({"q": "knitting", "limit": "10"}), auth=False)
    cursor = body.get("next_cursor") if isinstance(body, dict) else None
    page2 = []
    if cursor:
        _, body2, _ = client.request("GET", "/v1/groups?" + urllib.parse.urlencode({"q": "knitting", "limit": "10",
                                                                                    "cursor": cursor}), auth=False)
        page2 = body2.get("data", []) if isinstance(body2, dict) else []
    ids1 = {h["id"] for h in page1}
    check("q=knitting paged by cursor: page 2 has 10 new hits", len(page2) == 10 and not (ids1 & {h["id"] for h in page2}),
          f"page 1 {len(page1)}, page 2 {len(page2)}, overlap {len(ids1 & {h['id'] for h in page2})}")
    status, body, text = client.request("GET", f"/v1/groups/{known_id}", auth=False)
    check("GET /v1/groups/{id} without a key", status == 200 and isinstance(body, dict) and body.get("id") == known_id
          and "status" not in body, f"status {status}")
    return failures


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--base", help="Kith's base URL, e.g. http://127.0.0.1:8080")
    parser.add_argument("--key", help="an admin key (kith keys create --role admin ...)")
    parser.add_argument("--count", type=int, default=50000, help="groups to generate (default 50000)")
    parser.add_argument("--seed", type=int, default=20261126, help="random seed (default 20261126)")
    parser.add_argument("--batch", type=int, default=5000, help="rows per import request, at most 5000 (default 5000)")
    parser.add_argument("--max-body-bytes", type=int, default=1 << 20,
                        help="largest request body the server takes (Kith's --max-body-bytes; default 1048576)")
    parser.add_argument("--timeout", type=float, default=900, help="seconds to wait for one request (default 900)")
    parser.add_argument("--csv", help="write the groups' CSV to this file and stop (no server needed)")
    parser.add_argument("--check", action="store_true", help="after loading, run searches with known answers")
    parser.add_argument("--check-only", metavar="ID", help="only run the checks, against the known group ID")
    args = parser.parse_args()
    if not 1 <= args.batch <= 5000:
        fail("--batch must be from 1 to 5000")

    if args.csv:
        rows = generate(args.count, args.seed)
        with open(args.csv, "w", encoding="utf-8", newline="") as f:
            f.write(csv_text(rows))
        print(f"wrote {len(rows)} groups to {args.csv}", file=sys.stderr)
        return
    if args.check_only and args.base:   # the checks are anonymous searches: no key needed
        sys.exit(1 if run_checks(Client(args.base, None, args.timeout), args.check_only) else 0)
    if not args.base or not args.key:
        fail("--base and --key are needed (or --csv FILE)")
    client = Client(args.base, args.key, args.timeout)

    # 1. Areas.
    status, body, text = client.request("POST", "/v1/areas/import", areas_csv(), "text/csv")
    if status != 200:
        fail(f"areas import: {status} {text[:500]}")
    print(f"areas: {body.get('created')} created, {body.get('updated')} updated", file=sys.stderr)

    # 2. The known group.
    status, body, text = client.request("GET", "/v1/groups?" + urllib.parse.urlencode({"q": "quillfeather"}), auth=False)
    existing = [g for g in (body or {}).get("data", []) if g.get("name") == KNOWN_NAME] if status == 200 else []
    if existing:
        known_id = existing[0]["id"]
    else:
        status, body, text = client.request("POST", "/v1/groups", json.dumps(known_group()), "application/json")
        if status != 201:
            fail(f"creating the known group: {status} {text[:500]}")
        known_id = body["id"]
    print(f"known_group_id {known_id}", flush=True)

    # 3. The generated groups.
    t0 = time.perf_counter()
    rows = generate(args.count, args.seed)
    gen_seconds = time.perf_counter() - t0
    print(f"generated {len(rows)} groups in {gen_seconds:.1f} s", file=sys.stderr)
    loaded, start, n = 0, time.perf_counter(), 0
    for chunk in batches(rows, args.batch, args.max_body_bytes - 1024):
        n += 1
        body_text = csv_text(chunk)
        b0 = time.perf_counter()
        status, body, text = client.request("POST", "/v1/groups/import", body_text, "text/csv")
        seconds = time.perf_counter() - b0
        if status != 200:
            fail(f"groups import batch {n} (rows {loaded + 1}-{loaded + len(chunk)}): {status} {text[:800]}")
        loaded += body.get("created", 0)
        print(f"batch {n} {len(chunk)} {len(body_text.encode())} {seconds:.2f}", flush=True)
        print(f"  batch {n}: {len(chunk)} rows, {len(body_text.encode()) / 1024:.0f} KiB, {seconds:.2f} s "
              f"({len(chunk) / seconds:.0f} rows/s); {loaded} loaded", file=sys.stderr)
    seconds = time.perf_counter() - start
    print(f"loaded {loaded} {seconds:.2f} {loaded / seconds if seconds else 0:.1f} {n}", flush=True)
    print(f"loaded {loaded} groups in {n} requests, {seconds:.1f} s ({loaded / seconds:.0f} rows/s)", file=sys.stderr)

    if args.check:
        failures = run_checks(client, known_id)
        print(f"checks: {failures} failed", file=sys.stderr)


if __name__ == "__main__":
    main()
