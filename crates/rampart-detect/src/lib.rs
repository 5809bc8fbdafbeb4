//! Rampart's detection engine.
//!
//! [`Engine`] feeds each [`IdentityEvent`](rampart_core::IdentityEvent) to every detector in
//! [`detectors`] (one attack per file). Detectors keep bounded, keyed, time-windowed state
//! ([`state`]), consult what is known of the domain's entities ([`entities`]), and raise
//! [`Alert`](rampart_core::Alert)s that the engine merges when they repeat. The engine owns no
//! I/O and no clock: an offline scan and the live server run it the same way.

pub mod allow;
pub mod detectors;
pub mod engine;
pub mod entities;
pub mod incident;
pub mod sessions;
pub mod sigma;
pub mod state;

#[cfg(test)]
pub(crate) mod testutil;

pub use allow::AllowList;
pub use engine::{Context, Detector, Engine, EngineConfig};
pub use entities::{Entities, EntityConfig};
pub use incident::{correlate, correlate_with, Incident};
pub use sigma::{LoadReport, RuleSet, Sigma};
