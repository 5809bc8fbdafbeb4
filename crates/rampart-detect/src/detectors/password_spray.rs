//! Password spray (ATT&CK T1110.003): one or a few passwords tried across many accounts from one
//! place, staying under each account's lockout threshold.
//!
//! Evidence: wrong-password failures (4625 `0xC000006A`, 4771 / captured
//! `KDC_ERR_PREAUTH_FAILED`, 4776 `0xC000006A`) grouped by origin (source address or
//! workstation, else the recording host for local attempts). It alerts when one origin fails
//! against [`THRESHOLD`] or more distinct existing accounts within 30 minutes; a success for one
//! of the sprayed accounts from the same origin raises it to high. Failures for names that do
//! not exist are account enumeration (see `account_enum`), not spraying.

use super::{auth_failure, auth_success, origin_key, origin_text, AuthFailure};
use crate::engine::{Context, Detector};
use crate::state::KeyedWindows;
use chrono::Duration;
use rampart_core::{Account, Alert, AlertKind, IdentityEvent, Severity};
use std::collections::BTreeMap;

pub const THRESHOLD: usize = 5;

pub struct PasswordSpray {
    failures: KeyedWindows<String, Account>,
}

impl Default for PasswordSpray {
    fn default() -> Self {
        PasswordSpray {
            failures: KeyedWindows::new(Duration::minutes(30), 50_000, 2048),
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
            let sprayed = self.failures.get(&origin).is_some_and(|items| {
                distinct(items).len() >= THRESHOLD
                    && items.iter().any(|(_, a)| a.key() == account.key())
            });
            if sprayed {
                let alert = Alert::new(AlertKind::PasswordSpray, Severity::High, ev)
                    .title(format!(
                        "Password spray from {} succeeded for {account}",
                        origin_text(ev)
                    ))
                    .target_account(account, cx.entities.is_sensitive_account(account))
                    .description(format!(
                        "{account} logged on successfully from {} during a password spray from \
                         the same origin: the sprayed password is probably valid for it.",
                        origin_text(ev)
                    ))
                    .remediation(REMEDIATION);
                cx.emit(&origin, alert);
            }
            return;
        }
        if auth_failure(ev) != Some(AuthFailure::BadPassword) {
            return;
        }
        let Some(items) = self.failures.push(origin.clone(), ev.time, account.clone()) else {
            return;
        };
        let accounts = distinct(items);
        if accounts.len() < THRESHOLD {
            return;
        }
        let sensitive = accounts
            .values()
            .any(|a| cx.entities.is_sensitive_account(a));
        let mut alert = Alert::new(
            AlertKind::PasswordSpray,
            if sensitive {
                Severity::High
            } else {
                Severity::Medium
            },
            ev,
        )
        .title(format!(
            "Password spray from {} against {} accounts",
            origin_text(ev),
            accounts.len()
        ))
        .description(format!(
            "{} wrong-password failures for {} different accounts from {} within 30 minutes ({}). \
             Trying one password across many accounts stays under lockout thresholds: a \
             password spray.",
            items.len(),
            accounts.len(),
            origin_text(ev),
            accounts.keys().cloned().collect::<Vec<_>>().join(", ")
        ))
        .remediation(REMEDIATION);
        for a in accounts.values() {
            alert = alert.target_account(a, cx.entities.is_sensitive_account(a));
        }
        if let Some(src) = &ev.source {
            alert = alert.source(src);
        }
        cx.emit(&origin, alert);
    }
}

fn distinct(
    items: &std::collections::VecDeque<(rampart_core::Timestamp, Account)>,
) -> BTreeMap<String, Account> {
    items.iter().map(|(_, a)| (a.key(), a.clone())).collect()
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
