//! [`SqliteStore`]: the embedded store, one SQLite file in WAL mode.
//!
//! Opening is careful with what it is given: it reads the file's header before changing
//! anything, and refuses a file that is not SQLite, an SQLite database of another application,
//! or a Rampart database from a newer version, leaving the file as it was. A new or empty file
//! becomes a Rampart database; an older one is migrated (see [`schema`]).
//!
//! One `SqliteStore` is one connection: writes are serialised through `&mut self`, and other
//! `SqliteStore`s on the same file (other threads or processes) read while it writes, thanks
//! to WAL.
//!
//! Batched event inserts are the hot path, and the schema is shaped by it (see [`schema`]): an
//! event row touches only two append-mostly indexes (evidence, time); which events name an
//! entity is kept as one list per entity per batch instead of per-role indexes; the counters
//! updated every batch live in narrow rows of their own; ids of known entities are cached; and
//! WAL checkpoints run on a thread of their own. Bigger batches are cheaper
//! per event: the per-entity work is per batch.

mod checkpoint;
mod postings;
mod read;
pub mod schema;
mod write;

use crate::error::{Result, StoreError};
use crate::model::{
    AlertQuery, EntityQuery, EntityRecord, EventQuery, ScanId, ScanMeta, ScanRecord, ScanSummary,
};
use crate::Store;
use rampart_core::{Alert, Evidence, IdentityEvent, Timestamp};
use rusqlite::{Connection, ErrorCode, OpenFlags, TransactionBehavior};
use std::path::{Path, PathBuf};
use std::time::Duration;

/// How long a writer waits for another writer's transaction before giving up.
const BUSY_TIMEOUT: Duration = Duration::from_secs(10);

/// Page cache per connection, in KiB (as `PRAGMA cache_size` takes it: negative).
const CACHE_KIB: i64 = -128 * 1024;

/// Prepared statements kept per connection. Queries with optional filters have one statement
/// per combination of filters used, so this is more than the fixed statements need.
const STATEMENT_CACHE: usize = 64;

/// WAL size, in pages, at which a writer checkpoints by itself: only if the checkpoint thread
/// falls behind (see `checkpoint.rs`).
const WAL_SAFETY_NET_PAGES: i64 = 16_384;

/// What the WAL file is cut back to after a checkpoint, in bytes.
const WAL_SIZE_LIMIT: i64 = 64 * 1024 * 1024;

/// The embedded store. See the [module docs](self).
pub struct SqliteStore {
    /// Declared before `conn` so that it is dropped first: the last connection to close
    /// checkpoints the WAL into the database and removes it.
    checkpointer: Option<checkpoint::Checkpointer>,
    /// The file, for the checkpoint thread's connection; `None` in memory.
    path: Option<PathBuf>,
    conn: Connection,
    /// The database as errors name it: the file's path, or `:memory:`.
    db: String,
    cache: write::IdCache,
}

impl SqliteStore {
    /// Opens (creating if needed) the Rampart database at `path`, upgrading its schema if it is
    /// older than this code.
    pub fn open(path: impl AsRef<Path>) -> Result<SqliteStore> {
        let path = path.as_ref();
        let db = path.display().to_string();
        if path.is_dir() {
            return Err(StoreError::Open {
                db,
                source: "this is a directory, not a database file".into(),
            });
        }
        // No URI interpretation: a path is a path.
        let flags = OpenFlags::SQLITE_OPEN_READ_WRITE
            | OpenFlags::SQLITE_OPEN_CREATE
            | OpenFlags::SQLITE_OPEN_NO_MUTEX;
        let conn = Connection::open_with_flags(path, flags).map_err(|e| StoreError::Open {
            db: db.clone(),
            source: e.into(),
        })?;
        SqliteStore::init(conn, db, Some(path.to_path_buf()))
    }

    /// A private database in memory, gone when the store is dropped (tests, one-off scans).
    pub fn open_in_memory() -> Result<SqliteStore> {
        let db = ":memory:".to_string();
        let conn = Connection::open_in_memory().map_err(|e| StoreError::Open {
            db: db.clone(),
            source: e.into(),
        })?;
        SqliteStore::init(conn, db, None)
    }

    /// The database as errors name it.
    pub fn db(&self) -> &str {
        &self.db
    }

    /// The schema version of the open database (always [`schema::latest_version`] once open).
    pub fn schema_version(&self) -> Result<i64> {
        self.conn
            .pragma_query_value(None, "user_version", |r| r.get(0))
            .doing(&self.db, "reading the schema version")
    }

    fn init(mut conn: Connection, db: String, path: Option<PathBuf>) -> Result<SqliteStore> {
        conn.busy_timeout(BUSY_TIMEOUT)
            .doing(&db, "setting the busy timeout")?;
        check_identity(&conn, &db)?;
        // Only now, knowing the file is ours or new, change anything.
        let _mode: String = conn
            .pragma_update_and_check(None, "journal_mode", "WAL", |r| r.get(0))
            .doing(&db, "switching to WAL")?;
        conn.pragma_update(None, "synchronous", "NORMAL")
            .doing(&db, "setting synchronous=NORMAL")?;
        conn.pragma_update(None, "foreign_keys", "ON")
            .doing(&db, "enabling foreign keys")?;
        // Event inserts touch several indexes at scattered places (by entity, by digest); the
        // default 2 MB page cache thrashes on them once a database outgrows it.
        conn.pragma_update(None, "cache_size", CACHE_KIB)
            .doing(&db, "setting the page cache size")?;
        conn.pragma_update(None, "temp_store", "MEMORY")
            .doing(&db, "setting temp_store")?;
        conn.pragma_update(None, "wal_autocheckpoint", WAL_SAFETY_NET_PAGES)
            .doing(&db, "setting wal_autocheckpoint")?;
        conn.pragma_update(None, "journal_size_limit", WAL_SIZE_LIMIT)
            .doing(&db, "setting journal_size_limit")?;
        migrate(&mut conn, &db)?;
        conn.set_prepared_statement_cache_capacity(STATEMENT_CACHE);
        Ok(SqliteStore {
            checkpointer: None,
            path,
            conn,
            db,
            cache: write::IdCache::default(),
        })
    }

    /// After a commit: have the WAL copied into the database, off this thread. The thread
    /// starts with the first write, so stores that only read never start one.
    fn after_commit(&mut self) {
        if self.checkpointer.is_none() {
            match self.path.take() {
                Some(path) => self.checkpointer = checkpoint::Checkpointer::start(&path),
                // In memory, or the thread could not start: SQLite checkpoints by itself.
                None => return,
            }
        }
        if let Some(c) = &self.checkpointer {
            c.nudge();
        }
    }

    fn check_scan(&self, scan: ScanId) -> Result<()> {
        let found = self
            .conn
            .prepare_cached("SELECT 1 FROM scan WHERE id = ?1")
            .and_then(|mut s| s.exists([scan.0]))
            .doing(&self.db, "looking up the scan")?;
        if found {
            Ok(())
        } else {
            Err(StoreError::UnknownScan {
                db: self.db.clone(),
                scan: scan.0,
            })
        }
    }
}

/// Reads the header fields that say whose database this is, and refuses anything that is not
/// Rampart's or brand new. Reads only.
fn check_identity(conn: &Connection, db: &str) -> Result<()> {
    let app_id: i32 = conn
        .pragma_query_value(None, "application_id", |r| r.get(0))
        .map_err(|e| open_error(db, e))?;
    let version: i64 = conn
        .pragma_query_value(None, "user_version", |r| r.get(0))
        .map_err(|e| open_error(db, e))?;
    if app_id != schema::APPLICATION_ID {
        let objects: i64 = conn
            .query_row("SELECT count(*) FROM sqlite_schema", [], |r| r.get(0))
            .map_err(|e| open_error(db, e))?;
        let fresh = app_id == 0 && version == 0 && objects == 0;
        if !fresh {
            return Err(StoreError::ForeignDatabase { db: db.to_string() });
        }
    }
    if version > schema::latest_version() {
        return Err(StoreError::TooNew {
            db: db.to_string(),
            found: version,
            supported: schema::latest_version(),
        });
    }
    Ok(())
}

fn open_error(db: &str, e: rusqlite::Error) -> StoreError {
    if e.sqlite_error_code() == Some(ErrorCode::NotADatabase) {
        StoreError::NotADatabase { db: db.to_string() }
    } else {
        StoreError::Open {
            db: db.to_string(),
            source: e.into(),
        }
    }
}

/// Applies the migrations the database has not had, each in its own write transaction with its
/// version bump, re-reading the version under the write lock so that two processes opening the
/// same new file do not both migrate it.
fn migrate(conn: &mut Connection, db: &str) -> Result<()> {
    apply_migrations(conn, db, schema::MIGRATIONS)
}

fn apply_migrations(conn: &mut Connection, db: &str, migrations: &[&str]) -> Result<()> {
    let latest = migrations.len() as i64;
    loop {
        let version: i64 = conn
            .pragma_query_value(None, "user_version", |r| r.get(0))
            .doing(db, "reading the schema version")?;
        if version >= latest {
            return Ok(());
        }
        let failed = |e: rusqlite::Error| StoreError::Migration {
            db: db.to_string(),
            version: version + 1,
            source: e.into(),
        };
        let tx = conn
            .transaction_with_behavior(TransactionBehavior::Immediate)
            .map_err(failed)?;
        let locked: i64 = tx
            .pragma_query_value(None, "user_version", |r| r.get(0))
            .map_err(failed)?;
        if locked != version {
            // Someone else migrated meanwhile; look again.
            continue;
        }
        let script = usize::try_from(version)
            .ok()
            .and_then(|i| migrations.get(i))
            .ok_or_else(|| StoreError::Migration {
                db: db.to_string(),
                version: version + 1,
                source: format!("impossible schema version {version}").into(),
            })?;
        tx.execute_batch(script).map_err(failed)?;
        tx.pragma_update(None, "application_id", schema::APPLICATION_ID)
            .map_err(failed)?;
        tx.pragma_update(None, "user_version", version + 1)
            .map_err(failed)?;
        tx.commit().map_err(failed)?;
    }
}

/// Adds "which database, doing what" to rusqlite errors.
pub(crate) trait Doing<T> {
    fn doing(self, db: &str, doing: &'static str) -> Result<T>;
}

impl<T> Doing<T> for rusqlite::Result<T> {
    fn doing(self, db: &str, doing: &'static str) -> Result<T> {
        self.map_err(|e| StoreError::Database {
            db: db.to_string(),
            doing,
            source: e.into(),
        })
    }
}

/// Times are stored as microseconds since the epoch.
pub(crate) fn micros(t: Timestamp) -> i64 {
    t.timestamp_micros()
}

pub(crate) fn from_micros(db: &str, what: &str, us: i64) -> Result<Timestamp> {
    chrono::DateTime::from_timestamp_micros(us).ok_or_else(|| StoreError::Corrupt {
        db: db.to_string(),
        what: what.to_string(),
        source: format!("time {us} µs is out of range").into(),
    })
}

impl Store for SqliteStore {
    fn begin_scan(&mut self, meta: &ScanMeta) -> Result<ScanId> {
        self.write_begin_scan(meta)
    }

    fn insert_events(&mut self, scan: ScanId, events: &[IdentityEvent]) -> Result<()> {
        self.check_scan(scan)?;
        let result = self.write_events(scan, events);
        match result {
            Ok(()) => self.after_commit(),
            // The transaction rolled back: ids cached during it may name rows that are gone.
            Err(_) => self.cache.clear(),
        }
        result
    }

    fn insert_alerts(&mut self, scan: ScanId, alerts: &[Alert]) -> Result<()> {
        self.check_scan(scan)?;
        self.write_alerts(scan, alerts)?;
        self.after_commit();
        Ok(())
    }

    fn finish_scan(&mut self, scan: ScanId, summary: &ScanSummary) -> Result<()> {
        self.write_finish_scan(scan, summary)
    }

    fn alerts(&self, q: &AlertQuery) -> Result<Vec<Alert>> {
        self.read_alerts(q)
    }

    fn alert(&self, id: &str) -> Result<Option<Alert>> {
        self.read_alert(id)
    }

    fn events_by_evidence(&self, evidence: &[Evidence]) -> Result<Vec<IdentityEvent>> {
        self.read_events_by_evidence(evidence)
    }

    fn events(&self, q: &EventQuery) -> Result<Vec<IdentityEvent>> {
        self.read_events(q)
    }

    fn entities(&self, q: &EntityQuery) -> Result<Vec<EntityRecord>> {
        self.read_entities(q)
    }

    fn scans(&self) -> Result<Vec<ScanRecord>> {
        self.read_scans()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn version(conn: &Connection) -> i64 {
        conn.pragma_query_value(None, "user_version", |r| r.get(0))
            .unwrap()
    }

    fn has_table(conn: &Connection, name: &str) -> bool {
        conn.prepare("SELECT 1 FROM sqlite_schema WHERE type = 'table' AND name = ?1")
            .unwrap()
            .exists([name])
            .unwrap()
    }

    #[test]
    fn migrations_apply_in_order_and_only_once() {
        let mut conn = Connection::open_in_memory().unwrap();
        let v1 = ["CREATE TABLE a (x)"];
        apply_migrations(&mut conn, "test", &v1).unwrap();
        assert_eq!(version(&conn), 1);
        // Opening again with the same code does nothing (a second CREATE would fail).
        apply_migrations(&mut conn, "test", &v1).unwrap();
        let v2 = [
            "CREATE TABLE a (x)",
            "CREATE TABLE b (y); INSERT INTO a VALUES (1)",
        ];
        apply_migrations(&mut conn, "test", &v2).unwrap();
        assert_eq!(version(&conn), 2);
        assert!(has_table(&conn, "b"));
        let app: i32 = conn
            .pragma_query_value(None, "application_id", |r| r.get(0))
            .unwrap();
        assert_eq!(app, schema::APPLICATION_ID);
    }

    #[test]
    fn a_failed_migration_leaves_the_previous_version_whole() {
        let mut conn = Connection::open_in_memory().unwrap();
        let broken = [
            "CREATE TABLE a (x)",
            "CREATE TABLE b (y); CREATE TABLE a (z)",
        ];
        let err = apply_migrations(&mut conn, "test.db", &broken).unwrap_err();
        assert!(
            matches!(err, StoreError::Migration { version: 2, .. }),
            "{err}"
        );
        assert!(err.to_string().starts_with("test.db: "), "{err}");
        assert_eq!(version(&conn), 1);
        assert!(has_table(&conn, "a"));
        assert!(!has_table(&conn, "b"), "the failed step was rolled back");
    }

    #[test]
    fn a_negative_version_is_refused_not_indexed() {
        let mut conn = Connection::open_in_memory().unwrap();
        conn.pragma_update(None, "user_version", -3).unwrap();
        let err = apply_migrations(&mut conn, "test", &["CREATE TABLE a (x)"]).unwrap_err();
        assert!(matches!(err, StoreError::Migration { .. }), "{err}");
    }
}
