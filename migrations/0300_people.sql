-- 0300_people.sql: one record per person across modules, their consents and roles, and volunteers'
-- safeguarding checks. Personal data lives here and is erased here.

CREATE TABLE people (
    id             TEXT PRIMARY KEY,
    full_name      TEXT,                    -- NULL once erased
    preferred_name TEXT,
    email          TEXT,
    phone          TEXT,
    address        TEXT,
    postcode       TEXT,
    area_id        TEXT REFERENCES areas(id),
    languages      TEXT NOT NULL DEFAULT '[]' CHECK (json_valid(languages)),
    date_of_birth  TEXT,                    -- YYYY-MM-DD
    age_band       TEXT CHECK (age_band IN ('under_18', '18_24', '25_34', '35_44', '45_54', '55_64', '65_74', '75_84', '85_plus')),
    gender         TEXT CHECK (gender IN ('female', 'male', 'non_binary', 'other', 'prefer_not_to_say')),
    roles          TEXT NOT NULL DEFAULT '[]' CHECK (json_valid(roles)),
    provider_id    TEXT REFERENCES providers(id),  -- the provider whose caseload holds them (table from 0310)
    notes          TEXT,                    -- coordinators and officers only
    erased_at      TEXT,
    erasure_reason TEXT,                    -- why, as the officer gave it
    created_at     TEXT NOT NULL,
    updated_at     TEXT NOT NULL,
    version        INTEGER NOT NULL DEFAULT 1,
    CHECK (erased_at IS NOT NULL OR full_name IS NOT NULL)
) STRICT;
CREATE INDEX people_area ON people(area_id);
CREATE INDEX people_provider ON people(provider_id) WHERE provider_id IS NOT NULL;
CREATE INDEX people_updated ON people(updated_at, id);

-- What a person agreed to, when and how; the latest entry per purpose is in force. Append-only.
CREATE TABLE consents (
    id          TEXT PRIMARY KEY,
    person_id   TEXT NOT NULL REFERENCES people(id),
    purpose     TEXT NOT NULL CHECK (purpose IN ('store_details', 'share_with_provider', 'contact_by_phone', 'contact_by_email',
                                                 'photographs', 'outcome_surveys', 'publicity')),
    given       INTEGER NOT NULL CHECK (given IN (0, 1)),
    method      TEXT NOT NULL CHECK (method IN ('written', 'verbal', 'online', 'by_representative')),
    recorded_at TEXT NOT NULL,
    recorded_by TEXT,
    note        TEXT
) STRICT;
CREATE INDEX consents_person ON consents(person_id, purpose, recorded_at);

-- A volunteer's checks: DBS, references and training, each with the date it runs out.
CREATE TABLE volunteer_checks (
    id          TEXT PRIMARY KEY,
    person_id   TEXT NOT NULL REFERENCES people(id),
    kind        TEXT NOT NULL CHECK (kind IN ('dbs', 'reference', 'training')),
    detail      TEXT NOT NULL,              -- DBS level, referee relationship, or course (e.g. safeguarding)
    status      TEXT NOT NULL CHECK (status IN ('pending', 'clear', 'failed')),
    issued_on   TEXT,                       -- certificate, reference or course date
    expires_on  TEXT,                       -- from the check's expiry rule
    certificate TEXT,                       -- DBS certificate number (officers and coordinators only)
    created_at  TEXT NOT NULL,
    updated_at  TEXT NOT NULL,
    version     INTEGER NOT NULL DEFAULT 1
) STRICT;
CREATE INDEX volunteer_checks_person ON volunteer_checks(person_id, kind);
CREATE INDEX volunteer_checks_expiry ON volunteer_checks(expires_on) WHERE status = 'clear';
