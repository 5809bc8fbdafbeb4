//! Incidents: alerts about the same attacker or the same victims, close in time, joined into
//! one story with one timeline.
//!
//! Two alerts belong together when they share an entity that says who attacked or who was
//! attacked — an actor account, a source host, a targeted account — and their time spans are
//! within [`CORRELATION_WINDOW`] of each other. A workstation or member server that logged both
//! alerts links them too, within the tighter [`HOST_WINDOW`]: it is where the attack ran (the
//! service installed there, its LSASS read, its log cleared minutes apart). A domain
//! controller's own logging never links alerts (every alert of a domain is logged by its DCs),
//! and neither do non-account targets. Linking is transitive (a spray from a host, then a
//! Kerberoast by the sprayed account, then a DCSync by the cracked service account are one
//! incident).

use chrono::Duration;
use rampart_core::alert::stable_hash;
use rampart_core::{Alert, EntityRef, EntityRole, Host, KillChainPhase, Severity, Timestamp};
use serde::Serialize;
use std::collections::{BTreeSet, HashMap};

/// How far apart (hours) two alerts may be and still be linked by a shared entity.
pub const CORRELATION_WINDOW: i64 = 24;
/// How far apart (hours) two alerts logged by the same non-DC host may be and be linked.
pub const HOST_WINDOW: i64 = 1;

#[derive(Debug, Clone, Serialize)]
pub struct Incident {
    /// Stable: derived from the ids of its alerts.
    pub id: String,
    pub title: String,
    pub severity: Severity,
    pub time: Timestamp,
    pub last_time: Timestamp,
    /// Kill-chain phases covered, in kill-chain order.
    pub phases: Vec<KillChainPhase>,
    pub kinds: Vec<String>,
    /// Who attacked: actor accounts and source hosts.
    pub attackers: Vec<String>,
    /// Accounts attacked.
    pub victims: Vec<String>,
    /// The incident's alerts, by time.
    pub alerts: Vec<String>,
}

/// Groups alerts into incidents and writes each alert's `incident` id. Alerts keep their order.
/// Observers marked sensitive when the alert was raised count as DCs.
pub fn correlate(alerts: &mut [Alert]) -> Vec<Incident> {
    correlate_with(alerts, &|_| false)
}

/// Like [`correlate`], with what the whole stream taught about DCs (`is_dc`): a DC learned
/// after an alert was raised still does not link alerts by logging them.
pub fn correlate_with(alerts: &mut [Alert], is_dc: &dyn Fn(&Host) -> bool) -> Vec<Incident> {
    let n = alerts.len();
    let mut parent: Vec<usize> = (0..n).collect();
    // Index alerts by linking entity; link each alert to earlier alerts with the same entity
    // whose span is close enough.
    let mut by_entity: HashMap<String, Vec<usize>> = HashMap::new();
    for (i, a) in alerts.iter().enumerate() {
        for (key, hours) in link_keys(a, is_dc) {
            let window = Duration::hours(hours);
            let list = by_entity.entry(key).or_default();
            for &j in list.iter() {
                let b = &alerts[j];
                let close = a.time <= b.last_time + window && b.time <= a.last_time + window;
                if close {
                    union(&mut parent, i, j);
                }
            }
            list.push(i);
        }
    }
    let mut groups: HashMap<usize, Vec<usize>> = HashMap::new();
    for i in 0..n {
        let r = find(&mut parent, i);
        groups.entry(r).or_default().push(i);
    }
    let mut incidents: Vec<Incident> = groups
        .into_values()
        .map(|mut members| {
            members.sort_by(|&x, &y| {
                alerts[x]
                    .time
                    .cmp(&alerts[y].time)
                    .then_with(|| alerts[x].id.cmp(&alerts[y].id))
            });
            build(alerts, &members)
        })
        .collect();
    incidents.sort_by(|a, b| a.time.cmp(&b.time).then_with(|| a.id.cmp(&b.id)));
    let mut of_alert: HashMap<String, String> = HashMap::new();
    for inc in &incidents {
        for a in &inc.alerts {
            of_alert.insert(a.clone(), inc.id.clone());
        }
    }
    for a in alerts.iter_mut() {
        a.incident = of_alert.get(&a.id).cloned();
    }
    incidents
}

fn build(alerts: &[Alert], members: &[usize]) -> Incident {
    let ids: Vec<String> = members.iter().map(|&i| alerts[i].id.clone()).collect();
    let id_refs: Vec<&str> = ids.iter().map(String::as_str).collect();
    let mut phases = BTreeSet::new();
    let mut kinds = Vec::new();
    let mut attackers = Vec::new();
    let mut victims = Vec::new();
    let mut severity = Severity::Low;
    let mut time = alerts[members[0]].time;
    let mut last_time = alerts[members[0]].last_time;
    for &i in members {
        let a = &alerts[i];
        phases.insert(a.phase);
        push_unique(&mut kinds, a.kind.to_string());
        severity = severity.max(a.severity);
        time = time.min(a.time);
        last_time = last_time.max(a.last_time);
        for e in &a.entities {
            match e {
                EntityRef::Account {
                    role: EntityRole::Actor,
                    account,
                    ..
                } => push_unique(&mut attackers, account.to_string()),
                EntityRef::Host {
                    role: EntityRole::Source,
                    host,
                    ..
                } => push_unique(&mut attackers, host.to_string()),
                EntityRef::Account {
                    role: EntityRole::Target,
                    account,
                    ..
                } => push_unique(&mut victims, account.to_string()),
                _ => {}
            }
        }
    }
    // Several alerts make one attack more certain: two or more high alerts make it critical.
    let highs = members
        .iter()
        .filter(|&&i| alerts[i].severity >= Severity::High)
        .count();
    if highs >= 2 {
        severity = Severity::Critical;
    }
    let phases: Vec<KillChainPhase> = phases.into_iter().collect();
    let who = match attackers.len() {
        0 => "unknown attacker".to_string(),
        1 => attackers[0].clone(),
        n => format!("{} and {} more", attackers[0], n - 1),
    };
    let title = if members.len() == 1 {
        alerts[members[0]].title.clone()
    } else {
        format!(
            "{who}: {} ({} alerts)",
            phases
                .iter()
                .map(|p| p.as_str().replace('_', " "))
                .collect::<Vec<_>>()
                .join(" → "),
            members.len()
        )
    };
    Incident {
        id: format!("inc-{:012x}", stable_hash(&id_refs) & 0xffff_ffff_ffff),
        title,
        severity,
        time,
        last_time,
        phases,
        kinds,
        attackers,
        victims,
        alerts: ids,
    }
}

/// The entity keys that link an alert to others, with the window (hours) each links within.
fn link_keys(a: &Alert, is_dc: &dyn Fn(&Host) -> bool) -> Vec<(String, i64)> {
    let mut keys = Vec::new();
    let mut hosts = Vec::new();
    for e in &a.entities {
        match e {
            EntityRef::Account {
                role: EntityRole::Actor | EntityRole::Target,
                account,
                ..
            } if !account.is_builtin_service() => {
                keys.push(format!("account:{}", account.key()));
                if let Some(sid) = &account.sid {
                    keys.push(format!("sid:{}", sid.to_ascii_uppercase()));
                }
            }
            EntityRef::Host {
                role: EntityRole::Source,
                host,
                ..
            } if !host.is_loopback() && !host.key().is_empty() => {
                keys.push(format!("host:{}", host.key()));
            }
            EntityRef::Host {
                role: EntityRole::Observer,
                host,
                sensitive: false,
            } if !host.key().is_empty() && !is_dc(host) => {
                hosts.push(format!("on:{}", host.key()));
            }
            _ => {}
        }
    }
    let mut keys: Vec<(String, i64)> = keys
        .into_iter()
        .map(|k| (k, CORRELATION_WINDOW))
        .chain(hosts.into_iter().map(|k| (k, HOST_WINDOW)))
        .collect();
    keys.sort();
    keys.dedup();
    keys
}

fn push_unique(v: &mut Vec<String>, s: String) {
    if !v.contains(&s) {
        v.push(s);
    }
}

fn find(parent: &mut [usize], mut i: usize) -> usize {
    while parent[i] != i {
        parent[i] = parent[parent[i]];
        i = parent[i];
    }
    i
}

fn union(parent: &mut [usize], a: usize, b: usize) {
    let (ra, rb) = (find(parent, a), find(parent, b));
    if ra != rb {
        parent[ra.max(rb)] = ra.min(rb);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::testutil::*;
    use rampart_core::{AlertKind, EventKind};

    fn alert(
        secs: i64,
        kind: AlertKind,
        id: &str,
        actor: Option<&str>,
        source: Option<&str>,
    ) -> Alert {
        let e = ev(secs, 4625, EventKind::PasswordReset);
        let mut a = Alert::new(kind, Severity::High, &e);
        a.id = id.to_string();
        if let Some(s) = source {
            a = a.source(&ip(s));
        }
        if let Some(x) = actor {
            a = a.actor(&acct(x), false);
        }
        a
    }

    #[test]
    fn shared_attacker_entities_join_one_incident() {
        let mut alerts = vec![
            alert(0, AlertKind::PasswordSpray, "a1", None, Some("10.0.0.66")),
            alert(
                60,
                AlertKind::Kerberoasting,
                "a2",
                Some("eyoung"),
                Some("10.0.0.66"),
            ),
            alert(120, AlertKind::Dcsync, "a3", Some("eyoung"), None),
            // Unrelated: another actor, another host, same DC.
            alert(130, AlertKind::LogCleared, "b1", Some("tony"), None),
        ];
        let incidents = correlate(&mut alerts);
        assert_eq!(incidents.len(), 2);
        let big = incidents.iter().find(|i| i.alerts.len() == 3).unwrap();
        assert_eq!(big.severity, Severity::Critical);
        assert_eq!(alerts[0].incident, alerts[2].incident);
        assert_ne!(alerts[0].incident, alerts[3].incident);
    }

    #[test]
    fn alerts_on_one_workstation_minutes_apart_join_but_not_on_a_dc() {
        let on = |secs, kind, id, host: &str, dc: bool| {
            alert(secs, kind, id, None, None).observer(host, dc)
        };
        let mut alerts = vec![
            on(0, AlertKind::LogCleared, "w1", "WS01", false),
            on(600, AlertKind::LsassDump, "w2", "WS01", false),
            // The same workstation hours later: another story.
            on(4 * 3600, AlertKind::LogCleared, "w3", "WS01", false),
            // Two alerts logged by a DC (marked, or learned later) stay apart.
            on(0, AlertKind::Dcsync, "d1", "DC1", true),
            on(60, AlertKind::LogCleared, "d2", "DC1", true),
            on(0, AlertKind::Kerberoasting, "d3", "DC2", false),
            on(60, AlertKind::LogCleared, "d4", "DC2", false),
        ];
        let dc2 = |h: &Host| h.short_name().as_deref() == Some("dc2");
        let incidents = correlate_with(&mut alerts, &dc2);
        assert_eq!(incidents.len(), 6, "{incidents:#?}");
        assert_eq!(alerts[0].incident, alerts[1].incident);
        assert_ne!(alerts[1].incident, alerts[2].incident);
        assert_ne!(alerts[3].incident, alerts[4].incident);
        assert_ne!(alerts[5].incident, alerts[6].incident);
    }

    #[test]
    fn the_same_actor_days_apart_is_two_incidents() {
        let mut alerts = vec![
            alert(0, AlertKind::Dcsync, "a1", Some("eyoung"), None),
            alert(3 * 86_400, AlertKind::Dcsync, "a2", Some("eyoung"), None),
        ];
        assert_eq!(correlate(&mut alerts).len(), 2);
    }
}
