//! The store's own records and queries: scans, entities and the filters queries take.

use rampart_core::{Account, AlertKind, Host, Severity, Timestamp};
use serde::{Deserialize, Serialize};
use std::fmt;
use std::net::IpAddr;

/// A scan's id, assigned by the store.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(transparent)]
pub struct ScanId(pub i64);

impl fmt::Display for ScanId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.0)
    }
}

/// What is known when a scan starts.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ScanMeta {
    pub started: Timestamp,
    /// The inputs as the user gave them (paths, capture names, sensor ids).
    pub inputs: Vec<String>,
    /// The version of the tool that ran the scan (`rampart 0.1.0`).
    pub tool_version: String,
    /// The machine the scan ran on.
    pub host: String,
}

/// What a scan found, recorded when it ends.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct ScanSummary {
    /// Input files read.
    pub files: u64,
    /// Raw records read (EVTX records, JSON lines, frames).
    pub records: u64,
    /// Identity events the records became.
    pub events: u64,
    /// Files that could not be read at all.
    pub unreadable_files: u64,
    /// Records or files read with a problem worth telling (truncated, malformed, unmapped).
    pub warnings: u64,
    pub alerts: u64,
    pub elapsed_secs: f64,
}

/// A stored scan.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ScanRecord {
    pub id: ScanId,
    #[serde(flatten)]
    pub meta: ScanMeta,
    /// When the scan was finished; `None` while it runs, or if it never finished.
    pub finished: Option<Timestamp>,
    pub summary: Option<ScanSummary>,
}

/// An entity's id, assigned by the store; stable for the life of the database.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(transparent)]
pub struct EntityId(pub i64);

impl fmt::Display for EntityId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.0)
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum EntityKind {
    Account,
    Host,
}

impl EntityKind {
    pub fn as_str(&self) -> &'static str {
        match self {
            EntityKind::Account => "account",
            EntityKind::Host => "host",
        }
    }
}

/// An entity as the store knows it: an account or a host, in core's vocabulary.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum Entity {
    Account(Account),
    Host(Host),
}

impl Entity {
    pub fn kind(&self) -> EntityKind {
        match self {
            Entity::Account(_) => EntityKind::Account,
            Entity::Host(_) => EntityKind::Host,
        }
    }
}

/// A stored entity with what the events said about it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct EntityRecord {
    pub id: EntityId,
    #[serde(flatten)]
    pub entity: Entity,
    /// Time of the earliest event naming it.
    pub first_seen: Timestamp,
    /// Time of the latest event naming it.
    pub last_seen: Timestamp,
    /// Stored events naming it, in any role (actor, target, source), each counted once.
    pub event_count: u64,
}

/// Which alerts to return. The default returns all of them.
#[derive(Debug, Clone, Default)]
pub struct AlertQuery {
    /// This severity or higher.
    pub min_severity: Option<Severity>,
    pub kind: Option<AlertKind>,
    /// Alerts still active at or after this time (last evidence >= since).
    pub since: Option<Timestamp>,
    /// Alerts begun at or before this time (first evidence <= until).
    pub until: Option<Timestamp>,
    /// Case-insensitive substring of the actor (`DOMAIN\name` or address).
    pub actor: Option<String>,
    pub limit: Option<usize>,
    /// Return the latest alerts first (and the limit keeps the latest).
    pub newest_first: bool,
}

/// Which events to return. The default returns all of them: set a limit.
#[derive(Debug, Clone, Default)]
pub struct EventQuery {
    /// Events naming this entity as actor, target or source.
    pub entity: Option<EntityId>,
    /// Events of this kind ([`rampart_core::EventKind::name`]).
    pub kind: Option<String>,
    /// Events first stored by this scan.
    pub scan: Option<ScanId>,
    /// Events at or after this time.
    pub since: Option<Timestamp>,
    /// Events at or before this time.
    pub until: Option<Timestamp>,
    pub limit: Option<usize>,
    /// Return the latest events first (and the limit keeps the latest).
    pub newest_first: bool,
}

/// Which entities to return. The default returns all of them, most recently seen first.
#[derive(Debug, Clone, Default)]
pub struct EntityQuery {
    pub kind: Option<EntityKind>,
    /// Case-insensitive substring of the name: an account's name, a host's short name.
    pub name: Option<String>,
    /// An account's SID, exactly (case-insensitive).
    pub sid: Option<String>,
    /// A host's address, exactly.
    pub ip: Option<IpAddr>,
    /// Entities seen at or after this time.
    pub seen_since: Option<Timestamp>,
    pub limit: Option<usize>,
}
