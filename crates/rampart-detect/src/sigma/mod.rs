//! Custom rules in Sigma, over the same event stream as the built-in detectors.
//!
//! ```text
//!  rule folders ─► load (files, YAML documents, positions) ─► RuleSet ─┬─► RawSelect for the readers
//!                                                                      └─► Sigma detector
//!  readers ─► RawRecord events (only the channels/ids some rule wants) ─► Sigma: rules indexed by
//!            (channel, event id) ─► sigma-rust match ─► Alert (+ correlations) ─► engine
//! ```
//!
//! Rule parsing and single-record matching (modifiers, wildcards, conditions) are
//! [`sigma_rust`]'s. This module adds what a detection product needs around it: loading
//! folders with an error naming file, line and column for every rule that does not load
//! ([`load`]), never a silent skip; the Windows log-source taxonomy, so a rule only sees the
//! records of its channel and event ids, and a 4688 record is seen under Sysmon's process
//! names ([`logsource`]); which event ids a rule can match, so readers parse only those
//! ([`condition`]); correlation rules ([`correlation`]); and alerts in Rampart's vocabulary.
//!
//! Alerts: `kind` is the one class whose main ATT&CK technique the rule is tagged with, when
//! exactly one is; otherwise [`AlertKind::SigmaRule`]. `mitre` lists the rule's technique
//! tags, `severity` its level (informational counts as low), title and description are the
//! rule's (with its id, file and author: the rules' licences ask for attribution), and
//! `detector` is `sigma:<rule id>`. Repeats of one rule on one host are merged.

pub mod condition;
pub mod correlation;
pub mod load;
pub mod logsource;

use crate::engine::{Context, Detector};
use correlation::{CorrelationDef, CorrelationState};
use load::Doc;
pub use load::{RuleError, SkippedRule};
use logsource::{Alias, Source};
use rampart_core::{
    wellknown, Account, Alert, AlertKind, EventKind, IdentityEvent, KillChainPhase, RawRecord,
    Severity,
};
use std::collections::HashMap;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

/// A loaded rule.
pub struct Rule {
    /// The rule's `id`, else its file's stem.
    pub id: String,
    pub file: String,
    pub line: usize,
    pub sources: Vec<Source>,
    pub severity: Severity,
    /// Whether it raises alerts of its own (not when only a correlation with `generate: false`
    /// uses it).
    pub alerts: bool,
    matcher: sigma_rust::Rule,
    /// Correlations fed by this rule: (correlation index, slot in its `rules`).
    feeds: Vec<(usize, usize)>,
}

impl Rule {
    pub fn title(&self) -> &str {
        &self.matcher.title
    }
}

/// A loaded correlation rule.
pub struct Correlation {
    pub id: String,
    pub file: String,
    pub line: usize,
    pub def: CorrelationDef,
    pub severity: Severity,
    meta: sigma_rust::Rule,
}

/// What loading found, file by file.
#[derive(Debug, Default, Clone)]
pub struct LoadReport {
    /// Rule files read (every `.yml`/`.yaml` under the folders, and files given directly).
    pub files: Vec<String>,
    /// Rules loaded: (file, rule id, title).
    pub loaded: Vec<(String, String, String)>,
    /// Correlation rules loaded: (file, id, title).
    pub correlations: Vec<(String, String, String)>,
    /// Rules that did not load, with where and why.
    pub failed: Vec<RuleError>,
    /// Rules that do not apply to Windows event logs, with why.
    pub skipped: Vec<SkippedRule>,
    pub elapsed: Duration,
}

impl LoadReport {
    /// Failure reasons with how many rules each (the message up to its first quote, so that
    /// "Unknown field modifier 'i'" and "… 'm'" group apart but selection names do not),
    /// most frequent first.
    pub fn failure_reasons(&self) -> Vec<(String, usize)> {
        group(self.failed.iter().map(|e| e.message.as_str()))
    }

    /// Skip reasons with how many rules each, most frequent first.
    pub fn skip_reasons(&self) -> Vec<(String, usize)> {
        group(self.skipped.iter().map(|s| s.reason.as_str()))
    }
}

fn group<'a>(messages: impl Iterator<Item = &'a str>) -> Vec<(String, usize)> {
    let mut counts: HashMap<String, usize> = HashMap::new();
    for m in messages {
        let first_line = m.lines().next().unwrap_or_default();
        *counts.entry(first_line.to_string()).or_default() += 1;
    }
    let mut v: Vec<(String, usize)> = counts.into_iter().collect();
    v.sort_by(|a, b| b.1.cmp(&a.1).then_with(|| a.0.cmp(&b.0)));
    v
}

/// Rules of one channel, by event id.
#[derive(Default)]
struct ChannelRules {
    by_id: HashMap<u32, Vec<(usize, Alias)>>,
    any_id: Vec<(usize, Alias)>,
}

/// Loaded Sigma rules, indexed for matching.
pub struct RuleSet {
    rules: Vec<Rule>,
    correlations: Vec<Correlation>,
    /// Lower-case channel name → its rules.
    index: Vec<(String, ChannelRules)>,
    report: LoadReport,
}

impl std::fmt::Debug for RuleSet {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("RuleSet")
            .field("rules", &self.rules.len())
            .field("correlations", &self.correlations.len())
            .finish()
    }
}

impl RuleSet {
    /// Loads every rule under `paths` (folders recursively). Never fails as a whole: what does
    /// not load is in [`RuleSet::report`].
    pub fn load(paths: &[PathBuf]) -> RuleSet {
        let started = std::time::Instant::now();
        let (files, mut errors) = load::rule_files(paths);
        let mut docs = Vec::new();
        let mut report = LoadReport::default();
        for path in files {
            let file = path.display().to_string();
            report.files.push(file.clone());
            match std::fs::read(&path) {
                Ok(bytes) => match String::from_utf8(bytes) {
                    Ok(text) => docs.extend(
                        load::parse_file(&file, &text)
                            .into_iter()
                            .map(|d| (file.clone(), d)),
                    ),
                    Err(e) => errors.push(RuleError {
                        file,
                        line: 0,
                        column: None,
                        message: format!("not UTF-8 text: {e}"),
                    }),
                },
                Err(e) => errors.push(RuleError {
                    file,
                    line: 0,
                    column: None,
                    message: format!("cannot read: {e}"),
                }),
            }
        }
        report.failed = errors;
        let mut set = RuleSet::build(docs, report);
        set.report.elapsed = started.elapsed();
        set
    }

    /// Rules from one text (tests, single rules given inline); `file` names it in errors.
    pub fn from_text(file: &str, text: &str) -> RuleSet {
        let report = LoadReport {
            files: vec![file.to_string()],
            ..LoadReport::default()
        };
        let docs = load::parse_file(file, text)
            .into_iter()
            .map(|d| (file.to_string(), d))
            .collect();
        RuleSet::build(docs, report)
    }

    fn build(docs: Vec<(String, Doc)>, mut report: LoadReport) -> RuleSet {
        let mut rules: Vec<Rule> = Vec::new();
        let mut correlations: Vec<Correlation> = Vec::new();
        for (file, doc) in docs {
            match doc {
                Doc::Rule {
                    rule,
                    sources,
                    level,
                    line,
                } => rules.push(Rule {
                    id: rule.id.clone().unwrap_or_else(|| stem(&file)),
                    file,
                    line,
                    sources,
                    severity: severity_of(level.as_deref()),
                    alerts: true,
                    matcher: *rule,
                    feeds: Vec::new(),
                }),
                Doc::Correlation {
                    def,
                    meta,
                    level,
                    line,
                } => correlations.push(Correlation {
                    id: meta.id.clone().unwrap_or_else(|| stem(&file)),
                    file,
                    line,
                    def,
                    severity: severity_of(level.as_deref()),
                    meta: *meta,
                }),
                Doc::Skipped(s) => report.skipped.push(s),
                Doc::Failed(e) => report.failed.push(e),
            }
        }
        // Resolve what correlations name, by id or name.
        let mut kept = Vec::new();
        for c in correlations {
            let mut slots = Vec::new();
            let mut missing = None;
            for r in &c.def.rules {
                match rules
                    .iter()
                    .position(|x| x.id == *r || x.matcher.name.as_deref() == Some(r.as_str()))
                {
                    Some(i) => slots.push(i),
                    None => {
                        missing = Some(r.clone());
                        break;
                    }
                }
            }
            if let Some(r) = missing {
                let chained = kept
                    .iter()
                    .any(|k: &Correlation| k.id == r || k.meta.name.as_deref() == Some(r.as_str()));
                report.failed.push(RuleError {
                    file: c.file.clone(),
                    line: c.line,
                    column: None,
                    message: if chained {
                        format!("correlation of correlation `{r}` is not supported")
                    } else {
                        format!("correlation names rule `{r}`, which is not loaded")
                    },
                });
                continue;
            }
            let ci = kept.len();
            for (slot, &ri) in slots.iter().enumerate() {
                rules[ri].feeds.push((ci, slot));
            }
            kept.push(c);
        }
        // A rule only a non-generating correlation uses raises no alerts of its own.
        for r in &mut rules {
            if !r.feeds.is_empty() {
                r.alerts = r.feeds.iter().any(|(ci, _)| kept[*ci].def.generate);
            }
        }
        for r in &rules {
            report
                .loaded
                .push((r.file.clone(), r.id.clone(), r.title().to_string()));
        }
        for c in &kept {
            report
                .correlations
                .push((c.file.clone(), c.id.clone(), c.meta.title.clone()));
        }
        let mut index: Vec<(String, ChannelRules)> = Vec::new();
        for (ri, r) in rules.iter().enumerate() {
            for s in &r.sources {
                let ch = s.channel.to_ascii_lowercase();
                let pos = match index.iter().position(|(c, _)| *c == ch) {
                    Some(p) => p,
                    None => {
                        index.push((ch, ChannelRules::default()));
                        index.len() - 1
                    }
                };
                let entry = &mut index[pos].1;
                match &s.ids {
                    Some(ids) => {
                        for id in ids {
                            entry.by_id.entry(*id).or_default().push((ri, s.alias));
                        }
                    }
                    None => entry.any_id.push((ri, s.alias)),
                }
            }
        }
        RuleSet {
            rules,
            correlations: kept,
            index,
            report,
        }
    }

    pub fn report(&self) -> &LoadReport {
        &self.report
    }

    pub fn rules(&self) -> &[Rule] {
        &self.rules
    }

    pub fn correlations(&self) -> &[Correlation] {
        &self.correlations
    }

    pub fn is_empty(&self) -> bool {
        self.rules.is_empty()
    }

    /// The (channel, event ids) the rules can match — what readers must keep raw. `None` ids:
    /// every record of the channel.
    pub fn wanted(&self) -> Vec<(&'static str, Option<Vec<u32>>)> {
        let mut out: Vec<(&'static str, Option<Vec<u32>>)> = Vec::new();
        for s in self.rules.iter().flat_map(|r| &r.sources) {
            match out.iter_mut().find(|(c, _)| *c == s.channel) {
                Some((_, have)) => match (have.as_mut(), &s.ids) {
                    (Some(h), Some(ids)) => {
                        h.extend(ids);
                        h.sort_unstable();
                        h.dedup();
                    }
                    _ => *have = None,
                },
                None => out.push((s.channel, s.ids.clone())),
            }
        }
        out
    }

    /// The rules a record may match: those of its channel, then those of every channel.
    fn candidates<'a>(&'a self, rec: &'a RawRecord) -> impl Iterator<Item = &'a (usize, Alias)> {
        self.index
            .iter()
            .filter(|(c, _)| {
                c == logsource::ANY_CHANNEL
                    || (c.len() == rec.channel.len() && c.eq_ignore_ascii_case(&rec.channel))
            })
            .flat_map(|(_, r)| {
                r.by_id
                    .get(&rec.event_id)
                    .into_iter()
                    .flatten()
                    .chain(r.any_id.iter())
            })
    }
}

fn stem(file: &str) -> String {
    std::path::Path::new(file)
        .file_stem()
        .map_or_else(|| file.to_string(), |s| s.to_string_lossy().into_owned())
}

/// The Sigma detector: runs a [`RuleSet`] over raw-record events.
pub struct Sigma {
    rules: Arc<RuleSet>,
    states: Vec<CorrelationState>,
}

impl Sigma {
    pub fn new(rules: Arc<RuleSet>) -> Sigma {
        let states = rules
            .correlations
            .iter()
            .map(|c| CorrelationState::new(&c.def))
            .collect();
        Sigma { rules, states }
    }
}

impl Detector for Sigma {
    fn name(&self) -> &'static str {
        "sigma"
    }

    fn kinds(&self) -> &'static [AlertKind] {
        AlertKind::ALL
    }

    fn on_event(&mut self, ev: &IdentityEvent, cx: &mut Context<'_>) {
        let EventKind::RawRecord { record } = &ev.kind else {
            return;
        };
        let rules = Arc::clone(&self.rules);
        let mut views: [Option<sigma_rust::Event>; 2] = [None, None];
        for &(ri, alias) in rules.candidates(record) {
            let rule = &rules.rules[ri];
            let slot = match alias {
                Alias::None => 0,
                Alias::ProcessCreation4688 => 1,
            };
            let view = views[slot].get_or_insert_with(|| view_of(record, alias));
            if !rule.matcher.is_match(view) {
                continue;
            }
            if rule.alerts {
                let host = ev.observer_short().unwrap_or_default();
                let alert = rule_alert(
                    &rule.matcher,
                    &rule.id,
                    &rule.file,
                    rule.severity,
                    ev,
                    record,
                    cx,
                );
                cx.emit_as(
                    &format!("sigma:{}", rule.id),
                    &format!("{}@{host}", rule.id),
                    alert,
                );
            }
            for &(ci, slot) in &rule.feeds {
                let c = &rules.correlations[ci];
                let group = c
                    .def
                    .group_by
                    .iter()
                    .map(|f| value_of(view, f).unwrap_or_default())
                    .collect::<Vec<_>>()
                    .join("|");
                let value = c.def.field.as_deref().and_then(|f| value_of(view, f));
                if let Some(evidence) = self.states[ci].observe(
                    &c.def,
                    group.clone(),
                    slot,
                    value,
                    ev.time,
                    ev.evidence.clone(),
                ) {
                    let mut alert = rule_alert(&c.meta, &c.id, &c.file, c.severity, ev, record, cx);
                    alert.add_evidence_refs(evidence.iter().map(|(t, e)| (e, *t)));
                    let by = if c.def.group_by.is_empty() {
                        String::new()
                    } else {
                        format!(" grouped by {} = {group}", c.def.group_by.join(", "))
                    };
                    alert.description = format!(
                        "{}\n\nCorrelation ({}{by}): {} matching records within {}.",
                        alert.description,
                        c.def.kind.as_str(),
                        evidence.len(),
                        humanize(c.def.timespan)
                    );
                    cx.emit_as(
                        &format!("sigma:{}", c.id),
                        &format!("{}@{group}", c.id),
                        alert,
                    );
                }
            }
        }
    }
}

fn humanize(d: chrono::Duration) -> String {
    let s = d.num_seconds();
    match s {
        s if s % 86_400 == 0 => format!("{} d", s / 86_400),
        s if s % 3600 == 0 => format!("{} h", s / 3600),
        s if s % 60 == 0 => format!("{} min", s / 60),
        s => format!("{s} s"),
    }
}

/// A field of the matched record as text.
fn value_of(view: &sigma_rust::Event, field: &str) -> Option<String> {
    view.get(field).map(|v| v.value_to_string())
}

/// A value as `sigma-rust` compares it: canonical decimal integers as numbers (so that
/// `EventID: 4688` and `LogonType: 3` match), everything else as text.
fn insert(ev: &mut sigma_rust::Event, key: &str, value: &str) {
    let canonical = !value.is_empty()
        && value.len() <= 18
        && value.bytes().all(|b| b.is_ascii_digit())
        && (value == "0" || !value.starts_with('0'));
    match value.parse::<i64>() {
        Ok(n) if canonical => ev.insert(key, n),
        _ => ev.insert(key, value),
    }
}

/// The record as a rule sees it: system fields under Sigma's names (`EventID`, `Channel`,
/// `Provider_Name`, `Computer`), the data fields, and for [`Alias::ProcessCreation4688`]
/// Sysmon's process-creation names.
fn view_of(rec: &RawRecord, alias: Alias) -> sigma_rust::Event {
    let mut ev = sigma_rust::Event::new();
    ev.insert("EventID", i64::from(rec.event_id));
    ev.insert("Channel", rec.channel.as_str());
    ev.insert("Provider_Name", rec.provider.as_str());
    ev.insert("Computer", rec.computer.as_str());
    for (k, v) in &rec.fields {
        insert(&mut ev, k, v);
    }
    if alias == Alias::ProcessCreation4688 {
        let get = |n: &str| rec.get(n).map(str::trim).filter(|v| !is_placeholder(v));
        if let Some(v) = get("NewProcessName") {
            ev.insert("Image", v);
        }
        if let Some(v) = get("ParentProcessName") {
            ev.insert("ParentImage", v);
        }
        let pid = |n: &str| get(n).and_then(wellknown::parse_number);
        let (new_pid, creator) = (pid("NewProcessId"), pid("ProcessId"));
        if let Some(p) = new_pid {
            ev.insert("ProcessId", i64::from(p));
        }
        if let Some(p) = creator {
            ev.insert("ParentProcessId", i64::from(p));
        }
        // The new process's account: Target* (Windows 10+) unless empty, else the subject.
        let user = match (get("TargetUserName"), get("TargetDomainName")) {
            (Some(n), d) => Some((n, d)),
            _ => get("SubjectUserName").map(|n| (n, get("SubjectDomainName"))),
        };
        if let Some((name, domain)) = user {
            let user = match domain {
                Some(d) => format!("{d}\\{name}"),
                None => name.to_string(),
            };
            ev.insert("User", user);
        }
        if let Some(v) = get("TargetLogonId")
            .filter(|v| *v != "0x0")
            .or_else(|| get("SubjectLogonId"))
        {
            ev.insert("LogonId", v);
        }
        let level = match get("MandatoryLabel") {
            Some("S-1-16-0") => Some("Untrusted"),
            Some("S-1-16-4096") => Some("Low"),
            Some("S-1-16-8192") => Some("Medium"),
            Some("S-1-16-8448") => Some("MediumPlus"),
            Some("S-1-16-12288") => Some("High"),
            Some("S-1-16-16384") => Some("System"),
            _ => None,
        };
        if let Some(l) = level {
            ev.insert("IntegrityLevel", l);
        }
    }
    ev
}

fn is_placeholder(v: &str) -> bool {
    matches!(v, "" | "-")
}

/// ATT&CK technique ids among a rule's tags (`attack.t1070.001` → `T1070.001`).
fn techniques(tags: &[String]) -> Vec<String> {
    tags.iter()
        .filter_map(|t| t.strip_prefix("attack."))
        .filter(|t| {
            let b = t.as_bytes();
            b.len() >= 5
                && b[0].eq_ignore_ascii_case(&b't')
                && b[1..5].iter().all(u8::is_ascii_digit)
                && (b.len() == 5 || (b.len() == 9 && b[5] == b'.'))
        })
        .map(|t| t.to_ascii_uppercase())
        .collect()
}

/// The one class whose main technique the tags name, if exactly one.
fn kind_of(techniques: &[String]) -> Option<AlertKind> {
    let mut found: Vec<AlertKind> = AlertKind::ALL
        .iter()
        .copied()
        .filter(|k| {
            k.mitre()
                .first()
                .is_some_and(|main| techniques.iter().any(|t| t == main))
        })
        .collect();
    found.dedup();
    (found.len() == 1).then(|| found[0])
}

/// The kill-chain phase of the first tactic tag that names one.
fn phase_of(tags: &[String]) -> KillChainPhase {
    tags.iter()
        .find_map(|t| match t.as_str() {
            "attack.credential_access" | "attack.credential-access" => {
                Some(KillChainPhase::CredentialAccess)
            }
            "attack.lateral_movement" | "attack.lateral-movement" => {
                Some(KillChainPhase::LateralMovement)
            }
            "attack.persistence" => Some(KillChainPhase::Persistence),
            // ATT&CK 18 split defense evasion into stealth and defense impairment.
            "attack.defense_evasion"
            | "attack.defense-evasion"
            | "attack.stealth"
            | "attack.defense-impairment" => Some(KillChainPhase::DefenseEvasion),
            "attack.discovery" | "attack.reconnaissance" => Some(KillChainPhase::Reconnaissance),
            _ => None,
        })
        .unwrap_or(KillChainPhase::Other)
}

/// A rule's `level` as a severity: informational counts as low, no level as medium.
fn severity_of(level: Option<&str>) -> Severity {
    match level.map(str::trim) {
        Some("critical") => Severity::Critical,
        Some("high") => Severity::High,
        Some("low") | Some("informational") => Severity::Low,
        _ => Severity::Medium,
    }
}

/// The alert of a rule's (or correlation's) match on `ev`.
#[allow(clippy::too_many_arguments)]
fn rule_alert(
    rule: &sigma_rust::Rule,
    id: &str,
    file: &str,
    severity: Severity,
    ev: &IdentityEvent,
    rec: &RawRecord,
    cx: &Context<'_>,
) -> Alert {
    let tags = rule.tags.clone().unwrap_or_default();
    let techs = techniques(&tags);
    let kind = kind_of(&techs);
    let mut alert =
        Alert::new(kind.unwrap_or(AlertKind::SigmaRule), severity, ev).title(rule.title.trim());
    alert.mitre = techs;
    if kind.is_none() {
        alert.phase = phase_of(&tags);
    }
    let mut description = rule
        .description
        .as_deref()
        .map(str::trim)
        .unwrap_or("")
        .to_string();
    if !description.is_empty() {
        description.push_str("\n\n");
    }
    description.push_str(&format!(
        "Sigma rule {id} ({file}){}. Matched {} event {} on {}.",
        rule.author
            .as_deref()
            .map(|a| format!(", by {}", a.trim()))
            .unwrap_or_default(),
        if rec.channel.is_empty() {
            "a"
        } else {
            rec.channel.as_str()
        },
        rec.event_id,
        if rec.computer.is_empty() {
            "an unnamed host"
        } else {
            rec.computer.as_str()
        },
    ));
    alert.description = description;
    alert.remediation = match rule.falsepositives.as_deref() {
        Some(fp) if !fp.is_empty() => format!(
            "Review the matched record. Known false positives: {}.",
            fp.join("; ")
        ),
        _ => "Review the matched record and the rule's references.".to_string(),
    };
    if let Some(actor) = actor_of(rec) {
        let sensitive = cx.entities.is_sensitive_account(&actor);
        alert = alert.actor(&actor, sensitive);
    }
    if let Some(o) = &ev.observer {
        alert = alert.observer(o, cx.entities.observer_is_dc(ev));
    }
    alert
}

/// Who acted: the `Subject*` account of Security events, else Sysmon's `User`.
fn actor_of(rec: &RawRecord) -> Option<Account> {
    Account::from_parts(
        rec.get("SubjectUserName"),
        rec.get("SubjectDomainName"),
        rec.get("SubjectUserSid"),
    )
    .or_else(|| Account::from_parts(rec.get("User"), None, None))
}

#[cfg(test)]
mod tests;
