-- 0200_networks.sql: area Community Networks: facilitators, members, priorities, votes and
-- conflicts, commitments, meetings and their actions, local assets, resource decisions, events.

CREATE TABLE networks (
    id                 TEXT PRIMARY KEY,
    name               TEXT NOT NULL CHECK (length(name) BETWEEN 1 AND 200),
    description        TEXT NOT NULL DEFAULT '',
    parent_id          TEXT REFERENCES networks(id),   -- a sub-network for a more local area
    council_id         TEXT NOT NULL REFERENCES areas(id),
    status             TEXT NOT NULL CHECK (status IN ('forming', 'active', 'closed')),
    terms_of_reference TEXT,
    contact_email      TEXT,
    contact_phone      TEXT,
    meeting_pattern    TEXT,
    decision_rule      TEXT NOT NULL CHECK (decision_rule IN ('member_vote', 'steering_group')),
    created_at         TEXT NOT NULL,
    updated_at         TEXT NOT NULL,
    version            INTEGER NOT NULL DEFAULT 1,
    UNIQUE (council_id, name)
) STRICT;
CREATE INDEX networks_parent ON networks(parent_id);
CREATE INDEX networks_updated ON networks(updated_at, id);

CREATE TABLE network_areas (
    network_id TEXT NOT NULL REFERENCES networks(id) ON DELETE CASCADE,
    area_id    TEXT NOT NULL REFERENCES areas(id),
    PRIMARY KEY (network_id, area_id)
) STRICT, WITHOUT ROWID;
CREATE INDEX network_areas_area ON network_areas(area_id);

-- The lead facilitator and deputies: keys with the facilitator role scoped to the network.
CREATE TABLE network_facilitators (
    network_id TEXT NOT NULL REFERENCES networks(id) ON DELETE CASCADE,
    key_id     TEXT NOT NULL REFERENCES api_keys(id),
    role       TEXT NOT NULL CHECK (role IN ('lead', 'deputy')),
    since      TEXT NOT NULL,
    PRIMARY KEY (network_id, key_id)
) STRICT, WITHOUT ROWID;
CREATE UNIQUE INDEX network_facilitators_one_lead ON network_facilitators(network_id) WHERE role = 'lead';

CREATE TABLE network_members (
    id            TEXT PRIMARY KEY,
    network_id    TEXT NOT NULL REFERENCES networks(id),
    kind          TEXT NOT NULL CHECK (kind IN ('group', 'local_leader', 'business', 'public_service', 'resident')),
    group_id      TEXT REFERENCES groups(id),      -- for kind 'group'
    name          TEXT NOT NULL CHECK (length(name) BETWEEN 1 AND 200),
    service_kind  TEXT CHECK (service_kind IN ('children_family_centre', 'library', 'school', 'adult_learning_centre',
                                               'housing', 'police', 'job_centre', 'health', 'other')),
    contact_name  TEXT,                              -- personal data: facilitators and officers only
    contact_email TEXT,
    contact_phone TEXT,
    role          TEXT NOT NULL CHECK (role IN ('member', 'steering', 'chair', 'observer')),
    status        TEXT NOT NULL CHECK (status IN ('requested', 'invited', 'active', 'declined', 'left')),
    requested_at  TEXT,
    invited_at    TEXT,
    joined_at     TEXT,
    left_at       TEXT,
    created_at    TEXT NOT NULL,
    updated_at    TEXT NOT NULL,
    version       INTEGER NOT NULL DEFAULT 1,
    CHECK ((kind = 'group') = (group_id IS NOT NULL)),
    CHECK ((kind = 'public_service') = (service_kind IS NOT NULL))
) STRICT;
CREATE INDEX network_members_network ON network_members(network_id, status);
CREATE INDEX network_members_group ON network_members(group_id) WHERE group_id IS NOT NULL;
-- A group has at most one live membership of a network.
CREATE UNIQUE INDEX network_members_live_group ON network_members(network_id, group_id)
    WHERE group_id IS NOT NULL AND status IN ('requested', 'invited', 'active');

-- Hubs and spaces networks can use.
CREATE TABLE assets (
    id                 TEXT PRIMARY KEY,
    name               TEXT NOT NULL CHECK (length(name) BETWEEN 1 AND 200),
    kind               TEXT NOT NULL CHECK (kind IN ('children_family_centre', 'school', 'library', 'adult_learning_centre',
                                                     'community_centre', 'hall', 'place_of_worship', 'shop', 'park', 'market',
                                                     'sports_facility', 'other')),
    area_id            TEXT NOT NULL REFERENCES areas(id),
    address            TEXT,
    capacity           INTEGER CHECK (capacity >= 0),
    accessibility      TEXT NOT NULL DEFAULT '[]' CHECK (json_valid(accessibility)),
    availability_notes TEXT,
    owner              TEXT,
    network_id         TEXT REFERENCES networks(id),  -- the network that added it, if any
    created_at         TEXT NOT NULL,
    updated_at         TEXT NOT NULL,
    version            INTEGER NOT NULL DEFAULT 1
) STRICT;
CREATE INDEX assets_area ON assets(area_id, kind);

CREATE TABLE network_priorities (
    id             TEXT PRIMARY KEY,
    network_id     TEXT NOT NULL REFERENCES networks(id),
    title          TEXT NOT NULL CHECK (length(title) BETWEEN 1 AND 200),
    description    TEXT NOT NULL DEFAULT '',
    status         TEXT NOT NULL CHECK (status IN ('proposed', 'adopted', 'achieved', 'dropped')),
    public         INTEGER NOT NULL DEFAULT 1 CHECK (public IN (0, 1)),
    proposed_by    TEXT REFERENCES network_members(id),
    decided_at     TEXT,
    decided_by     TEXT CHECK (decided_by IN ('member_vote', 'steering_group')),  -- the network's rule when decided
    votes_for      INTEGER,
    votes_against  INTEGER,
    votes_abstain  INTEGER,
    decision_note  TEXT,
    created_at     TEXT NOT NULL,
    updated_at     TEXT NOT NULL,
    version        INTEGER NOT NULL DEFAULT 1
) STRICT;
CREATE INDEX network_priorities_network ON network_priorities(network_id, status);

-- Links from a priority to what serves it beyond this module (funded projects in Funding).
CREATE TABLE network_priority_links (
    priority_id TEXT NOT NULL REFERENCES network_priorities(id) ON DELETE CASCADE,
    kind        TEXT NOT NULL CHECK (kind IN ('funding_application', 'funding_round', 'other')),
    reference   TEXT NOT NULL,
    note        TEXT,
    created_at  TEXT NOT NULL,
    PRIMARY KEY (priority_id, kind, reference)
) STRICT, WITHOUT ROWID;

-- Decisions about programme money: recommend, rank or allocate a share of a round's budget.
CREATE TABLE network_decisions (
    id             TEXT PRIMARY KEY,
    network_id     TEXT NOT NULL REFERENCES networks(id),
    title          TEXT NOT NULL CHECK (length(title) BETWEEN 1 AND 200),
    kind           TEXT NOT NULL CHECK (kind IN ('recommend', 'rank', 'allocate')),
    round_ref      TEXT,                          -- a Funding round id
    amount_pence   INTEGER CHECK (amount_pence >= 0),
    items          TEXT NOT NULL DEFAULT '[]' CHECK (json_valid(items)),  -- applications recommended or ranked, in order
    rationale      TEXT,
    participants   TEXT NOT NULL DEFAULT '[]' CHECK (json_valid(participants)),  -- who decided, when it was not by vote
    method         TEXT CHECK (method IN ('member_vote', 'steering_group')),
    status         TEXT NOT NULL CHECK (status IN ('open', 'decided', 'withdrawn')),
    outcome        TEXT CHECK (outcome IN ('agreed', 'rejected')),
    votes_for      INTEGER,
    votes_against  INTEGER,
    votes_abstain  INTEGER,
    decided_at     TEXT,
    created_at     TEXT NOT NULL,
    updated_at     TEXT NOT NULL,
    version        INTEGER NOT NULL DEFAULT 1
) STRICT;
CREATE INDEX network_decisions_network ON network_decisions(network_id, status);

-- One vote per member per item; conflicts bar a member from voting on the item.
CREATE TABLE network_votes (
    item_type TEXT NOT NULL CHECK (item_type IN ('priority', 'decision')),
    item_id   TEXT NOT NULL,
    member_id TEXT NOT NULL REFERENCES network_members(id),
    vote      TEXT NOT NULL CHECK (vote IN ('for', 'against', 'abstain')),
    cast_at   TEXT NOT NULL,
    recorded_by TEXT,                       -- the key that recorded it (a facilitator for a member without a key)
    PRIMARY KEY (item_type, item_id, member_id)
) STRICT, WITHOUT ROWID;

CREATE TABLE network_conflicts (
    item_type   TEXT NOT NULL CHECK (item_type IN ('priority', 'decision')),
    item_id     TEXT NOT NULL,
    member_id   TEXT NOT NULL REFERENCES network_members(id),
    note        TEXT,
    declared_at TEXT NOT NULL,
    PRIMARY KEY (item_type, item_id, member_id)
) STRICT, WITHOUT ROWID;

CREATE TABLE network_commitments (
    id          TEXT PRIMARY KEY,
    network_id  TEXT NOT NULL REFERENCES networks(id),
    member_id   TEXT NOT NULL REFERENCES network_members(id),
    priority_id TEXT REFERENCES network_priorities(id),
    action      TEXT NOT NULL CHECK (length(action) BETWEEN 1 AND 1000),
    status      TEXT NOT NULL CHECK (status IN ('planned', 'in_progress', 'done', 'dropped')),
    due_on      TEXT,
    progress    TEXT NOT NULL DEFAULT '[]' CHECK (json_valid(progress)),  -- [{at, note, by}]
    created_at  TEXT NOT NULL,
    updated_at  TEXT NOT NULL,
    version     INTEGER NOT NULL DEFAULT 1
) STRICT;
CREATE INDEX network_commitments_network ON network_commitments(network_id, status);

CREATE TABLE network_meetings (
    id           TEXT PRIMARY KEY,
    network_id   TEXT NOT NULL REFERENCES networks(id),
    title        TEXT NOT NULL CHECK (length(title) BETWEEN 1 AND 200),
    starts_at    TEXT NOT NULL,
    ends_at      TEXT,
    asset_id     TEXT REFERENCES assets(id),
    place_note   TEXT,
    agenda       TEXT NOT NULL DEFAULT '',
    minutes      TEXT,                             -- members only
    status       TEXT NOT NULL CHECK (status IN ('scheduled', 'held', 'cancelled')),
    guests       INTEGER NOT NULL DEFAULT 0 CHECK (guests >= 0),  -- counted, never named
    created_at   TEXT NOT NULL,
    updated_at   TEXT NOT NULL,
    version      INTEGER NOT NULL DEFAULT 1,
    CHECK (ends_at IS NULL OR ends_at >= starts_at)
) STRICT;
CREATE INDEX network_meetings_network ON network_meetings(network_id, starts_at);

CREATE TABLE network_attendance (
    meeting_id TEXT NOT NULL REFERENCES network_meetings(id) ON DELETE CASCADE,
    member_id  TEXT NOT NULL REFERENCES network_members(id),
    PRIMARY KEY (meeting_id, member_id)
) STRICT, WITHOUT ROWID;

CREATE TABLE network_actions (
    id          TEXT PRIMARY KEY,
    network_id  TEXT NOT NULL REFERENCES networks(id),
    meeting_id  TEXT REFERENCES network_meetings(id),
    priority_id TEXT REFERENCES network_priorities(id),
    description TEXT NOT NULL CHECK (length(description) BETWEEN 1 AND 1000),
    owner_id    TEXT REFERENCES network_members(id),
    due_on      TEXT,
    status      TEXT NOT NULL CHECK (status IN ('open', 'done', 'dropped')),
    done_at     TEXT,
    created_at  TEXT NOT NULL,
    updated_at  TEXT NOT NULL,
    version     INTEGER NOT NULL DEFAULT 1
) STRICT;
CREATE INDEX network_actions_network ON network_actions(network_id, status, due_on);

-- Money a network brought in from outside the programme (e.g. National Lottery Community Fund).
CREATE TABLE network_external_funding (
    id           TEXT PRIMARY KEY,
    network_id   TEXT NOT NULL REFERENCES networks(id),
    funder       TEXT NOT NULL CHECK (length(funder) BETWEEN 1 AND 200),
    amount_pence INTEGER NOT NULL CHECK (amount_pence > 0),
    received_on  TEXT NOT NULL,
    note         TEXT,
    created_at   TEXT NOT NULL,
    updated_at   TEXT NOT NULL
) STRICT;
CREATE INDEX network_external_funding_network ON network_external_funding(network_id, received_on);

-- Community events published by groups and networks; attendance is a count.
CREATE TABLE events (
    id                TEXT PRIMARY KEY,
    title             TEXT NOT NULL CHECK (length(title) BETWEEN 1 AND 200),
    description       TEXT NOT NULL DEFAULT '',
    organiser_group   TEXT REFERENCES groups(id),
    organiser_network TEXT REFERENCES networks(id),
    area_id           TEXT NOT NULL REFERENCES areas(id),
    asset_id          TEXT REFERENCES assets(id),
    place_note        TEXT,
    starts_at         TEXT NOT NULL,
    ends_at           TEXT,
    category          TEXT NOT NULL,
    open_to_all       INTEGER NOT NULL DEFAULT 1 CHECK (open_to_all IN (0, 1)),
    capacity          INTEGER CHECK (capacity >= 0),
    accessibility     TEXT NOT NULL DEFAULT '[]' CHECK (json_valid(accessibility)),
    status            TEXT NOT NULL CHECK (status IN ('scheduled', 'cancelled')),
    attendance        INTEGER CHECK (attendance >= 0),
    created_at        TEXT NOT NULL,
    updated_at        TEXT NOT NULL,
    version           INTEGER NOT NULL DEFAULT 1,
    CHECK ((organiser_group IS NULL) <> (organiser_network IS NULL)),
    CHECK (ends_at IS NULL OR ends_at >= starts_at)
) STRICT;
CREATE INDEX events_upcoming ON events(starts_at, id) WHERE status = 'scheduled';
CREATE INDEX events_area ON events(area_id, starts_at);
