//! Builders for the store's tests: events and alerts that look like a small domain's.

#![allow(dead_code)]

use chrono::{TimeZone, Utc};
use rampart_core::{
    Account, Alert, AlertKind, EventKind, Evidence, Host, IdentityEvent, Outcome, Severity,
    Timestamp,
};
use rampart_store::{ScanMeta, ScanSummary};

/// 2024-01-01T00:00:00Z plus `secs`.
pub fn at(secs: i64) -> Timestamp {
    Utc.timestamp_opt(1_704_067_200 + secs, 0).unwrap()
}

pub fn meta(started: i64) -> ScanMeta {
    ScanMeta {
        started: at(started),
        inputs: vec!["logs/Security.evtx".into(), "logs/dc02.jsonl".into()],
        tool_version: "rampart 0.1.0".into(),
        host: "analyst-laptop".into(),
    }
}

pub fn summary(events: u64) -> ScanSummary {
    ScanSummary {
        files: 2,
        records: events + 3,
        events,
        unreadable_files: 0,
        warnings: 1,
        alerts: 1,
        elapsed_secs: 0.25,
    }
}

pub fn evidence(source: &str, record: u64, event_id: u32) -> Evidence {
    Evidence {
        source: source.into(),
        record,
        event_id: Some(event_id),
    }
}

pub fn account(name: &str, domain: &str) -> Account {
    Account::new(name, Some(domain))
}

/// A 4624 network logon of `user` from `ws` at `secs`.
pub fn logon(secs: i64, user: &Account, ws: &Host, record: u64) -> IdentityEvent {
    let mut e = IdentityEvent::new(
        at(secs),
        EventKind::Logon {
            logon_type: 3,
            auth_package: Some("NTLM".into()),
            logon_process: Some("NtLmSsp".into()),
            logon_id: Some(format!("0x{record:x}")),
            elevated: None,
        },
        evidence("logs/Security.evtx", record, 4624),
    );
    e.observer = Some("DC01.corp.local".into());
    e.actor = Some(user.clone());
    e.source = Some(ws.clone());
    e
}

/// A 4769 RC4 service ticket for `service` requested by `user` at `secs`.
pub fn service_ticket(
    secs: i64,
    user: &Account,
    service: &str,
    source: &str,
    record: u64,
) -> IdentityEvent {
    let mut e = IdentityEvent::new(
        at(secs),
        EventKind::KerberosServiceTicket {
            status: 0,
            service: service.into(),
            service_sid: Some("S-1-5-21-1-2-3-1105".into()),
            ticket_etype: Some(23),
            ticket_options: Some(0x4081_0000),
            wire: None,
        },
        evidence(source, record, 4769),
    );
    e.observer = Some("DC01.corp.local".into());
    e.actor = Some(user.clone());
    e.source = Host::from_parts(None, Some("10.0.0.50"));
    e
}

/// A 4625 failed logon for `user` at `secs`.
pub fn logon_failure(secs: i64, user: &Account, record: u64) -> IdentityEvent {
    let mut e = IdentityEvent::new(
        at(secs),
        EventKind::LogonFailure {
            logon_type: 3,
            status: 0xC000_006D,
            sub_status: 0xC000_006A,
            auth_package: Some("NTLM".into()),
            process: None,
        },
        evidence("logs/Security.evtx", record, 4625),
    );
    e.outcome = Outcome::Failure(0xC000_006A);
    e.actor = Some(user.clone());
    e.source = Host::from_parts(Some("KALI"), Some("10.0.0.66"));
    e
}

/// A 4728 addition of `member` to Domain Admins by `admin`.
pub fn group_add(secs: i64, admin: &Account, member: &Account, record: u64) -> IdentityEvent {
    let mut e = IdentityEvent::new(
        at(secs),
        EventKind::GroupMembershipChange {
            member: Some(member.clone()),
            member_dn: Some(format!("CN={},CN=Users,DC=corp,DC=local", member.name)),
            added: true,
            scope: rampart_core::GroupScope::Global,
        },
        evidence("logs/Security.evtx", record, 4728),
    );
    e.observer = Some("DC01.corp.local".into());
    e.actor = Some(admin.clone());
    e.target =
        Some(Account::new("Domain Admins", Some("CORP")).with_sid(Some("S-1-5-21-1-2-3-512")));
    e
}

/// An alert over `events` with id `id`, as a detector would raise it.
pub fn alert(
    id: &str,
    kind: AlertKind,
    severity: Severity,
    actor: &Account,
    events: &[IdentityEvent],
) -> Alert {
    let mut a = Alert::new(kind, severity, &events[0])
        .actor(actor, false)
        .with_evidence(&events[1..])
        .description("test alert")
        .remediation("none")
        .target("svc_sql");
    a.id = id.into();
    a.count = events.len() as u64;
    a.detector = "test".into();
    a
}

/// Equal as JSON: what the contract promises.
pub fn same_json<T: serde::Serialize>(a: &T, b: &T) -> bool {
    serde_json::to_value(a).unwrap() == serde_json::to_value(b).unwrap()
}
