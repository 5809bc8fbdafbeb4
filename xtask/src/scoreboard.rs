//! `cargo xtask scoreboard`: detection quality of `rampart scan` on the labelled datasets.

use crate::labels::{self, Entry};
use crate::proc::{self, Exit};
use anyhow::{Context as _, Result};
use serde::Serialize;
use std::collections::{BTreeMap, BTreeSet};
use std::fmt::Write as _;
use std::io::IsTerminal as _;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Mutex;
use std::time::{Duration, Instant};

/// The classes the first detectors are built for.
pub const FOUNDATION: [&str; 10] = [
    "dcsync",
    "dcshadow",
    "kerberoasting",
    "asrep_roasting",
    "brute_force",
    "password_spray",
    "sensitive_group_change",
    "adminsdholder_change",
    "log_cleared",
    "remote_exec_service",
];

#[derive(clap::Args)]
pub struct Args {
    /// The datasets folder holding labels.csv [default: <workspace>/../shared/datasets].
    #[arg(long, value_name = "DIR")]
    datasets: Option<PathBuf>,
    /// Use this rampart binary instead of building `cargo build --release -p rampart`.
    #[arg(long, value_name = "PATH")]
    bin: Option<PathBuf>,
    /// The `rampart scan --config` file given to every scan [default: xtask/scoreboard.toml].
    #[arg(long, value_name = "FILE")]
    config: Option<PathBuf>,
    /// Write every per-file and per-class result as JSON to FILE.
    #[arg(long, value_name = "FILE")]
    json: Option<PathBuf>,
    /// Per-file time limit in seconds; a scan still running is killed and counted as an error.
    #[arg(long, value_name = "SECS", default_value_t = 120.0)]
    timeout: f64,
    /// Files scanned at the same time (1 or 2; each scan gets cores/jobs reader threads).
    #[arg(long, value_name = "N", default_value_t = 2, value_parser = clap::value_parser!(u64).range(1..=2))]
    jobs: u64,
    /// Also list the missed files of each class and the off-label alerts of each file.
    #[arg(long, short = 'v')]
    verbose: bool,
}

/// What became of one file's scan.
#[derive(Serialize, Clone, Copy, PartialEq, Eq, Debug)]
#[serde(rename_all = "snake_case")]
enum Status {
    /// Exit 0 or 1 and everything readable.
    Ok,
    /// Exit 2 on a format `rampart scan` does not read yet (pcap): not scored, not an error.
    Unsupported,
    /// Killed by a signal or an exit code other than 0, 1, 2.
    Crash,
    /// Still running at the time limit.
    Timeout,
    /// Exit 2 on a file that should be readable.
    Exit2,
    /// Exit 0/1 but the stats report unreadable files.
    Unreadable,
    /// Exit 0/1 but the alerts or stats could not be read back.
    BadOutput,
}

impl Status {
    fn is_error(self) -> bool {
        !matches!(self, Status::Ok | Status::Unsupported)
    }
    fn as_str(self) -> &'static str {
        match self {
            Status::Ok => "ok",
            Status::Unsupported => "unsupported",
            Status::Crash => "crash",
            Status::Timeout => "timeout",
            Status::Exit2 => "exit 2",
            Status::Unreadable => "unreadable",
            Status::BadOutput => "bad output",
        }
    }
}

#[derive(Serialize, Clone, Debug)]
struct FileResult {
    path: String,
    short: String,
    format: String,
    classes: Vec<String>,
    status: Status,
    exit_code: Option<i32>,
    signal: Option<i32>,
    wall_secs: f64,
    /// From the stats file, when written.
    records: Option<u64>,
    events: Option<u64>,
    warnings: Option<u64>,
    unreadable_files: Option<u64>,
    /// Alert lines on stdout.
    alerts: u64,
    /// Alerts per kind.
    kinds: BTreeMap<String, u64>,
    /// The incidents the alerts were joined into, each as the kinds of its alerts.
    incidents: Vec<BTreeSet<String>>,
    /// Attack labels with an alert of that kind.
    detected: Vec<String>,
    /// Attack labels without one.
    missed: Vec<String>,
    /// Alerts whose kind is not among the labels (every alert on benign and corrupt files).
    off_label: BTreeMap<String, u64>,
    /// Why the file counts as an error, or what the scan said on a skipped format.
    message: Option<String>,
}

impl FileResult {
    fn scored(&self) -> bool {
        self.status != Status::Unsupported
    }
    fn is_benign(&self) -> bool {
        self.classes.iter().any(|c| c == labels::BENIGN)
    }
    fn is_corrupt(&self) -> bool {
        self.classes.iter().any(|c| c == labels::CORRUPT)
    }
    fn attack_classes(&self) -> impl Iterator<Item = &str> {
        self.classes
            .iter()
            .map(String::as_str)
            .filter(|c| !labels::is_special(c))
    }
    fn is_event_log(&self) -> bool {
        self.format == "evtx" || self.format == "json"
    }
}

#[derive(Serialize, Debug, Default)]
struct ClassResult {
    class: String,
    files: u64,
    /// Of which EVTX/JSON.
    event_log_files: u64,
    /// Of which in a format not read yet.
    unsupported: u64,
    detected: u64,
    event_log_detected: u64,
    recall: f64,
    event_log_recall: f64,
    missed: Vec<String>,
}

/// Totals over one slice of the corpus.
#[derive(Serialize, Debug, Default)]
struct Totals {
    scope: String,
    files: u64,
    attack_files: u64,
    attack_files_detected: u64,
    pairs: u64,
    pairs_detected: u64,
    alerts: u64,
    incidents: u64,
    false_alerts: u64,
    false_alerts_benign: u64,
    false_alerts_off_label: u64,
    false_alerts_corrupt: u64,
    errors: u64,
    unsupported: u64,
}

#[derive(Serialize)]
struct Report<'a> {
    datasets: String,
    binary: String,
    config: String,
    elapsed_secs: f64,
    totals: &'a [Totals],
    classes: &'a [ClassResult],
    files: &'a [FileResult],
}

pub fn run(args: Args) -> Result<()> {
    let datasets = crate::datasets_dir(args.datasets.clone())?;
    let entries = labels::read(&datasets.join("labels.csv"))?;
    anyhow::ensure!(!entries.is_empty(), "labels.csv lists no file");
    let config = args.config.clone().unwrap_or_else(|| {
        crate::workspace_root()
            .join("xtask")
            .join("scoreboard.toml")
    });
    anyhow::ensure!(
        config.is_file(),
        "{}: no such configuration (use --config FILE)",
        config.display()
    );
    let bin = crate::rampart_binary(args.bin.clone())?;
    let work = crate::target_dir().join("xtask-scoreboard");
    std::fs::create_dir_all(&work).with_context(|| format!("creating {}", work.display()))?;

    let jobs = args.jobs as usize;
    let threads = (crate::cores() / jobs).max(1);
    let timeout = Duration::from_secs_f64(args.timeout.max(0.001));
    let started = Instant::now();
    let scan = Scan {
        datasets: &datasets,
        bin: &bin,
        config: &config,
        work: &work,
        threads,
        timeout,
    };
    let results = scan_all(&entries, &scan, jobs)?;
    let elapsed = started.elapsed();
    let _ = std::fs::remove_dir_all(&work);

    let classes = per_class(&results);
    let totals = vec![
        totals("all files", &results, |_| true, |_| true),
        totals("evtx+json", &results, FileResult::is_event_log, |_| true),
        totals(
            "foundation (evtx+json)",
            &results,
            FileResult::is_event_log,
            |c| FOUNDATION.contains(&c),
        ),
    ];
    let text = render(&args, &scan, elapsed, jobs, &results, &classes, &totals);
    print!("{text}");
    if let Some(path) = &args.json {
        let report = Report {
            datasets: datasets.display().to_string(),
            binary: bin.display().to_string(),
            config: config.display().to_string(),
            elapsed_secs: elapsed.as_secs_f64(),
            totals: &totals,
            classes: &classes,
            files: &results,
        };
        std::fs::write(path, serde_json::to_vec_pretty(&report)?)
            .with_context(|| format!("writing {}", path.display()))?;
        eprintln!("xtask: wrote {}", path.display());
    }
    Ok(())
}

/// How every file is scanned.
struct Scan<'a> {
    datasets: &'a Path,
    bin: &'a Path,
    /// Given to every scan: the corpus' honeytokens are configured decoys, which no detector
    /// can (or should) guess from the logs.
    config: &'a Path,
    work: &'a Path,
    threads: usize,
    timeout: Duration,
}

/// Scans every entry, `jobs` at a time; results in `entries` order.
fn scan_all(entries: &[Entry], scan: &Scan<'_>, jobs: usize) -> Result<Vec<FileResult>> {
    let next = AtomicUsize::new(0);
    let done = AtomicUsize::new(0);
    let slots: Mutex<Vec<Option<Result<FileResult>>>> =
        Mutex::new((0..entries.len()).map(|_| None).collect());
    let tty = std::io::stderr().is_terminal();
    std::thread::scope(|s| {
        for _ in 0..jobs.min(entries.len()) {
            s.spawn(|| loop {
                let i = next.fetch_add(1, Ordering::Relaxed);
                let Some(entry) = entries.get(i) else { break };
                let r = scan_one(entry, i, scan);
                let n = done.fetch_add(1, Ordering::Relaxed) + 1;
                if tty {
                    eprint!(
                        "\r\x1b[2Kxtask: scanned {n}/{} {}",
                        entries.len(),
                        entry.short()
                    );
                }
                slots.lock().unwrap_or_else(|e| e.into_inner())[i] = Some(r);
            });
        }
    });
    if tty {
        eprint!("\r\x1b[2K");
    }
    slots
        .into_inner()
        .unwrap_or_else(|e| e.into_inner())
        .into_iter()
        .map(|r| r.unwrap_or_else(|| Err(anyhow::anyhow!("not scanned"))))
        .collect()
}

fn scan_one(entry: &Entry, index: usize, scan: &Scan<'_>) -> Result<FileResult> {
    let Scan {
        datasets,
        bin,
        config,
        work,
        threads,
        timeout,
    } = *scan;
    let path = datasets.join(&entry.path);
    let out_path = work.join(format!("{index:04}.jsonl"));
    let err_path = work.join(format!("{index:04}.stderr"));
    let stats_path = work.join(format!("{index:04}.stats.json"));
    let _ = std::fs::remove_file(&stats_path);
    let out = std::fs::File::create(&out_path)?;
    let err = std::fs::File::create(&err_path)?;
    let mut cmd = Command::new(bin);
    cmd.arg("scan")
        .args(["--format", "jsonl", "--quiet", "--threads"])
        .arg(threads.to_string())
        .arg("--stats")
        .arg(&stats_path)
        .arg("--config")
        .arg(config)
        .arg(&path)
        .stdin(Stdio::null())
        .stdout(out)
        .stderr(err)
        .env("NO_COLOR", "1");
    let outcome = proc::run(&mut cmd, Some(timeout))?;

    let mut r = FileResult {
        path: entry.path.clone(),
        short: entry.short().to_string(),
        format: entry.format.clone(),
        classes: entry.classes.clone(),
        status: Status::Ok,
        exit_code: None,
        signal: None,
        wall_secs: outcome.wall.as_secs_f64(),
        records: None,
        events: None,
        warnings: None,
        unreadable_files: None,
        alerts: 0,
        kinds: BTreeMap::new(),
        detected: Vec::new(),
        missed: Vec::new(),
        off_label: BTreeMap::new(),
        incidents: Vec::new(),
        message: None,
    };
    let stderr_text = std::fs::read_to_string(&err_path).unwrap_or_default();
    let last_stderr = || {
        stderr_text
            .lines()
            .rev()
            .find(|l| !l.trim().is_empty())
            .map(|l| l.trim().to_string())
    };

    // Stats, when written.
    let mut stats_error: Option<String> = None;
    if let Ok(bytes) = std::fs::read(&stats_path) {
        match serde_json::from_slice::<serde_json::Value>(&bytes) {
            Ok(v) => {
                let n = |k: &str| v["summary"][k].as_u64();
                r.records = n("records");
                r.events = n("events");
                r.warnings = n("warnings");
                r.unreadable_files = n("unreadable_files");
                stats_error = v["errors"]
                    .as_array()
                    .and_then(|e| e.first())
                    .and_then(|e| e.as_str())
                    .map(str::to_string);
            }
            Err(e) => stats_error = Some(format!("stats file is not JSON: {e}")),
        }
    }

    match outcome.exit {
        Exit::Signal(sig) => {
            r.signal = Some(sig);
            if outcome.timed_out {
                r.status = Status::Timeout;
                r.message = Some(format!("killed after {:.0} s", timeout.as_secs_f64()));
            } else {
                r.status = Status::Crash;
                r.message = Some(format!(
                    "killed by signal {sig}{}",
                    last_stderr().map(|l| format!(": {l}")).unwrap_or_default()
                ));
            }
            return Ok(r);
        }
        Exit::Code(code) => r.exit_code = Some(code),
    }
    let code = r.exit_code.unwrap_or(-1);
    if code == 2 {
        r.status = if entry.format == "pcap" {
            Status::Unsupported
        } else {
            Status::Exit2
        };
        r.message = stats_error
            .or_else(last_stderr)
            .or_else(|| Some("exit 2 without a message".into()));
        return Ok(r);
    }
    if code != 0 && code != 1 {
        r.status = Status::Crash;
        r.message = Some(format!(
            "exit code {code}{}",
            last_stderr().map(|l| format!(": {l}")).unwrap_or_default()
        ));
        return Ok(r);
    }

    // Alerts.
    let alerts_text = std::fs::read_to_string(&out_path).unwrap_or_default();
    let mut bad_lines = 0u64;
    let mut incidents: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
    for line in alerts_text.lines().filter(|l| !l.trim().is_empty()) {
        let v = serde_json::from_str::<serde_json::Value>(line).ok();
        match v
            .as_ref()
            .and_then(|v| v["kind"].as_str().map(str::to_string))
        {
            Some(kind) => {
                r.alerts += 1;
                *r.kinds.entry(kind.clone()).or_default() += 1;
                // An alert outside any incident stands alone.
                let incident = v
                    .as_ref()
                    .and_then(|v| v["incident"].as_str().or_else(|| v["id"].as_str()))
                    .unwrap_or_default()
                    .to_string();
                incidents.entry(incident).or_default().insert(kind);
            }
            None => bad_lines += 1,
        }
    }
    r.incidents = incidents.into_values().collect();
    let labelled: BTreeSet<&str> = entry.attack_classes().collect();
    for c in &labelled {
        if r.kinds.contains_key(*c) {
            r.detected.push(c.to_string());
        } else {
            r.missed.push(c.to_string());
        }
    }
    for (kind, n) in &r.kinds {
        if !labelled.contains(kind.as_str()) {
            r.off_label.insert(kind.clone(), *n);
        }
    }

    if r.unreadable_files.unwrap_or(0) > 0 {
        r.status = Status::Unreadable;
        r.message = stats_error.or_else(last_stderr);
    } else if bad_lines > 0 {
        r.status = Status::BadOutput;
        r.message = Some(format!("{bad_lines} stdout line(s) are not JSON alerts"));
    } else if r.records.is_none() {
        r.status = Status::BadOutput;
        r.message = Some(stats_error.unwrap_or_else(|| "no stats file written".into()));
    } else if code == 0 && r.alerts > 0 || code == 1 && r.alerts == 0 {
        r.status = Status::BadOutput;
        r.message = Some(format!("exit code {code} with {} alert(s)", r.alerts));
    }
    Ok(r)
}

fn pct(n: u64, d: u64) -> f64 {
    if d == 0 {
        0.0
    } else {
        100.0 * n as f64 / d as f64
    }
}

fn per_class(results: &[FileResult]) -> Vec<ClassResult> {
    let mut by_class: BTreeMap<&str, ClassResult> = BTreeMap::new();
    for f in results {
        for c in f.attack_classes() {
            let e = by_class.entry(c).or_insert_with(|| ClassResult {
                class: c.to_string(),
                ..ClassResult::default()
            });
            e.files += 1;
            let hit = f.detected.iter().any(|d| d == c);
            if f.is_event_log() {
                e.event_log_files += 1;
                e.event_log_detected += u64::from(hit);
            }
            if !f.scored() {
                e.unsupported += 1;
            }
            if hit {
                e.detected += 1;
            } else {
                e.missed.push(f.short.clone());
            }
        }
    }
    by_class
        .into_values()
        .map(|mut c| {
            c.recall = pct(c.detected, c.files);
            c.event_log_recall = pct(c.event_log_detected, c.event_log_files);
            c
        })
        .collect()
}

/// Totals over the files kept by `file_in`, counting only labels and alert kinds kept by
/// `class_in`.
fn totals(
    scope: &str,
    results: &[FileResult],
    file_in: impl Fn(&FileResult) -> bool,
    class_in: impl Fn(&str) -> bool,
) -> Totals {
    let mut t = Totals {
        scope: scope.to_string(),
        ..Totals::default()
    };
    for f in results.iter().filter(|f| file_in(f)) {
        t.files += 1;
        t.errors += u64::from(f.status.is_error());
        t.unsupported += u64::from(!f.scored());
        let labelled: Vec<&str> = f.attack_classes().filter(|c| class_in(c)).collect();
        if !labelled.is_empty() {
            t.attack_files += 1;
            t.pairs += labelled.len() as u64;
            let hits = labelled
                .iter()
                .filter(|c| f.detected.iter().any(|d| d == *c))
                .count() as u64;
            t.pairs_detected += hits;
            t.attack_files_detected += u64::from(hits > 0);
        }
        t.incidents += f
            .incidents
            .iter()
            .filter(|kinds| kinds.iter().any(|k| class_in(k)))
            .count() as u64;
        for (kind, n) in &f.kinds {
            if !class_in(kind) {
                continue;
            }
            t.alerts += n;
            if f.off_label.contains_key(kind) {
                t.false_alerts += n;
                if f.is_benign() {
                    t.false_alerts_benign += n;
                } else if f.is_corrupt() && f.attack_classes().next().is_none() {
                    t.false_alerts_corrupt += n;
                } else {
                    t.false_alerts_off_label += n;
                }
            }
        }
    }
    t
}

fn trunc(s: &str, width: usize) -> String {
    if s.chars().count() <= width {
        s.to_string()
    } else {
        let mut t: String = s.chars().take(width.saturating_sub(1)).collect();
        t.push('…');
        t
    }
}

fn kinds_list(kinds: &BTreeMap<String, u64>) -> String {
    kinds
        .iter()
        .map(|(k, n)| {
            if *n == 1 {
                k.clone()
            } else {
                format!("{k}×{n}")
            }
        })
        .collect::<Vec<_>>()
        .join(", ")
}

/// Appends `items` as indented lines of at most ~100 characters.
fn wrap_list(out: &mut String, indent: &str, label: &str, items: &[String]) {
    let mut line = format!("{indent}{label}");
    let mut first = true;
    for it in items {
        let sep = if first { "" } else { ", " };
        if !first && line.chars().count() + sep.len() + it.chars().count() > 100 {
            let _ = writeln!(out, "{line},");
            line = format!("{indent}{}", " ".repeat(label.chars().count()));
            line.push_str(it);
        } else {
            line.push_str(sep);
            line.push_str(it);
        }
        first = false;
    }
    let _ = writeln!(out, "{line}");
}

fn render(
    args: &Args,
    scan: &Scan<'_>,
    elapsed: Duration,
    jobs: usize,
    results: &[FileResult],
    classes: &[ClassResult],
    totals: &[Totals],
) -> String {
    let mut o = String::new();
    let mut formats: BTreeMap<&str, u64> = BTreeMap::new();
    for f in results {
        *formats.entry(f.format.as_str()).or_default() += 1;
    }
    let formats = formats
        .iter()
        .map(|(k, n)| format!("{n} {k}"))
        .collect::<Vec<_>>()
        .join(", ");
    let _ = writeln!(
        o,
        "Rampart scoreboard: {} files ({formats}) in {}",
        results.len(),
        crate::show(scan.datasets)
    );
    let _ = writeln!(
        o,
        "binary {}, {jobs} file(s) at a time, --threads {}, {:.1} s",
        crate::show(scan.bin),
        scan.threads,
        elapsed.as_secs_f64()
    );
    let _ = writeln!(
        o,
        "configuration {} (--config on every scan: the corpus' configured decoys)",
        crate::show(scan.config)
    );

    // Per class.
    let _ = writeln!(o);
    let _ = writeln!(
        o,
        "{:<26} {:>5} {:>5} {:>5} {:>8} {:>7} {:>11}",
        "class", "files", "e+j", "unsup", "detected", "recall", "recall e+j"
    );
    for c in classes {
        let ej = if c.event_log_files == 0 {
            "-".to_string()
        } else {
            format!("{:.0}%", c.event_log_recall)
        };
        let _ = writeln!(
            o,
            "{:<26} {:>5} {:>5} {:>5} {:>8} {:>6.0}% {:>11}",
            trunc(&c.class, 26),
            c.files,
            c.event_log_files,
            c.unsupported,
            c.detected,
            c.recall,
            ej
        );
        if args.verbose && !c.missed.is_empty() {
            wrap_list(&mut o, "    ", "missed: ", &c.missed);
        }
    }
    let _ = writeln!(
        o,
        "(e+j: EVTX+JSON files; unsup: files in a format rampart scan does not read yet)"
    );

    // False alerts.
    let benign: Vec<&FileResult> = results.iter().filter(|f| f.is_benign()).collect();
    let benign_alerts: u64 = benign.iter().map(|f| f.alerts).sum();
    let benign_hit: Vec<&&FileResult> = benign.iter().filter(|f| f.alerts > 0).collect();
    let _ = writeln!(o);
    let _ = writeln!(
        o,
        "False alerts on benign files: {benign_alerts} alert(s) on {} of {} files",
        benign_hit.len(),
        benign.len()
    );
    for f in &benign_hit {
        let _ = writeln!(o, "  {:<56} {}", trunc(&f.short, 56), kinds_list(&f.kinds));
    }
    let attack: Vec<&FileResult> = results
        .iter()
        .filter(|f| !f.is_benign() && f.attack_classes().next().is_some())
        .collect();
    let mut off: BTreeMap<&str, (u64, Vec<&str>)> = BTreeMap::new();
    for f in &attack {
        for (k, n) in &f.off_label {
            let e = off.entry(k.as_str()).or_default();
            e.0 += n;
            e.1.push(f.short.as_str());
        }
    }
    let off_total: u64 = off.values().map(|v| v.0).sum();
    let off_files = attack.iter().filter(|f| !f.off_label.is_empty()).count();
    let _ = writeln!(
        o,
        "Alerts on attack files of a kind not among the file's labels: {off_total} alert(s) on {off_files} of {} files",
        attack.len()
    );
    if !off.is_empty() {
        let _ = writeln!(o, "  {:<26} {:>6} {:>6}", "kind", "alerts", "files");
        for (k, (n, files)) in &off {
            let _ = writeln!(o, "  {:<26} {:>6} {:>6}", trunc(k, 26), n, files.len());
            if args.verbose {
                let files: Vec<String> = files.iter().map(|s| s.to_string()).collect();
                wrap_list(&mut o, "      ", "", &files);
            }
        }
    }

    // Errors.
    let errors: Vec<&FileResult> = results.iter().filter(|f| f.status.is_error()).collect();
    let unsupported: Vec<&FileResult> = results.iter().filter(|f| !f.scored()).collect();
    let _ = writeln!(o);
    let mut by_status: BTreeMap<&str, u64> = BTreeMap::new();
    for f in &errors {
        *by_status.entry(f.status.as_str()).or_default() += 1;
    }
    let breakdown = if by_status.is_empty() {
        String::new()
    } else {
        format!(
            " ({})",
            by_status
                .iter()
                .map(|(k, n)| format!("{n} {k}"))
                .collect::<Vec<_>>()
                .join(", ")
        )
    };
    let _ = writeln!(o, "Errors: {}{breakdown}", errors.len());
    for f in &errors {
        let _ = writeln!(
            o,
            "  {:<11} {:<56} {}",
            f.status.as_str(),
            trunc(&f.short, 56),
            f.message
                .as_deref()
                .map(|m| trunc(m, 120))
                .unwrap_or_default()
        );
    }
    let mut unsup_formats: BTreeMap<&str, u64> = BTreeMap::new();
    for f in &unsupported {
        *unsup_formats.entry(f.format.as_str()).or_default() += 1;
    }
    for (fmt, n) in &unsup_formats {
        let _ = writeln!(
            o,
            "Unsupported format ({fmt}): {n} file(s), exit 2, not scored (not counted as errors)"
        );
    }

    // Corrupt files.
    let corrupt: Vec<&FileResult> = results.iter().filter(|f| f.is_corrupt()).collect();
    if !corrupt.is_empty() {
        let scored = corrupt.iter().filter(|f| f.scored()).count();
        let read = corrupt
            .iter()
            .filter(|f| f.scored() && matches!(f.exit_code, Some(0 | 1)))
            .count();
        let crashed = corrupt
            .iter()
            .filter(|f| matches!(f.status, Status::Crash | Status::Timeout))
            .count();
        let _ = writeln!(o);
        let _ = writeln!(
            o,
            "Corrupt files: {read}/{scored} read (exit 0/1), {crashed} crash or timeout, {} unsupported",
            corrupt.len() - scored
        );
        let _ = writeln!(
            o,
            "  {:<56} {:<11} {:>4} {:>8} {:>8} {:>6}  alerts",
            "file", "status", "exit", "records", "warnings", "unread"
        );
        for f in &corrupt {
            let num = |v: Option<u64>| v.map(|n| n.to_string()).unwrap_or_else(|| "-".into());
            let exit = match (f.exit_code, f.signal) {
                (Some(c), _) => c.to_string(),
                (None, Some(s)) => format!("s{s}"),
                _ => "-".into(),
            };
            let _ = writeln!(
                o,
                "  {:<56} {:<11} {:>4} {:>8} {:>8} {:>6}  {}",
                trunc(&f.short, 56),
                f.status.as_str(),
                exit,
                num(f.records),
                num(f.warnings),
                num(f.unreadable_files),
                if f.kinds.is_empty() {
                    "-".to_string()
                } else {
                    kinds_list(&f.kinds)
                }
            );
        }
    }

    // Totals.
    let _ = writeln!(o);
    let _ = writeln!(
        o,
        "{:<24} {:>16} {:>16} {:>13} {:>16} {:>6} {:>6} {:>6}",
        "totals",
        "attack files",
        "(file,class)",
        "alerts/files",
        "incidents/files",
        "false",
        "errors",
        "unsup"
    );
    for t in totals {
        let frac = |n: u64, d: u64| format!("{n}/{d} {:>3.0}%", pct(n, d));
        let _ = writeln!(
            o,
            "{:<24} {:>16} {:>16} {:>13} {:>16} {:>6} {:>6} {:>6}",
            t.scope,
            frac(t.attack_files_detected, t.attack_files),
            frac(t.pairs_detected, t.pairs),
            format!("{}/{}", t.alerts, t.files),
            format!("{}/{}", t.incidents, t.files),
            t.false_alerts,
            t.errors,
            t.unsupported
        );
    }
    let _ = writeln!(
        o,
        "attack files: detected with at least one labelled kind; (file,class): labels detected;\n\
         incidents: alerts joined by attacker, victim or host (`rampart scan`'s incidents);\n\
         false: alerts on benign or corrupt files, or of a kind the file is not labelled with;"
    );
    let foundation: Vec<String> = FOUNDATION.iter().map(|c| c.to_string()).collect();
    wrap_list(
        &mut o,
        "",
        "foundation: only the labels and alerts of ",
        &foundation,
    );
    o
}
