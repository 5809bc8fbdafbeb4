//! Golden ticket (ATT&CK T1558.001): a TGT forged with the krbtgt key (mimikatz
//! `kerberos::golden`, impacket `ticketer`), presented to the KDC to get service tickets as any
//! user, even one that does not exist.
//!
//! Evidence in event logs: [`EventKind::KerberosServiceTicket`] (4769) whose client realm is not
//! the canonical upper-case realm a Windows KDC writes into the TGTs it issues. Forging tools
//! copy the realm as typed on their command line (`/domain:corp.local`), so a service ticket
//! for `user@corp.local` shows a TGT the KDC never issued.
//!
//! Evidence on the wire (captured TGS-REQs, [`rampart_core::KerberosWire`]):
//! - a TGT encrypted with RC4 presented to a KDC whose other presented TGTs are AES: the KDC
//!   encrypts every TGT with the krbtgt key's strongest type, so an RC4 TGT in an AES domain
//!   was made with the krbtgt NT hash (mimikatz `kerberos::golden /rc4:`, the default);
//! - a TGT never issued by the KDC, presented after the sensor has watched that KDC's AS
//!   exchanges for longer than a TGT lives ([`TGT_LIFETIME_HOURS`]), so every valid TGT in use
//!   must have been seen issued. Before that, unknown TGTs are expected (issued before the
//!   capture began) and prove nothing; the alert says how long the KDC was watched.
//!
//! Forged lifetimes (ten-year tickets) sit inside the encrypted part and are not visible.

use crate::engine::{Context, Detector};
use crate::state::RecentSet;
use chrono::Duration;
use rampart_core::wellknown::etype;
use rampart_core::{Alert, AlertKind, EventKind, IdentityEvent, Severity, Timestamp};
use std::collections::HashMap;

/// The longest a TGT is valid (the domain default, "Maximum lifetime for user ticket").
pub const TGT_LIFETIME_HOURS: i64 = 10;
/// KDCs watched at once.
const MAX_KDCS: usize = 1024;

pub struct GoldenTicket {
    /// TGTs the KDCs were seen issuing (AS-REP) or honouring before the learning period ended.
    known: RecentSet<u64>,
    /// Per KDC address: when the sensor first saw it answer an AS exchange, and whether it has
    /// been presented AES-encrypted TGTs.
    kdcs: HashMap<String, (Timestamp, bool)>,
}

impl Default for GoldenTicket {
    fn default() -> Self {
        GoldenTicket {
            known: RecentSet::new(Duration::hours(TGT_LIFETIME_HOURS), 500_000),
            kdcs: HashMap::new(),
        }
    }
}

impl Detector for GoldenTicket {
    fn name(&self) -> &'static str {
        "golden_ticket"
    }

    fn kinds(&self) -> &'static [AlertKind] {
        &[AlertKind::GoldenTicket]
    }

    fn on_event(&mut self, ev: &IdentityEvent, cx: &mut Context<'_>) {
        if ev.is_captured() {
            self.captured(ev, cx);
            return;
        }
        let EventKind::KerberosServiceTicket {
            status: 0, service, ..
        } = &ev.kind
        else {
            return;
        };
        // Only Windows KDC auditing (4769) writes the client realm this way.
        if ev.evidence.event_id != Some(4769) || ev.outcome.is_failure() {
            return;
        }
        let Some(actor) = &ev.actor else { return };
        let Some(realm) = actor.domain.as_deref() else {
            return;
        };
        let dns_realm = realm.contains('.');
        let lower = realm.chars().any(|c| c.is_ascii_lowercase());
        if !(dns_realm && lower) {
            return;
        }
        let mut alert = Alert::new(AlertKind::GoldenTicket, Severity::Critical, ev)
            .title(format!("Golden ticket: forged TGT used as {actor}"))
            .actor(actor, cx.entities.is_sensitive_account(actor))
            .target(service.clone())
            .description(format!(
                "A service ticket for {service} was issued to {actor} on the strength of a TGT \
                 whose realm reads `{realm}`: a Windows KDC writes realms in upper case into the \
                 TGTs it issues, so this TGT was not issued by it but forged with the krbtgt key. \
                 Whoever holds the krbtgt key can be any user of the domain."
            ))
            .remediation(
                "Treat the krbtgt key as stolen: reset the krbtgt password twice (with \
                 replication in between), find how it was obtained (DCSync, NTDS.dit theft), \
                 and investigate the source host and everything the forged identity touched.",
            );
        if let Some(src) = &ev.source {
            alert = alert.source(src);
        }
        if let Some(obs) = &ev.observer {
            alert = alert.observer(obs, true);
        }
        cx.emit(&actor.key(), alert);
    }
}

impl GoldenTicket {
    fn captured(&mut self, ev: &IdentityEvent, cx: &mut Context<'_>) {
        let Some(kdc) = ev.observer.clone() else {
            return;
        };
        match &ev.kind {
            EventKind::KerberosTgtRequest {
                status: 0,
                wire: Some(w),
                ..
            } => {
                if let Some(t) = w.issued_ticket {
                    self.known.insert(t, ev.time);
                }
                if self.kdcs.len() < MAX_KDCS || self.kdcs.contains_key(&kdc) {
                    self.kdcs.entry(kdc).or_insert((ev.time, false));
                }
            }
            EventKind::KerberosServiceTicket {
                service,
                wire: Some(w),
                ..
            } => {
                let (Some(ticket), Some(tgt_etype)) =
                    (w.presented_ticket, w.presented_ticket_etype)
                else {
                    return;
                };
                let rc4 = u32::try_from(tgt_etype).is_ok_and(etype::is_weak);
                let aes_domain = self.kdcs.get(&kdc).is_some_and(|(_, aes)| *aes);
                if !rc4 {
                    if let Some(k) = self.kdcs.get_mut(&kdc) {
                        k.1 = true;
                    }
                }
                let watched = self.kdcs.get(&kdc).map(|(since, _)| ev.time - *since);
                let learned = watched.is_some_and(|d| d >= Duration::hours(TGT_LIFETIME_HOURS));
                let known = self.known.contains(&ticket, ev.time);
                let why = if rc4 && aes_domain {
                    format!(
                        "encrypted with {} while the other TGTs presented to {kdc} are AES: \
                         {kdc} encrypts the TGTs it issues with the krbtgt key's AES key, so \
                         this one was made with the krbtgt NT hash",
                        etype::name(tgt_etype as u32)
                    )
                } else if !known && learned {
                    format!(
                        "never issued by {kdc}, although the sensor has seen every AS exchange \
                         of {kdc} for {} hours, longer than a TGT lives",
                        watched.map_or(0, |d| d.num_hours())
                    )
                } else {
                    if !known && !learned {
                        // Issued before the capture began: remember it, so only new unknown
                        // tickets count once the KDC has been watched long enough.
                        self.known.insert(ticket, ev.time);
                    }
                    return;
                };
                let who = ev
                    .actor
                    .as_ref()
                    .map_or_else(|| "an unknown client".to_string(), |a| a.to_string());
                let mut alert = Alert::new(AlertKind::GoldenTicket, Severity::Critical, ev)
                    .title(format!("Golden ticket: forged TGT presented to {kdc}"))
                    .target(service.clone())
                    .description(format!(
                        "{who} presented a TGT to {kdc} to get a ticket for {service}; the TGT \
                         was {why}. Whoever holds the krbtgt key can be any user of the domain."
                    ))
                    .remediation(
                        "Treat the krbtgt key as stolen: reset the krbtgt password twice (with \
                         replication in between), find how it was obtained (DCSync, NTDS.dit \
                         theft), and investigate the source host.",
                    );
                if let Some(a) = &ev.actor {
                    alert = alert.actor(a, cx.entities.is_sensitive_account(a));
                }
                if let Some(src) = &ev.source {
                    alert = alert.source(src);
                }
                alert = alert.observer(&kdc, true);
                cx.emit(&format!("ticket|{ticket:016x}"), alert);
            }
            _ => {}
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::testutil::*;
    use rampart_core::Account;

    fn tgs(user: &str) -> IdentityEvent {
        with(
            ev(
                0,
                4769,
                EventKind::KerberosServiceTicket {
                    status: 0,
                    service: "ROOTDC1$".into(),
                    service_sid: None,
                    ticket_etype: Some(0x12),
                    ticket_options: Some(0x4081_0000),
                    wire: None,
                },
            ),
            Account::parse(user),
            Some(ip("10.23.23.9")),
            None,
        )
    }

    #[test]
    fn lower_case_realm_in_a_service_ticket_alerts() {
        let alerts = run(
            Box::<GoldenTicket>::default(),
            &[tgs("gold-non-existing-user@offsec.lan")],
        );
        assert_eq!(alerts.len(), 1);
        assert_eq!(alerts[0].kind, AlertKind::GoldenTicket);
    }

    #[test]
    fn tickets_from_real_tgts_are_benign() {
        let events = [
            tgs("pgustavo@THESHIRE.LOCAL"),
            tgs("ROOTDC1$@OFFSEC.LAN"),
            tgs("CORP\\jdoe"),
        ];
        assert!(run(Box::<GoldenTicket>::default(), &events).is_empty());
    }

    fn as_rep(secs: i64, ticket: u64) -> IdentityEvent {
        wire(
            secs,
            "10.0.0.10",
            "10.0.0.50",
            EventKind::KerberosTgtRequest {
                status: 0,
                preauth_type: Some(2),
                ticket_etype: Some(18),
                ticket_options: None,
                wire: Some(Box::new(rampart_core::KerberosWire {
                    issued_ticket: Some(ticket),
                    answered: true,
                    ..Default::default()
                })),
            },
        )
    }

    fn tgs_presenting(secs: i64, ticket: u64, tgt_etype: i32) -> IdentityEvent {
        wire(
            secs,
            "10.0.0.10",
            "10.0.0.66",
            EventKind::KerberosServiceTicket {
                status: 0,
                service: "cifs/dc01.corp.local".into(),
                service_sid: None,
                ticket_etype: Some(18),
                ticket_options: None,
                wire: Some(Box::new(rampart_core::KerberosWire {
                    presented_ticket: Some(ticket),
                    presented_ticket_etype: Some(tgt_etype),
                    answered: true,
                    ..Default::default()
                })),
            },
        )
    }

    #[test]
    fn captured_rc4_tgt_in_an_aes_domain_and_unissued_tgt_alert() {
        let h = 3600;
        let events = [
            as_rep(0, 1),
            tgs_presenting(10, 1, 18),
            // RC4 TGT while the KDC's TGTs are AES.
            tgs_presenting(20, 99, 23),
            // After eleven hours of watching, an AES TGT nobody was issued.
            as_rep(11 * h, 2),
            tgs_presenting(11 * h + 5, 2, 18),
            tgs_presenting(11 * h + 10, 77, 18),
        ];
        let alerts = run(Box::<GoldenTicket>::default(), &events);
        assert_eq!(alerts.len(), 2, "{alerts:?}");
        assert!(alerts.iter().all(|a| a.severity == Severity::Critical));
    }

    #[test]
    fn captured_tgts_issued_before_the_capture_are_benign() {
        // Tickets in use when the capture starts; an RC4-only domain.
        let events = [
            tgs_presenting(0, 5, 18),
            as_rep(1, 6),
            tgs_presenting(2, 7, 18),
            tgs_presenting(3, 6, 18),
        ];
        assert!(run(Box::<GoldenTicket>::default(), &events).is_empty());
        let rc4_domain = [
            as_rep(0, 1),
            tgs_presenting(1, 1, 23),
            tgs_presenting(2, 8, 23),
        ];
        assert!(run(Box::<GoldenTicket>::default(), &rc4_domain).is_empty());
    }
}
