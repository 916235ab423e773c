-- 0500_funding.sql: small-grant rounds from application to award, payment, monitoring and open
-- data. Money in integer pence. Applications move only by the transitions in Funding/Rules.swift,
-- each recorded in application_events with who and why.

CREATE TABLE funders (
    id                      TEXT PRIMARY KEY,
    name                    TEXT NOT NULL UNIQUE CHECK (length(name) BETWEEN 1 AND 200),
    organisation_identifier TEXT NOT NULL,   -- org-id.guide style, e.g. GB-LAE-WFT (360Giving fundingOrganization id)
    created_at              TEXT NOT NULL,
    updated_at              TEXT NOT NULL,
    version                 INTEGER NOT NULL DEFAULT 1
) STRICT;

CREATE TABLE programmes (
    id          TEXT PRIMARY KEY,
    funder_id   TEXT NOT NULL REFERENCES funders(id),
    name        TEXT NOT NULL UNIQUE CHECK (length(name) BETWEEN 1 AND 200),
    description TEXT NOT NULL DEFAULT '',
    created_at  TEXT NOT NULL,
    updated_at  TEXT NOT NULL,
    version     INTEGER NOT NULL DEFAULT 1
) STRICT;

CREATE TABLE rounds (
    id                      TEXT PRIMARY KEY,
    programme_id            TEXT NOT NULL REFERENCES programmes(id),
    name                    TEXT NOT NULL CHECK (length(name) BETWEEN 1 AND 200),
    opens_on                TEXT NOT NULL,
    closes_on               TEXT NOT NULL,
    budget_pence            INTEGER NOT NULL CHECK (budget_pence > 0),
    min_grant_pence         INTEGER NOT NULL CHECK (min_grant_pence > 0),
    max_grant_pence         INTEGER NOT NULL,
    eligibility             TEXT NOT NULL CHECK (json_valid(eligibility)),   -- {areas, kinds, beneficiaries, priorities, open_to_all}
    criteria                TEXT NOT NULL CHECK (json_valid(criteria)),      -- [{id, name, weight}]
    network_ids             TEXT NOT NULL DEFAULT '[]' CHECK (json_valid(network_ids)),
    in_kind_rate_pence      INTEGER NOT NULL DEFAULT 0 CHECK (in_kind_rate_pence >= 0),  -- value of an hour of volunteer time
    created_at              TEXT NOT NULL,
    updated_at              TEXT NOT NULL,
    version                 INTEGER NOT NULL DEFAULT 1,
    CHECK (opens_on <= closes_on),
    CHECK (min_grant_pence <= max_grant_pence AND max_grant_pence <= budget_pence)
) STRICT;

-- Assessors are API keys named for a round, with the email their conflicts are found by.
CREATE TABLE round_assessors (
    id         TEXT PRIMARY KEY,
    round_id   TEXT NOT NULL REFERENCES rounds(id),
    key_id     TEXT NOT NULL REFERENCES api_keys(id),
    name       TEXT NOT NULL,
    email      TEXT NOT NULL,
    created_at TEXT NOT NULL,
    UNIQUE (round_id, key_id)
) STRICT;

CREATE TABLE applications (
    id                     TEXT PRIMARY KEY,
    round_id               TEXT NOT NULL REFERENCES rounds(id),
    group_id               TEXT NOT NULL REFERENCES groups(id),
    partner_group_ids      TEXT NOT NULL DEFAULT '[]' CHECK (json_valid(partner_group_ids)),
    title                  TEXT NOT NULL CHECK (length(title) BETWEEN 1 AND 200),
    summary                TEXT NOT NULL DEFAULT '',
    amount_requested_pence INTEGER NOT NULL CHECK (amount_requested_pence > 0),
    budget_lines           TEXT NOT NULL DEFAULT '[]' CHECK (json_valid(budget_lines)),   -- [{item, amount_pence}]
    starts_on              TEXT,
    ends_on                TEXT,
    area_id                TEXT REFERENCES areas(id),
    beneficiaries          TEXT NOT NULL DEFAULT '[]' CHECK (json_valid(beneficiaries)),
    expected_reach         INTEGER CHECK (expected_reach >= 0),
    priority_ids           TEXT NOT NULL DEFAULT '[]' CHECK (json_valid(priority_ids)),   -- network priorities served
    match_funding_pence    INTEGER NOT NULL DEFAULT 0 CHECK (match_funding_pence >= 0),
    in_kind_hours          REAL NOT NULL DEFAULT 0 CHECK (in_kind_hours >= 0),            -- from Time Credits, at submission
    open_to_all            INTEGER NOT NULL DEFAULT 0 CHECK (open_to_all IN (0, 1)),
    sustainability         TEXT NOT NULL DEFAULT '',
    status                 TEXT NOT NULL CHECK (status IN ('draft', 'submitted', 'eligible', 'ineligible', 'under_assessment',
                                                            'recommended', 'awarded', 'declined', 'withdrawn')),
    eligibility_failures   TEXT NOT NULL DEFAULT '[]' CHECK (json_valid(eligibility_failures)),
    submitted_at           TEXT,
    decided_at             TEXT,
    created_at             TEXT NOT NULL,
    updated_at             TEXT NOT NULL,
    version                INTEGER NOT NULL DEFAULT 1
) STRICT;
CREATE INDEX applications_round ON applications(round_id, status);
CREATE INDEX applications_group ON applications(group_id);

-- Every status change: who, when, why. Append-only.
CREATE TABLE application_events (
    seq            INTEGER PRIMARY KEY,
    application_id TEXT NOT NULL REFERENCES applications(id),
    from_status    TEXT,
    to_status      TEXT NOT NULL,
    at             TEXT NOT NULL,
    key_id         TEXT,
    reason         TEXT
) STRICT;
CREATE INDEX application_events_application ON application_events(application_id, seq);

CREATE TABLE endorsements (
    application_id TEXT NOT NULL REFERENCES applications(id),
    network_id     TEXT NOT NULL REFERENCES networks(id),
    recommendation TEXT NOT NULL CHECK (recommendation IN ('support', 'strong_support', 'do_not_support')),
    note           TEXT,
    key_id         TEXT,
    at             TEXT NOT NULL,
    PRIMARY KEY (application_id, network_id)
) STRICT, WITHOUT ROWID;

-- Conflicts of interest: declared by the assessor, or found from the data (recorded when found).
CREATE TABLE assessor_conflicts (
    assessor_id    TEXT NOT NULL REFERENCES round_assessors(id),
    application_id TEXT NOT NULL REFERENCES applications(id),
    source         TEXT NOT NULL CHECK (source IN ('declared', 'detected')),
    reason         TEXT NOT NULL,
    at             TEXT NOT NULL,
    PRIMARY KEY (assessor_id, application_id)
) STRICT, WITHOUT ROWID;

CREATE TABLE assessment_scores (
    assessor_id    TEXT NOT NULL REFERENCES round_assessors(id),
    application_id TEXT NOT NULL REFERENCES applications(id),
    criterion      TEXT NOT NULL,
    score          INTEGER NOT NULL CHECK (score BETWEEN 0 AND 10),
    comment        TEXT,
    at             TEXT NOT NULL,
    PRIMARY KEY (assessor_id, application_id, criterion)
) STRICT, WITHOUT ROWID;

CREATE TABLE grants (
    id                   TEXT PRIMARY KEY,
    application_id       TEXT NOT NULL UNIQUE REFERENCES applications(id),
    round_id             TEXT NOT NULL REFERENCES rounds(id),
    group_id             TEXT NOT NULL REFERENCES groups(id),
    awarded_pence        INTEGER NOT NULL CHECK (awarded_pence > 0),   -- as first awarded
    amount_pence         INTEGER NOT NULL CHECK (amount_pence >= 0),   -- after variations and clawbacks
    awarded_on           TEXT NOT NULL,
    conditions           TEXT,
    status               TEXT NOT NULL CHECK (status IN ('awarded', 'paid', 'closed')),
    created_at           TEXT NOT NULL,
    updated_at           TEXT NOT NULL,
    version              INTEGER NOT NULL DEFAULT 1
) STRICT;
CREATE INDEX grants_round ON grants(round_id);

-- Tranches planned at award; payments as made; variations and clawbacks with their reasons.
CREATE TABLE grant_tranches (
    grant_id     TEXT NOT NULL REFERENCES grants(id),
    number       INTEGER NOT NULL CHECK (number >= 1),
    amount_pence INTEGER NOT NULL CHECK (amount_pence > 0),
    due_on       TEXT NOT NULL,
    PRIMARY KEY (grant_id, number)
) STRICT, WITHOUT ROWID;

CREATE TABLE grant_payments (
    id           TEXT PRIMARY KEY,
    grant_id     TEXT NOT NULL REFERENCES grants(id),
    tranche      INTEGER,
    amount_pence INTEGER NOT NULL CHECK (amount_pence > 0),
    paid_on      TEXT NOT NULL,
    reference    TEXT NOT NULL,
    key_id       TEXT,
    created_at   TEXT NOT NULL,
    UNIQUE (grant_id, reference)
) STRICT;

CREATE TABLE grant_changes (
    id           TEXT PRIMARY KEY,
    grant_id     TEXT NOT NULL REFERENCES grants(id),
    kind         TEXT NOT NULL CHECK (kind IN ('variation', 'clawback')),
    before_pence INTEGER NOT NULL,
    after_pence  INTEGER NOT NULL,
    recovered_pence INTEGER NOT NULL DEFAULT 0,   -- clawback: money the group returns
    reason       TEXT NOT NULL,
    key_id       TEXT,
    at           TEXT NOT NULL
) STRICT;

-- Monitoring: progress and end-of-grant reports with their due dates.
CREATE TABLE grant_reports (
    id               TEXT PRIMARY KEY,
    grant_id         TEXT NOT NULL REFERENCES grants(id),
    kind             TEXT NOT NULL CHECK (kind IN ('progress', 'final')),
    due_on           TEXT NOT NULL,
    submitted_at     TEXT,
    people_reached   TEXT CHECK (people_reached IS NULL OR json_valid(people_reached)),   -- {beneficiary: count}
    volunteers       INTEGER,
    outcomes         TEXT,
    links            TEXT NOT NULL DEFAULT '[]' CHECK (json_valid(links)),
    version          INTEGER NOT NULL DEFAULT 1
) STRICT;
CREATE INDEX grant_reports_due ON grant_reports(due_on) WHERE submitted_at IS NULL;

-- Help for unsuccessful bidders: other funders, and the support an adviser gave.
CREATE TABLE other_funders (
    id          TEXT PRIMARY KEY,
    name        TEXT NOT NULL UNIQUE CHECK (length(name) BETWEEN 1 AND 200),
    funds       TEXT NOT NULL,            -- what they fund
    where_      TEXT NOT NULL,            -- where they fund
    url         TEXT,
    active      INTEGER NOT NULL DEFAULT 1 CHECK (active IN (0, 1)),
    created_at  TEXT NOT NULL,
    updated_at  TEXT NOT NULL,
    version     INTEGER NOT NULL DEFAULT 1
) STRICT;

CREATE TABLE applicant_support (
    id             TEXT PRIMARY KEY,
    application_id TEXT NOT NULL REFERENCES applications(id),
    feedback       TEXT NOT NULL,
    signposted     TEXT NOT NULL DEFAULT '[]' CHECK (json_valid(signposted)),  -- other_funders ids
    note           TEXT,
    key_id         TEXT,
    at             TEXT NOT NULL
) STRICT;
CREATE INDEX applicant_support_application ON applicant_support(application_id);
