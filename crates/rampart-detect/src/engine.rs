//! The streaming engine: one event at a time through every detector.
//!
//! The same engine runs an offline scan (events from files) and, later, the live server (events
//! from sensors): it owns no I/O and no clock, only the detectors' bounded state, the entity
//! knowledge, and the alerts raised so far (merged when repeated).

use crate::allow::AllowList;
use crate::entities::{Entities, EntityConfig};
use crate::sessions::ProcessImages;
use chrono::Duration;
use rampart_core::alert::stable_hash;
use rampart_core::{Alert, AlertKind, IdentityEvent};
use std::collections::HashMap;

/// A detector: one attack, one file in `detectors/`.
///
/// A detector sees every event (it filters cheaply on `ev.kind` first), keeps whatever bounded
/// state it needs, and raises alerts through the [`Context`]. It never parses raw records.
pub trait Detector: Send {
    /// Stable name, used in alerts (`detector`), configuration and allow-lists.
    fn name(&self) -> &'static str;
    /// The alert kinds it can raise.
    fn kinds(&self) -> &'static [AlertKind];
    fn on_event(&mut self, ev: &IdentityEvent, cx: &mut Context<'_>);
    /// End of input: raise whatever pending evidence now justifies.
    fn flush(&mut self, _cx: &mut Context<'_>) {}
    /// Brings alerts whose summaries the detector [deferred](Context::extend_summary) up to
    /// date. The engine calls it before alerts are published ([`Engine::take_updates`]) and
    /// before [`Detector::flush`], so a summary is rebuilt once per publication instead of on
    /// every event that extends it.
    fn refresh(&mut self, _cx: &mut Context<'_>) {}
    /// Whether it reads [`Context::processes`]: the engine keeps that table (one for every
    /// detector) only when a detector asks for it.
    fn uses_process_images(&self) -> bool {
        false
    }
}

/// What a detector may use while handling an event.
pub struct Context<'a> {
    pub entities: &'a Entities,
    /// Process images by machine and process id, learned from every process creation up to
    /// and including the current event (empty unless a detector
    /// [uses](Detector::uses_process_images) it).
    pub processes: &'a ProcessImages,
    sink: &'a mut AlertSink,
    detector: &'static str,
}

impl Context<'_> {
    /// Raises an alert. `key` says which alerts are "the same" (e.g. the attacker's account):
    /// a repeat with the same key within the dedup window is merged into the first, counted.
    pub fn emit(&mut self, key: &str, mut alert: Alert) {
        alert.detector = self.detector.to_string();
        self.sink.push(self.detector, key, alert, false);
    }

    /// Counts `ev` as one more occurrence of the open alert with this `key` when there is one
    /// (the same key within the dedup window) and returns true; returns false, changing
    /// nothing, when the detector must build and [`Context::emit`] the alert. For detectors
    /// whose repeats differ only in evidence (one host running the same tool a thousand
    /// times): the result is what emitting an alert with `ev`'s evidence, `severity` and
    /// the open alert's targets would give, without building that alert. With an allow-list
    /// loaded it always returns false, so every occurrence is checked against it.
    pub fn repeat(
        &mut self,
        key: &str,
        severity: rampart_core::Severity,
        ev: &IdentityEvent,
    ) -> bool {
        self.sink.repeat(self.detector, key, severity, ev)
    }

    /// Whether an alert of this detector with this `key` is open for an event at `time`: one
    /// was raised and `time` falls within the dedup window of its time span, so a summary
    /// emitted now would update it rather than open a new one. Always false with an
    /// allow-list loaded (every summary is then checked against it).
    pub fn summary_open(&self, key: &str, time: rampart_core::Timestamp) -> bool {
        self.sink.open(self.detector, key, time).is_some()
    }

    /// Folds `ev`'s evidence and time into the open alert with this `key` without rebuilding
    /// its summary, and returns true; returns false, changing nothing, when none is
    /// [open](Context::summary_open). The detector then owes the alert a rebuilt summary
    /// ([`Context::emit_summary`]) before it is published: see [`Detector::refresh`].
    pub fn extend_summary(&mut self, key: &str, ev: &IdentityEvent) -> bool {
        self.extend_summary_with(key, ev, std::iter::empty())
    }

    /// [`Context::extend_summary`], adding also `window`'s evidence: records the rebuilt
    /// summary will not hold (its window may have moved on by then) but would have added.
    pub fn extend_summary_with<'e>(
        &mut self,
        key: &str,
        ev: &IdentityEvent,
        window: impl IntoIterator<Item = (&'e rampart_core::Evidence, rampart_core::Timestamp)>,
    ) -> bool {
        let Some(i) = self.sink.open(self.detector, key, ev.time) else {
            return false;
        };
        let alert = &mut self.sink.alerts[i];
        alert.add_evidence_ref(&ev.evidence, ev.time);
        alert.add_evidence_refs(window);
        self.sink.dirty.push(i);
        true
    }

    /// Raises an alert on behalf of one of the detector's rules: `detector` names it in the
    /// alert (`sigma:<rule id>`); otherwise as [`Context::emit`].
    pub fn emit_as(&mut self, detector: &str, key: &str, mut alert: Alert) {
        alert.detector = detector.to_string();
        self.sink.push(self.detector, key, alert, false);
    }

    /// Raises or updates an alert that summarises a growing body of evidence (a spray that
    /// reaches more accounts): within the dedup window the new alert replaces the title,
    /// description and targets of the one with the same key, keeps its id and first time, and
    /// adds its evidence. It counts as one occurrence, not one per update.
    pub fn emit_summary(&mut self, key: &str, mut alert: Alert) {
        alert.detector = self.detector.to_string();
        self.sink.push(self.detector, key, alert, true);
    }
}

/// Holds raised alerts, merging repeats.
#[derive(Debug, Default)]
pub struct AlertSink {
    alerts: Vec<Alert>,
    /// (detector, key) -> index in `alerts` of the latest alert for that key.
    index: HashMap<(&'static str, String), usize>,
    dedup_window: Duration,
    /// Indices of alerts new or changed since the last `take_updates`.
    dirty: Vec<usize>,
    allow: AllowList,
    /// Alerts the allow-list silenced, by (detector, key): repeats count once.
    suppressed: std::collections::HashSet<(&'static str, String)>,
}

impl AlertSink {
    fn new(dedup_window: Duration, allow: AllowList) -> Self {
        AlertSink {
            dedup_window,
            allow,
            ..AlertSink::default()
        }
    }

    fn repeat(
        &mut self,
        detector: &'static str,
        key: &str,
        severity: rampart_core::Severity,
        ev: &IdentityEvent,
    ) -> bool {
        if !self.allow.is_empty() {
            return false;
        }
        let Some(&i) = self.index.get(&(detector, key.to_string())) else {
            return false;
        };
        let existing = &mut self.alerts[i];
        let close = ev.time <= existing.last_time + self.dedup_window
            && ev.time >= existing.time - self.dedup_window;
        if !close {
            return false;
        }
        existing.add_occurrence(severity, ev);
        self.dirty.push(i);
        true
    }

    /// The index of the alert with this key whose dedup window `time` falls in.
    fn open(
        &self,
        detector: &'static str,
        key: &str,
        time: rampart_core::Timestamp,
    ) -> Option<usize> {
        if !self.allow.is_empty() {
            return None;
        }
        let &i = self.index.get(&(detector, key.to_string()))?;
        let existing = &self.alerts[i];
        (time <= existing.last_time + self.dedup_window
            && time >= existing.time - self.dedup_window)
            .then_some(i)
    }

    fn push(&mut self, detector: &'static str, key: &str, mut alert: Alert, summary: bool) {
        if self.allow.matching(&alert).is_some() {
            if self.suppressed.len() < 100_000 {
                self.suppressed.insert((detector, key.to_string()));
            }
            return;
        }
        let k = (detector, key.to_string());
        if let Some(&i) = self.index.get(&k) {
            let existing = &mut self.alerts[i];
            let close = alert.time <= existing.last_time + self.dedup_window
                && alert.last_time >= existing.time - self.dedup_window;
            if close {
                if summary {
                    existing.update_summary(alert);
                } else {
                    existing.merge(alert);
                }
                self.dirty.push(i);
                return;
            }
        }
        let first = alert.evidence.first();
        let record = first.map(|e| e.record.to_string()).unwrap_or_default();
        let source = first.map(|e| e.source.to_string()).unwrap_or_default();
        alert.id = format!(
            "{:016x}",
            stable_hash(&[detector, key, &source, &record, &alert.time.to_rfc3339()])
        );
        self.alerts.push(alert);
        let i = self.alerts.len() - 1;
        self.index.insert(k, i);
        self.dirty.push(i);
    }
}

/// Engine settings.
#[derive(Debug, Clone)]
pub struct EngineConfig {
    pub entities: EntityConfig,
    /// Repeats of the same alert within this span are merged into one.
    pub dedup_window: Duration,
    /// Detectors to leave out, by name.
    pub disabled: Vec<String>,
    /// Known-good entities per detector.
    pub allow: AllowList,
    /// Sigma rules to run as well (the `sigma` detector), when any were loaded.
    pub sigma: Option<std::sync::Arc<crate::sigma::RuleSet>>,
}

impl Default for EngineConfig {
    fn default() -> Self {
        EngineConfig {
            entities: EntityConfig::default(),
            dedup_window: Duration::hours(1),
            disabled: Vec::new(),
            allow: AllowList::default(),
            sigma: None,
        }
    }
}

/// Processes [`Context::processes`] remembers (the oldest are forgotten first).
const MAX_PROCESSES: usize = 50_000;

pub struct Engine {
    detectors: Vec<Box<dyn Detector>>,
    entities: Entities,
    /// Shared by the detectors that use it (see [`Detector::uses_process_images`]).
    processes: ProcessImages,
    track_processes: bool,
    sink: AlertSink,
    events: u64,
    flushed: bool,
}

impl Engine {
    /// An engine with every built-in detector (minus the disabled ones).
    pub fn new(config: &EngineConfig) -> Engine {
        let mut detectors: Vec<Box<dyn Detector>> = crate::detectors::all();
        if let Some(rules) = &config.sigma {
            detectors.push(Box::new(crate::sigma::Sigma::new(rules.clone())));
        }
        detectors.retain(|d| !config.disabled.iter().any(|n| n == d.name()));
        Engine::with_detectors(config, detectors)
    }

    pub fn with_detectors(config: &EngineConfig, detectors: Vec<Box<dyn Detector>>) -> Engine {
        let track_processes = detectors.iter().any(|d| d.uses_process_images());
        Engine {
            detectors,
            entities: Entities::new(&config.entities),
            processes: ProcessImages::new(MAX_PROCESSES),
            track_processes,
            sink: AlertSink::new(config.dedup_window, config.allow.clone()),
            events: 0,
            flushed: false,
        }
    }

    /// Feeds one event through entity learning and every detector.
    pub fn process(&mut self, ev: &IdentityEvent) {
        self.events += 1;
        self.entities.observe(ev);
        if self.track_processes {
            self.processes.observe(ev);
        }
        self.each_detector(|d, cx| d.on_event(ev, cx));
    }

    /// Calls `f` on every detector with its context.
    fn each_detector(&mut self, mut f: impl FnMut(&mut dyn Detector, &mut Context<'_>)) {
        for d in &mut self.detectors {
            let mut cx = Context {
                entities: &self.entities,
                processes: &self.processes,
                sink: &mut self.sink,
                detector: d.name(),
            };
            f(d.as_mut(), &mut cx);
        }
    }

    /// Has every detector bring its deferred summaries up to date.
    fn refresh(&mut self) {
        self.each_detector(|d, cx| d.refresh(cx));
    }

    /// Alerts raised or updated since the last call (for streaming output).
    pub fn take_updates(&mut self) -> Vec<Alert> {
        self.refresh();
        let mut idx = std::mem::take(&mut self.sink.dirty);
        idx.sort_unstable();
        idx.dedup();
        idx.into_iter()
            .filter_map(|i| self.sink.alerts.get(i).cloned())
            .collect()
    }

    /// Ends the stream: flushes every detector and returns all alerts, ordered by time.
    pub fn finish(self) -> Vec<Alert> {
        self.finish_counted().0
    }

    /// Ends the stream without giving up the engine (a live sensor stopping): every detector
    /// reports what it still holds (pending windows, summaries); those alerts come out of the
    /// next [`Engine::take_updates`]. Only the first call flushes.
    pub fn flush(&mut self) {
        if self.flushed {
            return;
        }
        self.flushed = true;
        self.refresh();
        self.each_detector(|d, cx| d.flush(cx));
    }

    /// Like [`Engine::finish`], also returning how many alerts the allow-list silenced.
    pub fn finish_counted(mut self) -> (Vec<Alert>, u64) {
        self.flush();
        let mut alerts = self.sink.alerts;
        alerts.sort_by(|a, b| a.time.cmp(&b.time).then_with(|| a.id.cmp(&b.id)));
        (alerts, self.sink.suppressed.len() as u64)
    }

    /// Like [`Engine::finish_counted`], also handing back what the stream taught about
    /// entities (the DCs learned), for correlating the alerts into incidents.
    pub fn finish_with_entities(mut self) -> (Vec<Alert>, u64, Entities) {
        self.flush();
        let entities = std::mem::take(&mut self.entities);
        let (alerts, suppressed) = self.finish_counted();
        (alerts, suppressed, entities)
    }

    /// Alerts silenced by the allow-list so far.
    pub fn suppressed(&self) -> u64 {
        self.sink.suppressed.len() as u64
    }

    pub fn entities(&self) -> &Entities {
        &self.entities
    }

    pub fn events_processed(&self) -> u64 {
        self.events
    }

    pub fn detector_names(&self) -> Vec<&'static str> {
        self.detectors.iter().map(|d| d.name()).collect()
    }
}
