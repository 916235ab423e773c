-- 0001_core.sql: the platform's own tables: API keys, the audit log, idempotency records.
-- Every table is STRICT; times are RFC 3339 UTC text with milliseconds (they sort as text).

CREATE TABLE api_keys (
    id          TEXT PRIMARY KEY,
    name        TEXT NOT NULL CHECK (length(name) BETWEEN 1 AND 100),
    role        TEXT NOT NULL CHECK (role IN ('admin', 'officer', 'facilitator', 'coordinator', 'group',
                                              'venue', 'volunteer', 'viewer', 'partner')),
    scope       TEXT,                       -- 'kind:id', or NULL for no limit
    secret_hash TEXT NOT NULL UNIQUE,       -- SHA-256 (hex) of the whole key; the key itself is never stored
    hint        TEXT NOT NULL,              -- the key's first characters, to recognise it in lists
    created_at  TEXT NOT NULL,
    created_by  TEXT REFERENCES api_keys(id),  -- NULL when made by the CLI
    expires_at  TEXT,
    revoked_at  TEXT,
    updated_at  TEXT NOT NULL,
    version     INTEGER NOT NULL DEFAULT 1
) STRICT;
CREATE INDEX api_keys_created ON api_keys(created_at, id);

CREATE TABLE audit_log (
    seq           INTEGER PRIMARY KEY,      -- append-only, in commit order
    at            TEXT NOT NULL,
    key_id        TEXT REFERENCES api_keys(id),  -- NULL for anonymous callers and the CLI
    role          TEXT NOT NULL,            -- the caller's role, 'anonymous', or 'system' (CLI)
    action        TEXT NOT NULL,
    resource_type TEXT NOT NULL,
    resource_id   TEXT NOT NULL,
    request_id    TEXT,
    changes       TEXT NOT NULL DEFAULT '[]' CHECK (json_valid(changes))  -- names of the changed fields
) STRICT;
CREATE INDEX audit_log_resource ON audit_log(resource_type, resource_id, seq);
CREATE INDEX audit_log_key ON audit_log(key_id, seq);
CREATE INDEX audit_log_at ON audit_log(at, seq);

-- Responses to POSTs that carried an Idempotency-Key, replayed on retry for 24 hours.
CREATE TABLE idempotency_keys (
    client      TEXT NOT NULL,              -- the key id, or 'anon:' + a hash of the client address
    key         TEXT NOT NULL,
    fingerprint TEXT NOT NULL,              -- SHA-256 of method, path and body
    status      INTEGER NOT NULL,
    headers     TEXT NOT NULL CHECK (json_valid(headers)),
    body        BLOB NOT NULL,
    created_at  TEXT NOT NULL,
    PRIMARY KEY (client, key)
) STRICT, WITHOUT ROWID;
CREATE INDEX idempotency_keys_created ON idempotency_keys(created_at);
