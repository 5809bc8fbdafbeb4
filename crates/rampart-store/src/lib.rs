//! Rampart's storage.
//!
//! A store holds what a scan or a live server learned, so that it can be looked at again
//! without re-reading the logs:
//! - **scans**: when, over which inputs, by which tool version on which host, and the summary
//!   (files, records, events, warnings, alerts, time taken);
//! - **events**: every [`IdentityEvent`] as a summary row (time, kind, actor, source, target,
//!   outcome, observer, evidence locator) plus the whole event as JSON, so a timeline can show
//!   the exact records behind an alert ([`Store::events_by_evidence`]);
//! - **entities**: the accounts and hosts the events named, with first/last seen and how many
//!   events involved them;
//! - **alerts**: each [`Alert`] whole, keyed by its stable id, so re-scanning the same logs
//!   updates an alert instead of adding a second one.
//!
//! [`Store`] is the seam: the CLI's `scan`, the live server and the later PostgreSQL backend
//! all go through it, and nothing outside this crate knows which database is underneath.
//! [`SqliteStore`] is the embedded default: one file, WAL, no server to run.
//!
//! What counts as "the same" is decided here, once, for every backend:
//! - an event is the same event when its evidence locator (source, record) and its content are
//!   the same: inserting it again is a no-op, so re-scans neither duplicate events nor inflate
//!   entity counts;
//! - an alert is the same alert when its id is the same; see [`merge_alert`] for how a repeat is
//!   folded in;
//! - an account is the same account when its SID is the same, or, when a side has no SID, the
//!   same name in the same domain (compared case-insensitively, the domain by its first label,
//!   so `CORP` and `corp.local` meet); a host is the same host by short name, or by address when
//!   it has no name (never by a loopback address, which names no machine in particular).

mod error;
mod keys;
mod merge;
mod model;
pub mod sqlite;

pub use error::{BoxError, Result, StoreError};
pub use merge::merge_alert;
pub use model::{
    AlertQuery, Entity, EntityId, EntityKind, EntityQuery, EntityRecord, EventQuery, ScanId,
    ScanMeta, ScanRecord, ScanSummary,
};
pub use sqlite::SqliteStore;

use rampart_core::{Alert, Evidence, IdentityEvent};

/// A place to keep scans, events, entities and alerts.
///
/// Object-safe so the binary can hold a `Box<dyn Store>` chosen at run time. Writes take
/// `&mut self`: one store value is one writer. Several readers (other store values on the same
/// database) may read while it writes.
pub trait Store: Send {
    /// Records the start of a scan (or of a live session) and returns its id; events and alerts
    /// are filed under it.
    fn begin_scan(&mut self, meta: &ScanMeta) -> Result<ScanId>;

    /// Stores a batch of events, all or none, and updates the entities they name. Events already
    /// stored (same evidence, same content) are skipped.
    fn insert_events(&mut self, scan: ScanId, events: &[IdentityEvent]) -> Result<()>;

    /// Stores alerts, all or none. An alert whose id is already stored is merged into the stored
    /// one with [`merge_alert`], never duplicated.
    fn insert_alerts(&mut self, scan: ScanId, alerts: &[Alert]) -> Result<()>;

    /// Records the end of a scan and its summary.
    fn finish_scan(&mut self, scan: ScanId, summary: &ScanSummary) -> Result<()>;

    /// Alerts matching the query, by time of first evidence (oldest first unless
    /// `newest_first`).
    fn alerts(&self, q: &AlertQuery) -> Result<Vec<Alert>>;

    /// One alert by id.
    fn alert(&self, id: &str) -> Result<Option<Alert>>;

    /// The stored events behind these evidence references (an alert's `evidence`), in time
    /// order; references with no stored event are left out.
    fn events_by_evidence(&self, evidence: &[Evidence]) -> Result<Vec<IdentityEvent>>;

    /// Events matching the query, in time order (oldest first unless `newest_first`).
    fn events(&self, q: &EventQuery) -> Result<Vec<IdentityEvent>>;

    /// Entities matching the query, most recently seen first.
    fn entities(&self, q: &EntityQuery) -> Result<Vec<EntityRecord>>;

    /// All scans, oldest first.
    fn scans(&self) -> Result<Vec<ScanRecord>>;
}
