//! Rampart's vocabulary.
//!
//! Every source (event logs, Samba audit, packets) produces [`IdentityEvent`]s; every detector
//! consumes them and produces [`Alert`]s. This crate holds those types, the entities they name
//! ([`Account`], [`Host`]), the stable alert [`AlertKind`] vocabulary with its ATT&CK mapping,
//! and well-known Active Directory facts (privileged groups, rights GUIDs). It does no I/O.

pub mod alert;
pub mod entity;
pub mod event;
pub mod kind;
pub mod sddl;
pub mod wellknown;

pub use alert::{stable_hash, Alert, EntityRef, EntityRole, EvidenceRef, Severity, MAX_EVIDENCE};
pub use entity::{ip_string, Account, Host};
pub use event::{
    AccountType, ChangeOp, DirObject, EseDatabaseOp, EventKind, Evidence, GroupScope,
    IdentityEvent, KerberosWire, NtlmWire, Outcome, RawRecord, TaskAction,
};
pub use kind::{AlertKind, KillChainPhase};

/// Event time: UTC, microsecond precision or better.
pub type Timestamp = chrono::DateTime<chrono::Utc>;
