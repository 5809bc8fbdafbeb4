//! [`Alert`]: what a detector concluded, with the evidence behind it.
//!
//! The serialized form is a contract (see README, "The JSONL contract"): `id`, `kind`, `title`,
//! `severity`, `mitre`, `time`, `actor`, `targets`, `evidence`, `description`, `remediation`
//! are always present; fields are only ever added.

use crate::entity::{Account, Host};
use crate::event::{Evidence, IdentityEvent};
use crate::kind::{AlertKind, KillChainPhase};
use crate::Timestamp;
use serde::{Deserialize, Serialize};
use std::fmt;
use std::str::FromStr;

/// How many evidence records an alert keeps; the rest are counted in `evidence_omitted`.
pub const MAX_EVIDENCE: usize = 50;

/// A reference to one raw record behind an alert.
pub type EvidenceRef = Evidence;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Severity {
    Low,
    Medium,
    High,
    Critical,
}

impl Severity {
    pub fn as_str(&self) -> &'static str {
        match self {
            Severity::Low => "low",
            Severity::Medium => "medium",
            Severity::High => "high",
            Severity::Critical => "critical",
        }
    }

    /// One step up, saturating at critical (used when a sensitive entity is involved).
    pub fn raised(self) -> Severity {
        match self {
            Severity::Low => Severity::Medium,
            Severity::Medium => Severity::High,
            _ => Severity::Critical,
        }
    }
}

impl fmt::Display for Severity {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for Severity {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s.to_ascii_lowercase().as_str() {
            "low" => Ok(Severity::Low),
            "medium" => Ok(Severity::Medium),
            "high" => Ok(Severity::High),
            "critical" => Ok(Severity::Critical),
            _ => Err(format!(
                "unknown severity `{s}` (expected low, medium, high or critical)"
            )),
        }
    }
}

/// The part an entity plays in an alert.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum EntityRole {
    Actor,
    Target,
    Source,
    Observer,
}

/// An entity named by an alert, with whether it is sensitive (privileged, a DC, a honeytoken).
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum EntityRef {
    Account {
        role: EntityRole,
        #[serde(flatten)]
        account: Account,
        #[serde(default)]
        sensitive: bool,
    },
    Host {
        role: EntityRole,
        #[serde(flatten)]
        host: Host,
        #[serde(default)]
        sensitive: bool,
    },
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Alert {
    /// Stable for the same detector, key and first evidence: re-scanning the same logs gives the
    /// same ids.
    pub id: String,
    pub kind: AlertKind,
    pub title: String,
    pub severity: Severity,
    pub mitre: Vec<String>,
    pub phase: KillChainPhase,
    /// Time of the first evidence.
    pub time: Timestamp,
    /// Time of the last evidence.
    pub last_time: Timestamp,
    /// Who did it, as `DOMAIN\name` (or an address when only that is known).
    pub actor: Option<String>,
    /// The machine the attack came from, when known.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub source_host: Option<String>,
    /// What was attacked: accounts, groups, objects, hosts.
    pub targets: Vec<String>,
    #[serde(default)]
    pub entities: Vec<EntityRef>,
    /// How many times the detector saw this (identical alerts are merged).
    pub count: u64,
    pub evidence: Vec<EvidenceRef>,
    /// Evidence records beyond [`MAX_EVIDENCE`] that were counted but not kept.
    #[serde(default, skip_serializing_if = "is_zero")]
    pub evidence_omitted: u64,
    pub description: String,
    pub remediation: String,
    /// The detector (or rule) that raised it.
    pub detector: String,
    /// The incident the alert belongs to, once alerts are correlated.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub incident: Option<String>,
}

fn is_zero(n: &u64) -> bool {
    *n == 0
}

impl Alert {
    /// A new alert with the kind's defaults; `id` is filled in by the engine when emitted.
    pub fn new(kind: AlertKind, severity: Severity, first: &IdentityEvent) -> Alert {
        Alert {
            id: String::new(),
            kind,
            title: kind.title().to_string(),
            severity,
            mitre: kind.mitre().iter().map(|s| s.to_string()).collect(),
            phase: kind.phase(),
            time: first.time,
            last_time: first.time,
            actor: None,
            source_host: None,
            targets: Vec::new(),
            entities: Vec::new(),
            count: 1,
            evidence: vec![first.evidence.clone()],
            evidence_omitted: 0,
            description: String::new(),
            remediation: String::new(),
            detector: String::new(),
            incident: None,
        }
    }

    pub fn title(mut self, t: impl Into<String>) -> Alert {
        self.title = t.into();
        self
    }

    pub fn description(mut self, d: impl Into<String>) -> Alert {
        self.description = d.into();
        self
    }

    pub fn remediation(mut self, r: impl Into<String>) -> Alert {
        self.remediation = r.into();
        self
    }

    pub fn actor(mut self, a: &Account, sensitive: bool) -> Alert {
        self.actor = Some(a.to_string());
        self.entities.retain(|e| {
            !matches!(
                e,
                EntityRef::Account {
                    role: EntityRole::Actor,
                    ..
                }
            )
        });
        self.entities.push(EntityRef::Account {
            role: EntityRole::Actor,
            account: a.clone(),
            sensitive,
        });
        self
    }

    /// Names the source machine; when there is no actor account, the source stands as actor.
    pub fn source(mut self, h: &Host) -> Alert {
        self.source_host = Some(h.to_string());
        if self.actor.is_none() {
            self.actor = Some(h.to_string());
        }
        self.entities.push(EntityRef::Host {
            role: EntityRole::Source,
            host: h.clone(),
            sensitive: false,
        });
        self
    }

    pub fn target_account(mut self, a: &Account, sensitive: bool) -> Alert {
        let name = a.to_string();
        if !self.targets.contains(&name) {
            self.push_target_account(name, a, sensitive);
        }
        self
    }

    fn push_target_account(&mut self, name: String, a: &Account, sensitive: bool) {
        self.targets.push(name);
        self.entities.push(EntityRef::Account {
            role: EntityRole::Target,
            account: a.clone(),
            sensitive,
        });
    }

    /// [`Alert::target_account`] for each account in turn, without its quadratic cost on the
    /// many targets of a summary (a spray against hundreds of accounts, rebuilt on each
    /// attempt).
    pub fn target_accounts<'a>(
        mut self,
        accounts: impl IntoIterator<Item = (&'a Account, bool)>,
    ) -> Alert {
        let mut seen: std::collections::HashSet<String> = self.targets.iter().cloned().collect();
        for (a, sensitive) in accounts {
            let name = a.to_string();
            if seen.insert(name.clone()) {
                self.push_target_account(name, a, sensitive);
            }
        }
        self
    }

    /// A target that is not an account: a directory object, a service, a log.
    pub fn target(mut self, t: impl Into<String>) -> Alert {
        let t = t.into();
        if !self.targets.contains(&t) {
            self.targets.push(t);
        }
        self
    }

    pub fn observer(mut self, name: &str, sensitive: bool) -> Alert {
        self.entities.push(EntityRef::Host {
            role: EntityRole::Observer,
            host: Host::named(name),
            sensitive,
        });
        self
    }

    /// Adds evidence records, keeping at most [`MAX_EVIDENCE`] and the time span up to date.
    pub fn add_evidence<'a>(&mut self, events: impl IntoIterator<Item = &'a IdentityEvent>) {
        for e in events {
            self.extend_time(e.time);
            if self.evidence.contains(&e.evidence) {
                continue;
            }
            if self.evidence.len() < MAX_EVIDENCE {
                self.evidence.push(e.evidence.clone());
            } else {
                self.evidence_omitted += 1;
            }
        }
    }

    /// Adds one evidence record seen at `time` (for detectors that keep references, not events).
    pub fn add_evidence_ref(&mut self, evidence: &Evidence, time: Timestamp) {
        self.extend_time(time);
        if self.evidence.contains(evidence) {
            return;
        }
        if self.evidence.len() < MAX_EVIDENCE {
            self.evidence.push(evidence.clone());
        } else {
            self.evidence_omitted += 1;
        }
    }

    /// Adds the evidence of a window of distinct records (each item one event, oldest first),
    /// as a detector's summary of its window does on every update. The first records up to
    /// [`MAX_EVIDENCE`] are kept (checked against those already held); the rest only widen the
    /// time span and are counted, so one update costs O(items) however large the window.
    pub fn add_evidence_refs<'a>(
        &mut self,
        items: impl IntoIterator<Item = (&'a Evidence, Timestamp)>,
    ) {
        for (evidence, time) in items {
            self.extend_time(time);
            if self.evidence.len() >= MAX_EVIDENCE {
                self.evidence_omitted += 1;
            } else if !self.evidence.contains(evidence) {
                self.evidence.push(evidence.clone());
            }
        }
    }

    pub fn with_evidence<'a>(
        mut self,
        events: impl IntoIterator<Item = &'a IdentityEvent>,
    ) -> Alert {
        self.add_evidence(events);
        self
    }

    fn extend_time(&mut self, t: Timestamp) {
        if t < self.time {
            self.time = t;
        }
        if t > self.last_time {
            self.last_time = t;
        }
    }

    /// Folds one more occurrence of this alert, seen in `ev`, into it: what [`Alert::merge`]
    /// does with an alert built from `ev` alone (one evidence record, no targets beyond the
    /// ones this alert already names), without building that alert.
    pub fn add_occurrence(&mut self, severity: Severity, ev: &IdentityEvent) {
        self.count += 1;
        self.severity = self.severity.max(severity);
        self.add_evidence([ev]);
    }

    /// Folds a repeat of the same alert into this one: counts it, widens the time span, keeps
    /// its evidence (up to the cap) and the higher severity.
    pub fn merge(&mut self, other: Alert) {
        self.count += other.count;
        self.extend_time(other.time);
        self.extend_time(other.last_time);
        self.severity = self.severity.max(other.severity);
        for ev in other.evidence {
            if self.evidence.contains(&ev) {
                continue;
            }
            if self.evidence.len() < MAX_EVIDENCE {
                self.evidence.push(ev);
            } else {
                self.evidence_omitted += 1;
            }
        }
        self.evidence_omitted += other.evidence_omitted;
        for t in other.targets {
            if !self.targets.contains(&t) && self.targets.len() < MAX_EVIDENCE {
                self.targets.push(t);
            }
        }
    }

    /// Takes a newer summary of the same alert: its title, description, remediation, targets,
    /// entities and source host (when it names one) replace these (they describe the whole body of evidence so far); time span,
    /// evidence and the higher severity accumulate; the count does not change.
    pub fn update_summary(&mut self, mut newer: Alert) {
        use std::mem::take;
        let count = self.count;
        // Moved out rather than cloned; `merge` below then has no targets to fold in (they
        // are replaced after it anyway).
        let title = take(&mut newer.title);
        let description = take(&mut newer.description);
        let remediation = take(&mut newer.remediation);
        let targets = take(&mut newer.targets);
        let entities = take(&mut newer.entities);
        let actor = newer.actor.take().or_else(|| self.actor.take());
        let source_host = newer.source_host.take().or_else(|| self.source_host.take());
        // The newer summary describes its whole window, and its window overlaps what earlier
        // updates described: its omitted records are mostly ones already counted. The body of
        // evidence is at least as large as the largest single summary of it.
        let omitted = self.evidence_omitted;
        let newer_total = newer.evidence.len() as u64 + newer.evidence_omitted;
        newer.evidence_omitted = 0;
        self.merge(newer);
        let held = self.evidence.len() as u64;
        self.evidence_omitted = omitted.max(newer_total.saturating_sub(held));
        self.count = count;
        self.title = title;
        self.description = description;
        self.remediation = remediation;
        self.targets = targets;
        self.entities = entities;
        self.actor = actor;
        self.source_host = source_host;
    }

    /// Whether any entity of the alert is sensitive.
    pub fn involves_sensitive(&self) -> bool {
        self.entities.iter().any(|e| match e {
            EntityRef::Account { sensitive, .. } | EntityRef::Host { sensitive, .. } => *sensitive,
        })
    }
}

/// A stable 64-bit FNV-1a hash, for alert ids that stay the same across runs and builds.
pub fn stable_hash(parts: &[&str]) -> u64 {
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    for p in parts {
        for b in p.bytes().chain(std::iter::once(0xff)) {
            h ^= u64::from(b);
            h = h.wrapping_mul(0x0000_0100_0000_01b3);
        }
    }
    h
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::event::{EventKind, IdentityEvent};
    use chrono::TimeZone;
    use std::sync::Arc;

    fn at(s: i64) -> Timestamp {
        chrono::Utc
            .timestamp_opt(1_700_000_000 + s, 0)
            .single()
            .unwrap_or_default()
    }

    fn ev(source: &Arc<str>, record: u64) -> Evidence {
        Evidence {
            source: source.clone(),
            record,
            event_id: Some(4662),
        }
    }

    fn window(source: &Arc<str>, n: u64) -> Vec<(Timestamp, Evidence)> {
        (0..n).map(|i| (at(i as i64), ev(source, i + 1))).collect()
    }

    fn alert(source: &Arc<str>) -> Alert {
        let first = IdentityEvent::new(
            at(0),
            EventKind::LogCleared {
                channel: "Security".into(),
            },
            ev(source, 1),
        );
        Alert::new(AlertKind::LdapRecon, Severity::Medium, &first)
    }

    #[test]
    fn evidence_equality_compares_the_record_and_the_source_text() {
        let (a, b): (Arc<str>, Arc<str>) = (Arc::from("x.evtx"), Arc::from("x.evtx"));
        assert_eq!(ev(&a, 7), ev(&b, 7));
        assert_ne!(ev(&a, 7), ev(&a, 8));
        assert_ne!(ev(&a, 7), ev(&Arc::from("y.evtx"), 7));
    }

    #[test]
    fn a_window_keeps_the_first_records_and_counts_the_rest() {
        let src: Arc<str> = Arc::from("dc.evtx");
        let mut a = alert(&src);
        let items = window(&src, 1000);
        a.add_evidence_refs(items.iter().map(|(t, e)| (e, *t)));
        assert_eq!(a.evidence.len(), MAX_EVIDENCE);
        assert_eq!(a.evidence_omitted, 1000 - MAX_EVIDENCE as u64);
        assert_eq!(a.evidence[0].record, 1);
        assert_eq!(a.last_time, at(999));
    }

    #[test]
    fn repeated_summaries_of_one_window_do_not_inflate_the_omitted_count() {
        let src: Arc<str> = Arc::from("dc.evtx");
        let mut first = alert(&src);
        let w = window(&src, 200);
        first.add_evidence_refs(w.iter().map(|(t, e)| (e, *t)));
        // Ten updates, each summarising the window grown by one record.
        for n in 201..=210 {
            let mut newer = alert(&src);
            let w = window(&src, n);
            newer.add_evidence_refs(w.iter().map(|(t, e)| (e, *t)));
            first.update_summary(newer);
        }
        assert_eq!(first.evidence.len(), MAX_EVIDENCE);
        assert_eq!(first.evidence_omitted, 210 - MAX_EVIDENCE as u64);
        assert_eq!(first.last_time, at(209));
    }
}
