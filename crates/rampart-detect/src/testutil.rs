//! Builders for detector tests.

use crate::engine::{Detector, Engine, EngineConfig};
use chrono::TimeZone;
use rampart_core::{Account, Alert, EventKind, Evidence, Host, IdentityEvent, Outcome, Timestamp};
use std::sync::Arc;

pub fn t(secs: i64) -> Timestamp {
    chrono::Utc
        .timestamp_opt(1_600_000_000 + secs, 0)
        .single()
        .expect("valid test time")
}

/// An event at `secs` from the test epoch, recorded by `DC01.corp.local` with evidence id `event_id`.
pub fn ev(secs: i64, event_id: u32, kind: EventKind) -> IdentityEvent {
    let mut e = IdentityEvent::new(
        t(secs),
        kind,
        Evidence {
            source: Arc::from("test.evtx"),
            record: secs.unsigned_abs() + 1,
            event_id: Some(event_id),
        },
    );
    e.observer = Some("DC01.corp.local".to_string());
    e
}

/// An event seen on the wire at `secs`: evidence is frame `secs + 1` of `test.pcap`, the
/// observer the answering server `server` (an address), the source the client `client`.
pub fn wire(secs: i64, server: &str, client: &str, kind: EventKind) -> IdentityEvent {
    let mut e = IdentityEvent::new(
        t(secs),
        kind,
        Evidence {
            source: Arc::from("test.pcap"),
            record: secs.unsigned_abs() + 1,
            event_id: None,
        },
    );
    e.observer = Some(server.to_string());
    e.source = Host::from_parts(None, Some(client));
    e
}

pub fn acct(name: &str) -> Account {
    Account::new(name, Some("CORP"))
}

pub fn acct_sid(name: &str, sid: &str) -> Account {
    Account::new(name, Some("CORP")).with_sid(Some(sid))
}

pub fn ip(addr: &str) -> Host {
    Host::from_parts(None, Some(addr)).expect("valid test address")
}

pub fn with(
    mut e: IdentityEvent,
    actor: Option<Account>,
    source: Option<Host>,
    target: Option<Account>,
) -> IdentityEvent {
    e.actor = actor;
    e.source = source;
    e.target = target;
    e
}

pub fn failed(mut e: IdentityEvent, code: u32) -> IdentityEvent {
    e.outcome = Outcome::Failure(code);
    e
}

pub fn observed_by(mut e: IdentityEvent, observer: &str) -> IdentityEvent {
    e.observer = Some(observer.to_string());
    e
}

/// Runs one detector over events through a real engine and returns the alerts.
pub fn run(detector: Box<dyn Detector>, events: &[IdentityEvent]) -> Vec<Alert> {
    let mut engine = Engine::with_detectors(&EngineConfig::default(), vec![detector]);
    for e in events {
        engine.process(e);
    }
    engine.finish()
}

/// Like [`run`], with entity configuration (sensitive accounts, honeytokens, DCs), as a
/// `--config` file or `--directory` snapshot provides it.
pub fn run_with(
    detector: Box<dyn Detector>,
    entities: crate::EntityConfig,
    events: &[IdentityEvent],
) -> Vec<Alert> {
    let cfg = EngineConfig {
        entities,
        ..EngineConfig::default()
    };
    let mut engine = Engine::with_detectors(&cfg, vec![detector]);
    for e in events {
        engine.process(e);
    }
    engine.finish()
}

/// Runs a detector over events twice: once publishing after every event, so that every
/// deferred summary is rebuilt at once (what a detector rebuilding on each event gives), and
/// once publishing only at the end. Returns (eager, deferred) alerts for comparison.
pub fn eager_and_deferred(
    make: impl Fn() -> Box<dyn Detector>,
    events: &[IdentityEvent],
) -> (Vec<Alert>, Vec<Alert>) {
    let config = EngineConfig::default();
    let mut eager = Engine::with_detectors(&config, vec![make()]);
    let mut deferred = Engine::with_detectors(&config, vec![make()]);
    for e in events {
        eager.process(e);
        eager.take_updates();
        deferred.process(e);
    }
    (eager.finish(), deferred.finish())
}
