//! The SQLite schema, as an ordered list of migrations.
//!
//! `PRAGMA user_version` holds how many migrations a database has had; opening applies the rest,
//! each in its own transaction together with the version bump. Never edit a migration that has
//! shipped: add the next one.
//!
//! Conventions: times are INTEGER microseconds since the Unix epoch, UTC (they sort and compare
//! as numbers; the exact time, to the nanosecond, stays in the row's JSON). Whole records are
//! kept as JSON text in a `json` column; the other columns are for filtering, indexing and for
//! people reading the database with `sqlite3`.

/// Marks a database as Rampart's (`PRAGMA application_id`): "RMPT".
pub const APPLICATION_ID: i32 = 0x524D_5054;

/// The migrations, in order. Migration `i` takes the schema from version `i` to `i + 1`.
pub const MIGRATIONS: &[&str] = &[V1];

/// The schema version this code writes.
pub fn latest_version() -> i64 {
    MIGRATIONS.len() as i64
}

const V1: &str = r#"
CREATE TABLE scan (
    id           INTEGER PRIMARY KEY,
    started      INTEGER NOT NULL,
    finished     INTEGER,
    tool_version TEXT NOT NULL,
    host         TEXT NOT NULL,
    inputs       TEXT NOT NULL,          -- JSON array of strings
    summary      TEXT                    -- JSON ScanSummary, set by finish_scan
);

-- The inputs events came from (Evidence::source), stored once.
CREATE TABLE evidence_source (
    id   INTEGER PRIMARY KEY,
    name TEXT NOT NULL UNIQUE
);

-- Accounts and hosts. The *_key columns are what matching uses: lower-case name, and for
-- accounts the domain's first label, lower-case ('' when none).
CREATE TABLE entity (
    id          INTEGER PRIMARY KEY,
    kind        TEXT NOT NULL CHECK (kind IN ('account', 'host')),
    name        TEXT,
    domain      TEXT,
    sid         TEXT,                   -- accounts: upper-case SID
    ip          TEXT,                   -- hosts: last known address
    name_key    TEXT NOT NULL DEFAULT '',
    domain_key  TEXT NOT NULL DEFAULT ''
);
CREATE UNIQUE INDEX entity_sid ON entity (sid) WHERE sid IS NOT NULL;
CREATE INDEX entity_name ON entity (kind, name_key, domain_key);
CREATE INDEX entity_ip ON entity (ip) WHERE ip IS NOT NULL;

-- What the events said about each entity, updated by every batch naming it. Kept apart from
-- entity, and unindexed, so that those updates rewrite narrow rows: a batch naming thousands
-- of entities dirties a few pages per thousand instead of most of the entity table.
CREATE TABLE entity_stats (
    entity_id   INTEGER PRIMARY KEY REFERENCES entity (id),
    first_seen  INTEGER NOT NULL,
    last_seen   INTEGER NOT NULL,
    event_count INTEGER NOT NULL DEFAULT 0,
    last_link   INTEGER                 -- the newest entity_event row listing its events
);

-- The *_id columns name rows of scan, entity and evidence_source but declare no REFERENCES:
-- the writer takes them from rows it wrote in the same transaction, and five foreign-key
-- lookups per event cost a tenth of insert throughput.
CREATE TABLE event (
    id           INTEGER PRIMARY KEY,
    scan_id      INTEGER NOT NULL,
    time         INTEGER NOT NULL,
    kind         TEXT NOT NULL,          -- EventKind::name()
    outcome      TEXT NOT NULL,          -- success | failure | unknown
    status       INTEGER,                -- the failure code
    observer     TEXT,
    actor        TEXT,
    actor_domain TEXT,
    actor_sid    TEXT,
    actor_id     INTEGER,
    source_host  TEXT,
    source_ip    TEXT,
    source_id    INTEGER,
    target       TEXT,
    target_domain TEXT,
    target_id    INTEGER,
    evidence_source_id INTEGER NOT NULL,
    record       INTEGER NOT NULL,       -- Evidence::record (u64 stored as its i64 bit pattern)
    event_id     INTEGER,                -- Evidence::event_id
    digest       INTEGER NOT NULL,       -- digest of json: same record, same content = same event
    json         TEXT NOT NULL           -- the whole IdentityEvent
);
CREATE UNIQUE INDEX event_evidence ON event (evidence_source_id, record, digest);
CREATE INDEX event_time ON event (time);

-- Which events name an entity (as actor, target or source): one row per entity per write
-- batch, listing that batch's events, each row pointing back to the entity's previous one
-- (entity_stats.last_link is the newest). Rows are only ever appended. An index by entity
-- instead (on event (actor_id), or on these rows) gets entries all over its tree on every
-- batch: one on event (actor_id) alone halved insert throughput, and the cost grows with the
-- database. entity_id declares no REFERENCES for the same reason as event's columns.
CREATE TABLE entity_event (
    id         INTEGER PRIMARY KEY,
    entity_id  INTEGER NOT NULL,
    prev       INTEGER,                 -- the entity's previous row; NULL for its first
    first_time INTEGER NOT NULL,        -- earliest and latest time of the events listed
    last_time  INTEGER NOT NULL,
    event_ids  BLOB NOT NULL            -- ascending event ids, delta-encoded LEB128 varints
);

CREATE TABLE alert (
    id            TEXT PRIMARY KEY,     -- Alert::id, stable across re-scans
    kind          TEXT NOT NULL,        -- AlertKind id
    severity      INTEGER NOT NULL,     -- 0 low, 1 medium, 2 high, 3 critical
    time          INTEGER NOT NULL,
    last_time     INTEGER NOT NULL,
    actor         TEXT,
    actor_key     TEXT,                 -- actor, lower-case, for substring search
    source_host   TEXT,
    count         INTEGER NOT NULL,
    first_scan_id INTEGER NOT NULL REFERENCES scan (id),
    last_scan_id  INTEGER NOT NULL REFERENCES scan (id),
    json          TEXT NOT NULL         -- the whole Alert
);
CREATE INDEX alert_time ON alert (time);
CREATE INDEX alert_last_time ON alert (last_time);
CREATE INDEX alert_kind ON alert (kind, time);
"#;
