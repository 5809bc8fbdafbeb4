//! [`StoreError`]: every error names the database it is about.
//!
//! `db` is the database as a user would recognise it: the SQLite file's path, or for a server
//! database its address without credentials. The underlying driver error is kept as the source,
//! boxed, so the type does not change with the backend.

use std::error::Error as StdError;

pub type Result<T, E = StoreError> = std::result::Result<T, E>;

/// A boxed driver error (rusqlite, serde_json, a PostgreSQL client).
pub type BoxError = Box<dyn StdError + Send + Sync + 'static>;

#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum StoreError {
    #[error("{db}: cannot open the database: {source}")]
    Open {
        db: String,
        #[source]
        source: BoxError,
    },

    /// The file exists but is not an SQLite database at all. It was not changed.
    #[error(
        "{db}: not a Rampart database (the file is not an SQLite database); it was left unchanged"
    )]
    NotADatabase { db: String },

    /// The file is an SQLite database of something else. It was not changed.
    #[error("{db}: not a Rampart database (an SQLite database of another application); it was left unchanged")]
    ForeignDatabase { db: String },

    /// The database was written by a newer Rampart whose schema this one does not know.
    #[error("{db}: the database has schema version {found}, newer than this Rampart knows (up to {supported}); use a newer Rampart")]
    TooNew {
        db: String,
        found: i64,
        supported: i64,
    },

    #[error("{db}: upgrading the schema to version {version} failed: {source}")]
    Migration {
        db: String,
        version: i64,
        #[source]
        source: BoxError,
    },

    #[error("{db}: no scan with id {scan}")]
    UnknownScan { db: String, scan: i64 },

    /// Something handed to the store that it cannot keep (an alert without an id).
    #[error("{db}: {detail}")]
    InvalidInput { db: String, detail: String },

    /// A stored row could not be read back (bad JSON, an impossible value).
    #[error("{db}: stored data is damaged ({what}): {source}")]
    Corrupt {
        db: String,
        what: String,
        #[source]
        source: BoxError,
    },

    /// Any other database error, with what the store was doing.
    #[error("{db}: {doing}: {source}")]
    Database {
        db: String,
        doing: &'static str,
        #[source]
        source: BoxError,
    },
}

impl StoreError {
    /// The database the error is about.
    pub fn db(&self) -> &str {
        match self {
            StoreError::Open { db, .. }
            | StoreError::NotADatabase { db }
            | StoreError::ForeignDatabase { db }
            | StoreError::TooNew { db, .. }
            | StoreError::Migration { db, .. }
            | StoreError::UnknownScan { db, .. }
            | StoreError::InvalidInput { db, .. }
            | StoreError::Corrupt { db, .. }
            | StoreError::Database { db, .. } => db,
        }
    }
}
