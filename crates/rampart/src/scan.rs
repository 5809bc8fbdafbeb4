//! The offline scan: files in, alerts out, through the same engine the live server runs.
//!
//! ```text
//!  discover ─► N reader threads (one file each, EVTX chunks parsed in parallel inside)
//!                 │  bounded channel per file (batches of events, warnings, end)
//!                 ▼
//!  engine thread: files consumed in input order ─► Engine ─► alerts
//!                                               └─► Store (optional)
//! ```
//!
//! Files are read in parallel but fed to the engine in their sorted input order, so a scan of the
//! same inputs always gives the same alerts with the same ids. Memory is bounded by the channel
//! capacities and the engine's own bounds, not by input size.

use crossbeam_channel::{bounded, Receiver, Sender};
use rampart_core::{Alert, IdentityEvent, Severity};
use rampart_detect::{correlate_with, Engine, EngineConfig, Incident};
use rampart_ingest::{
    discover::{discover_all, Skipped},
    EventSink, Format, IngestError, InputFile, RawSelect, ReadOptions, ReadStats, Warning,
};
use rampart_store::{ScanMeta, ScanSummary, Store};
use serde::Serialize;
use std::path::PathBuf;
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::Instant;

/// Reads one input: event logs through `rampart_ingest`, packet captures through the network
/// sensor (`rampart_net`), into the same events.
pub fn read_file(
    file: &InputFile,
    opts: &ReadOptions,
    sink: &mut dyn EventSink,
) -> Result<ReadStats, IngestError> {
    match file.format {
        Format::Pcap => rampart_net::read(file, opts, sink),
        _ => rampart_ingest::read_file(file, opts, sink),
    }
}

/// Batches of events per file held in flight between a reader and the engine.
const CHANNEL_BATCHES: usize = 16;
/// The same when readers also deliver raw records.
const CHANNEL_BATCHES_RAW: usize = 2;
/// Events per store transaction.
const STORE_BATCH: usize = 16_384;

pub struct ScanOptions {
    pub paths: Vec<PathBuf>,
    /// Reader threads (and EVTX parser threads); defaults to the machine's cores.
    pub threads: usize,
    /// Memory-map uncompressed capture files ([`ReadOptions::mmap`]).
    pub mmap: bool,
    pub engine: EngineConfig,
}

/// Live counters a progress display can read while the scan runs.
#[derive(Debug, Default)]
pub struct Progress {
    pub files_total: AtomicUsize,
    pub files_done: AtomicUsize,
    pub records: AtomicU64,
    pub events: AtomicU64,
    pub bytes_done: AtomicU64,
}

/// Receives what happens during a scan, as it happens.
pub trait ScanObserver {
    /// A record, chunk or line could not be read; the scan goes on.
    fn warning(&mut self, _w: &Warning) {}
    /// A file could not be read at all.
    fn file_error(&mut self, _e: &IngestError) {}
    /// A file was done.
    fn file_done(&mut self, _file: &InputFile, _stats: &ReadStats) {}
}

/// A no-op observer.
pub struct Quiet;
impl ScanObserver for Quiet {}

/// Per-file outcome.
#[derive(Debug, Clone, Serialize)]
pub struct FileReport {
    pub path: String,
    pub format: &'static str,
    pub records: u64,
    pub events: u64,
    pub unknown: u64,
    pub skipped_records: u64,
    /// Payloads recognised as encrypted and left unread (packet captures).
    pub encrypted: u64,
    pub warnings: u64,
    /// Set when the file could not be read (or stopped being readable part-way).
    pub error: Option<String>,
}

/// Totals of a scan, as printed in the summary and written by `--stats`.
#[derive(Debug, Clone, Default, Serialize)]
pub struct ScanTotals {
    pub files: u64,
    pub files_read: u64,
    pub unreadable_files: u64,
    pub skipped_files: u64,
    pub bytes: u64,
    pub records: u64,
    pub events: u64,
    pub unknown_records: u64,
    /// Encrypted payloads seen in packet captures (sealed LDAP, SMB3, sealed RPC).
    pub encrypted: u64,
    pub warnings: u64,
    pub alerts: u64,
    pub alerts_by_severity: AlertsBySeverity,
    /// Alerts joined into incidents (same attacker or victims, close in time).
    pub incidents: u64,
    /// Alerts silenced by the allow-list.
    pub suppressed_alerts: u64,
    pub elapsed_secs: f64,
    pub records_per_sec: f64,
}

#[derive(Debug, Clone, Default, Serialize)]
pub struct AlertsBySeverity {
    pub critical: u64,
    pub high: u64,
    pub medium: u64,
    pub low: u64,
}

impl AlertsBySeverity {
    pub fn count(alerts: &[Alert]) -> AlertsBySeverity {
        let mut s = AlertsBySeverity::default();
        for a in alerts {
            match a.severity {
                Severity::Critical => s.critical += 1,
                Severity::High => s.high += 1,
                Severity::Medium => s.medium += 1,
                Severity::Low => s.low += 1,
            }
        }
        s
    }
}

#[derive(Debug)]
pub struct ScanReport {
    pub alerts: Vec<Alert>,
    pub incidents: Vec<Incident>,
    pub files: Vec<FileReport>,
    pub skipped: Vec<Skipped>,
    pub errors: Vec<String>,
    pub totals: ScanTotals,
}

impl ScanReport {
    /// Nothing could be read: no input file, or every one unreadable.
    pub fn nothing_readable(&self) -> bool {
        self.totals.files_read == 0
    }
}

enum Msg {
    Events(Vec<IdentityEvent>),
    Warning(Warning),
    Done(Result<ReadStats, IngestError>),
}

/// Sends a reader's output into its file's channel.
struct ChannelSink<'a> {
    tx: &'a Sender<Msg>,
    progress: &'a Progress,
    last_records: u64,
}

impl EventSink for ChannelSink<'_> {
    fn events(&mut self, batch: Vec<IdentityEvent>) -> bool {
        self.tx.send(Msg::Events(batch)).is_ok()
    }

    fn warning(&mut self, warning: Warning) {
        let _ = self.tx.send(Msg::Warning(warning));
    }

    fn progress(&mut self, records: u64) {
        let delta = records.saturating_sub(self.last_records);
        self.last_records = records;
        self.progress.records.fetch_add(delta, Ordering::Relaxed);
    }
}

/// Runs a scan. `store`, when given, receives the scan's events and alerts.
pub fn run_scan(
    opts: &ScanOptions,
    progress: &Progress,
    observer: &mut dyn ScanObserver,
    mut store: Option<&mut dyn Store>,
) -> anyhow::Result<ScanReport> {
    let started = Instant::now();
    let discovery = discover_all(&opts.paths);
    let files = discovery.files;
    let mut errors: Vec<String> = Vec::new();
    for e in &discovery.errors {
        observer.file_error(e);
        errors.push(e.to_string());
    }
    progress.files_total.store(files.len(), Ordering::Relaxed);

    let scan_id = match store.as_deref_mut() {
        Some(s) => Some(s.begin_scan(&ScanMeta {
            started: chrono::Utc::now(),
            inputs: opts.paths.iter().map(|p| p.display().to_string()).collect(),
            tool_version: format!("rampart {}", env!("CARGO_PKG_VERSION")),
            host: hostname(),
        })?),
        None => None,
    };

    let threads = opts.threads.max(1);
    let workers = threads.min(files.len()).max(1);
    // Few files: give each file's EVTX parser the spare cores.
    let read_opts = ReadOptions {
        threads: (threads / workers).max(1),
        raw: raw_select(&opts.engine),
        mmap: opts.mmap,
    };

    let mut engine = Engine::new(&opts.engine);
    let mut reports: Vec<FileReport> = Vec::with_capacity(files.len());
    let mut pending_store: Vec<IdentityEvent> = Vec::new();
    let mut store_error: Option<anyhow::Error> = None;

    // Raw records (for Sigma rules) are far bigger than identity events: hold fewer batches.
    let capacity = if read_opts.raw.is_some() {
        CHANNEL_BATCHES_RAW
    } else {
        CHANNEL_BATCHES
    };
    let (senders, receivers): (Vec<Sender<Msg>>, Vec<Receiver<Msg>>) =
        (0..files.len()).map(|_| bounded(capacity)).unzip();
    let next = AtomicUsize::new(0);

    std::thread::scope(|scope| {
        for _ in 0..workers {
            let files = &files;
            let senders = &senders;
            let next = &next;
            let read_opts = &read_opts;
            scope.spawn(move || loop {
                let i = next.fetch_add(1, Ordering::Relaxed);
                let Some(file) = files.get(i) else { break };
                let tx = &senders[i];
                let mut sink = ChannelSink {
                    tx,
                    progress,
                    last_records: 0,
                };
                let result = read_file(file, read_opts, &mut sink);
                if let Ok(stats) = &result {
                    let delta = stats.records.saturating_sub(sink.last_records);
                    progress.records.fetch_add(delta, Ordering::Relaxed);
                }
                let _ = tx.send(Msg::Done(result));
            });
        }

        // The engine consumes files in input order.
        for (file, rx) in files.iter().zip(&receivers) {
            let mut report = FileReport {
                path: file.display.to_string(),
                format: file.format.as_str(),
                records: 0,
                events: 0,
                unknown: 0,
                skipped_records: 0,
                encrypted: 0,
                warnings: 0,
                error: None,
            };
            for msg in rx.iter() {
                match msg {
                    Msg::Events(batch) => {
                        let raw = batch.iter().filter(|e| is_raw(e)).count();
                        progress
                            .events
                            .fetch_add((batch.len() - raw) as u64, Ordering::Relaxed);
                        for ev in &batch {
                            engine.process(ev);
                        }
                        if let (Some(s), Some(id)) = (store.as_deref_mut(), scan_id) {
                            if store_error.is_none() {
                                // Raw records are for rule matching; the store keeps events.
                                pending_store.extend(batch.into_iter().filter(|e| !is_raw(e)));
                                if pending_store.len() >= STORE_BATCH {
                                    if let Err(e) = s.insert_events(id, &pending_store) {
                                        store_error = Some(e.into());
                                    }
                                    pending_store.clear();
                                }
                            }
                        }
                    }
                    Msg::Warning(w) => {
                        report.warnings += 1;
                        observer.warning(&w);
                    }
                    Msg::Done(Ok(stats)) => {
                        report.records = stats.records;
                        report.events = stats.events;
                        report.unknown = stats.unknown;
                        report.skipped_records = stats.skipped;
                        report.encrypted = stats.encrypted;
                        progress.bytes_done.fetch_add(file.size, Ordering::Relaxed);
                        observer.file_done(file, &stats);
                        break;
                    }
                    Msg::Done(Err(e)) => {
                        observer.file_error(&e);
                        errors.push(e.to_string());
                        report.error = Some(e.to_string());
                        progress.bytes_done.fetch_add(file.size, Ordering::Relaxed);
                        break;
                    }
                }
            }
            progress.files_done.fetch_add(1, Ordering::Relaxed);
            reports.push(report);
        }
    });

    let (mut alerts, suppressed, entities) = engine.finish_with_entities();
    let incidents = correlate_with(&mut alerts, &|h| entities.is_dc_host(h));
    if let (Some(s), Some(id)) = (store.as_deref_mut(), scan_id) {
        if store_error.is_none() && !pending_store.is_empty() {
            if let Err(e) = s.insert_events(id, &pending_store) {
                store_error = Some(e.into());
            }
        }
        if let Some(e) = store_error {
            return Err(e.context("storing the scan's events"));
        }
        s.insert_alerts(id, &alerts)?;
    }

    let elapsed = started.elapsed().as_secs_f64();
    let read_ok = reports.iter().filter(|r| r.error.is_none()).count() as u64;
    let records: u64 = reports.iter().map(|r| r.records).sum();
    let totals = ScanTotals {
        files: files.len() as u64 + discovery.errors.len() as u64,
        files_read: read_ok,
        unreadable_files: errors.len() as u64,
        skipped_files: discovery.skipped.len() as u64,
        bytes: files.iter().map(|f| f.size).sum(),
        records,
        events: reports.iter().map(|r| r.events).sum(),
        unknown_records: reports.iter().map(|r| r.unknown).sum(),
        encrypted: reports.iter().map(|r| r.encrypted).sum(),
        warnings: reports.iter().map(|r| r.warnings).sum(),
        alerts: alerts.len() as u64,
        alerts_by_severity: AlertsBySeverity::count(&alerts),
        incidents: incidents.len() as u64,
        suppressed_alerts: suppressed,
        elapsed_secs: elapsed,
        records_per_sec: if elapsed > 0.0 {
            records as f64 / elapsed
        } else {
            0.0
        },
    };
    if let (Some(s), Some(id)) = (store, scan_id) {
        s.finish_scan(
            id,
            &ScanSummary {
                files: totals.files_read,
                records: totals.records,
                events: totals.events,
                unreadable_files: totals.unreadable_files,
                warnings: totals.warnings,
                alerts: totals.alerts,
                elapsed_secs: totals.elapsed_secs,
            },
        )?;
    }
    Ok(ScanReport {
        alerts,
        incidents,
        files: reports,
        skipped: discovery.skipped,
        errors,
        totals,
    })
}

fn hostname() -> String {
    std::env::var("HOSTNAME")
        .ok()
        .or_else(|| {
            std::fs::read_to_string("/etc/hostname")
                .ok()
                .map(|s| s.trim().to_string())
        })
        .filter(|s| !s.is_empty())
        .unwrap_or_else(|| "unknown".to_string())
}

/// Default thread count: the machine's cores.
pub fn default_threads() -> usize {
    std::thread::available_parallelism()
        .map(|n| n.get())
        .unwrap_or(2)
}

/// Shared handle type for callers that keep progress alive across threads.
pub type SharedProgress = Arc<Progress>;

/// What the readers keep raw for the engine's Sigma rules: nothing without rules, so that a
/// scan without `--rules` parses exactly what it did before.
pub fn raw_select(engine: &EngineConfig) -> Option<Arc<RawSelect>> {
    let rules = engine.sigma.as_ref()?;
    let mut select = RawSelect::default();
    for (channel, ids) in rules.wanted() {
        select.add(channel, ids.as_deref());
    }
    (!select.is_empty()).then(|| Arc::new(select))
}

fn is_raw(ev: &IdentityEvent) -> bool {
    matches!(ev.kind, rampart_core::EventKind::RawRecord { .. })
}

/// The events behind the given evidence, read again from their files (a second pass over only
/// the files the alerts point into), keyed by evidence. Used for `--timeline`. `raw` (from
/// [`raw_select`]) also finds the records behind Sigma alerts that map to no event.
pub fn events_for_evidence(
    evidence: &[rampart_core::Evidence],
    threads: usize,
    raw: Option<Arc<RawSelect>>,
) -> std::collections::HashMap<rampart_core::Evidence, IdentityEvent> {
    use std::collections::{HashMap, HashSet};
    let wanted: HashSet<&rampart_core::Evidence> = evidence.iter().collect();
    let sources: Vec<PathBuf> = {
        let mut s: Vec<&str> = evidence.iter().map(|e| &*e.source).collect();
        s.sort_unstable();
        s.dedup();
        s.into_iter().map(PathBuf::from).collect()
    };
    struct Collect<'a> {
        wanted: &'a HashSet<&'a rampart_core::Evidence>,
        found: HashMap<rampart_core::Evidence, IdentityEvent>,
    }
    impl EventSink for Collect<'_> {
        fn events(&mut self, batch: Vec<IdentityEvent>) -> bool {
            for e in batch {
                if self.wanted.contains(&e.evidence) {
                    self.found.entry(e.evidence.clone()).or_insert(e);
                }
            }
            true
        }
        fn warning(&mut self, _w: Warning) {}
    }
    let mut sink = Collect {
        wanted: &wanted,
        found: HashMap::new(),
    };
    let opts = ReadOptions {
        threads: threads.max(1),
        raw,
        ..ReadOptions::default()
    };
    for path in sources {
        let (files, _) = rampart_ingest::discover(std::slice::from_ref(&path));
        for f in files {
            // The display name must equal the evidence source: discover keeps the path as given.
            let _ = read_file(&f, &opts, &mut sink);
        }
    }
    sink.found
}
