//! Account enumeration (ATT&CK T1087.002): probing which account names exist, usually with
//! Kerberos AS-REQs (kerbrute `userenum`), whose answer differs for unknown names.
//!
//! Evidence: failures that say "no such account" from one origin: 4768 / captured
//! `KDC_ERR_C_PRINCIPAL_UNKNOWN` (0x6), 4625 and 4776 with `0xC0000064`. It alerts when one
//! origin tries [`THRESHOLD`] or more distinct unknown names within ten minutes. A person
//! mistyping their own name repeats one name, which does not count.

use super::{auth_failure, origin_key, origin_text, window_evidence, AuthFailure, Sighting};
use crate::engine::{Context, Detector};
use crate::state::KeyedWindows;
use chrono::Duration;
use rampart_core::{Alert, AlertKind, IdentityEvent, Severity};
use std::collections::BTreeSet;

pub const THRESHOLD: usize = 5;

pub struct AccountEnum {
    unknown: KeyedWindows<String, Sighting<String>>,
}

impl Default for AccountEnum {
    fn default() -> Self {
        AccountEnum {
            unknown: KeyedWindows::new(Duration::minutes(10), 50_000, 2048),
        }
    }
}

impl Detector for AccountEnum {
    fn name(&self) -> &'static str {
        "account_enum"
    }

    fn kinds(&self) -> &'static [AlertKind] {
        &[AlertKind::AccountEnum]
    }

    fn on_event(&mut self, ev: &IdentityEvent, cx: &mut Context<'_>) {
        if auth_failure(ev) != Some(AuthFailure::UnknownUser) {
            return;
        }
        let Some(name) = &ev.actor else { return };
        let origin = origin_key(ev);
        let Some(items) = self.unknown.push(
            origin.clone(),
            ev.time,
            (name.name.clone(), ev.evidence.clone()),
        ) else {
            return;
        };
        let names: BTreeSet<&str> = items.iter().map(|(_, (n, _))| n.as_str()).collect();
        if names.len() < THRESHOLD {
            return;
        }
        let shown: Vec<&str> = names.iter().take(20).copied().collect();
        let mut alert = Alert::new(AlertKind::AccountEnum, Severity::Medium, ev)
            .title(format!("Account enumeration from {}", origin_text(ev)))
            .description(format!(
                "{} authentication attempts for {} account names that do not exist, from {} \
                 within ten minutes ({}{}). Trying names to see which exist is how attackers \
                 build a user list for password spraying and roasting.",
                items.len(),
                names.len(),
                origin_text(ev),
                shown.join(", "),
                if names.len() > shown.len() {
                    ", …"
                } else {
                    ""
                }
            ))
            .remediation(
                "Identify the process on the source host that sent the requests. Expect a \
                 password spray or AS-REP roasting against the names that do exist next; watch \
                 for them and make sure no account lacks Kerberos pre-authentication.",
            );
        alert = window_evidence(alert, items);
        if let Some(src) = &ev.source {
            alert = alert.source(src);
        }
        if let Some(obs) = &ev.observer {
            alert = alert.observer(obs, cx.entities.observer_is_dc(ev));
        }
        cx.emit_summary(&origin, alert);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::testutil::*;
    use rampart_core::EventKind;

    fn as_req(secs: i64, user: &str, status: u32) -> IdentityEvent {
        failed(
            with(
                ev(
                    secs,
                    4768,
                    EventKind::KerberosTgtRequest {
                        status,
                        preauth_type: None,
                        ticket_etype: None,
                        ticket_options: None,
                        wire: None,
                    },
                ),
                Some(acct(user)),
                Some(ip("10.23.123.11")),
                None,
            ),
            status,
        )
    }

    #[test]
    fn many_unknown_names_from_one_source_alert() {
        let events: Vec<_> = ["test1", "test2", "admtest", "sgfg", "g", "xvtrz"]
            .iter()
            .enumerate()
            .map(|(i, u)| as_req(i as i64, u, 0x6))
            .collect();
        let alerts = run(Box::<AccountEnum>::default(), &events);
        assert_eq!(alerts.len(), 1);
        assert_eq!(alerts[0].kind, AlertKind::AccountEnum);
        assert_eq!(alerts[0].source_host.as_deref(), Some("10.23.123.11"));
    }

    #[test]
    fn one_mistyped_name_repeated_is_benign() {
        let events: Vec<_> = (0..10).map(|i| as_req(i, "studnet", 0x6)).collect();
        assert!(run(Box::<AccountEnum>::default(), &events).is_empty());
    }
}
