-- 0400_timecredits.sql: Time Credits. Volunteers earn one credit per hour given with a member
-- organisation and spend credits at partner venues. The ledger is double entry and append-only:
-- every movement takes credits from one account and gives them to another; corrections are new,
-- reversing movements; balances are the sum of movements and never go below zero.

-- The scheme's rules: one row.
CREATE TABLE credit_settings (
    id                     INTEGER PRIMARY KEY CHECK (id = 1),
    max_hours_per_day      INTEGER NOT NULL CHECK (max_hours_per_day BETWEEN 1 AND 24),
    gifting_allowed        INTEGER NOT NULL CHECK (gifting_allowed IN (0, 1)),
    expiry_months          INTEGER CHECK (expiry_months BETWEEN 1 AND 120),  -- NULL: credits never expire
    contact_credits        TEXT NOT NULL CHECK (json_valid(contact_credits)),   -- schemes whose logged contacts earn credits
    updated_at             TEXT NOT NULL,
    version                INTEGER NOT NULL DEFAULT 1
) STRICT;
INSERT INTO credit_settings VALUES (1, 8, 0, NULL, '[]', '2026-01-01T00:00:00.000Z', 1);

-- Organisations in the scheme: where volunteers earn (usually a group in the directory) and the
-- venues where credits are spent.
CREATE TABLE credit_organisations (
    id          TEXT PRIMARY KEY,
    name        TEXT NOT NULL UNIQUE CHECK (length(name) BETWEEN 1 AND 200),
    earns       INTEGER NOT NULL CHECK (earns IN (0, 1)),       -- approved to issue credits for volunteering
    venue       INTEGER NOT NULL CHECK (venue IN (0, 1)),       -- takes credits for offers
    group_id    TEXT REFERENCES groups(id),
    area_id     TEXT REFERENCES areas(id),
    active      INTEGER NOT NULL DEFAULT 1 CHECK (active IN (0, 1)),
    created_at  TEXT NOT NULL,
    updated_at  TEXT NOT NULL,
    version     INTEGER NOT NULL DEFAULT 1,
    CHECK (earns = 1 OR venue = 1)
) STRICT;

-- Accounts: the programme's issuing account (its balance is minus everything issued), one per
-- person, one per organisation. `balance` is kept with each movement, in the same transaction,
-- and checked against the movements by tests and `kith check`.
CREATE TABLE credit_accounts (
    id              TEXT PRIMARY KEY,
    kind            TEXT NOT NULL CHECK (kind IN ('issuing', 'person', 'organisation')),
    person_id       TEXT UNIQUE REFERENCES people(id),
    organisation_id TEXT UNIQUE REFERENCES credit_organisations(id),
    balance         INTEGER NOT NULL DEFAULT 0,
    created_at      TEXT NOT NULL,
    CHECK (kind = 'issuing' OR balance >= 0),
    CHECK ((kind = 'person') = (person_id IS NOT NULL) AND (kind = 'organisation') = (organisation_id IS NOT NULL))
) STRICT;
INSERT INTO credit_accounts(id, kind, balance, created_at) VALUES ('acc_issuing', 'issuing', 0, '2026-01-01T00:00:00.000Z');

-- The ledger. `source_type`/`source_id` name what caused a movement (a volunteering claim, a
-- contact, a booking, a gift, a reversal); the unique index makes each cause move credits once.
CREATE TABLE credit_movements (
    seq          INTEGER PRIMARY KEY,        -- commit order
    id           TEXT NOT NULL UNIQUE,
    kind         TEXT NOT NULL CHECK (kind IN ('issue', 'spend', 'refund', 'gift', 'reversal', 'expiry')),
    from_account TEXT NOT NULL REFERENCES credit_accounts(id),
    to_account   TEXT NOT NULL REFERENCES credit_accounts(id),
    credits      INTEGER NOT NULL CHECK (credits > 0),
    at           TEXT NOT NULL,
    source_type  TEXT NOT NULL,
    source_id    TEXT NOT NULL,
    reverses     TEXT UNIQUE REFERENCES credit_movements(id),
    reason       TEXT,
    key_id       TEXT,
    CHECK (from_account <> to_account),
    CHECK ((kind = 'reversal') = (reverses IS NOT NULL))
) STRICT;
CREATE UNIQUE INDEX credit_movements_source ON credit_movements(kind, source_type, source_id);
CREATE INDEX credit_movements_from ON credit_movements(from_account, seq);
CREATE INDEX credit_movements_to ON credit_movements(to_account, seq);
CREATE TRIGGER credit_movements_append_only_update BEFORE UPDATE ON credit_movements
BEGIN SELECT RAISE(ABORT, 'credit movements are append-only: reverse a movement instead'); END;
CREATE TRIGGER credit_movements_append_only_delete BEFORE DELETE ON credit_movements
BEGIN SELECT RAISE(ABORT, 'credit movements are append-only: reverse a movement instead'); END;

-- Volunteering: recorded by the organisation, or reported by the volunteer and approved or
-- declined by the organisation. Hours in half-hour steps.
CREATE TABLE volunteering (
    id              TEXT PRIMARY KEY,
    person_id       TEXT NOT NULL REFERENCES people(id),
    organisation_id TEXT NOT NULL REFERENCES credit_organisations(id),
    on_date         TEXT NOT NULL,           -- YYYY-MM-DD
    half_hours      INTEGER NOT NULL CHECK (half_hours BETWEEN 1 AND 48),
    activity        TEXT NOT NULL,
    status          TEXT NOT NULL CHECK (status IN ('reported', 'approved', 'declined', 'reversed')),
    reported_by     TEXT,                    -- the key that recorded it
    decided_by      TEXT,                    -- the key that approved or declined it
    decided_at      TEXT,
    decline_reason  TEXT,
    credits         INTEGER,                 -- whole credits issued on approval
    movement_id     TEXT REFERENCES credit_movements(id),
    created_at      TEXT NOT NULL,
    updated_at      TEXT NOT NULL,
    version         INTEGER NOT NULL DEFAULT 1
) STRICT;
CREATE INDEX volunteering_person_day ON volunteering(person_id, on_date);
CREATE INDEX volunteering_organisation ON volunteering(organisation_id, status, on_date);

-- Logged contacts that earned credits (Matching's contacts): their half hours count towards the
-- daily maximum with volunteering.
CREATE TABLE contact_hours (
    contact_id TEXT PRIMARY KEY,
    person_id  TEXT NOT NULL REFERENCES people(id),
    on_date    TEXT NOT NULL,
    half_hours INTEGER NOT NULL CHECK (half_hours BETWEEN 0 AND 48)
) STRICT, WITHOUT ROWID;
CREATE INDEX contact_hours_person_day ON contact_hours(person_id, on_date);

-- Half hours not yet turned into a whole credit, per volunteer and where they were earned
-- (an organisation id, or `scheme:<id>` for contacts).
CREATE TABLE credit_carry (
    person_id  TEXT NOT NULL REFERENCES people(id),
    earned_at  TEXT NOT NULL,
    half_hours INTEGER NOT NULL CHECK (half_hours IN (0, 1)),
    PRIMARY KEY (person_id, earned_at)
) STRICT, WITHOUT ROWID;

-- What venues offer for credits.
CREATE TABLE credit_offers (
    id              TEXT PRIMARY KEY,
    venue_id        TEXT NOT NULL REFERENCES credit_organisations(id),
    title           TEXT NOT NULL CHECK (length(title) BETWEEN 1 AND 200),
    description     TEXT NOT NULL DEFAULT '',
    category        TEXT NOT NULL CHECK (category IN ('theatre', 'cinema', 'leisure', 'swimming', 'museum', 'course', 'outing', 'other')),
    place           TEXT,
    credits         INTEGER NOT NULL CHECK (credits BETWEEN 1 AND 100),
    capacity        INTEGER CHECK (capacity BETWEEN 1 AND 10000),   -- NULL: unlimited
    valid_from      TEXT NOT NULL,
    valid_to        TEXT NOT NULL,
    status          TEXT NOT NULL CHECK (status IN ('open', 'closed')),
    created_at      TEXT NOT NULL,
    updated_at      TEXT NOT NULL,
    version         INTEGER NOT NULL DEFAULT 1,
    CHECK (valid_from <= valid_to)
) STRICT;
CREATE INDEX credit_offers_venue ON credit_offers(venue_id, valid_to);

CREATE TABLE credit_bookings (
    id                 TEXT PRIMARY KEY,
    offer_id           TEXT NOT NULL REFERENCES credit_offers(id),
    person_id          TEXT NOT NULL REFERENCES people(id),
    status             TEXT NOT NULL CHECK (status IN ('booked', 'attended', 'cancelled')),
    credits            INTEGER NOT NULL,
    movement_id        TEXT NOT NULL REFERENCES credit_movements(id),
    refund_movement_id TEXT REFERENCES credit_movements(id),
    first_visit        INTEGER CHECK (first_visit IN (0, 1)),       -- set when the venue confirms the visit
    booked_at          TEXT NOT NULL,
    decided_at         TEXT,
    updated_at         TEXT NOT NULL,
    version            INTEGER NOT NULL DEFAULT 1
) STRICT;
CREATE INDEX credit_bookings_offer ON credit_bookings(offer_id, status);
CREATE INDEX credit_bookings_person ON credit_bookings(person_id, status);
