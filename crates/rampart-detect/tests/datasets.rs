//! Detectors over real attack samples, through the real readers and engine (no binary needed).
//! Each case names a labelled file of `../shared/datasets` and the alert kind it must raise;
//! benign files must raise nothing.

use rampart_core::Alert;
use rampart_detect::{Engine, EngineConfig};
use rampart_ingest::{discover, read_file, EventSink, ReadOptions, Warning};
use std::path::{Path, PathBuf};

fn datasets() -> PathBuf {
    let d = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../../shared/datasets");
    assert!(
        d.join("labels.csv").is_file(),
        "the shared datasets are missing at {}; they must sit beside the checkout",
        d.display()
    );
    d
}

struct Feed<'a>(&'a mut Engine);

impl EventSink for Feed<'_> {
    fn events(&mut self, batch: Vec<rampart_core::IdentityEvent>) -> bool {
        for e in &batch {
            self.0.process(e);
        }
        true
    }
    fn warning(&mut self, _w: Warning) {}
}

/// Scans one dataset file with every built-in detector.
pub fn scan(rel: &str) -> Vec<Alert> {
    let path = datasets().join(rel);
    let (files, errors) = discover(&[path.clone()]);
    assert!(errors.is_empty(), "{}: {errors:?}", path.display());
    let mut engine = Engine::new(&EngineConfig::default());
    for f in &files {
        read_file(f, &ReadOptions::default(), &mut Feed(&mut engine)).expect("readable");
    }
    engine.finish()
}

fn kinds(rel: &str) -> Vec<String> {
    let mut k: Vec<String> = scan(rel).iter().map(|a| a.kind.to_string()).collect();
    k.sort();
    k.dedup();
    k
}

#[track_caller]
fn expect(rel: &str, kind: &str) {
    let k = kinds(rel);
    assert!(
        k.iter().any(|x| x == kind),
        "{rel}: expected {kind}, got {k:?}"
    );
}

#[test]
fn domain_dominance_and_persistence_samples() {
    expect(
        "evtx/e2m__ID4769-Golden_ticket_issued.evtx",
        "golden_ticket",
    );
    expect(
        "evtx/e2m__ID_4765_-_SID_history_added.evtx",
        "sid_history_injection",
    );
    expect(
        "evtx/ebs__4765_sidhistory_add_t1178.evtx",
        "sid_history_injection",
    );
    expect(
        "evtx/e2m__ID5136-4662_sensitive_GPO_edited.evtx",
        "gpo_change",
    );
    expect(
        "evtx/e2m__ID5136-Permissions_changed_on_a_GPO.evtx",
        "ad_acl_change",
    );
    expect(
        "evtx/e2m__ID5136-4662_AD_object_owner_changed.evtx",
        "ad_acl_change",
    );
    expect(
        "evtx/ebs__DACL_DCSync_Right_Powerview_Add-DomainObjectAcl.evtx",
        "ad_acl_change",
    );
    expect("evtx/ebs__privexchange_dirkjan.evtx", "ad_acl_change");
    expect(
        "evtx/ebs__persistence_security_dcshadow_4742.evtx",
        "dcshadow",
    );
    expect(
        "evtx/e2m__ID5136-AdminSDholder_permissions_changed.evtx",
        "adminsdholder_change",
    );
}

#[test]
fn benign_samples_raise_nothing() {
    for rel in [
        "evtx/oev__Security_with_size_t.evtx",
        "evtx/oev__post-Security.evtx",
        "evtx/oev__system.evtx",
        "evtx/oev__2-vss_7-System.evtx",
        "evtx/oev__sysmon.evtx",
        "evtx/dbc__many-events-application.evtx",
    ] {
        let alerts = scan(rel);
        assert!(
            alerts.is_empty(),
            "{rel}: {:?}",
            alerts.iter().map(|a| &a.title).collect::<Vec<_>>()
        );
    }
}
