//! Password spray (ATT&CK T1110.003): one or a few passwords tried across many accounts from one
//! place, staying under each account's lockout threshold.
//!
//! Evidence: wrong-password failures (4625 `0xC000006A`, 4771 / captured
//! `KDC_ERR_PREAUTH_FAILED`, 4776 `0xC000006A`) grouped by origin (source address or
//! workstation, else the recording host for local attempts). It alerts when one origin fails
//! against [`THRESHOLD`] or more distinct existing accounts within 30 minutes; a successful
//! authentication from the same origin during the spray raises it to high. Failures for names that do
//! not exist are account enumeration (see `account_enum`), not spraying.

use super::{
    auth_failure, auth_success, origin_key, origin_text, window_evidence, AuthFailure, Sighting,
};
use crate::engine::{Context, Detector};
use crate::state::KeyedWindows;
use chrono::Duration;
use rampart_core::{Account, Alert, AlertKind, IdentityEvent, Severity};
use std::collections::BTreeMap;

pub const THRESHOLD: usize = 5;

pub struct PasswordSpray {
    failures: KeyedWindows<String, Sighting<Account>>,
    /// Successful authentications from origins that were spraying, per origin.
    successes: KeyedWindows<String, Sighting<Account>>,
}

impl Default for PasswordSpray {
    fn default() -> Self {
        PasswordSpray {
            failures: KeyedWindows::new(Duration::minutes(30), 50_000, 2048),
            successes: KeyedWindows::new(Duration::minutes(30), 10_000, 64),
        }
    }
}

impl Detector for PasswordSpray {
    fn name(&self) -> &'static str {
        "password_spray"
    }

    fn kinds(&self) -> &'static [AlertKind] {
        &[AlertKind::PasswordSpray]
    }

    fn on_event(&mut self, ev: &IdentityEvent, cx: &mut Context<'_>) {
        let Some(account) = &ev.actor else { return };
        if account.is_machine() || account.is_builtin_service() {
            return;
        }
        let origin = origin_key(ev);
        if auth_success(ev) {
            // Only interesting while this origin is spraying.
            let spraying = self.failures.get(&origin).is_some_and(|items| {
                items
                    .back()
                    .is_some_and(|(t, _)| (ev.time - *t).abs() <= Duration::minutes(30))
                    && distinct(items).len() >= THRESHOLD
            });
            if !spraying {
                return;
            }
            if self
                .successes
                .push(
                    origin.clone(),
                    ev.time,
                    (account.clone(), ev.evidence.clone()),
                )
                .is_none()
            {
                return;
            }
        } else if auth_failure(ev) == Some(AuthFailure::BadPassword) {
            if self
                .failures
                .push(
                    origin.clone(),
                    ev.time,
                    (account.clone(), ev.evidence.clone()),
                )
                .is_none()
            {
                return;
            }
        } else {
            return;
        }
        let Some(failures) = self.failures.get(&origin) else {
            return;
        };
        let accounts = distinct(failures);
        if accounts.len() < THRESHOLD {
            return;
        }
        let succeeded: BTreeMap<String, Account> = self
            .successes
            .get(&origin)
            .map(distinct)
            .unwrap_or_default();
        let sensitive = accounts
            .values()
            .chain(succeeded.values())
            .any(|a| cx.entities.is_sensitive_account(a));
        let severity = if sensitive || !succeeded.is_empty() {
            Severity::High
        } else {
            Severity::Medium
        };
        let success_text = if succeeded.is_empty() {
            String::new()
        } else {
            format!(
                " During the spray, {} authenticated successfully from the same origin: the \
                 sprayed password is probably valid for {}.",
                succeeded.keys().cloned().collect::<Vec<_>>().join(", "),
                if succeeded.len() == 1 { "it" } else { "them" }
            )
        };
        let mut alert = Alert::new(AlertKind::PasswordSpray, severity, ev)
            .title(format!(
                "Password spray from {} against {} accounts{}",
                origin_text(ev),
                accounts.len(),
                if succeeded.is_empty() {
                    ""
                } else {
                    ", with success"
                }
            ))
            .description(format!(
                "{} wrong-password failures for {} different accounts from {} within 30 \
                 minutes ({}). Trying one password across many accounts stays under lockout \
                 thresholds: a password spray.{success_text}",
                failures.len(),
                accounts.len(),
                origin_text(ev),
                accounts.keys().cloned().collect::<Vec<_>>().join(", ")
            ))
            .remediation(REMEDIATION);
        for a in succeeded.values().chain(accounts.values()) {
            alert = alert.target_account(a, cx.entities.is_sensitive_account(a));
        }
        alert = window_evidence(alert, failures);
        if let Some(s) = self.successes.get(&origin) {
            alert = window_evidence(alert, s);
        }
        if let Some(src) = &ev.source {
            alert = alert.source(src);
        }
        cx.emit_summary(&origin, alert);
    }
}

fn distinct(
    items: &std::collections::VecDeque<(rampart_core::Timestamp, Sighting<Account>)>,
) -> BTreeMap<String, Account> {
    items
        .iter()
        .map(|(_, (a, _))| (a.key(), a.clone()))
        .collect()
}

const REMEDIATION: &str = "Block or investigate the source. Reset the password of any sprayed \
    account that later logged on successfully, and look for accounts with common or seasonal \
    passwords. Enforce banned-password lists and MFA on exposed services.";

#[cfg(test)]
mod tests {
    use super::*;
    use crate::testutil::*;
    use rampart_core::EventKind;

    fn ntlm_fail(secs: i64, user: &str, status: u32) -> IdentityEvent {
        failed(
            with(
                ev(
                    secs,
                    4776,
                    EventKind::NtlmAuth {
                        status,
                        workstation: Some("WORKSTATION5".into()),
                        wire: None,
                    },
                ),
                Some(acct(user)),
                Some(rampart_core::Host::named("WORKSTATION5")),
                None,
            ),
            status,
        )
    }

    #[test]
    fn one_source_failing_across_accounts_alerts() {
        let events: Vec<_> = ["a", "b", "c", "d", "e", "f", "g"]
            .iter()
            .enumerate()
            .map(|(i, u)| ntlm_fail(i as i64, u, 0xC000_006A))
            .collect();
        let alerts = run(Box::<PasswordSpray>::default(), &events);
        assert_eq!(alerts.len(), 1);
        assert_eq!(alerts[0].kind, AlertKind::PasswordSpray);
        assert_eq!(alerts[0].targets.len(), 7);
    }

    #[test]
    fn a_success_during_the_spray_raises_it() {
        let mut events: Vec<_> = ["a", "b", "c", "d", "e"]
            .iter()
            .enumerate()
            .map(|(i, u)| ntlm_fail(i as i64, u, 0xC000_006A))
            .collect();
        events.push(with(
            ev(
                10,
                4776,
                EventKind::NtlmAuth {
                    status: 0,
                    workstation: None,
                    wire: None,
                },
            ),
            Some(acct("eyoung")),
            Some(rampart_core::Host::named("WORKSTATION5")),
            None,
        ));
        let alerts = run(Box::<PasswordSpray>::default(), &events);
        assert_eq!(alerts.len(), 1);
        assert_eq!(alerts[0].severity, Severity::High);
        assert!(alerts[0].description.contains("eyoung"));
        assert_eq!(
            alerts[0].count, 1,
            "updates of one spray are one occurrence"
        );
    }

    #[test]
    fn unknown_names_and_few_accounts_are_not_a_spray() {
        let mut events: Vec<_> = (0..20)
            .map(|i| ntlm_fail(i, &format!("nobody{i}"), 0xC000_0064))
            .collect();
        events.extend(
            ["a", "b", "c"]
                .iter()
                .map(|u| ntlm_fail(30, u, 0xC000_006A)),
        );
        assert!(run(Box::<PasswordSpray>::default(), &events).is_empty());
    }
}
