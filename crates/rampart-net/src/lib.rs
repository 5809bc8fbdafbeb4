//! Rampart's network sensor: packets from a domain controller's traffic become the same
//! [`rampart_core::IdentityEvent`]s as its event logs, so the same engine and detectors see both.
//!
//! ```text
//! pcap / pcapng file ─┐
//! live capture (BPF) ─┴─► link / IP / TCP·UDP decode ─► flows (bounded TCP reassembly) ─► dissect::* ─► IdentityEvent
//! ```
//!
//! Invariant: nothing here panics on input, allocates in proportion to an unchecked length, or
//! decides what is an attack.

pub mod dissect;
