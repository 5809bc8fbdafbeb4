//! Kerberos ticket requests as a domain controller logs them (Security log).
//!
//! | id   | becomes |
//! |------|---------|
//! | 4768 | [`EventKind::KerberosTgtRequest`] with `Status`, `PreAuthType`, `TicketEncryptionType`, `TicketOptions`: actor = `TargetUserName`/`TargetDomainName`/`TargetSid` (the client), source = `IpAddress` |
//! | 4769 | [`EventKind::KerberosServiceTicket`] for `ServiceName`: actor = `TargetUserName` (the client, written `user@REALM`), source = `IpAddress` |
//! | 4770 | [`EventKind::KerberosServiceTicket`] (a ticket renewed: also a TGS exchange; `ServiceName` is `krbtgt` when a TGT was renewed) |
//! | 4771 | [`EventKind::KerberosTgtRequest`] (pre-authentication failed), outcome `Failure(Status)` |
//!
//! A failed 4768 writes `0xffffffff` as its encryption type; that becomes `None`.

use super::one;
use crate::winevent::WinEvent;
use rampart_core::{Account, EventKind, Host, IdentityEvent, Outcome};
use std::sync::Arc;

pub fn map(ev: &WinEvent, src: &Arc<str>) -> Option<Vec<IdentityEvent>> {
    let status = ev.get_u32("Status").unwrap_or(0);
    let ticket_etype = ev
        .get_u32("TicketEncryptionType")
        .filter(|e| *e != u32::MAX);
    let ticket_options = ev.get_u32("TicketOptions");
    let kind = match ev.event_id {
        4768 | 4771 => EventKind::KerberosTgtRequest {
            status,
            preauth_type: ev.get_u32("PreAuthType"),
            ticket_etype,
            ticket_options,
            wire: None,
        },
        4769 | 4770 => EventKind::KerberosServiceTicket {
            status,
            service: ev.value("ServiceName").unwrap_or_default().to_string(),
            service_sid: ev.string("ServiceSid"),
            ticket_etype,
            ticket_options,
            wire: None,
        },
        _ => return None,
    };
    let mut e = ev.identity_event(src, kind);
    e.actor = Account::from_parts(
        ev.get("TargetUserName"),
        ev.get("TargetDomainName"),
        ev.get("TargetSid").or_else(|| ev.get("TargetUserSid")),
    );
    e.source = Host::from_parts(None, ev.get("IpAddress"));
    e.outcome = if status == 0 && ev.event_id != 4771 {
        Outcome::Success
    } else {
        Outcome::Failure(status)
    };
    one(e)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::winevent::test_support::security;
    use rampart_core::wellknown::krb_error;

    fn src() -> Arc<str> {
        Arc::from("t.evtx")
    }

    #[test]
    fn tgt_request_without_preauth() {
        let ev = security(
            4768,
            &[
                ("TargetUserName", "svc_nopreauth"),
                ("TargetDomainName", "OFFSEC.LAN"),
                ("TargetSid", "S-1-5-21-1-2-3-1601"),
                ("ServiceName", "krbtgt"),
                ("TicketOptions", "0x40800010"),
                ("Status", "0x0"),
                ("TicketEncryptionType", "0x17"),
                ("PreAuthType", "0"),
                ("IpAddress", "::ffff:10.23.23.9"),
                ("IpPort", "49160"),
            ],
        );
        let e = &map(&ev, &src()).unwrap()[0];
        assert_eq!(
            e.kind,
            EventKind::KerberosTgtRequest {
                status: 0,
                preauth_type: Some(0),
                ticket_etype: Some(23),
                ticket_options: Some(0x4080_0010),
                wire: None,
            }
        );
        assert_eq!(e.outcome, Outcome::Success);
        let actor = e.actor.as_ref().unwrap();
        assert_eq!(actor.name, "svc_nopreauth");
        assert_eq!(actor.rid(), Some(1601));
        assert_eq!(e.source.as_ref().unwrap().ip, "10.23.23.9".parse().ok());
    }

    #[test]
    fn failed_tgt_request_for_unknown_user() {
        let ev = security(
            4768,
            &[
                ("TargetUserName", "nobody"),
                ("TargetSid", "S-1-0-0"),
                ("Status", "0x6"),
                ("TicketEncryptionType", "0xffffffff"),
                ("PreAuthType", "-"),
                ("IpAddress", "10.23.23.9"),
            ],
        );
        let e = &map(&ev, &src()).unwrap()[0];
        assert_eq!(e.outcome, Outcome::Failure(krb_error::C_PRINCIPAL_UNKNOWN));
        match e.kind {
            EventKind::KerberosTgtRequest {
                status,
                preauth_type,
                ticket_etype,
                ..
            } => {
                assert_eq!(status, 6);
                assert_eq!(preauth_type, None);
                assert_eq!(ticket_etype, None);
            }
            ref k => panic!("unexpected {k:?}"),
        }
        assert_eq!(e.actor.as_ref().unwrap().sid, None);
    }

    #[test]
    fn preauth_failure() {
        let ev = security(
            4771,
            &[
                ("TargetUserName", "admmig"),
                ("ServiceName", "krbtgt/OFFSEC.LAN"),
                ("Status", "0x18"),
                ("PreAuthType", "2"),
                ("IpAddress", "::ffff:10.23.123.11"),
            ],
        );
        let e = &map(&ev, &src()).unwrap()[0];
        assert_eq!(e.outcome, Outcome::Failure(krb_error::PREAUTH_FAILED));
        assert_eq!(e.kind.name(), "kerberos_tgt_request");
    }

    #[test]
    fn ticket_renewal() {
        let ev = security(
            4770,
            &[
                ("TargetUserName", "Administrator@SHIRE.COM"),
                ("TargetDomainName", "SHIRE.COM"),
                ("ServiceName", "krbtgt"),
                ("TicketOptions", "0x10002"),
                ("TicketEncryptionType", "0x12"),
                ("IpAddress", "::1"),
            ],
        );
        let e = &map(&ev, &src()).unwrap()[0];
        match &e.kind {
            EventKind::KerberosServiceTicket {
                service,
                ticket_etype,
                ..
            } => {
                assert_eq!(service, "krbtgt");
                assert_eq!(*ticket_etype, Some(18));
            }
            k => panic!("unexpected {k:?}"),
        }
        assert_eq!(e.outcome, Outcome::Success);
        assert!(e.source.as_ref().unwrap().is_loopback());
    }

    #[test]
    fn service_ticket() {
        let ev = security(
            4769,
            &[
                ("TargetUserName", "pgustavo@THESHIRE.LOCAL"),
                ("TargetDomainName", "THESHIRE.LOCAL"),
                ("ServiceName", "sql_svc"),
                ("ServiceSid", "S-1-5-21-1-2-3-1110"),
                ("TicketOptions", "0x40810000"),
                ("TicketEncryptionType", "0x17"),
                ("IpAddress", "::ffff:172.18.39.5"),
                ("Status", "0x0"),
            ],
        );
        let e = &map(&ev, &src()).unwrap()[0];
        match &e.kind {
            EventKind::KerberosServiceTicket {
                service,
                service_sid,
                ticket_etype,
                ..
            } => {
                assert_eq!(service, "sql_svc");
                assert_eq!(service_sid.as_deref(), Some("S-1-5-21-1-2-3-1110"));
                assert_eq!(*ticket_etype, Some(23));
            }
            k => panic!("unexpected {k:?}"),
        }
        let actor = e.actor.as_ref().unwrap();
        assert_eq!(actor.name, "pgustavo");
        assert_eq!(actor.domain.as_deref(), Some("THESHIRE.LOCAL"));
    }
}
