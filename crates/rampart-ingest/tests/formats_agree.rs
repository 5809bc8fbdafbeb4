//! The same records read from EVTX and from their JSON rendering (`evtx_dump -o jsonl`
//! layout) give the same identity events: the two readers share mappers, and this checks
//! they feed them the same fields.

mod common;
use common::*;
use rampart_core::IdentityEvent;
use rampart_ingest::{discover, read_file, ReadOptions};
use std::io::Write;

/// An event without its evidence (which differs by design: record id vs line number).
fn strip(e: &IdentityEvent) -> String {
    let mut e = e.clone();
    e.evidence.source = "".into();
    e.evidence.record = 0;
    serde_json::to_string(&e).unwrap()
}

#[test]
fn evtx_and_its_json_rendering_give_the_same_events() {
    let dir = tempfile::tempdir().unwrap();
    let mut compared = 0;
    for rel in [
        "evtx/oev__Security_with_size_t.evtx",
        "evtx/oev__post-Security.evtx",
        "evtx/oev__sysmon.evtx",
        "evtx/dbc__disablestop-eventlog.evtx",
        "evtx/ebs__CA_DCSync_4662.evtx",
        "evtx/ebs__LM_winrm_target_wrmlogs_91_wsmanShellStarted_poorLog.evtx",
        "evtx/e2m__ID7000_7009_7045-Payload_deployed_via_service_-_Tchopper.evtx",
        "evtx/e2m__ID6004-DNS-server-failed_zone_transfer.evtx",
        "evtx/ebs__samaccount_spoofing_CVE-2021-42287_CVE-2021-42278_DC_securitylogs.evtx",
    ] {
        let (_, from_evtx) = read(rel, 2);
        // Render every record as one compact JSON line, as `evtx_dump -o jsonl` does.
        let mut parser = evtx::EvtxParser::from_path(datasets().join(rel))
            .unwrap()
            .with_configuration(evtx::ParserSettings::new().indent(false).num_threads(1));
        let path = dir.path().join(format!("{compared}.jsonl"));
        let mut out = std::fs::File::create(&path).unwrap();
        for r in parser.records_json().flatten() {
            writeln!(out, "{}", r.data).unwrap();
        }
        drop(out);
        let (files, errors) = discover(&[path]);
        assert!(errors.is_empty());
        let mut from_json = Collect::default();
        read_file(&files[0], &ReadOptions::default(), &mut from_json).unwrap();
        assert!(
            from_json.warnings.is_empty(),
            "{rel}: {:?}",
            from_json.warnings
        );

        let a: Vec<_> = from_evtx.events.iter().map(strip).collect();
        let b: Vec<_> = from_json.events.iter().map(strip).collect();
        assert_eq!(a.len(), b.len(), "{rel}");
        for (x, y) in a.iter().zip(&b) {
            assert_eq!(x, y, "{rel}");
        }
        compared += a.len();
    }
    assert!(compared > 1000, "only {compared} events compared");
}
