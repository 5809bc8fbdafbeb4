//! Detectors over Samba AD DC audit logs: the lab's recorded captures (copied into
//! `rampart-ingest/tests/fixtures/samba`) through the real reader and engine. Each planted attack
//! the audit log can show raises its alert; the benign scenario raises nothing; scenarios whose
//! evidence Samba does not audit raise nothing either (see each case).

use rampart_core::{Alert, AlertKind, Severity};
use rampart_detect::{Engine, EngineConfig};
use rampart_ingest::{discover, read_file, EventSink, Format, ReadOptions, Warning};
use std::path::PathBuf;

fn fixtures() -> PathBuf {
    PathBuf::from(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../rampart-ingest/tests/fixtures/samba"
    ))
}

struct Feed<'a> {
    engine: &'a mut Engine,
    warnings: Vec<Warning>,
}

impl EventSink for Feed<'_> {
    fn events(&mut self, batch: Vec<rampart_core::IdentityEvent>) -> bool {
        for e in &batch {
            self.engine.process(e);
        }
        true
    }
    fn warning(&mut self, w: Warning) {
        self.warnings.push(w);
    }
}

/// Scans Samba audit files, in the order given, as one stream with every built-in detector.
fn scan(names: &[&str]) -> Vec<Alert> {
    let paths: Vec<PathBuf> = names
        .iter()
        .map(|n| fixtures().join(format!("{n}.audit.jsonl")))
        .collect();
    let (files, errors) = discover(&paths);
    assert!(errors.is_empty(), "{errors:?}");
    let mut engine = Engine::new(&EngineConfig::default());
    for f in &files {
        assert_eq!(f.format, Format::SambaAudit, "{}", f.display);
        let mut feed = Feed {
            engine: &mut engine,
            warnings: Vec::new(),
        };
        read_file(f, &ReadOptions::default(), &mut feed).expect("readable");
        assert!(feed.warnings.is_empty(), "{:?}", feed.warnings);
    }
    engine.finish()
}

fn kinds(alerts: &[Alert]) -> Vec<&'static str> {
    let mut k: Vec<&'static str> = alerts.iter().map(|a| a.kind.as_str()).collect();
    k.sort();
    k.dedup();
    k
}

#[test]
fn brute_force_against_rmoore() {
    let alerts = scan(&["brute_force"]);
    assert_eq!(kinds(&alerts), ["brute_force"]);
    let a = &alerts[0];
    assert_eq!(a.targets, ["RAMPART\\rmoore"]);
    // The 16th Kerberos guess was right: the success after the guessing raises it.
    assert_eq!(a.severity, Severity::High);
    assert!(
        a.title.contains("followed by a successful logon"),
        "{}",
        a.title
    );
    assert_eq!(a.source_host.as_deref(), Some("127.0.0.1"));
    // Evidence points at lines of the audit file.
    assert!(a
        .evidence
        .iter()
        .all(|e| e.source.ends_with("brute_force.audit.jsonl") && (1..=34).contains(&e.record)));
}

#[test]
fn password_spray_valid_for_eyoung() {
    let alerts = scan(&["password_spray"]);
    assert_eq!(kinds(&alerts), ["password_spray"]);
    let a = &alerts[0];
    assert_eq!(a.severity, Severity::High);
    assert!(
        a.title.contains("against 49 accounts, with success"),
        "{}",
        a.title
    );
    assert!(a.description.contains("eyoung authenticated successfully"));
    assert_eq!(a.targets.len(), 50);
}

#[test]
fn hking_added_to_domain_admins() {
    let alerts = scan(&["sensitive_group_change"]);
    assert_eq!(kinds(&alerts), ["sensitive_group_change"]);
    let a = &alerts[0];
    assert_eq!(a.severity, Severity::High);
    // Samba names the group by DN only: Domain Admins is recognised by its name.
    assert!(a.targets.iter().any(|t| t.ends_with("\\Domain Admins")));
    assert!(a.targets.iter().any(|t| t.ends_with("\\hking")));
    // The actor's SID is named from the simple bind that made the change.
    assert_eq!(a.actor.as_deref(), Some("RAMPART\\Administrator"));
    assert_eq!(a.evidence.len(), 1);
    assert_eq!(a.evidence[0].record, 5);
    assert_eq!(a.evidence[0].event_id, Some(4728));
}

#[test]
fn benign_activity_raises_nothing() {
    let alerts = scan(&["benign"]);
    assert!(
        alerts.is_empty(),
        "{:?}",
        alerts.iter().map(|a| &a.title).collect::<Vec<_>>()
    );
}

/// What the other captures yield. Samba audits authentications and directory changes, not
/// ticket requests, replication, LDAP searches, SAMR calls or service control, so only the
/// scenarios that show in authentications raise an alert.
#[test]
fn other_captures() {
    // 38 AS-REQs for names that do not exist, from one address.
    let alerts = scan(&["account_enum"]);
    assert_eq!(kinds(&alerts), ["account_enum"]);
    assert!(alerts[0].description.contains("38 account names"));
    // TGTs issued for svc_backup without pre-authentication (`Unknown Pre-authentication`).
    let alerts = scan(&["asrep_roasting"]);
    assert_eq!(kinds(&alerts), ["asrep_roasting"]);
    assert_eq!(alerts[0].targets, ["RAMPART\\svc_backup"]);
    // Samba logs no TGS requests (kerberoasting), nothing of DRSUAPI (dcsync), of LDAP searches
    // (ldap_recon), SAMR (samr_recon) or svcctl (remote_exec_service): only the logons of the
    // tools' accounts, which are ordinary. honeytoken_activity is adm_legacy logging on: an
    // alert only once adm_legacy is configured as a honeytoken, and no detector yet alerts on
    // honeytoken logons as such.
    // The kerberoasting run authenticates jnguyen with impacket, which asks the KDC for an RC4
    // TGT where the account otherwise gets AES: the encryption downgrade overpass-the-hash
    // detection keys on (a log cannot tell a password typed into the tool from a hash).
    let alerts = scan(&["benign", "kerberoasting"]);
    assert_eq!(kinds(&alerts), ["overpass_the_hash"]);
    for name in [
        "dcsync",
        "ldap_recon",
        "samr_recon",
        "remote_exec_service",
        "honeytoken_activity",
    ] {
        let alerts = scan(&[name]);
        assert!(
            alerts.is_empty(),
            "{name}: {:?}",
            alerts.iter().map(|a| &a.title).collect::<Vec<_>>()
        );
    }
}

/// The whole lab run as one DC's audit log, scenarios in the order they ran: the same alerts,
/// and nothing from one scenario's activity mixing with another's.
#[test]
fn the_whole_lab_log() {
    let alerts = scan(&[
        "benign",
        "ldap_recon",
        "samr_recon",
        "account_enum",
        "brute_force",
        "password_spray",
        "kerberoasting",
        "asrep_roasting",
        "dcsync",
        "honeytoken_activity",
        "sensitive_group_change",
        "remote_exec_service",
    ]);
    let kinds: Vec<AlertKind> = {
        let mut k: Vec<AlertKind> = alerts.iter().map(|a| a.kind).collect();
        k.sort();
        k.dedup();
        k
    };
    use AlertKind::*;
    assert_eq!(
        kinds,
        [
            AccountEnum,
            BruteForce,
            PasswordSpray,
            AsrepRoasting,
            OverpassTheHash,
            SensitiveGroupChange
        ]
    );
}
