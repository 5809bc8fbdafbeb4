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
//!
//! On the wire the request shows what logs do not: the encryption types the client offered. A
//! TGS-REQ for a user service that offers RC4/DES but no AES ([`downgrade`]) is the roasting
//! tools' request (Rubeus `/tgtdeleg`/`/rc4opsec`, impacket, `kvno` with an RC4-only
//! configuration): no Windows client since Vista asks so by default. It alerts on the first
//! request, answered or refused (the attempt is the evidence), and more strongly when the KDC
//! answered with an RC4 ticket. Captured services are SPNs, not accounts, so services of
//! computer accounts are told by their service class ([`MACHINE_SERVICE_CLASSES`]); the mass
//! and weak-ticket patterns above apply to captured tickets too.

use super::{window_evidence, Sighting};
use crate::engine::{Context, Detector};
use crate::state::KeyedWindows;
use chrono::Duration;
use rampart_core::wellknown::etype;
use rampart_core::{Alert, AlertKind, EventKind, IdentityEvent, Severity};
use std::collections::BTreeSet;

pub const WEAK_THRESHOLD: usize = 3;
pub const MASS_THRESHOLD: usize = 10;

/// SPN service classes Windows registers on computer accounts (their keys are random), and the
/// KDC's own: tickets for them are not roastable.
pub const MACHINE_SERVICE_CLASSES: &[&str] = &[
    "host",
    "cifs",
    "ldap",
    "gc",
    "dns",
    "rpcss",
    "wsman",
    "termsrv",
    "restrictedkrbhost",
    "krbtgt",
    "kadmin",
    "ldap_sasl",
    "e3514235-4b06-11d1-ab04-00c04fc2dcd2",
];

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
            wire,
            ..
        } = &ev.kind
        else {
            return;
        };
        if ev.is_captured() {
            if !user_service(service) {
                return;
            }
            if wire
                .as_ref()
                .is_some_and(|w| downgrade(&w.requested_etypes))
            {
                self.downgrade_request(ev, cx, service, *status, *ticket_etype);
            }
        }
        // Only issued tickets count below (a refused captured downgrade was judged above).
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
        // A roasted privileged account (known from the directory or configuration, or named
        // so) cracks into domain compromise.
        let sensitive = services.iter().any(|s| {
            s.contains("admin")
                || cx
                    .entities
                    .is_sensitive_account(&rampart_core::Account::new(s, None))
        });
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

impl Kerberoasting {
    /// A captured TGS request offering no AES for a user service.
    fn downgrade_request(
        &mut self,
        ev: &IdentityEvent,
        cx: &mut Context<'_>,
        service: &str,
        status: u32,
        ticket_etype: Option<u32>,
    ) {
        let who = ev
            .actor
            .as_ref()
            .map(|a| a.to_string())
            .or_else(|| ev.source.as_ref().map(|s| s.to_string()))
            .unwrap_or_else(|| "an unknown client".to_string());
        let issued_weak = status == 0 && ticket_etype.is_some_and(etype::is_weak);
        let outcome = if issued_weak {
            "and the KDC issued an RC4-encrypted ticket, crackable offline".to_string()
        } else if status != 0 {
            format!("which the KDC refused (Kerberos error {status}); the attempt is the evidence")
        } else {
            "and the KDC answered with a ticket the service's AES key protects".to_string()
        };
        let severity = if issued_weak {
            Severity::High
        } else {
            Severity::Medium
        };
        let mut alert = Alert::new(AlertKind::Kerberoasting, severity, ev)
            .title(format!(
                "Kerberoasting: {who} asked for RC4 service tickets"
            ))
            .target(service.to_string())
            .description(format!(
                "{who} requested a service ticket for {service} offering only RC4/DES \
                 encryption, {outcome}. Modern clients always offer AES; asking for RC4 alone is \
                 how roasting tools get tickets that crack fastest."
            ))
            .remediation(
                "Find the process on the source host that made the requests. Give the service \
                 account a long random password (or convert it to a gMSA), enable AES and \
                 disable RC4 on it, and reset its password if it may be weak.",
            );
        if let Some(a) = &ev.actor {
            alert = alert.actor(a, cx.entities.is_sensitive_account(a));
        }
        if let Some(src) = &ev.source {
            alert = alert.source(src);
        }
        let key = ev
            .actor
            .as_ref()
            .map(|a| a.key())
            .unwrap_or_else(|| super::origin_key(ev));
        cx.emit_summary(&key, alert);
    }
}

/// Offered encryption types that leave the KDC no choice but RC4 or DES.
pub fn downgrade(requested: &[i32]) -> bool {
    !requested.is_empty()
        && !requested
            .iter()
            .any(|e| *e == etype::AES128 as i32 || *e == etype::AES256 as i32)
        && requested
            .iter()
            .any(|e| u32::try_from(*e).is_ok_and(etype::is_weak))
}

/// Whether a captured service name can belong to a user account: not a computer's service class
/// nor the KDC's. Names given as accounts (`DOMAIN\svc`, `svc@REALM`) are judged by the name.
pub fn user_service(service: &str) -> bool {
    let s = service.trim();
    match s.split_once('/') {
        Some((class, _)) => !MACHINE_SERVICE_CLASSES
            .iter()
            .any(|c| c.eq_ignore_ascii_case(class)),
        None => {
            let acct = service_account(s);
            !acct.is_empty() && !acct.ends_with('$') && acct != "krbtgt"
        }
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

    fn tgs_wire(
        secs: i64,
        service: &str,
        offered: &[i32],
        status: u32,
        etype: Option<u32>,
    ) -> IdentityEvent {
        let mut e = wire(
            secs,
            "10.0.0.10",
            "10.0.0.50",
            EventKind::KerberosServiceTicket {
                status,
                service: service.into(),
                service_sid: None,
                ticket_etype: etype,
                ticket_options: None,
                wire: Some(Box::new(rampart_core::KerberosWire {
                    requested_etypes: offered.to_vec(),
                    answered: true,
                    ..Default::default()
                })),
            },
        );
        e.actor = Some(acct("jnguyen"));
        if status != 0 {
            e.outcome = rampart_core::Outcome::Failure(status);
        }
        e
    }

    #[test]
    fn captured_rc4_only_requests_for_user_services_alert_once() {
        let events = [
            tgs_wire(0, "MSSQLSvc/srv-sql01.corp.local:1433", &[23], 0, Some(23)),
            // Refused: the service has no RC4 key. Still the same roast.
            tgs_wire(1, "HTTP/intranet", &[23], 14, None),
        ];
        let alerts = run(Box::<Kerberoasting>::default(), &events);
        assert_eq!(alerts.len(), 1, "{alerts:?}");
        assert_eq!(alerts[0].severity, Severity::High);
        assert_eq!(alerts[0].actor.as_deref(), Some("CORP\\jnguyen"));
    }

    #[test]
    fn captured_ordinary_requests_are_benign() {
        let events = [
            // AES offered first, as every current client does, even if an RC4 ticket comes back.
            tgs_wire(
                0,
                "MSSQLSvc/srv-sql01.corp.local:1433",
                &[18, 17, 23],
                0,
                Some(23),
            ),
            // An old client offering only RC4 for computer services and the TGS itself.
            tgs_wire(
                1,
                "cifs/fs01.corp.local",
                &[23, -133, -128, 24],
                0,
                Some(23),
            ),
            tgs_wire(2, "krbtgt/CORP.LOCAL", &[23], 0, Some(23)),
            tgs_wire(3, "host/ws01.corp.local", &[23], 0, Some(23)),
        ];
        let alerts = run(Box::<Kerberoasting>::default(), &events);
        assert!(alerts.is_empty(), "{alerts:?}");
        assert!(downgrade(&[23, 3]));
        assert!(!downgrade(&[18, 23]));
        assert!(!downgrade(&[]));
        assert!(user_service("RAMPART.LAB\\svc_sql"));
        assert!(!user_service("ws01$"));
    }
}
