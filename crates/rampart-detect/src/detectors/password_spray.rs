//! Password spray (ATT&CK T1110.003): one or a few passwords tried across many accounts from one
//! place, staying under each account's lockout threshold.
//!
//! Evidence: wrong-password failures (4625 `0xC000006A`, 4771 / captured
//! `KDC_ERR_PREAUTH_FAILED`, 4776 `0xC000006A`) grouped by origin (source address or
//! workstation, else the recording host for local attempts). It alerts when one origin fails
//! against [`THRESHOLD`] or more distinct existing accounts within 30 minutes; a successful
//! authentication from the same origin during the spray raises it to high. Failures for names that do
//! not exist are account enumeration (see `account_enum`), not spraying.
//!
//! A spray over a user list (kerbrute `passwordspray`, a spray tool fed a guessed list) also
//! alerts below that threshold: [`THRESHOLD`] or more distinct names tried from one origin
//! within [`LIST_SECS`] seconds — machine speed, not people logging on — of which at least
//! [`LIST_WRONG`] are existing accounts refused for a wrong password. Unknown names alone stay
//! `account_enum`'s, and a single existing account stays `brute_force`'s.

use super::{
    auth_failure, auth_success, origin_key, origin_text, window_evidence, AuthFailure, Deferred,
    Sighting,
};
use crate::engine::{Context, Detector};
use crate::entities::Entities;
use crate::state::KeyedWindows;
use chrono::Duration;
use rampart_core::{Account, Alert, AlertKind, IdentityEvent, Severity};
use std::borrow::Cow;

pub const THRESHOLD: usize = 5;
/// How close together the names of a user-list spray are tried.
pub const LIST_SECS: i64 = 5;
/// Existing accounts a user-list spray must have got a wrong password for.
pub const LIST_WRONG: usize = 2;

pub struct PasswordSpray {
    failures: KeyedWindows<String, Sighting<Account>>,
    /// Successful authentications from origins that were spraying, per origin.
    successes: KeyedWindows<String, Sighting<Account>>,
    /// Wrong-password and unknown-name failures of the last few seconds, per origin: the
    /// name (its account key) and whether it exists.
    names: KeyedWindows<String, Sighting<(String, bool)>>,
    /// Origins seen spraying a user list: (names tried, of which unknown), the largest seen.
    lists: KeyedWindows<String, (usize, usize)>,
    /// Origins whose open alert has taken failures since its summary was last rebuilt.
    deferred: Deferred,
}

impl Default for PasswordSpray {
    fn default() -> Self {
        PasswordSpray {
            failures: KeyedWindows::new(Duration::minutes(30), 50_000, 2048),
            successes: KeyedWindows::new(Duration::minutes(30), 10_000, 64),
            names: KeyedWindows::new(Duration::seconds(LIST_SECS), 50_000, 256),
            lists: KeyedWindows::new(Duration::minutes(30), 10_000, 1),
            deferred: Deferred::default(),
        }
    }
}

impl PasswordSpray {
    /// Records a failure for the user-list rule; true when the origin's last seconds now
    /// amount to a spray over a user list.
    fn list_spray(
        &mut self,
        origin: &str,
        ev: &IdentityEvent,
        account: &Account,
        exists: bool,
    ) -> bool {
        let Some(items) = self.names.push(
            origin.to_string(),
            ev.time,
            ((account.key(), exists), ev.evidence.clone()),
        ) else {
            return false;
        };
        if items.len() < THRESHOLD {
            return false;
        }
        // Distinct names, each existing if any of its failures said so: sorted with the
        // existing ones first, the first of each name decides.
        let mut seen: Vec<(&str, bool)> = items
            .iter()
            .map(|(_, ((k, e), _))| (k.as_str(), *e))
            .collect();
        seen.sort_unstable_by(|a, b| a.0.cmp(b.0).then(b.1.cmp(&a.1)));
        seen.dedup_by(|later, first| later.0 == first.0);
        let (distinct, wrong) = (seen.len(), seen.iter().filter(|(_, e)| *e).count());
        if distinct < THRESHOLD || wrong < LIST_WRONG {
            return false;
        }
        let now = (distinct, distinct - wrong);
        let best = self
            .lists
            .get(origin)
            .and_then(|l| l.back())
            .map_or(now, |(_, b)| if b.0 >= now.0 { *b } else { now });
        self.lists.push(origin.to_string(), ev.time, best);
        true
    }

    /// The alert an origin's windows amount to, as of its event `ev`; `None` below the
    /// thresholds.
    fn summarize(&self, origin: &str, ev: &IdentityEvent, entities: &Entities) -> Option<Alert> {
        let failures = self.failures.get(origin)?;
        let accounts = distinct(failures.iter());
        let list = self.listed(origin, ev.time);
        if accounts.len() < THRESHOLD && list.is_none() {
            return None;
        }
        // Windows are trimmed only when pushed to: successes and names of an earlier spray
        // from this origin are not part of this one.
        let recent = |t: &rampart_core::Timestamp| (ev.time - *t).abs() <= Duration::minutes(30);
        let successes: Vec<_> = self
            .successes
            .get(origin)
            .into_iter()
            .flatten()
            .filter(|(t, _)| recent(t))
            .collect();
        let succeeded = distinct(successes.iter().copied());
        let sensitive = accounts
            .iter()
            .chain(&succeeded)
            .any(|(_, a)| entities.is_sensitive_account(a));
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
                keys(&succeeded),
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
                 minutes ({}).{} Trying one password across many accounts stays under lockout \
                 thresholds: a password spray.{success_text}",
                failures.len(),
                accounts.len(),
                origin_text(ev),
                keys(&accounts),
                match list {
                    Some((names, unknown)) if accounts.len() < THRESHOLD => format!(
                        " They are part of {names} names tried within {LIST_SECS} seconds, \
                         {unknown} of which do not exist: a user list sprayed at machine speed."
                    ),
                    _ => String::new(),
                }
            ))
            .remediation(REMEDIATION);
        alert = alert.target_accounts(
            succeeded
                .iter()
                .chain(&accounts)
                .map(|(_, a)| (*a, entities.is_sensitive_account(a))),
        );
        alert = window_evidence(alert, failures);
        if list.is_some() {
            if let Some(items) = self.names.get(origin) {
                alert.add_evidence_refs(
                    items
                        .iter()
                        .filter(|(t, _)| recent(t))
                        .map(|(t, (_, e))| (e, *t)),
                );
            }
        }
        alert.add_evidence_refs(successes.iter().map(|(t, (_, e))| (e, *t)));
        if let Some(src) = &ev.source {
            alert = alert.source(src);
        }
        Some(alert)
    }

    /// The user list an origin was seen spraying recently: (names, unknown).
    fn listed(&self, origin: &str, time: rampart_core::Timestamp) -> Option<(usize, usize)> {
        self.lists
            .get(origin)
            .and_then(|l| l.back())
            .filter(|(t, _)| (time - *t).abs() <= Duration::minutes(30))
            .map(|(_, v)| *v)
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
        if let Some(last) = self.deferred.due(&origin, ev, cx) {
            if let Some(alert) = self.summarize(&origin, &last, cx.entities) {
                cx.emit_summary(&origin, alert);
            }
        }
        if auth_success(ev) {
            // Only interesting while this origin is spraying.
            let spraying = self.failures.get(&origin).is_some_and(|items| {
                items
                    .back()
                    .is_some_and(|(t, _)| (ev.time - *t).abs() <= Duration::minutes(30))
                    && distinct(items.iter()).len() >= THRESHOLD
            }) || self.listed(&origin, ev.time).is_some();
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
            self.list_spray(&origin, ev, account, true);
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
        } else if auth_failure(ev) == Some(AuthFailure::UnknownUser) {
            if !self.list_spray(&origin, ev, account, false) {
                return;
            }
        } else {
            return;
        }
        if self.deferred.defer(&origin, ev, cx) {
            return;
        }
        if let Some(alert) = self.summarize(&origin, ev, cx.entities) {
            cx.emit_summary(&origin, alert);
        }
    }

    fn refresh(&mut self, cx: &mut Context<'_>) {
        for (origin, ev) in self.deferred.take() {
            if let Some(alert) = self.summarize(&origin, &ev, cx.entities) {
                cx.emit_summary(&origin, alert);
            }
        }
    }
}

/// The distinct accounts of a window, by key in key order, each as its latest sighting (what
/// collecting `(key, account)` into a `BTreeMap` gives, without copying the accounts).
fn distinct<'a>(
    items: impl Iterator<Item = &'a (rampart_core::Timestamp, Sighting<Account>)>,
) -> Vec<(Cow<'a, str>, &'a Account)> {
    let mut all: Vec<(Cow<'a, str>, &'a Account)> =
        items.map(|(_, (a, _))| (a.key_ref(), a)).collect();
    // Stable: of equal keys the later sighting stays later, and wins below.
    all.sort_by(|x, y| x.0.cmp(&y.0));
    let mut out: Vec<(Cow<'a, str>, &'a Account)> = Vec::with_capacity(all.len());
    for (key, a) in all {
        match out.last_mut() {
            Some(last) if last.0 == key => last.1 = a,
            _ => out.push((key, a)),
        }
    }
    out
}

/// The keys of [`distinct`]'s accounts, comma-separated.
fn keys(accounts: &[(Cow<'_, str>, &Account)]) -> String {
    accounts
        .iter()
        .map(|(k, _)| k.as_ref())
        .collect::<Vec<_>>()
        .join(", ")
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

    /// Summaries rebuilt once per publication say what rebuilding them on every event says:
    /// one engine publishes after each event (so every summary is rebuilt at once), the other
    /// only at the end, over a long spray with successes, window overflow and a pause longer
    /// than the dedup window that opens a second alert.
    #[test]
    fn deferred_summaries_match_summaries_rebuilt_on_every_event() {
        let mut events = Vec::new();
        for i in 0..3000i64 {
            // A spray of 43 minutes (past the 30-minute window and its 2048-item cap), then
            // another after a three-hour pause.
            let secs = if i < 2600 { i } else { 3 * 3600 + i };
            let user = format!("user{}", (i * 7) % 300);
            let mut e = ntlm_fail(secs, &user, 0xC000_006A);
            e.evidence.record = i as u64;
            events.push(e);
            if i % 997 == 0 {
                let mut ok = with(
                    ev(
                        secs,
                        4776,
                        EventKind::NtlmAuth {
                            status: 0,
                            workstation: None,
                            wire: None,
                        },
                    ),
                    Some(acct(&format!("user{}", i % 300))),
                    Some(rampart_core::Host::named("WORKSTATION5")),
                    None,
                );
                ok.evidence.record = 100_000 + i as u64;
                events.push(ok);
            }
        }
        let (mut eager, mut deferred) =
            eager_and_deferred(|| Box::<PasswordSpray>::default(), &events);
        assert_eq!(eager.len(), 2, "{eager:?}");
        // Records counted but not kept is an estimate either way (summaries of overlapping
        // windows cannot tell how many records they share), close to the true count.
        let first_spray: u64 = 2600 + 3;
        for alerts in [&mut eager, &mut deferred] {
            let omitted = alerts[0].evidence_omitted;
            assert!(omitted.abs_diff(first_spray - 50) <= 10, "{omitted}");
            for a in alerts.iter_mut() {
                a.evidence_omitted = 0;
            }
        }
        let json = |a: &[Alert]| serde_json::to_string_pretty(a).unwrap();
        assert_eq!(json(&deferred), json(&eager));
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

    #[test]
    fn a_user_list_sprayed_at_machine_speed_alerts() {
        // kerbrute passwordspray's shape: seven guessed names that do not exist, two existing
        // accounts refused, one that logs on, all within a fraction of a second.
        let mut events: Vec<_> = [
            "hd01", "admin", "svc-02", "hd02", "svc-01", "bob", "admin02",
        ]
        .iter()
        .map(|u| ntlm_fail(0, u, 0xC000_0064))
        .collect();
        events.push(ntlm_fail(1, "Administrator", 0xC000_006A));
        events.push(ntlm_fail(1, "backdoor", 0xC000_006A));
        events.push(with(
            ev(
                2,
                4776,
                EventKind::NtlmAuth {
                    status: 0,
                    workstation: None,
                    wire: None,
                },
            ),
            Some(acct("normal")),
            Some(rampart_core::Host::named("WORKSTATION5")),
            None,
        ));
        for (i, e) in events.iter_mut().enumerate() {
            e.evidence.record = 100 + i as u64;
        }
        let alerts = run(Box::<PasswordSpray>::default(), &events);
        assert_eq!(alerts.len(), 1, "{alerts:?}");
        let a = &alerts[0];
        assert_eq!(a.severity, Severity::High, "a sprayed account logged on");
        assert_eq!(a.evidence.len(), 10);
        assert!(a.description.contains("9 names tried"), "{}", a.description);
        assert!(a.description.contains("normal"), "{}", a.description);
    }

    #[test]
    fn guessed_names_with_one_existing_account_or_at_human_speed_are_not_a_spray() {
        // Name guessing that hits one real account is enumeration (and maybe brute force).
        let mut events: Vec<_> = (0..10)
            .map(|i| ntlm_fail(0, &format!("guess{i}"), 0xC000_0064))
            .collect();
        events.push(ntlm_fail(1, "alice", 0xC000_006A));
        events.push(ntlm_fail(1, "alice", 0xC000_006A));
        // People on a shared host mistyping, a minute apart.
        for (i, u) in ["bob", "carol", "dave", "erin", "frank"].iter().enumerate() {
            let status = if i % 2 == 0 { 0xC000_006A } else { 0xC000_0064 };
            events.push(ntlm_fail(600 + 60 * i as i64, u, status));
        }
        assert!(run(Box::<PasswordSpray>::default(), &events).is_empty());
    }
}
