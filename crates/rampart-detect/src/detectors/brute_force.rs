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
//!
//! One attack is one alert: accounts guessed from the same origin within the hour (a tool
//! working through `Admin` and `Administrator`) join the first one's alert, and so do origins
//! guessing an account already alerted on (a distributed brute force); the alert lists every
//! account with its attempts.

use super::{
    auth_failure, auth_success, origin_key, origin_text, window_evidence, AuthFailure, Deferred,
    Sighting,
};
use crate::engine::{Context, Detector};
use crate::state::{KeyedWindows, RecentSet};
use chrono::Duration;
use rampart_core::{Account, Alert, AlertKind, IdentityEvent, Severity};

pub const BURST: usize = 5;
pub const SUSTAINED: usize = 10;

/// How long accounts and origins stay joined to the alert they were reported in (the engine's
/// default dedup window).
const CAMPAIGN_MINUTES: i64 = 60;

pub struct BruteForce {
    failures: KeyedWindows<String, Sighting<String>>,
    /// Accounts alerted on, to notice a success that follows.
    alerted: RecentSet<String>,
    /// The alert (its key) an account was last reported in.
    account_campaign: KeyedWindows<String, String>,
    /// The alert (its key) an origin's guessing was last reported in.
    origin_campaign: KeyedWindows<String, String>,
    /// The accounts of each alert, by its key.
    campaigns: KeyedWindows<String, Guessed>,
    /// Alerts (by key) whose summary is rebuilt when next published.
    deferred: Deferred<Attempts>,
}

/// One account of a brute-force alert.
#[derive(Clone)]
struct Guessed {
    key: String,
    account: Account,
    tries: usize,
    sensitive: bool,
}

impl Default for BruteForce {
    fn default() -> Self {
        let campaign = Duration::minutes(CAMPAIGN_MINUTES);
        BruteForce {
            failures: KeyedWindows::new(Duration::minutes(10), 100_000, 256),
            alerted: RecentSet::new(Duration::minutes(30), 10_000),
            account_campaign: KeyedWindows::new(campaign, 10_000, 1),
            origin_campaign: KeyedWindows::new(campaign, 10_000, 1),
            campaigns: KeyedWindows::new(campaign, 10_000, 64),
            deferred: Deferred::default(),
        }
    }
}

impl BruteForce {
    /// The alert an account crossing the threshold from `origin` belongs to: the account's
    /// own earlier one, else the origin's, else a new one keyed by the account.
    fn campaign(&self, account: &str, origin: &str) -> String {
        let last = |w: &KeyedWindows<String, String>, k: &str| {
            w.get(&k.to_string())
                .and_then(|items| items.back())
                .map(|(_, c)| c.clone())
        };
        last(&self.account_campaign, account)
            .or_else(|| last(&self.origin_campaign, origin))
            .unwrap_or_else(|| account.to_string())
    }

    /// The accounts of an alert, in the order they were reported, each with its latest tally.
    fn guessed(&self, campaign: &str) -> Vec<Guessed> {
        let mut out: Vec<Guessed> = Vec::new();
        for (_, g) in self
            .campaigns
            .get(&campaign.to_string())
            .into_iter()
            .flatten()
        {
            match out.iter_mut().find(|o| o.key == g.key) {
                Some(o) => o.tries = o.tries.max(g.tries),
                None => out.push(g.clone()),
            }
        }
        out
    }
}

/// `WIN\Admin (8), WIN\Administrator (8)`: each account with its attempts.
fn tally(accounts: &[Guessed]) -> String {
    accounts
        .iter()
        .map(|g| format!("{} ({})", g.account, g.tries))
        .collect::<Vec<_>>()
        .join(", ")
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
        let success = auth_success(ev);
        if !success && auth_failure(ev) != Some(AuthFailure::BadPassword) {
            return;
        }
        let origin = origin_key(ev);
        if !self.deferred.is_empty() {
            let campaign = self.campaign(&key, &origin);
            if let Some(last) = self.deferred.due(&campaign, ev, cx) {
                let alert = self.failure_summary(&campaign, &last, None, cx);
                cx.emit_summary(&campaign, alert);
            }
        }
        if success {
            if self.alerted.contains(&key, ev.time) {
                let campaign = self.campaign(&key, &origin);
                // This summary replaces the failures' one: that one is published first.
                if let Some(last) = self.deferred.take_key(&campaign) {
                    let alert = self.failure_summary(&campaign, &last, None, cx);
                    cx.emit_summary(&campaign, alert);
                }
                let alert = self.success_summary(ev, account, &key, &campaign, cx);
                cx.emit_summary(&campaign, alert);
            }
            return;
        }
        let Some(items) =
            self.failures
                .push(key.clone(), ev.time, (origin.clone(), ev.evidence.clone()))
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
        let snapshot = Attempts {
            ev: ev.clone(),
            tries: n,
            minutes: (items[n - 1].0 - items[0].0).num_minutes().max(1),
            origins: origins.into_iter().collect::<Vec<_>>().join(", "),
            sensitive,
        };
        let campaign = self.campaign(&key, &origin);
        self.account_campaign
            .push(key.clone(), ev.time, campaign.clone());
        self.origin_campaign.push(origin, ev.time, campaign.clone());
        self.campaigns.push(
            campaign.clone(),
            ev.time,
            Guessed {
                key: key.clone(),
                account: account.clone(),
                tries: n,
                sensitive,
            },
        );
        self.alerted.insert(key.clone(), ev.time);
        // The account's window holds failures that did not cross a threshold themselves
        // (an account joining the campaign, a slow stretch): their evidence goes in now.
        let window = self.failures.get(&key).into_iter().flatten();
        let window = window.map(|(t, (_, e))| (e, *t));
        if let Err(snapshot) = self
            .deferred
            .defer_with(&campaign, ev, cx, snapshot, window)
        {
            let alert = self.failure_summary(&campaign, &snapshot, self.failures.get(&key), cx);
            cx.emit_summary(&campaign, alert);
        }
    }

    fn refresh(&mut self, cx: &mut Context<'_>) {
        for (campaign, last) in self.deferred.take() {
            let alert = self.failure_summary(&campaign, &last, None, cx);
            cx.emit_summary(&campaign, alert);
        }
    }
}

/// What one account's failures amounted to when they crossed a threshold: enough to rebuild
/// the alert's summary later, when the account's window may have moved on.
struct Attempts {
    ev: IdentityEvent,
    tries: usize,
    minutes: i64,
    /// The origins of the attempts, comma-separated.
    origins: String,
    sensitive: bool,
}

impl BruteForce {
    /// The alert failures from one account's latest threshold crossing amount to, with every
    /// account its campaign has guessed. `window` adds the failures' evidence (a summary
    /// rebuilt later has had each event's evidence added as it came).
    fn failure_summary(
        &self,
        campaign: &str,
        a: &Attempts,
        window: Option<&std::collections::VecDeque<(rampart_core::Timestamp, Sighting<String>)>>,
        cx: &Context<'_>,
    ) -> Alert {
        let ev = &a.ev;
        let account = ev.actor.as_ref();
        let mut alert = Alert::new(AlertKind::BruteForce, Severity::Medium, ev);
        if let Some(items) = window {
            alert = window_evidence(alert, items);
        }
        let guessed = self.guessed(campaign);
        alert.severity = if guessed.iter().any(|g| g.sensitive) {
            Severity::High
        } else {
            Severity::Medium
        };
        let (n, minutes, origins) = (a.tries, a.minutes, &a.origins);
        let name = account.map(|a| a.to_string()).unwrap_or_default();
        alert = if guessed.len() > 1 {
            let total: usize = guessed.iter().map(|g| g.tries).sum();
            let mut out = alert
                .title(format!(
                    "Brute force against {} accounts from {}",
                    guessed.len(),
                    origin_text(ev)
                ))
                .description(format!(
                    "{total} wrong-password attempts against {} accounts from {} ({origins} \
                     for {name}): {}. Repeated guessing against each account is a password \
                     brute force, and one source working through several is one attack.",
                    guessed.len(),
                    origin_text(ev),
                    tally(&guessed)
                ));
            for g in &guessed {
                out = out.target_account(&g.account, g.sensitive);
            }
            out
        } else {
            let mut out = alert.title(format!("Brute force against {name}"));
            if let Some(acct) = account {
                out = out.target_account(acct, a.sensitive);
            }
            out.description(format!(
                "{n} wrong-password attempts against {name} within {minutes} minutes, \
                 from {} ({origins}). Repeated guessing against one account is a password \
                 brute force.",
                origin_text(ev),
            ))
        }
        .remediation(REMEDIATION);
        if let Some(src) = &ev.source {
            alert = alert.source(src);
        }
        if let Some(obs) = &ev.observer {
            alert = alert.observer(obs, cx.entities.observer_is_dc(ev));
        }
        alert
    }

    /// A successful logon of an account guessed at: the alert raised to high.
    fn success_summary(
        &self,
        ev: &IdentityEvent,
        account: &Account,
        key: &str,
        campaign: &str,
        cx: &Context<'_>,
    ) -> Alert {
        let tries = self.failures.get(key).map_or(0, |f| f.len());
        let mut alert = Alert::new(AlertKind::BruteForce, Severity::High, ev)
            .title(format!(
                "Brute force against {account} followed by a successful logon"
            ))
            .target_account(account, cx.entities.is_sensitive_account(account));
        let others: Vec<Guessed> = self
            .guessed(campaign)
            .into_iter()
            .filter(|g| g.key != key)
            .collect();
        for g in &others {
            alert = alert.target_account(&g.account, g.sensitive);
        }
        let also = if others.is_empty() {
            String::new()
        } else {
            format!(" The same guessing also targeted {}.", tally(&others))
        };
        alert
            .description(format!(
                "{tries} wrong-password attempts against {account}, then it \
                 authenticated successfully from {}: the guessing may have found the \
                 password.{also}",
                origin_text(ev)
            ))
            .remediation(REMEDIATION)
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

    /// A successful network logon of `user` from the guessing address.
    fn logon(secs: i64, user: &str) -> IdentityEvent {
        with(
            ev(
                secs,
                4624,
                EventKind::Logon {
                    logon_type: 3,
                    auth_package: None,
                    logon_process: None,
                    logon_id: None,
                    elevated: None,
                },
            ),
            Some(acct(user)),
            Some(ip("10.0.0.9")),
            None,
        )
    }

    /// Summaries rebuilt once per publication say what rebuilding them on every failure says:
    /// one origin guessing three accounts in bursts and slow stretches, a success, a second
    /// origin joining, and a pause past the dedup window that opens a second alert.
    #[test]
    fn deferred_summaries_match_summaries_rebuilt_on_every_failure() {
        let mut events = Vec::new();
        for i in 0..900i64 {
            let user = ["Admin", "Administrator", "backup"][(i % 3) as usize];
            // Bursts of a few seconds between stretches of a failure every 40 seconds.
            let secs = if i < 600 {
                if (i / 60) % 2 == 0 {
                    i * 2
                } else {
                    i * 40
                }
            } else {
                6 * 3600 + i * 3
            };
            let mut e = fail(secs, user, 0xC000_006D, 0xC000_006A);
            e.evidence.record = i as u64;
            if i % 7 == 0 {
                e.source = Some(ip("10.0.0.77"));
            }
            events.push(e);
            if i == 300 || i == 750 {
                let mut ok = logon(secs, "backup");
                ok.evidence.record = 10_000 + i as u64;
                events.push(ok);
            }
        }
        events.sort_by_key(|e| e.time);
        let (mut eager, mut deferred) =
            eager_and_deferred(|| Box::<BruteForce>::default(), &events);
        assert!(eager.len() >= 2, "{eager:?}");
        for a in eager.iter_mut().chain(deferred.iter_mut()) {
            a.evidence_omitted = 0;
        }
        let json = |a: &[Alert]| serde_json::to_string_pretty(a).unwrap();
        assert_eq!(json(&deferred), json(&eager));
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
        let mut ok = logon(20, "rmoore");
        ok.evidence.record = 999;
        events.push(ok);
        let alerts = run(Box::<BruteForce>::default(), &events);
        assert_eq!(alerts.len(), 1);
        assert_eq!(alerts[0].severity, Severity::High);
    }

    #[test]
    fn one_origin_guessing_two_accounts_is_one_alert() {
        // AccountRestore-style: Admin and Administrator guessed in turn from one address.
        let events: Vec<_> = (0..16)
            .map(|i| {
                let user = if i % 2 == 0 { "Admin" } else { "Administrator" };
                let mut e = fail(i, user, 0xC000_006D, 0xC000_006A);
                e.evidence.record = 100 + i as u64;
                e
            })
            .collect();
        let alerts = run(Box::<BruteForce>::default(), &events);
        assert_eq!(
            alerts.len(),
            1,
            "{:?}",
            alerts.iter().map(|a| &a.title).collect::<Vec<_>>()
        );
        let a = &alerts[0];
        assert_eq!(a.count, 1);
        assert_eq!(a.evidence.len(), 16);
        assert_eq!(
            a.targets,
            vec!["CORP\\Admin".to_string(), "CORP\\Administrator".to_string()]
        );
        assert!(a.title.contains("2 accounts"), "{}", a.title);
        assert!(
            a.description.starts_with("16 wrong-password attempts"),
            "{}",
            a.description
        );
    }

    #[test]
    fn two_origins_guessing_one_account_are_one_alert_and_other_accounts_stay_apart() {
        let mut events: Vec<_> = (0..6).map(|i| fail(i, "rmoore", 0xC000_006A, 0)).collect();
        // A second address keeps guessing the same account: the same attack.
        events.extend((6..12).map(|i| {
            let mut e = fail(i, "rmoore", 0xC000_006A, 0);
            e.source = Some(ip("10.0.0.77"));
            e
        }));
        // An unrelated account guessed from a third address is another alert.
        events.extend((20..26).map(|i| {
            let mut e = fail(i, "eyoung", 0xC000_006A, 0);
            e.source = Some(ip("10.0.0.99"));
            e
        }));
        for (i, e) in events.iter_mut().enumerate() {
            e.evidence.record = i as u64 + 1;
        }
        let alerts = run(Box::<BruteForce>::default(), &events);
        let targets: Vec<&Vec<String>> = alerts.iter().map(|a| &a.targets).collect();
        assert_eq!(
            targets,
            vec![
                &vec!["CORP\\rmoore".to_string()],
                &vec!["CORP\\eyoung".to_string()]
            ]
        );
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
