//! Kerberoasting (ATT&CK T1558.003): service tickets requested for user accounts that carry SPNs,
//! to crack the service account's password offline (Rubeus `kerberoast`, impacket
//! `GetUserSPNs`).
//!
//! Evidence: [`EventKind::KerberosServiceTicket`] (4769, captured TGS exchanges) issued for a
//! service that is a user account (not `krbtgt`, not a `NAME$` computer account, whose passwords
//! are long and random). Two patterns alert, per requesting account:
//! - tickets with RC4/DES encryption for [`WEAK_THRESHOLD`] or more distinct user services
//!   within an hour (the RC4 downgrade roasting tools ask for, because it cracks fastest);
//! - tickets for [`MASS_THRESHOLD`] or more distinct user services within ten minutes, whatever
//!   the encryption (mass SPN harvesting).
//!
//! A user reaching one or two legacy RC4 services is ordinary and does not alert.

use super::{window_evidence, Sighting};
use crate::engine::{Context, Detector};
use crate::state::KeyedWindows;
use chrono::Duration;
use rampart_core::wellknown::etype;
use rampart_core::{Alert, AlertKind, EventKind, IdentityEvent, Severity};
use std::collections::BTreeSet;

pub const WEAK_THRESHOLD: usize = 3;
pub const MASS_THRESHOLD: usize = 10;

pub struct Kerberoasting {
    weak: KeyedWindows<String, Sighting<String>>,
    any: KeyedWindows<String, Sighting<String>>,
}

impl Default for Kerberoasting {
    fn default() -> Self {
        Kerberoasting {
            weak: KeyedWindows::new(Duration::hours(1), 50_000, 512),
            any: KeyedWindows::new(Duration::minutes(10), 50_000, 512),
        }
    }
}

impl Detector for Kerberoasting {
    fn name(&self) -> &'static str {
        "kerberoasting"
    }

    fn kinds(&self) -> &'static [AlertKind] {
        &[AlertKind::Kerberoasting]
    }

    fn on_event(&mut self, ev: &IdentityEvent, cx: &mut Context<'_>) {
        let EventKind::KerberosServiceTicket {
            status,
            service,
            ticket_etype,
            ..
        } = &ev.kind
        else {
            return;
        };
        if *status != 0 || ev.outcome.is_failure() {
            return;
        }
        let Some(actor) = &ev.actor else { return };
        if actor.is_machine() || actor.is_builtin_service() {
            return;
        }
        let svc = service_account(service);
        if svc.is_empty() || svc.ends_with('$') || svc == "krbtgt" {
            return;
        }
        let key = actor.key();
        let weak = ticket_etype.is_some_and(etype::is_weak);
        let weak_services = if weak {
            match self
                .weak
                .push(key.clone(), ev.time, (svc.clone(), ev.evidence.clone()))
            {
                Some(items) => distinct(items),
                None => return,
            }
        } else {
            BTreeSet::new()
        };
        let Some(items) = self
            .any
            .push(key.clone(), ev.time, (svc, ev.evidence.clone()))
        else {
            return;
        };
        let all_services = distinct(items);
        let (services, why) = if weak_services.len() >= WEAK_THRESHOLD {
            (
                weak_services,
                "with RC4/DES encryption, the weakest the KDC offers and the one roasting tools \
                 ask for because it cracks fastest",
            )
        } else if all_services.len() >= MASS_THRESHOLD {
            (
                all_services,
                "in a short burst, far more service accounts than a user reaches in normal work",
            )
        } else {
            return;
        };
        let sensitive = services
            .iter()
            .any(|s| s.contains("admin") || s == "administrator");
        let severity = if sensitive {
            Severity::High
        } else {
            Severity::Medium
        };
        let mut alert = Alert::new(AlertKind::Kerberoasting, severity, ev)
            .title(format!(
                "Kerberoasting: {actor} requested tickets for {} service accounts",
                services.len()
            ))
            .actor(actor, cx.entities.is_sensitive_account(actor))
            .description(format!(
                "{actor} requested Kerberos service tickets for {} user-account services ({}) \
                 {why}. Each ticket is encrypted with the service account's password and can be \
                 cracked offline.",
                services.len(),
                services.iter().cloned().collect::<Vec<_>>().join(", ")
            ))
            .remediation(
                "Find the process on the source host that made the requests. Give the service \
                 accounts long random passwords (or convert them to gMSAs), enable AES and \
                 disable RC4 on them, and reset any whose password may be weak.",
            );
        for s in &services {
            alert = alert.target(s.clone());
        }
        let window = if services.len() >= WEAK_THRESHOLD && weak {
            self.weak.get(&key)
        } else {
            self.any.get(&key)
        };
        if let Some(items) = window {
            alert = window_evidence(alert, items);
        }
        if let Some(src) = &ev.source {
            alert = alert.source(src);
        }
        cx.emit_summary(&key, alert);
    }
}

/// `svc_sql`, from `svc_sql`, `MSSQLSvc/host:1433` style names or `svc_sql@REALM`.
fn service_account(service: &str) -> String {
    let s = service.trim();
    let s = s.split('@').next().unwrap_or(s);
    s.rsplit('\\').next().unwrap_or(s).to_ascii_lowercase()
}

fn distinct(
    items: &std::collections::VecDeque<(rampart_core::Timestamp, Sighting<String>)>,
) -> BTreeSet<String> {
    items.iter().map(|(_, (s, _))| s.clone()).collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::testutil::*;

    fn tgs(secs: i64, user: &str, service: &str, etype: u32) -> IdentityEvent {
        with(
            ev(
                secs,
                4769,
                EventKind::KerberosServiceTicket {
                    status: 0,
                    service: service.into(),
                    service_sid: None,
                    ticket_etype: Some(etype),
                    ticket_options: Some(0x4081_0000),
                    wire: None,
                },
            ),
            Some(acct(user)),
            Some(ip("10.0.0.5")),
            None,
        )
    }

    #[test]
    fn rc4_tickets_for_several_service_accounts_alert() {
        let events: Vec<_> = ["sysmonsvc", "nxlogsvc", "defensesvc", "otrsvc"]
            .iter()
            .enumerate()
            .map(|(i, s)| tgs(i as i64, "pgustavo", s, 0x17))
            .collect();
        let alerts = run(Box::<Kerberoasting>::default(), &events);
        assert_eq!(alerts.len(), 1);
        assert_eq!(alerts[0].kind, AlertKind::Kerberoasting);
        assert!(alerts[0].targets.contains(&"otrsvc".to_string()));
    }

    #[test]
    fn aes_tickets_and_machine_services_are_benign() {
        let mut events = Vec::new();
        for i in 0..20 {
            events.push(tgs(i, "jdoe", &format!("SRV{i}$"), 0x17));
            events.push(tgs(i, "jdoe", "krbtgt", 0x17));
        }
        events.push(tgs(30, "jdoe", "svc_sql", 0x12));
        events.push(tgs(31, "jdoe", "svc_web", 0x12));
        events.push(tgs(32, "jdoe", "svc_legacy", 0x17));
        assert!(run(Box::<Kerberoasting>::default(), &events).is_empty());
    }

    #[test]
    fn mass_spn_requests_alert_even_with_aes() {
        let events: Vec<_> = (0..12)
            .map(|i| tgs(i, "jdoe", &format!("svc_{i}"), 0x12))
            .collect();
        assert_eq!(run(Box::<Kerberoasting>::default(), &events).len(), 1);
    }
}
