//! Spot checks on real dataset files: what the mappers make of records we know.

mod common;
use common::*;
use rampart_core::{ChangeOp, EventKind, GroupScope, Outcome, TaskAction};

#[test]
fn dcsync_4662_yields_replication_by_administrator() {
    let (stats, sink) = read("evtx/ebs__CA_DCSync_4662.evtx", 1);
    assert_eq!(stats.records, 3);
    let repl: Vec<_> = sink
        .events
        .iter()
        .filter_map(|e| match &e.kind {
            EventKind::DirectoryReplication { object, rights } => Some((e, object, rights)),
            _ => None,
        })
        .collect();
    assert_eq!(repl.len(), 3);
    assert!(repl
        .iter()
        .any(|(_, _, r)| r.iter().any(|r| r == "DS-Replication-Get-Changes-All")));
    for (e, object, _) in &repl {
        let actor = e.actor.as_ref().expect("actor");
        assert_eq!(actor.name, "Administrator");
        assert_eq!(actor.rid(), Some(500));
        assert_eq!(object.class.as_deref(), Some("domainDNS"));
        assert_eq!(e.observer.as_deref(), Some("DC1.insecurebank.local"));
        assert!(e.evidence.source.ends_with("ebs__CA_DCSync_4662.evtx"));
        assert_eq!(e.evidence.event_id, Some(4662));
    }
    assert_eq!(repl[0].0.evidence.record, 202791);
}

#[test]
fn golden_ticket_file_gives_service_tickets() {
    let (_, sink) = read("evtx/e2m__ID4769-Golden_ticket_issued.evtx", 2);
    let tickets: Vec<_> = sink
        .events
        .iter()
        .filter(|e| matches!(e.kind, EventKind::KerberosServiceTicket { .. }))
        .collect();
    assert!(!tickets.is_empty());
    for t in &tickets {
        assert!(t.actor.is_some(), "{t:?}");
        match &t.kind {
            EventKind::KerberosServiceTicket { service, .. } => assert!(!service.is_empty()),
            _ => unreachable!(),
        }
    }
}

#[test]
fn otrf_2019_winlogbeat_maps_logons_and_kerberos() {
    // The trimmed file holds 10 logons (4624) and one TGT renewal (4770), no 4768.
    let (stats, sink) = read("json/otrf__empire_mimikatz_opth_2019-03-19131123.json", 1);
    assert!(sink.warnings.is_empty(), "{:?}", sink.warnings);
    assert_eq!(stats.records, 1266);
    assert_eq!(count(&sink.events, "logon"), 10);
    let logons: Vec<_> = sink
        .events
        .iter()
        .filter(|e| e.kind.name() == "logon")
        .collect();
    assert!(logons.iter().all(|e| e.actor.is_some()));
    assert!(logons.iter().all(|e| e.observer.is_some()));
    assert!(logons
        .iter()
        .any(|e| e.observer.as_deref() == Some("HFDC01.shire.com")));
    let renewals: Vec<_> = sink
        .events
        .iter()
        .filter(|e| {
            matches!(&e.kind, EventKind::KerberosServiceTicket { service, .. } if service == "krbtgt")
        })
        .collect();
    assert_eq!(renewals.len(), 1);
    assert_eq!(renewals[0].actor.as_ref().unwrap().name, "Administrator");
    // Evidence is the 1-based line number.
    assert!(sink
        .events
        .iter()
        .all(|e| (1..=stats.records).contains(&e.evidence.record)));
    // Sysmon 10 (process access) is mapped from the same file.
    assert!(count(&sink.events, "process_access") > 100);
}

#[test]
fn otrf_2020_json_maps_tgt_requests() {
    let (_, sink) = read(
        "json/otrf__empire_shell_rubeus_asktgt_ptt_2020-09-21223848.json",
        1,
    );
    assert!(sink.warnings.is_empty(), "{:?}", sink.warnings);
    let tgts: Vec<_> = sink
        .events
        .iter()
        .filter(|e| e.kind.name() == "kerberos_tgt_request")
        .collect();
    assert!(!tgts.is_empty());
    assert!(tgts
        .iter()
        .all(|e| e.actor.is_some() && e.observer.is_some()));
}

#[test]
fn benign_system_log_service_installs() {
    // labels.csv says 31; the file holds 57 distinct 7045 records (44 on one host, 13 on
    // another; 40 of them kernel drivers).
    let (_, sink) = read("evtx/oev__system.evtx", 2);
    assert_eq!(count(&sink.events, "service_installed"), 57);
    assert!(sink.events.iter().all(|e| e.observer.is_some()));
}

#[test]
fn application_4625_is_not_a_logon_failure() {
    let (stats, sink) = read("evtx/dbc__many-events-application.evtx", 2);
    assert!(stats.records > 2000);
    assert_eq!(stats.events, 0, "{:?}", sink.events.first());
}

#[test]
fn kerberos_spray_and_asrep_roasting() {
    let (_, sink) = read(
        "evtx/e2m__ID4768-4771-Kerberos_brutforce_with_non_existing_users.evtx",
        2,
    );
    let unknown_user = sink
        .events
        .iter()
        .filter(|e| {
            matches!(e.kind, EventKind::KerberosTgtRequest { status: 6, .. })
                && e.outcome == Outcome::Failure(6)
        })
        .count();
    assert_eq!(unknown_user, 46);
    let preauth_failed = sink
        .events
        .iter()
        .filter(|e| matches!(e.kind, EventKind::KerberosTgtRequest { status: 0x18, .. }))
        .count();
    assert_eq!(preauth_failed, 2);

    let (_, sink) = read("evtx/e2m__ID4768-Kerberos_AS-REP_Roasting.evtx", 1);
    assert_eq!(sink.events.len(), 1);
    match &sink.events[0].kind {
        EventKind::KerberosTgtRequest {
            preauth_type,
            ticket_etype,
            ..
        } => {
            assert_eq!(*preauth_type, Some(0));
            assert_eq!(*ticket_etype, Some(23));
        }
        k => panic!("unexpected {k:?}"),
    }
    assert!(sink.events[0]
        .source
        .as_ref()
        .is_some_and(|s| s.ip.is_some()));
}

#[test]
fn group_and_directory_changes() {
    let (_, sink) = read(
        "evtx/e2m__ID4728-4756-Member_added_to_sensitive_domain_groups.evtx",
        1,
    );
    let adds: Vec<_> = sink
        .events
        .iter()
        .filter_map(|e| match &e.kind {
            EventKind::GroupMembershipChange {
                added: true, scope, ..
            } => Some((*scope, e.target.clone())),
            _ => None,
        })
        .collect();
    assert!(adds.iter().any(|(s, _)| *s == GroupScope::Global));
    assert!(adds.iter().any(|(s, _)| *s == GroupScope::Universal));
    assert!(adds.iter().all(|(_, t)| t.is_some()));

    let (_, sink) = read("evtx/e2m__ID5136-AdminSDholder_permissions_changed.evtx", 1);
    let changes: Vec<_> = sink
        .events
        .iter()
        .filter_map(|e| match &e.kind {
            EventKind::DirectoryChange {
                object,
                op,
                attribute,
                ..
            } => Some((object.dn.clone(), *op, attribute.clone())),
            _ => None,
        })
        .collect();
    assert_eq!(changes.len(), 2);
    assert!(changes.iter().all(|(dn, _, attr)| {
        dn.as_deref()
            .is_some_and(|d| d.starts_with("CN=AdminSDHolder,CN=System"))
            && attr.as_deref() == Some("nTSecurityDescriptor")
    }));
    assert!(changes.iter().any(|(_, op, _)| *op == ChangeOp::ValueAdded));
    assert!(changes
        .iter()
        .any(|(_, op, _)| *op == ChangeOp::ValueDeleted));
}

#[test]
fn log_clears_and_service_installs() {
    let (_, sink) = read("evtx/ebs__DE_1102_security_log_cleared.evtx", 1);
    assert_eq!(count(&sink.events, "log_cleared"), 1);
    let (_, sink) = read("evtx/dbc__disablestop-eventlog.evtx", 1);
    let cleared: Vec<_> = sink
        .events
        .iter()
        .filter(|e| e.kind.name() == "log_cleared")
        .collect();
    assert_eq!(cleared.len(), 1);
    assert_eq!(
        cleared[0].actor.as_ref().map(|a| a.name.as_str()),
        Some("jwrig")
    );
    assert!(sink.events.iter().any(|e| matches!(&e.kind,
        EventKind::ServiceStatus { name, status } if name == "Windows Event Log" && status.ends_with("-> disabled"))));

    let (_, sink) = read(
        "evtx/dbc__metasploit-psexec-powershell-target-system.evtx",
        1,
    );
    assert!(sink.events.iter().any(|e| matches!(&e.kind,
        EventKind::ServiceInstalled { image_path, .. } if image_path.contains("powershell"))));
}

#[test]
fn scheduled_tasks_and_dns_and_sam() {
    let (_, sink) = read("evtx/ebs__temp_scheduled_task_4698_4699.evtx", 1);
    let actions: Vec<_> = sink
        .events
        .iter()
        .filter_map(|e| match &e.kind {
            EventKind::ScheduledTask { action, .. } => Some(*action),
            _ => None,
        })
        .collect();
    assert_eq!(actions, [TaskAction::Created, TaskAction::Deleted]);

    let (_, sink) = read("evtx/e2m__ID6004-DNS-server-failed_zone_transfer.evtx", 1);
    assert_eq!(sink.events.len(), 3);
    assert!(sink.events.iter().all(|e| matches!(&e.kind,
        EventKind::DnsZoneTransfer { refused: true, zone } if !zone.is_empty())));
    assert!(sink.events.iter().all(|e| e.source.is_some()));

    let (_, sink) = read(
        "evtx/ebs__dicovery_4661_net_group_domain_admins_target.evtx",
        1,
    );
    assert!(sink
        .events
        .iter()
        .any(|e| matches!(&e.kind, EventKind::SamObjectAccess { object_type, .. } if object_type == "SAM_GROUP")));
}

#[test]
fn lsass_access_from_security_and_sysmon() {
    let (_, sink) = read("evtx/ebs__CA_hashdump_4663_4656_lsass_access.evtx", 1);
    assert!(sink.events.iter().any(|e| matches!(&e.kind,
        EventKind::ProcessAccess { target_image, .. } if target_image.to_ascii_lowercase().ends_with("lsass.exe"))));
    let (_, sink) = read(
        "json/otrf__empire_mimikatz_logonpasswords_2020-08-07103224.json",
        1,
    );
    assert!(sink.events.iter().any(|e| matches!(&e.kind,
        EventKind::ProcessAccess { target_image, .. } if target_image.to_ascii_lowercase().ends_with("lsass.exe"))));
}

#[test]
fn corrupt_files_warn_and_keep_their_readable_records() {
    let corrupt: Vec<_> = labels()
        .into_iter()
        .filter(|l| l.format == "evtx" && l.classes.iter().any(|c| c == "corrupt"))
        .collect();
    assert!(corrupt.len() >= 6);
    for l in &corrupt {
        let (stats, sink) = read(&l.path, 2);
        assert!(stats.records > 0, "{}: nothing read", l.path);
        let record_warnings = sink.warnings.iter().filter(|w| w.record.is_some()).count();
        assert!(stats.skipped as usize >= record_warnings, "{}", l.path);
    }
    // These three really are damaged: the damage is reported, the rest read.
    for (path, min_records) in [
        ("evtx/oev__sample_with_a_bad_chunk_magic.evtx", 300),
        ("evtx/oev__sample-with-zero-data-size-event.evtx", 400),
        (
            "evtx/oev__2-vss_0-Microsoft-Windows-RemoteDesktopServices-RdpCoreTS_4Operational.evtx",
            1900,
        ),
    ] {
        let (stats, sink) = read(path, 2);
        assert!(stats.records >= min_records, "{path}: {stats:?}");
        assert!(stats.skipped > 0, "{path}");
        assert!(!sink.warnings.is_empty(), "{path}");
        for w in &sink.warnings {
            assert!(w.chunk.is_some(), "{path}: {w}");
            assert!(w.offset.is_some(), "{path}: {w}");
        }
    }
    // The chunk with a bad magic is reported by number and offset (chunk n at 4096 + n*65536).
    let (_, sink) = read("evtx/oev__sample_with_a_bad_chunk_magic.evtx", 1);
    assert!(sink.warnings.iter().any(|w| w.chunk == Some(6)
        && w.offset == Some(4096 + 6 * 65536)
        && w.message.contains("chunk header magic")));
    // Its CRC32 is marked absent (flag NO_CRC32): every record reads, and it is no warning.
    let (stats, sink) = read("evtx/oev__Application_no_crc32.evtx", 1);
    assert_eq!(stats.records, 17);
    assert!(sink.warnings.is_empty());
}

#[test]
fn one_thread_and_many_give_the_same_events() {
    let path = "evtx/oev__Security_with_size_t.evtx";
    let (a, sa) = read(path, 1);
    let (b, sb) = read(path, 4);
    assert_eq!(a, b);
    assert_eq!(sa.events, sb.events);
    assert!(a.events > 200);
}

#[test]
fn winrm_operational_sessions() {
    let (_, sink) = read(
        "evtx/ebs__LM_winrm_target_wrmlogs_91_wsmanShellStarted_poorLog.evtx",
        1,
    );
    assert_eq!(sink.events.len(), 1);
    match &sink.events[0].kind {
        EventKind::RemoteShell { resource, .. } => {
            assert!(resource
                .as_deref()
                .is_some_and(|r| r.ends_with("/shell/cmd")))
        }
        k => panic!("unexpected {k:?}"),
    }
    assert_eq!(
        sink.events[0].actor.as_ref().and_then(|a| a.rid()),
        Some(500)
    );

    let (_, sink) = read(
        "evtx/ebs__RemotePowerShell_MS_Windows-Remote_Management_EventID_169.evtx",
        1,
    );
    let auths: Vec<_> = sink
        .events
        .iter()
        .filter(|e| matches!(&e.kind, EventKind::RemoteShell { auth: Some(a), .. } if a == "NTLM"))
        .collect();
    assert_eq!(auths.len(), 3);
    assert!(auths
        .iter()
        .all(|e| e.actor.as_ref().is_some_and(|a| a.name == "ieuser")));
}
