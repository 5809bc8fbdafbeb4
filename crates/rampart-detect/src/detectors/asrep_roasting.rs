//! AS-REP roasting (ATT&CK T1558.004): a TGT obtained without Kerberos pre-authentication, for
//! an account that has "Do not require Kerberos preauthentication" set. The AS-REP is encrypted
//! with the account's password and can be cracked offline (Rubeus `asreproast`, impacket
//! `GetNPUsers`).
//!
//! Evidence: a successful [`EventKind::KerberosTgtRequest`] with pre-authentication type 0
//! (4768 `PreAuthType` 0, a captured AS-REQ without PA-ENC-TIMESTAMP answered by an AS-REP).
//! RC4/DES replies are the ones roasting tools ask for and raise the severity.

use crate::engine::{Context, Detector};
use rampart_core::wellknown::etype;
use rampart_core::{Alert, AlertKind, EventKind, IdentityEvent, Severity};

pub struct AsrepRoasting;

impl Detector for AsrepRoasting {
    fn name(&self) -> &'static str {
        "asrep_roasting"
    }

    fn kinds(&self) -> &'static [AlertKind] {
        &[AlertKind::AsrepRoasting]
    }

    fn on_event(&mut self, ev: &IdentityEvent, cx: &mut Context<'_>) {
        let EventKind::KerberosTgtRequest {
            status: 0,
            preauth_type: Some(0),
            ticket_etype,
            ..
        } = &ev.kind
        else {
            return;
        };
        if ev.outcome.is_failure() {
            return;
        }
        let Some(actor) = &ev.actor else { return };
        if actor.is_machine() {
            return;
        }
        let weak = ticket_etype.is_some_and(etype::is_weak);
        // On the wire, a client of an account without pre-authentication (MIT and Heimdal
        // realms often run so) gets an AES reply like any other; roasting tools ask for RC4,
        // which cracks orders of magnitude faster. Only weak captured replies are evidence.
        if ev.is_captured() && !weak {
            return;
        }
        let sensitive = cx.entities.is_sensitive_account(actor);
        // A privileged account's crackable reply is a path to domain compromise.
        let severity = match (weak, sensitive) {
            (true, true) => Severity::Critical,
            (false, true) | (true, false) => Severity::High,
            (false, false) => Severity::Medium,
        };
        let mut alert = Alert::new(AlertKind::AsrepRoasting, severity, ev)
            .title(format!(
                "AS-REP roasting: TGT issued for {actor} without pre-authentication"
            ))
            .target_account(actor, sensitive)
            .description(format!(
                "The KDC issued a TGT for {actor} without Kerberos pre-authentication{}{}. The \
                 reply is encrypted with the account's password key, so whoever asked can crack \
                 it offline without knowing anything about the account.",
                ticket_etype
                    .map(|e| format!(", encrypted with {}", etype::name(e)))
                    .unwrap_or_default(),
                ev.source
                    .as_ref()
                    .map(|s| format!(", requested from {s}"))
                    .unwrap_or_default()
            ))
            .remediation(
                "Turn on \"Do not require Kerberos preauthentication\" = off for the account \
                 (clear DONT_REQ_PREAUTH in userAccountControl) unless a documented legacy system \
                 needs it, reset its password to a long random one, and find the host that \
                 requested the ticket.",
            );
        if let Some(src) = &ev.source {
            alert = alert.source(src);
        }
        let key = format!(
            "{}|{}",
            actor.key(),
            ev.source.as_ref().map(|s| s.key()).unwrap_or_default()
        );
        cx.emit(&key, alert);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::testutil::*;

    fn as_req(preauth: u32, status: u32) -> IdentityEvent {
        with(
            ev(
                0,
                4768,
                EventKind::KerberosTgtRequest {
                    status,
                    preauth_type: Some(preauth),
                    ticket_etype: Some(0x17),
                    ticket_options: Some(0x4081_0010),
                    wire: None,
                },
            ),
            Some(acct("svc_backup")),
            Some(ip("10.0.0.66")),
            None,
        )
    }

    #[test]
    fn tgt_without_preauth_alerts() {
        let alerts = run(Box::new(AsrepRoasting), &[as_req(0, 0)]);
        assert_eq!(alerts.len(), 1);
        assert_eq!(alerts[0].kind, AlertKind::AsrepRoasting);
        assert_eq!(alerts[0].severity, Severity::High);
    }

    #[test]
    fn a_privileged_roastable_account_is_critical() {
        // svc_backup in Backup Operators, as a directory snapshot reports it.
        let entities = crate::EntityConfig {
            sensitive_accounts: vec!["svc_backup".into()],
            ..Default::default()
        };
        let alerts = run_with(Box::new(AsrepRoasting), entities, &[as_req(0, 0)]);
        assert_eq!(alerts.len(), 1);
        assert_eq!(alerts[0].severity, Severity::Critical);
        assert!(alerts[0].entities.iter().any(|e| matches!(
            e,
            rampart_core::EntityRef::Account {
                sensitive: true,
                ..
            }
        )));
    }

    #[test]
    fn ordinary_preauthenticated_logons_are_benign() {
        // PreAuthType 2 (encrypted timestamp) and a failed request without pre-auth.
        assert!(run(Box::new(AsrepRoasting), &[as_req(2, 0), as_req(0, 0x19)]).is_empty());
    }

    fn captured_as(etype: u32) -> IdentityEvent {
        let mut e = wire(
            0,
            "10.0.0.10",
            "10.0.0.50",
            EventKind::KerberosTgtRequest {
                status: 0,
                preauth_type: Some(0),
                ticket_etype: Some(etype),
                ticket_options: None,
                wire: Some(Box::new(rampart_core::KerberosWire {
                    answered: true,
                    ..Default::default()
                })),
            },
        );
        e.actor = Some(acct("svc_backup"));
        e
    }

    #[test]
    fn captured_rc4_reply_without_preauth_alerts_and_aes_does_not() {
        assert_eq!(run(Box::new(AsrepRoasting), &[captured_as(23)]).len(), 1);
        assert!(run(Box::new(AsrepRoasting), &[captured_as(18)]).is_empty());
    }
}
