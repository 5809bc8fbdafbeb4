//! Brute force (ATT&CK T1110.001): many password guesses against one account.
//!
//! Evidence: failed authentications that mean "wrong password for an existing account" for the
//! same account, from any protocol: 4625 with status/sub-status `0xC000006A`, 4771 / captured
//! `KDC_ERR_PREAUTH_FAILED`, 4776 `0xC000006A`, and on the wire an SMB/DCE-RPC NTLM
//! `STATUS_LOGON_FAILURE` or an LDAP bind answered `invalidCredentials` (49). It alerts when an account collects
//! [`BURST`] such failures within two minutes (faster than a person retyping) or
//! [`SUSTAINED`] within ten minutes. A later successful logon of the account raises the alert
//! to high: the guessing may have worked. Policy failures (disabled, expired, logon hours) and a
//! person mistyping a few times do not count.

use super::{
    auth_failure, auth_success, origin_key, origin_text, window_evidence, AuthFailure, Sighting,
};
use crate::engine::{Context, Detector};
use crate::state::{KeyedWindows, RecentSet};
use chrono::Duration;
use rampart_core::{Alert, AlertKind, IdentityEvent, Severity};

pub const BURST: usize = 5;
pub const SUSTAINED: usize = 10;

pub struct BruteForce {
    failures: KeyedWindows<String, Sighting<String>>,
    /// Accounts alerted on, to notice a success that follows.
    alerted: RecentSet<String>,
}

impl Default for BruteForce {
    fn default() -> Self {
        BruteForce {
            failures: KeyedWindows::new(Duration::minutes(10), 100_000, 256),
            alerted: RecentSet::new(Duration::minutes(30), 10_000),
        }
    }
}

impl Detector for BruteForce {
    fn name(&self) -> &'static str {
        "brute_force"
    }

    fn kinds(&self) -> &'static [AlertKind] {
        &[AlertKind::BruteForce]
    }

    fn on_event(&mut self, ev: &IdentityEvent, cx: &mut Context<'_>) {
        let Some(account) = &ev.actor else { return };
        if account.is_builtin_service() {
            return;
        }
        let key = account.key();
        if auth_success(ev) {
            if self.alerted.contains(&key, ev.time) {
                let tries = self.failures.get(&key).map_or(0, |f| f.len());
                let alert = Alert::new(AlertKind::BruteForce, Severity::High, ev)
                    .title(format!(
                        "Brute force against {account} followed by a successful logon"
                    ))
                    .target_account(account, cx.entities.is_sensitive_account(account))
                    .description(format!(
                        "{tries} wrong-password attempts against {account}, then it \
                         authenticated successfully from {}: the guessing may have found the \
                         password.",
                        origin_text(ev)
                    ))
                    .remediation(REMEDIATION);
                cx.emit_summary(&key, alert);
            }
            return;
        }
        if auth_failure(ev) != Some(AuthFailure::BadPassword) {
            return;
        }
        let Some(items) =
            self.failures
                .push(key.clone(), ev.time, (origin_key(ev), ev.evidence.clone()))
        else {
            return;
        };
        let n = items.len();
        let burst = n >= BURST && {
            let first = items[n - BURST].0;
            ev.time - first <= Duration::minutes(2)
                && items[n - 1].0 - first <= Duration::minutes(2)
        };
        if !(burst || n >= SUSTAINED) {
            return;
        }
        let sensitive = cx.entities.is_sensitive_account(account);
        let origins: std::collections::BTreeSet<&str> =
            items.iter().map(|(_, (o, _))| o.as_str()).collect();
        let severity = if sensitive {
            Severity::High
        } else {
            Severity::Medium
        };
        let mut alert = Alert::new(AlertKind::BruteForce, severity, ev)
            .title(format!("Brute force against {account}"))
            .target_account(account, sensitive)
            .description(format!(
                "{n} wrong-password attempts against {account} within {} minutes, from {} \
                 ({}). Repeated guessing against one account is a password brute force.",
                (items[n - 1].0 - items[0].0).num_minutes().max(1),
                origin_text(ev),
                origins.into_iter().collect::<Vec<_>>().join(", ")
            ))
            .remediation(REMEDIATION);
        alert = window_evidence(alert, items);
        if let Some(src) = &ev.source {
            alert = alert.source(src);
        }
        if let Some(obs) = &ev.observer {
            alert = alert.observer(obs, cx.entities.observer_is_dc(ev));
        }
        self.alerted.insert(key.clone(), ev.time);
        cx.emit_summary(&key, alert);
    }
}

const REMEDIATION: &str = "Find and stop the source of the attempts. If a logon succeeded after \
    the failures, reset the account's password and review its sessions. Enforce an account \
    lockout policy and strong passwords; consider smart lockout or MFA for exposed services.";

#[cfg(test)]
mod tests {
    use super::*;
    use crate::testutil::*;
    use rampart_core::EventKind;

    fn fail(secs: i64, user: &str, status: u32, sub: u32) -> IdentityEvent {
        failed(
            with(
                ev(
                    secs,
                    4625,
                    EventKind::LogonFailure {
                        logon_type: 3,
                        status,
                        sub_status: sub,
                        auth_package: Some("NTLM".into()),
                        process: None,
                    },
                ),
                Some(acct(user)),
                Some(ip("10.0.0.9")),
                None,
            ),
            status,
        )
    }

    #[test]
    fn rapid_wrong_passwords_alert() {
        let events: Vec<_> = (0..5)
            .map(|i| fail(i * 5, "admmig", 0xC000_006D, 0xC000_006A))
            .collect();
        let alerts = run(Box::<BruteForce>::default(), &events);
        assert_eq!(alerts.len(), 1);
        assert_eq!(alerts[0].kind, AlertKind::BruteForce);
        assert_eq!(alerts[0].targets, vec!["CORP\\admmig".to_string()]);
    }

    #[test]
    fn success_after_guessing_raises_severity() {
        let mut events: Vec<_> = (0..6).map(|i| fail(i, "rmoore", 0xC000_006A, 0)).collect();
        let mut ok = with(
            ev(
                20,
                4624,
                EventKind::Logon {
                    logon_type: 3,
                    auth_package: None,
                    logon_process: None,
                    logon_id: None,
                    elevated: None,
                },
            ),
            Some(acct("rmoore")),
            Some(ip("10.0.0.9")),
            None,
        );
        ok.evidence.record = 999;
        events.push(ok);
        let alerts = run(Box::<BruteForce>::default(), &events);
        assert_eq!(alerts.len(), 1);
        assert_eq!(alerts[0].severity, Severity::High);
    }

    #[test]
    fn occasional_typos_and_policy_failures_are_benign() {
        // Four wrong passwords over an hour, and policy failures (disabled, must change).
        let mut events: Vec<_> = (0..4)
            .map(|i| fail(i * 900, "admin", 0xC000_006D, 0xC000_006A))
            .collect();
        events.extend((0..10).map(|i| fail(4000 + i, "guest", 0xC000_006E, 0xC000_0072)));
        events.extend((0..10).map(|i| fail(5000 + i, "student", 0xC000_0224, 0)));
        assert!(run(Box::<BruteForce>::default(), &events).is_empty());
    }

    fn captured(secs: i64, kind: EventKind, outcome: rampart_core::Outcome) -> IdentityEvent {
        let mut e = wire(secs, "10.0.0.10", "10.0.0.50", kind);
        e.actor = Some(acct("rmoore"));
        e.outcome = outcome;
        e
    }

    fn ntlm(secs: i64, status: u32) -> IdentityEvent {
        captured(
            secs,
            EventKind::NtlmAuth {
                status,
                workstation: None,
                wire: Some(Box::new(rampart_core::NtlmWire {
                    version: "v2".into(),
                    carrier: "smb2".into(),
                })),
            },
            if status == 0 {
                rampart_core::Outcome::Success
            } else {
                rampart_core::Outcome::Failure(status)
            },
        )
    }

    fn ldap_bind(secs: i64, code: u32) -> IdentityEvent {
        captured(
            secs,
            EventKind::LdapBind {
                method: "simple".into(),
                name: "rmoore@corp.local".into(),
            },
            if code == 0 {
                rampart_core::Outcome::Success
            } else {
                rampart_core::Outcome::Failure(code)
            },
        )
    }

    #[test]
    fn captured_ntlm_and_ldap_guesses_alert_and_success_raises_it() {
        let mut events: Vec<_> = (0..3).map(|i| ntlm(i, 0xC000_006D)).collect();
        events.extend((3..6).map(|i| ldap_bind(i, 49)));
        events.push(ntlm(10, 0));
        let alerts = run(Box::<BruteForce>::default(), &events);
        assert!(!alerts.is_empty(), "{alerts:?}");
        assert!(alerts.iter().any(|a| a.severity == Severity::High));
    }

    #[test]
    fn captured_round_trips_and_a_few_failures_are_benign() {
        // MORE_PROCESSING_REQUIRED is a handshake step, not a failure; four wrong binds in a
        // row are a person mistyping.
        let mut events: Vec<_> = (0..10).map(|i| ntlm(i, 0xC000_0016)).collect();
        events.extend((10..14).map(|i| ldap_bind(i * 60, 49)));
        assert!(run(Box::<BruteForce>::default(), &events).is_empty());
    }
}
