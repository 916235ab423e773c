-- 0100_areas.sql: the tree of places every module refers to: a council at the root, then areas,
-- then wards or neighbourhoods. One database may hold several councils.

CREATE TABLE areas (
    id         TEXT PRIMARY KEY CHECK (length(id) BETWEEN 2 AND 60 AND id NOT GLOB '*[^a-z0-9-]*'),
    parent_id  TEXT REFERENCES areas(id),
    council_id TEXT NOT NULL,              -- the root of this area's tree (itself for a council)
    name       TEXT NOT NULL CHECK (length(name) BETWEEN 1 AND 120),
    kind       TEXT NOT NULL CHECK (kind IN ('council', 'area', 'ward', 'neighbourhood')),
    code       TEXT CHECK (code IS NULL OR length(code) BETWEEN 1 AND 20),  -- e.g. an ONS code
    path       TEXT NOT NULL UNIQUE,       -- '/waltham-forest/chingford/south-chingford/'; a subtree is a prefix
    created_at TEXT NOT NULL,
    updated_at TEXT NOT NULL,
    version    INTEGER NOT NULL DEFAULT 1,
    CHECK ((kind = 'council') = (parent_id IS NULL))
) STRICT;
CREATE INDEX areas_parent ON areas(parent_id);
CREATE INDEX areas_updated ON areas(updated_at, id);
CREATE UNIQUE INDEX areas_sibling_name ON areas(coalesce(parent_id, ''), lower(name));
