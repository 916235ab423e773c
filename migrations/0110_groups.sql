-- 0110_groups.sql: the community map: voluntary and community groups, what they do, who they help,
-- where they are, what help they need and what support they offer.

CREATE TABLE groups (
    id                  TEXT PRIMARY KEY,
    name                TEXT NOT NULL CHECK (length(name) BETWEEN 1 AND 200),
    name_key            TEXT NOT NULL,          -- name folded for duplicate checks ('the', punctuation, case dropped)
    description         TEXT NOT NULL DEFAULT '' CHECK (length(description) <= 5000),
    kind                TEXT NOT NULL,
    based_in            TEXT REFERENCES areas(id),
    council_id          TEXT REFERENCES areas(id),  -- the council of based_in, for scoped keys
    contact_name        TEXT,
    contact_email       TEXT,
    contact_phone       TEXT,
    contact_public      INTEGER NOT NULL DEFAULT 0 CHECK (contact_public IN (0, 1)),
    email_key           TEXT,                   -- lowercased email, for duplicate checks
    phone_key           TEXT,                   -- digits of the phone number, for duplicate checks
    website             TEXT,
    charity_number      TEXT,                   -- registered charity number, if any
    company_number      TEXT,                   -- Companies House number, if any
    meeting_pattern     TEXT,
    volunteers          INTEGER CHECK (volunteers >= 0),
    people_per_week     INTEGER CHECK (people_per_week >= 0),
    founded             TEXT,                   -- YYYY-MM-DD
    newly_formed        INTEGER NOT NULL DEFAULT 0 CHECK (newly_formed IN (0, 1)),
    known_to_council    INTEGER NOT NULL DEFAULT 0 CHECK (known_to_council IN (0, 1)),
    works_with_council  INTEGER NOT NULL DEFAULT 0 CHECK (works_with_council IN (0, 1)),
    scale               TEXT CHECK (scale IN ('street', 'neighbourhood', 'town_area', 'borough_wide')),
    open_to_all         INTEGER NOT NULL DEFAULT 1 CHECK (open_to_all IN (0, 1)),
    source              TEXT NOT NULL CHECK (source IN ('survey', 'partner', 'officer', 'import')),
    external_system     TEXT,                   -- a partner system's name (its key's name)
    external_id         TEXT,                   -- the partner's own id for the group
    status              TEXT NOT NULL CHECK (status IN ('pending', 'verified', 'inactive', 'closed', 'merged')),
    merged_into         TEXT REFERENCES groups(id),
    possible_duplicates TEXT NOT NULL DEFAULT '[]' CHECK (json_valid(possible_duplicates)),
    latitude            REAL CHECK (latitude BETWEEN -90 AND 90),
    longitude           REAL CHECK (longitude BETWEEN -180 AND 180),
    postcode_outward    TEXT,
    accepting_members       INTEGER CHECK (accepting_members IN (0, 1)),
    accepting_volunteers    INTEGER CHECK (accepting_volunteers IN (0, 1)),
    accepting_beneficiaries INTEGER CHECK (accepting_beneficiaries IN (0, 1)),
    capacity_note       TEXT,
    capacity_updated_at TEXT,
    last_confirmed_at   TEXT NOT NULL,
    verified_at         TEXT,
    verified_by         TEXT,
    search_tags         TEXT NOT NULL DEFAULT '',  -- words from the controlled lists and area names, for search
    created_at          TEXT NOT NULL,
    updated_at          TEXT NOT NULL,
    version             INTEGER NOT NULL DEFAULT 1,
    CHECK ((latitude IS NULL) = (longitude IS NULL)),
    CHECK ((status = 'merged') = (merged_into IS NOT NULL)),
    UNIQUE (external_system, external_id)
) STRICT;
CREATE INDEX groups_name ON groups(name_key, id);
CREATE INDEX groups_updated ON groups(updated_at, id);
CREATE INDEX groups_created ON groups(created_at, id);
CREATE INDEX groups_based_in ON groups(based_in);
CREATE INDEX groups_council ON groups(council_id, status);
CREATE INDEX groups_name_key ON groups(name_key);
CREATE INDEX groups_email_key ON groups(email_key) WHERE email_key IS NOT NULL;
CREATE INDEX groups_phone_key ON groups(phone_key) WHERE phone_key IS NOT NULL;
CREATE INDEX groups_confirmed ON groups(last_confirmed_at) WHERE status = 'verified';
CREATE INDEX groups_merged_into ON groups(merged_into) WHERE merged_into IS NOT NULL;

-- The multi-valued answers, one row per value: activity, beneficiary, language, need, offer,
-- operates_in (an area id). Filters and dashboard counts read this table.
CREATE TABLE group_facets (
    facet    TEXT NOT NULL CHECK (facet IN ('activity', 'beneficiary', 'language', 'need', 'offer', 'operates_in')),
    value    TEXT NOT NULL,
    group_id TEXT NOT NULL REFERENCES groups(id) ON DELETE CASCADE,
    PRIMARY KEY (facet, value, group_id)
) STRICT, WITHOUT ROWID;
CREATE INDEX group_facets_group ON group_facets(group_id);

-- Full-text search over name, description and tags, ranked with bm25; prefix queries use the
-- 2- and 3-character prefix indexes.
CREATE VIRTUAL TABLE group_text USING fts5(
    name, description, tags, content = 'groups', content_rowid = 'rowid',
    tokenize = 'unicode61 remove_diacritics 2', prefix = '2 3'
);
-- Trigrams of names: finds names with typos or partial words the word index misses.
CREATE VIRTUAL TABLE group_name_trigrams USING fts5(name, content = 'groups', content_rowid = 'rowid', tokenize = 'trigram');
-- Points, for "near here" searches.
CREATE VIRTUAL TABLE group_points USING rtree(id, min_lat, max_lat, min_lon, max_lon);

CREATE TRIGGER groups_ai AFTER INSERT ON groups BEGIN
    INSERT INTO group_text(rowid, name, description, tags) VALUES (new.rowid, new.name, new.description, new.search_tags);
    INSERT INTO group_name_trigrams(rowid, name) VALUES (new.rowid, new.name);
    INSERT INTO group_points(id, min_lat, max_lat, min_lon, max_lon)
        SELECT new.rowid, new.latitude, new.latitude, new.longitude, new.longitude WHERE new.latitude IS NOT NULL;
END;
CREATE TRIGGER groups_ad AFTER DELETE ON groups BEGIN
    INSERT INTO group_text(group_text, rowid, name, description, tags) VALUES ('delete', old.rowid, old.name, old.description, old.search_tags);
    INSERT INTO group_name_trigrams(group_name_trigrams, rowid, name) VALUES ('delete', old.rowid, old.name);
    DELETE FROM group_points WHERE id = old.rowid;
END;
CREATE TRIGGER groups_au AFTER UPDATE OF name, description, search_tags, latitude, longitude ON groups BEGIN
    INSERT INTO group_text(group_text, rowid, name, description, tags) VALUES ('delete', old.rowid, old.name, old.description, old.search_tags);
    INSERT INTO group_text(rowid, name, description, tags) VALUES (new.rowid, new.name, new.description, new.search_tags);
    INSERT INTO group_name_trigrams(group_name_trigrams, rowid, name) VALUES ('delete', old.rowid, old.name);
    INSERT INTO group_name_trigrams(rowid, name) VALUES (new.rowid, new.name);
    DELETE FROM group_points WHERE id = old.rowid;
    INSERT INTO group_points(id, min_lat, max_lat, min_lon, max_lon)
        SELECT new.rowid, new.latitude, new.latitude, new.longitude, new.longitude WHERE new.latitude IS NOT NULL;
END;

-- One-time links for a group's yearly re-confirmation: only a hash of the token is kept.
CREATE TABLE group_confirmation_tokens (
    token_hash TEXT PRIMARY KEY,
    group_id   TEXT NOT NULL REFERENCES groups(id) ON DELETE CASCADE,
    created_at TEXT NOT NULL,
    expires_at TEXT NOT NULL,
    used_at    TEXT
) STRICT;
CREATE INDEX group_confirmation_tokens_group ON group_confirmation_tokens(group_id);
