-- 0310_matching.sql: the matching engine shared by the FAN buddy scheme and Befriending:
-- schemes and providers, volunteers' offers, referrals, matches, contacts, safeguarding concerns,
-- outcomes, and each scheme's own records (welcome packs; group sessions and onward referrals).

CREATE TABLE schemes (
    id                    TEXT PRIMARY KEY CHECK (id IN ('fan', 'befriending')),
    name                  TEXT NOT NULL,
    required_checks       TEXT NOT NULL CHECK (json_valid(required_checks)),  -- [{kind, detail}] that must be clear and current
    default_capacity      INTEGER NOT NULL CHECK (default_capacity BETWEEN 1 AND 20),
    missed_contact_days   INTEGER NOT NULL CHECK (missed_contact_days BETWEEN 1 AND 365),
    match_target_days     INTEGER NOT NULL CHECK (match_target_days BETWEEN 1 AND 365),
    review_interval_days  INTEGER NOT NULL CHECK (review_interval_days BETWEEN 7 AND 730),
    updated_at            TEXT NOT NULL,
    version               INTEGER NOT NULL DEFAULT 1
) STRICT;
INSERT INTO schemes VALUES
    ('fan', 'Friends and Neighbours (FAN)',
     '[{"kind":"dbs","detail":"basic"},{"kind":"reference","detail":"any"},{"kind":"training","detail":"safeguarding"}]',
     2, 21, 14, 90, '2026-01-01T00:00:00.000Z', 1),
    ('befriending', 'Befriending partnership',
     '[{"kind":"dbs","detail":"enhanced"},{"kind":"reference","detail":"any"},{"kind":"training","detail":"safeguarding"},{"kind":"training","detail":"befriending_induction"}]',
     3, 14, 28, 90, '2026-01-01T00:00:00.000Z', 1);

-- Partner organisations in the befriending partnership, each with its own caseload.
CREATE TABLE providers (
    id         TEXT PRIMARY KEY,
    name       TEXT NOT NULL UNIQUE CHECK (length(name) BETWEEN 1 AND 200),
    scheme     TEXT NOT NULL REFERENCES schemes(id),
    group_id   TEXT REFERENCES groups(id),
    area_id    TEXT REFERENCES areas(id),
    created_at TEXT NOT NULL,
    updated_at TEXT NOT NULL,
    version    INTEGER NOT NULL DEFAULT 1
) STRICT;

-- What a volunteer offers a scheme.
CREATE TABLE volunteer_offers (
    person_id    TEXT NOT NULL REFERENCES people(id),
    scheme       TEXT NOT NULL REFERENCES schemes(id),
    provider_id  TEXT REFERENCES providers(id),
    capacity     INTEGER NOT NULL CHECK (capacity BETWEEN 1 AND 20),
    interests    TEXT NOT NULL DEFAULT '[]' CHECK (json_valid(interests)),
    availability TEXT NOT NULL DEFAULT '[]' CHECK (json_valid(availability)),  -- slots such as mon_am, tue_eve
    modes        TEXT NOT NULL DEFAULT '[]' CHECK (json_valid(modes)),         -- visit, phone, meet_up, group
    active       INTEGER NOT NULL DEFAULT 1 CHECK (active IN (0, 1)),
    created_at   TEXT NOT NULL,
    updated_at   TEXT NOT NULL,
    version      INTEGER NOT NULL DEFAULT 1,
    PRIMARY KEY (person_id, scheme)
) STRICT, WITHOUT ROWID;

CREATE TABLE referrals (
    id            TEXT PRIMARY KEY,
    scheme        TEXT NOT NULL REFERENCES schemes(id),
    person_id     TEXT NOT NULL REFERENCES people(id),
    provider_id   TEXT REFERENCES providers(id),
    source        TEXT NOT NULL CHECK (source IN ('self', 'gp', 'social_care', 'group', 'partner', 'family', 'other')),
    source_group  TEXT REFERENCES groups(id),
    needs         TEXT NOT NULL DEFAULT '',
    preferences   TEXT NOT NULL CHECK (json_valid(preferences)),  -- area, languages, interests, gender, availability, modes, accessibility, required
    details       TEXT NOT NULL DEFAULT '{}' CHECK (json_valid(details)),  -- the scheme's own answers (English level, goals, living situation…)
    status        TEXT NOT NULL CHECK (status IN ('waiting', 'matched', 'closed')),
    referred_at   TEXT NOT NULL,
    waiting_since TEXT NOT NULL,            -- the referral, or the end of a match that is to be replaced
    matched_at    TEXT,
    closed_at     TEXT,
    close_reason  TEXT,
    created_at    TEXT NOT NULL,
    updated_at    TEXT NOT NULL,
    version       INTEGER NOT NULL DEFAULT 1
) STRICT;
CREATE INDEX referrals_waiting ON referrals(scheme, status, referred_at);
CREATE INDEX referrals_person ON referrals(person_id);

CREATE TABLE matches (
    id            TEXT PRIMARY KEY,
    scheme        TEXT NOT NULL REFERENCES schemes(id),
    referral_id   TEXT NOT NULL REFERENCES referrals(id),
    person_id     TEXT NOT NULL REFERENCES people(id),   -- the new arrival or befriendee
    volunteer_id  TEXT NOT NULL REFERENCES people(id),
    provider_id   TEXT REFERENCES providers(id),
    status        TEXT NOT NULL CHECK (status IN ('proposed', 'introduced', 'active', 'paused', 'ended')),
    score         INTEGER NOT NULL,
    reasons       TEXT NOT NULL CHECK (json_valid(reasons)),
    proposed_at   TEXT NOT NULL,
    introduced_at TEXT,
    active_at     TEXT,
    paused_at     TEXT,
    ended_at      TEXT,
    end_reason    TEXT CHECK (end_reason IN ('completed', 'moved_away', 'person_withdrew', 'volunteer_withdrew', 'not_compatible',
                                             'safeguarding', 'died', 'other')),
    next_review   TEXT,
    created_at    TEXT NOT NULL,
    updated_at    TEXT NOT NULL,
    version       INTEGER NOT NULL DEFAULT 1
) STRICT;
CREATE INDEX matches_volunteer ON matches(volunteer_id, status);
CREATE INDEX matches_person ON matches(person_id, status);
CREATE INDEX matches_scheme ON matches(scheme, status);

CREATE TABLE contacts (
    id          TEXT PRIMARY KEY,
    match_id    TEXT NOT NULL REFERENCES matches(id),
    happened_at TEXT NOT NULL,
    minutes     INTEGER NOT NULL CHECK (minutes BETWEEN 1 AND 1440),
    kind        TEXT NOT NULL CHECK (kind IN ('visit', 'call', 'video', 'meet_up', 'group', 'informal_learning', 'social',
                                              'shared_meal', 'signposting')),
    topics      TEXT NOT NULL DEFAULT '[]' CHECK (json_valid(topics)),
    note        TEXT,                        -- coordinators and officers only
    recorded_by TEXT,
    created_at  TEXT NOT NULL
) STRICT;
CREATE INDEX contacts_match ON contacts(match_id, happened_at);

CREATE TABLE concerns (
    id           TEXT PRIMARY KEY,
    match_id     TEXT NOT NULL REFERENCES matches(id),
    raised_at    TEXT NOT NULL,
    raised_by    TEXT,
    category     TEXT NOT NULL CHECK (category IN ('neglect', 'abuse', 'financial', 'health', 'wellbeing', 'conduct', 'other')),
    description  TEXT NOT NULL,
    status       TEXT NOT NULL CHECK (status IN ('open', 'investigating', 'closed')),
    outcome      TEXT,
    paused_match INTEGER NOT NULL DEFAULT 0 CHECK (paused_match IN (0, 1)),
    updated_at   TEXT NOT NULL,
    version      INTEGER NOT NULL DEFAULT 1
) STRICT;
CREATE INDEX concerns_match ON concerns(match_id);
CREATE INDEX concerns_open ON concerns(status) WHERE status <> 'closed';

-- Outcome measures as scores: loneliness (ONS questions or the 3-item UCLA scale) and, for new
-- arrivals, English confidence (1-5).
CREATE TABLE outcomes (
    id          TEXT PRIMARY KEY,
    person_id   TEXT NOT NULL REFERENCES people(id),
    scheme      TEXT NOT NULL REFERENCES schemes(id),
    match_id    TEXT REFERENCES matches(id),
    measure     TEXT NOT NULL CHECK (measure IN ('ucla3', 'ons_loneliness', 'english_confidence')),
    stage       TEXT NOT NULL CHECK (stage IN ('start', 'review', 'end')),
    score       INTEGER NOT NULL,
    measured_on TEXT NOT NULL,
    recorded_by TEXT,
    created_at  TEXT NOT NULL
) STRICT;
CREATE INDEX outcomes_person ON outcomes(person_id, measure, measured_on);

-- FAN: welcome packs for new arrivals, built from the directory.
CREATE TABLE welcome_packs (
    id         TEXT PRIMARY KEY,
    person_id  TEXT NOT NULL REFERENCES people(id),
    area_id    TEXT NOT NULL REFERENCES areas(id),
    items      TEXT NOT NULL CHECK (json_valid(items)),
    sent_on    TEXT,
    sent_by    TEXT,
    created_at TEXT NOT NULL
) STRICT;
CREATE INDEX welcome_packs_person ON welcome_packs(person_id);

-- Befriending: group sessions (attendance by age band, so cross-age contact is counted) and
-- complex needs referred on to other agencies.
CREATE TABLE group_sessions (
    id           TEXT PRIMARY KEY,
    provider_id  TEXT NOT NULL REFERENCES providers(id),
    title        TEXT NOT NULL,
    held_at      TEXT NOT NULL,
    place        TEXT,
    attendance   TEXT NOT NULL CHECK (json_valid(attendance)),  -- {"volunteers": {"18_24": 4, …}, "older_people": {"75_84": 6, …}}
    created_at   TEXT NOT NULL,
    updated_at   TEXT NOT NULL,
    version      INTEGER NOT NULL DEFAULT 1
) STRICT;
CREATE INDEX group_sessions_provider ON group_sessions(provider_id, held_at);

CREATE TABLE onward_referrals (
    id          TEXT PRIMARY KEY,
    person_id   TEXT NOT NULL REFERENCES people(id),
    agency      TEXT NOT NULL,
    reason      TEXT NOT NULL,
    referred_on TEXT NOT NULL,
    recorded_by TEXT,
    created_at  TEXT NOT NULL
) STRICT;
CREATE INDEX onward_referrals_person ON onward_referrals(person_id);
