//! The lab's captures (one recorded run of a real Samba AD DC attacked by real tools; see
//! `../shared/lab/README.md` and `captures/evidence.txt`, tshark's summary of each capture)
//! read into identity events.

mod common;

use common::{lab, read, shared};
use rampart_core::{EventKind, IdentityEvent, Outcome};
use std::collections::BTreeSet;

fn tgt(e: &IdentityEvent) -> Option<(u32, Option<u32>, Option<u32>)> {
    match &e.kind {
        EventKind::KerberosTgtRequest {
            status,
            preauth_type,
            ticket_etype,
            ..
        } => Some((*status, *preauth_type, *ticket_etype)),
        _ => None,
    }
}

fn actor(e: &IdentityEvent) -> &str {
    e.actor.as_ref().map(|a| a.name.as_str()).unwrap_or("")
}

#[test]
fn kerberoasting_shows_rc4_service_tickets_and_the_refused_rc4_request() {
    let (stats, c) = lab("kerberoasting");
    assert!(c.warnings.is_empty(), "{:?}", c.warnings);
    // (service, status, ticket etype, actor, requested etypes)
    type Ticket<'a> = (&'a str, u32, Option<u32>, &'a str, Vec<i32>);
    let tickets: Vec<Ticket> = c
        .events
        .iter()
        .filter_map(|e| match &e.kind {
            EventKind::KerberosServiceTicket {
                service,
                status,
                ticket_etype,
                wire,
                ..
            } => Some((
                service.as_str(),
                *status,
                *ticket_etype,
                actor(e),
                wire.as_ref().unwrap().requested_etypes.clone(),
            )),
            _ => None,
        })
        .collect();
    assert!(tickets.contains(&(
        "MSSQLSvc/srv-sql01.rampart.lab:1433",
        0,
        Some(23),
        "jnguyen",
        vec![18, 17, 23]
    )));
    assert!(tickets.contains(&(
        "MSSQLSvc/srv-sql01.rampart.lab",
        0,
        Some(23),
        "jnguyen",
        vec![23]
    )));
    // svc_web is AES-only: the RC4-only request is refused with ETYPE_NOSUPP.
    let nosupp: Vec<_> = tickets.iter().filter(|t| t.1 == 14).collect();
    assert_eq!(nosupp.len(), 2, "{tickets:?}");
    assert!(nosupp.iter().all(|t| t.0 == "HTTP/intranet" && t.4 == [23]));
    // impacket's TGS-REQs (non-minimal DER integers) are read too, and refused by Heimdal.
    for spn in ["RAMPART.LAB\\svc_sql", "RAMPART.LAB\\svc_web"] {
        assert!(
            tickets
                .iter()
                .any(|t| t.0 == spn && t.1 == 50 && t.4 == [23, 16, 3, 23]),
            "{spn}: {tickets:?}"
        );
    }
    // Every TGS-REQ presented a TGT this capture saw issued.
    let issued: BTreeSet<u64> = c
        .events
        .iter()
        .filter_map(|e| match &e.kind {
            EventKind::KerberosTgtRequest { wire: Some(w), .. } => w.issued_ticket,
            _ => None,
        })
        .collect();
    for e in &c.events {
        if let EventKind::KerberosServiceTicket { wire: Some(w), .. } = &e.kind {
            assert!(issued.contains(&w.presented_ticket.unwrap()), "{e:?}");
            assert!(w.answered);
        }
    }
    // PREAUTH_REQUIRED and RESPONSE_TOO_BIG are round trips: no events of their own.
    assert!(c
        .events
        .iter()
        .all(|e| tgt(e).is_none_or(|t| t.0 != 25 && t.0 != 52)));
    assert_eq!(stats.records, 133);
    assert!(stats.encrypted >= 1, "impacket's sealed LDAP is counted");
    for e in &c.events {
        assert_eq!(e.observer.as_deref(), Some("127.0.0.2"));
        assert_eq!(
            e.source.as_ref().unwrap().ip.unwrap().to_string(),
            "127.0.0.1"
        );
        assert_eq!(e.evidence.event_id, None);
        assert!(e.evidence.source.ends_with("kerberoasting.pcap"));
    }
}

#[test]
fn asrep_roasting_gets_rc4_replies_without_preauthentication() {
    let (_, c) = lab("asrep_roasting");
    let asreps: Vec<_> = c
        .events
        .iter()
        .filter_map(|e| tgt(e).map(|t| (actor(e), t)))
        .collect();
    assert_eq!(asreps.len(), 3, "{asreps:?}");
    for (who, t) in asreps {
        assert_eq!((who, t), ("svc_backup", (0, Some(0), Some(23))));
    }
    for e in &c.events {
        if let EventKind::KerberosTgtRequest { wire: Some(w), .. } = &e.kind {
            assert_eq!(w.padata_types, [128]);
            assert_eq!(w.reply_etype, Some(23));
            assert_eq!(
                e.actor.as_ref().unwrap().domain.as_deref(),
                Some("RAMPART.LAB")
            );
        }
    }
}

#[test]
fn account_enumeration_is_38_unknown_principals() {
    let (_, c) = lab("account_enum");
    let unknown: BTreeSet<&str> = c
        .events
        .iter()
        .filter(|e| tgt(e).is_some_and(|t| t.0 == 6))
        .map(actor)
        .collect();
    assert_eq!(unknown.len(), 38);
    assert!(c
        .events
        .iter()
        .filter(|e| tgt(e).is_some_and(|t| t.0 == 6))
        .all(|e| e.outcome == Outcome::Failure(6)));
}

#[test]
fn brute_force_is_15_preauth_failures_and_5_failed_ldap_binds() {
    let (_, c) = lab("brute_force");
    let failed: Vec<_> = c
        .events
        .iter()
        .filter(|e| tgt(e).is_some_and(|t| t.0 == 24))
        .collect();
    assert_eq!(failed.len(), 15);
    assert!(failed
        .iter()
        .all(|e| actor(e) == "rmoore" && tgt(e).unwrap().1 == Some(2)));
    assert_eq!(
        c.events
            .iter()
            .filter(|e| tgt(e).is_some_and(|t| t.0 == 0))
            .map(actor)
            .collect::<Vec<_>>(),
        ["rmoore"]
    );
    let binds: Vec<_> = c
        .events
        .iter()
        .filter_map(|e| match &e.kind {
            EventKind::LdapBind { method, .. } => Some((method.as_str(), e.outcome)),
            _ => None,
        })
        .collect();
    assert_eq!(binds, vec![("simple", Outcome::Failure(49)); 5]);
}

#[test]
fn password_spray_is_49_accounts_with_one_wrong_password_each() {
    let (_, c) = lab("password_spray");
    let failed: Vec<&str> = c
        .events
        .iter()
        .filter(|e| tgt(e).is_some_and(|t| t.0 == 24))
        .map(actor)
        .collect();
    let distinct: BTreeSet<&str> = failed.iter().copied().collect();
    assert_eq!((failed.len(), distinct.len()), (49, 49));
    let ok: Vec<&str> = c
        .events
        .iter()
        .filter(|e| tgt(e).is_some_and(|t| t.0 == 0))
        .map(actor)
        .collect();
    assert_eq!(ok, ["eyoung"]);
}

#[test]
fn ldap_recon_filters_are_readable() {
    let (stats, c) = lab("ldap_recon");
    assert!(c.warnings.is_empty(), "{:?}", c.warnings);
    let searches: Vec<(&str, u8, &str, Option<u32>)> = c
        .events
        .iter()
        .filter_map(|e| match &e.kind {
            EventKind::LdapSearch {
                base,
                scope,
                filter,
                entries,
                ..
            } => Some((base.as_str(), *scope, filter.as_str(), *entries)),
            _ => None,
        })
        .collect();
    assert_eq!(searches.len(), 12);
    let filters: BTreeSet<&str> = searches.iter().map(|s| s.2).collect();
    for f in [
        "(userAccountControl:1.2.840.113556.1.4.803:=4194304)",
        "(&(objectClass=user)(servicePrincipalName=*))",
        "(msDS-AllowedToDelegateTo=*)",
        "(memberOf:1.2.840.113556.1.4.1941:=CN=Domain Admins,CN=Users,DC=rampart,DC=lab)",
        // As ldapsearch sent it (ldap_recon.log): one AND of three; tshark prints n-ary ANDs
        // as nested pairs, `(&(&(a)(b))(c))`.
        "(&(objectCategory=person)(objectClass=user)(adminCount=1))",
    ] {
        assert!(filters.contains(f), "{f} not in {filters:?}");
    }
    let roastable = searches.iter().find(|s| s.2.contains("4194304")).unwrap();
    assert_eq!((roastable.0, roastable.1), ("DC=rampart,DC=lab", 2));
    // svc_backup and krbtgt (the lab sets DONT_REQ_PREAUTH on it for Heimdal): the tool's log
    // counted 2 entries too.
    assert_eq!(roastable.3, Some(2));
    let users = searches
        .iter()
        .find(|s| s.2 == "(&(objectCategory=person)(objectClass=user))")
        .unwrap();
    assert!(users.3.unwrap() >= 50, "{users:?}");
    let simple: Vec<_> = c
        .events
        .iter()
        .filter(|e| matches!(&e.kind, EventKind::LdapBind { method, .. } if method == "simple"))
        .collect();
    assert_eq!(simple.len(), 12);
    assert!(simple
        .iter()
        .all(|e| actor(e) == "jnguyen" && e.outcome == Outcome::Success));
    assert_eq!(stats.encrypted, 2, "impacket's two sealed LDAP sessions");
}

#[test]
fn dns_recon_has_the_zone_transfer_attempts() {
    let (_, c) = lab("dns_recon");
    let axfr: Vec<(&str, bool)> = c
        .events
        .iter()
        .filter_map(|e| match &e.kind {
            EventKind::DnsZoneTransfer { zone, refused } => Some((zone.as_str(), *refused)),
            _ => None,
        })
        .collect();
    assert_eq!(
        axfr,
        [("rampart.lab", false), ("_msdcs.rampart.lab", false)]
    );
    let nx = c
        .events
        .iter()
        .filter(|e| matches!(e.kind, EventKind::DnsQuery { rcode: Some(3), .. }))
        .count();
    assert_eq!(nx, 29);
    let qtypes: Vec<u16> = c
        .events
        .iter()
        .filter_map(|e| match &e.kind {
            EventKind::DnsQuery { qtype, .. } => Some(*qtype),
            _ => None,
        })
        .collect();
    assert_eq!(qtypes.iter().filter(|q| **q == 33).count(), 8);
    assert_eq!(qtypes.iter().filter(|q| **q == 255).count(), 1);
}

#[test]
fn honeytoken_account_shows_in_kerberos_and_ldap() {
    let (_, c) = lab("honeytoken_activity");
    let as_: Vec<u32> = c
        .events
        .iter()
        .filter(|e| actor(e) == "adm_legacy")
        .filter_map(|e| tgt(e).map(|t| t.0))
        .collect();
    assert_eq!(as_, [24, 0]);
    let bind = c
        .events
        .iter()
        .find(|e| matches!(&e.kind, EventKind::LdapBind { name, .. } if name == "adm_legacy@rampart.lab"))
        .expect("the simple bind");
    assert_eq!(actor(bind), "adm_legacy");
    assert_eq!(
        bind.actor.as_ref().unwrap().domain.as_deref(),
        Some("rampart.lab")
    );
    assert_eq!(bind.outcome, Outcome::Success);
    assert!(c.events.iter().any(|e| matches!(&e.kind, EventKind::KerberosServiceTicket { service, status: 0, .. } if service == "ldap/dc1.rampart.lab") && actor(e) == "adm_legacy"));
    assert!(c.events.iter().any(|e| matches!(&e.kind, EventKind::LdapSearch { filter, .. } if filter == "(sAMAccountName=Domain Admins)")));
}

#[test]
fn ldap_modify_of_a_group_member_is_a_membership_change_by_the_bound_account() {
    let (_, c) = lab("sensitive_group_change");
    let changes: Vec<_> = c
        .events
        .iter()
        .filter(|e| matches!(e.kind, EventKind::GroupMembershipChange { .. }))
        .collect();
    assert_eq!(changes.len(), 1, "{changes:?}");
    let e = changes[0];
    let EventKind::GroupMembershipChange {
        member_dn, added, ..
    } = &e.kind
    else {
        unreachable!()
    };
    assert!(*added);
    assert!(
        member_dn
            .as_deref()
            .is_some_and(|d| d.to_ascii_lowercase().starts_with("cn=hking")),
        "{member_dn:?}"
    );
    assert_eq!(
        e.target.as_ref().map(|t| t.name.as_str()),
        Some("Domain Admins")
    );
    assert_eq!(actor(e), "Administrator");
    assert_eq!(e.outcome, Outcome::Success);
}

#[test]
fn benign_traffic_parses_cleanly() {
    let (stats, c) = lab("benign");
    assert!(c.warnings.is_empty(), "{:?}", c.warnings);
    assert_eq!(stats.skipped, 0);
    assert_eq!(stats.records, 545);
    let tgs = c
        .events
        .iter()
        .filter(|e| {
            matches!(
                e.kind,
                EventKind::KerberosServiceTicket {
                    status: 0,
                    ticket_etype: Some(18),
                    ..
                }
            )
        })
        .count();
    assert_eq!(tgs, 11);
    let asrep = c
        .events
        .iter()
        .filter(|e| tgt(e) == Some((0, Some(2), Some(18))))
        .count();
    assert_eq!(asrep, 6);
    // Events come in frame order.
    let frames: Vec<u64> = c.events.iter().map(|e| e.evidence.record).collect();
    let mut sorted = frames.clone();
    sorted.sort();
    assert_eq!(frames, sorted);
}

#[test]
fn every_dataset_capture_reads_without_error() {
    let dir = shared("datasets/pcap");
    let mut n = 0;
    for entry in std::fs::read_dir(&dir).unwrap() {
        let path = entry.unwrap().path();
        let (stats, c) = read(&path);
        n += 1;
        assert!(stats.records > 0, "{}", path.display());
        let name = path.file_name().unwrap().to_string_lossy().to_string();
        if name.contains("DsGetNCChanges") || name.contains("sharpsc") {
            // Cut short in the middle of a packet (capinfos says so too).
            assert!(
                c.warnings
                    .iter()
                    .any(|w| w.offset.is_some() && w.to_string().contains("truncated")),
                "{name}: {:?}",
                c.warnings
            );
        }
        if name.contains("asn1-max-recursion") {
            assert!(
                stats.skipped >= 1 && !c.warnings.is_empty(),
                "deep BER is a malformed note"
            );
        }
    }
    assert!(n >= 30);
}

#[test]
fn zeek_sicily_and_invalid_credentials() {
    let (_, c) = read(&shared("datasets/pcap/zeek__ldap_invalid_credentials.pcap"));
    assert!(c.events.iter().any(|e| e.outcome == Outcome::Failure(49)));
    let (_, c) = read(&shared("datasets/pcap/zeek__aduser1-ntlm.pcap"));
    assert!(c.warnings.is_empty(), "{:?}", c.warnings);
    assert!(c
        .events
        .iter()
        .any(|e| matches!(&e.kind, EventKind::LdapBind { method, .. } if method == "sicily")));
}

#[test]
fn dcom_activation_names_the_class_it_creates() {
    // Covenant's Excel RegisterXLL: RemoteGetClassObject for Excel.Application (tshark:
    // InstantiatedObjectClsId 00024500-0000-0000-c000-000000000046, frame 99).
    let (_, c) = read(&shared(
        "datasets/pcap/otrf__covenant_dcom_registerxll_2020-09-18145959.cap",
    ));
    let activations: Vec<_> = c
        .events
        .iter()
        .filter_map(|e| match &e.kind {
            EventKind::RpcCall {
                interface,
                opnum,
                object,
                ..
            } if interface == "iremotescmactivator" => {
                Some((*opnum, object.clone(), e.evidence.record))
            }
            _ => None,
        })
        .collect();
    assert_eq!(
        activations,
        vec![(
            3,
            Some("00024500-0000-0000-c000-000000000046".to_string()),
            99
        )]
    );
}

#[test]
fn smb2_kerberos_session_setup_shows_the_ticket_presented() {
    // The workstation's own SMB session to the DC before Rubeus ran (tshark frame 94: AP-REQ
    // for cifs/MORDORDC.theshire.local, ticket and authenticator AES256).
    let (_, c) = read(&shared(
        "datasets/pcap/otrf__empire_shell_rubeus_asktgt_ptt_2020-09-21223848.cap",
    ));
    let ap: Vec<_> = c
        .events
        .iter()
        .filter_map(|e| match &e.kind {
            EventKind::KerberosApRequest {
                service,
                carrier,
                wire: Some(w),
            } => Some((
                e.evidence.record,
                service.clone(),
                carrier.clone(),
                w.presented_ticket_etype,
                w.authenticator_etype,
                w.presented_ticket.is_some(),
            )),
            _ => None,
        })
        .collect();
    assert_eq!(
        ap,
        vec![(
            94,
            "cifs/MORDORDC.theshire.local".to_string(),
            "smb2".to_string(),
            Some(18),
            Some(18),
            true
        )]
    );
}
