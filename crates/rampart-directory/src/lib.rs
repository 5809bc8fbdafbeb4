//! The directory as Rampart sees it: one serializable snapshot of one or more AD domains
//! (users, computers, groups, OUs, GPOs, trusts, AD CS, parsed security descriptors), the
//! collectors that fill it, and what is derived from it (ACL edges, sensitive entities, attack
//! paths).
//!
//! The snapshot ([`Directory`]) is the contract between collection and everything that reads
//! the directory (posture checks, attack paths, the detectors' entity facts): fields are added,
//! never renamed.

pub mod bloodhound;
pub mod collect;
pub mod entry;
pub mod graph;
pub mod ldif;
pub mod model;
pub mod posture;
pub mod sd;
pub mod sensitive;
pub mod time;

pub use model::*;
pub use sd::{ObjectKind, Right};
