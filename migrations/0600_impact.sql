-- 0600_impact.sql: the programme's impact across modules: the engagement target, officers'
-- measures (computed from the modules or entered by hand) and resident survey results.

CREATE TABLE impact_settings (
    id          INTEGER PRIMARY KEY CHECK (id = 1),
    target      INTEGER NOT NULL CHECK (target > 0),   -- people to engage (Waltham Forest: 50,000)
    updated_at  TEXT NOT NULL,
    version     INTEGER NOT NULL DEFAULT 1
) STRICT;
INSERT INTO impact_settings VALUES (1, 50000, '2026-01-01T00:00:00.000Z', 1);

CREATE TABLE measures (
    id          TEXT PRIMARY KEY,
    name        TEXT NOT NULL UNIQUE CHECK (length(name) BETWEEN 1 AND 200),
    unit        TEXT NOT NULL,
    source      TEXT NOT NULL,           -- a computed figure (see Impact/Measures.swift) or 'manual'
    target      REAL NOT NULL,
    period      TEXT NOT NULL CHECK (period IN ('month', 'quarter', 'year')),
    area_id     TEXT REFERENCES areas(id),
    created_at  TEXT NOT NULL,
    updated_at  TEXT NOT NULL,
    version     INTEGER NOT NULL DEFAULT 1
) STRICT;

-- Hand-entered figures for manual measures, one per period (e.g. 2026-11, 2026-Q4, 2026).
CREATE TABLE measure_values (
    measure_id  TEXT NOT NULL REFERENCES measures(id),
    period      TEXT NOT NULL,
    value       REAL NOT NULL,
    note        TEXT,
    key_id      TEXT,
    recorded_at TEXT NOT NULL,
    PRIMARY KEY (measure_id, period)
) STRICT, WITHOUT ROWID;

-- Aggregate results of resident surveys: no individual answers are held.
CREATE TABLE survey_results (
    id              TEXT PRIMARY KEY,
    survey          TEXT NOT NULL,            -- e.g. 'Waltham Forest residents survey'
    wave            TEXT NOT NULL CHECK (wave IN ('baseline', 'follow_up')),
    period          TEXT NOT NULL,            -- when the wave ran, e.g. 2025 or 2026-Q3
    question        TEXT NOT NULL,
    area_id         TEXT REFERENCES areas(id),
    sample_size     INTEGER NOT NULL CHECK (sample_size > 0),
    agree_per_mille INTEGER NOT NULL CHECK (agree_per_mille BETWEEN 0 AND 1000),  -- share agreeing, 85.0% = 850
    created_at      TEXT NOT NULL,
    UNIQUE (survey, wave, question, area_id)
) STRICT;
