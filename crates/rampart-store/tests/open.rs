//! Opening databases: new, existing, older, newer, and files that are not ours.

mod common;

use common::*;
use rampart_store::sqlite::schema;
use rampart_store::{EventQuery, SqliteStore, Store, StoreError};
use std::path::Path;

fn sidecars(path: &Path) -> Vec<String> {
    ["-wal", "-shm", "-journal"]
        .iter()
        .map(|s| format!("{}{s}", path.display()))
        .filter(|p| Path::new(p).exists())
        .collect()
}

#[test]
fn a_new_file_gets_the_whole_schema() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("rampart.db");
    let store = SqliteStore::open(&path).unwrap();
    assert_eq!(store.schema_version().unwrap(), schema::latest_version());
    assert_eq!(store.db(), path.display().to_string());
    drop(store);

    let conn = rusqlite::Connection::open(&path).unwrap();
    let app: i32 = conn
        .pragma_query_value(None, "application_id", |r| r.get(0))
        .unwrap();
    assert_eq!(app, schema::APPLICATION_ID);
    let mode: String = conn
        .pragma_query_value(None, "journal_mode", |r| r.get(0))
        .unwrap();
    assert_eq!(mode, "wal");
    let mut tables: Vec<String> = conn
        .prepare("SELECT name FROM sqlite_schema WHERE type = 'table' ORDER BY name")
        .unwrap()
        .query_map([], |r| r.get(0))
        .unwrap()
        .collect::<Result<_, _>>()
        .unwrap();
    tables.sort();
    assert_eq!(
        tables,
        [
            "alert",
            "entity",
            "entity_event",
            "entity_stats",
            "event",
            "evidence_source",
            "scan"
        ]
    );
}

#[test]
fn reopening_keeps_the_data() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("rampart.db");
    let user = account("jdoe", "CORP");
    let ws = rampart_core::Host::named("WS01");
    {
        let mut store = SqliteStore::open(&path).unwrap();
        let scan = store.begin_scan(&meta(0)).unwrap();
        store
            .insert_events(scan, &[logon(1, &user, &ws, 1), logon(2, &user, &ws, 2)])
            .unwrap();
        store.finish_scan(scan, &summary(2)).unwrap();
    }
    let store = SqliteStore::open(&path).unwrap();
    assert_eq!(store.events(&EventQuery::default()).unwrap().len(), 2);
    assert_eq!(store.scans().unwrap().len(), 1);
}

#[test]
fn an_empty_file_becomes_a_database() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("empty.db");
    std::fs::write(&path, b"").unwrap();
    let store = SqliteStore::open(&path).unwrap();
    assert_eq!(store.schema_version().unwrap(), schema::latest_version());
}

#[test]
fn an_older_schema_is_migrated() {
    // Version 0 with our application id: a database whose first migration never committed.
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("old.db");
    {
        let conn = rusqlite::Connection::open(&path).unwrap();
        conn.pragma_update(None, "application_id", schema::APPLICATION_ID)
            .unwrap();
    }
    let store = SqliteStore::open(&path).unwrap();
    assert_eq!(store.schema_version().unwrap(), schema::latest_version());
}

#[test]
fn refuses_a_newer_schema() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("future.db");
    drop(SqliteStore::open(&path).unwrap());
    let newer = schema::latest_version() + 1;
    {
        let conn = rusqlite::Connection::open(&path).unwrap();
        conn.pragma_update(None, "user_version", newer).unwrap();
    }
    let before = std::fs::read(&path).unwrap();
    let err = SqliteStore::open(&path)
        .err()
        .expect("a newer schema must be refused");
    assert!(
        matches!(err, StoreError::TooNew { found, .. } if found == newer),
        "{err}"
    );
    let msg = err.to_string();
    assert!(msg.contains(&path.display().to_string()), "{msg}");
    assert!(msg.contains("newer"), "{msg}");
    assert_eq!(std::fs::read(&path).unwrap(), before);
}

#[test]
fn refuses_a_file_that_is_not_sqlite_and_leaves_it_alone() {
    let dir = tempfile::tempdir().unwrap();
    let garbage: [&[u8]; 4] = [
        b"hello",
        &[0xAB; 100],
        &(0..8192u32)
            .map(|i| (i * 31 % 251) as u8)
            .collect::<Vec<_>>(),
        b"This is my thesis.\nDo not overwrite it.\n",
    ];
    for (i, bytes) in garbage.iter().enumerate() {
        let path = dir.path().join(format!("notes-{i}.txt"));
        std::fs::write(&path, bytes).unwrap();
        let err = SqliteStore::open(&path)
            .err()
            .expect("garbage must be refused");
        assert!(matches!(err, StoreError::NotADatabase { .. }), "{err}");
        let msg = err.to_string();
        assert!(msg.contains(&path.display().to_string()), "{msg}");
        assert!(msg.contains("not a Rampart database"), "{msg}");
        assert_eq!(&std::fs::read(&path).unwrap(), bytes, "file {i} changed");
        assert!(sidecars(&path).is_empty(), "{:?}", sidecars(&path));
    }
}

#[test]
fn refuses_another_applications_database_and_leaves_it_alone() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("places.sqlite");
    {
        let conn = rusqlite::Connection::open(&path).unwrap();
        conn.execute_batch(
            "CREATE TABLE bookmarks (url TEXT); INSERT INTO bookmarks VALUES ('x');",
        )
        .unwrap();
    }
    let before = std::fs::read(&path).unwrap();
    let err = SqliteStore::open(&path).err().expect("must be refused");
    assert!(matches!(err, StoreError::ForeignDatabase { .. }), "{err}");
    assert!(err.to_string().contains("places.sqlite"), "{err}");
    assert_eq!(std::fs::read(&path).unwrap(), before);
    assert!(sidecars(&path).is_empty());

    // Another application's id, no tables: still not ours.
    let path = dir.path().join("other.db");
    {
        let conn = rusqlite::Connection::open(&path).unwrap();
        conn.pragma_update(None, "application_id", 0x0F0F_0F0F)
            .unwrap();
    }
    let err = SqliteStore::open(&path).err().expect("must be refused");
    assert!(matches!(err, StoreError::ForeignDatabase { .. }), "{err}");
}

#[test]
fn a_directory_or_a_missing_parent_is_a_clear_error() {
    let dir = tempfile::tempdir().unwrap();
    let err = SqliteStore::open(dir.path()).err().expect("a directory");
    assert!(matches!(err, StoreError::Open { .. }), "{err}");
    assert!(err.to_string().contains(&dir.path().display().to_string()));

    let missing = dir.path().join("no/such/dir/rampart.db");
    let err = SqliteStore::open(&missing).err().expect("a missing parent");
    assert!(err.to_string().contains("rampart.db"), "{err}");
}

#[test]
fn readers_read_while_a_writer_writes() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("busy.db");
    let mut writer = SqliteStore::open(&path).unwrap();
    let scan = writer.begin_scan(&meta(0)).unwrap();
    let reader_path = path.clone();
    const BATCHES: u64 = 40;
    const PER_BATCH: u64 = 500;

    let reader = std::thread::spawn(move || {
        let store = SqliteStore::open(&reader_path).unwrap();
        let mut last = 0usize;
        let mut reads = 0;
        loop {
            let n = store
                .events(&EventQuery::default())
                .expect("a reader is never blocked by the writer")
                .len();
            assert!(n >= last, "a reader saw events disappear");
            // Whole batches only: a batch is one transaction.
            assert_eq!(n as u64 % PER_BATCH, 0, "a reader saw a partial batch");
            last = n;
            reads += 1;
            if n as u64 == BATCHES * PER_BATCH {
                return reads;
            }
        }
    });

    let user = account("jdoe", "CORP");
    let ws = rampart_core::Host::named("WS01");
    for b in 0..BATCHES {
        let batch: Vec<_> = (0..PER_BATCH)
            .map(|i| {
                let r = b * PER_BATCH + i;
                logon(r as i64, &user, &ws, r)
            })
            .collect();
        writer.insert_events(scan, &batch).unwrap();
    }
    let reads = reader.join().unwrap();
    assert!(reads >= 1);
}

#[test]
fn closing_folds_the_wal_back_into_the_database() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("closed.db");
    let user = account("jdoe", "CORP");
    let ws = rampart_core::Host::named("WS01");
    {
        let mut store = SqliteStore::open(&path).unwrap();
        let scan = store.begin_scan(&meta(0)).unwrap();
        for b in 0..20u64 {
            let batch: Vec<_> = (0..200)
                .map(|i| logon((b * 200 + i) as i64, &user, &ws, b * 200 + i))
                .collect();
            store.insert_events(scan, &batch).unwrap();
        }
        let reader = SqliteStore::open(&path).unwrap();
        assert_eq!(reader.events(&EventQuery::default()).unwrap().len(), 4000);
    }
    // The checkpoint thread is gone and the last connection merged and removed the WAL.
    assert!(!Path::new(&format!("{}-wal", path.display())).exists());
    let conn =
        rusqlite::Connection::open_with_flags(&path, rusqlite::OpenFlags::SQLITE_OPEN_READ_ONLY)
            .unwrap();
    let n: i64 = conn
        .query_row("SELECT count(*) FROM event", [], |r| r.get(0))
        .unwrap();
    assert_eq!(n, 4000);
}

#[test]
fn the_store_is_object_safe_and_send() {
    fn send<T: Send>(_: &T) {}
    let store: Box<dyn Store> = Box::new(SqliteStore::open_in_memory().unwrap());
    send(&store);
    assert!(store.scans().unwrap().is_empty());
}
