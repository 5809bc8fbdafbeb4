//! The `rampart` command line.

use anyhow::Context as _;

mod directory_cmd;

/// mimalloc: the scan allocates many small short-lived strings per record; the system
/// allocator spent over a tenth of the scan's instructions on them.
#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;
use clap::{Args, Parser, Subcommand};
use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};
use rampart::output::{self, Format};
use rampart::scan::{self, Progress, ScanObserver, ScanOptions};
use rampart_core::{Alert, AlertKind, Severity};
use rampart_detect::EngineConfig;
use rampart_ingest::{IngestError, InputFile, ReadStats, Warning};
use rampart_store::{AlertQuery, SqliteStore, Store};
use std::io::{IsTerminal, Write};
use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::atomic::Ordering;
use std::time::Duration;

mod posture_cmd;
mod sensor_cmd;

/// Identity threat detection for Active Directory.
///
/// Rampart reads what domain controllers record (Windows event logs and JSON exports of them)
/// and tells you, with the evidence, when someone attacks the domain's identities: DCSync,
/// Kerberoasting, password spraying, rogue DCs, privileged group changes and more.
#[derive(Parser)]
#[command(name = "rampart", version, about, long_about = None, propagate_version = true)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Scan event logs (files or folders) for identity attacks.
    ///
    /// Exit status: 0 no alert, 1 alerts found, 2 usage error or nothing readable.
    Scan(ScanArgs),
    /// Watch a network interface (a DC's own, or a SPAN/TAP port) and report attacks live.
    ///
    /// Alerts are written as they are raised, one per line; a repeat merged into an earlier
    /// alert is written again with the same id. Stops on Ctrl-C / SIGTERM or after
    /// `--duration`. Exit status: 0 no alert, 1 alerts, 2 usage or capture error.
    Sensor(sensor_cmd::SensorArgs),
    /// List alerts stored by earlier `scan --db` runs.
    Alerts(AlertsArgs),
    /// List the built-in detectors with their alert kinds and ATT&CK techniques.
    Detectors,
    /// Sigma rules: check that they load.
    #[command(subcommand)]
    Rules(RulesCommand),
    /// Read the directory (LDAP, an LDIF export or a BloodHound collection) into a snapshot.
    Collect(directory_cmd::CollectArgs),
    /// Attack paths from accounts to Domain Admins (or any object), from a directory snapshot.
    ///
    /// Exit status: 0 no path, 1 paths found, 2 usage error or unreadable input.
    Paths(directory_cmd::PathsArgs),
    /// Score the domain's security posture from a directory snapshot or LDIF export.
    ///
    /// Exit status: 0 every check passed or did not apply, 1 findings, 2 usage or input error.
    Posture(posture_cmd::PostureArgs),
}

#[derive(Subcommand)]
enum RulesCommand {
    /// Load Sigma rules (files or folders, recursively) and print what loaded, what failed
    /// (file:line:column and why) and what does not apply to Windows event logs.
    ///
    /// Exit status: 0 checked (rules may have failed), 2 with `--strict` when any rule failed
    /// to load, or when a path does not exist.
    Check(RulesCheckArgs),
}

#[derive(Args)]
struct RulesCheckArgs {
    /// Rule files or folders.
    #[arg(required = true, value_name = "PATH")]
    paths: Vec<PathBuf>,
    /// Exit with status 2 if any rule fails to load.
    #[arg(long)]
    strict: bool,
    /// Also list every rule loaded and every rule skipped.
    #[arg(long, short = 'v')]
    verbose: bool,
}

#[derive(Args)]
struct ScanArgs {
    /// EVTX files, JSON-lines exports (.json/.jsonl, optionally .gz), or folders of them.
    #[arg(required = true, value_name = "PATH")]
    paths: Vec<PathBuf>,
    /// Output format [default: table on a terminal, else jsonl].
    #[arg(long, short = 'f', value_enum)]
    format: Option<Format>,
    /// Only report alerts at or above this severity (low, medium, high, critical).
    #[arg(long, value_name = "LEVEL", default_value = "low", value_parser = parse_severity)]
    min_severity: Severity,
    /// Write alerts to FILE instead of standard output.
    #[arg(long, short = 'o', value_name = "FILE")]
    output: Option<PathBuf>,
    /// No progress bar, summary or warnings on standard error (errors still print).
    #[arg(long, short = 'q')]
    quiet: bool,
    /// Persist events, entities and alerts in this SQLite database (created if missing).
    #[arg(long, value_name = "FILE")]
    db: Option<PathBuf>,
    /// Write the scan summary as JSON to FILE.
    #[arg(long, value_name = "FILE")]
    stats: Option<PathBuf>,
    /// Reader threads [default: number of cores].
    #[arg(long, short = 'j', value_name = "N")]
    threads: Option<usize>,
    /// Read capture files through a buffer instead of mapping them into memory: slower, but
    /// safe for a capture that another process may truncate while it is read.
    #[arg(long)]
    no_mmap: bool,
    /// Show the events behind each alert, in order (table and JSON output).
    #[arg(long)]
    timeline: bool,
    #[command(flatten)]
    detection: DetectionArgs,
}

/// What the engine runs and knows: shared by `scan` and `sensor`, so that a capture file and
/// a live interface are judged alike.
#[derive(Args)]
pub(crate) struct DetectionArgs {
    /// Leave out a detector (repeatable; see `rampart detectors`).
    #[arg(long, value_name = "NAME")]
    disable: Vec<String>,
    /// Known-good accounts and hosts per detector: lines of `DETECTOR FIELD VALUE`
    /// (field: actor, source, target or host; `*` for any detector; `*` globs in values).
    #[arg(long, value_name = "FILE")]
    allow: Option<PathBuf>,
    /// A TOML file naming sensitive accounts and groups, honeytokens and domain controllers
    /// (see README, "Configuration").
    #[arg(long, value_name = "FILE")]
    config: Option<PathBuf>,
    /// Also run the Sigma rules in this file or folder (repeatable; folders are read
    /// recursively). Rules that fail to load are listed on standard error with file and line;
    /// check them with `rampart rules check`.
    #[arg(long, value_name = "DIR")]
    rules: Vec<PathBuf>,
    /// The directory, so that alerts know who is sensitive: a snapshot from `rampart collect`,
    /// an LDIF export (`.ldif`) or a folder of BloodHound JSON. Privileged groups with their
    /// nested members, adminCount accounts, DCs and the configured honeytokens found in it are
    /// added to the `--config` lists.
    #[arg(long, value_name = "PATH")]
    directory: Option<PathBuf>,
}

impl DetectionArgs {
    fn engine_config(&self, quiet: bool) -> anyhow::Result<EngineConfig> {
        let detectors = rampart_detect::detectors::all();
        let mut known: Vec<&str> = detectors.iter().map(|d| d.name()).collect();
        known.push("sigma");
        for d in &self.disable {
            if !known.contains(&d.as_str()) {
                anyhow::bail!("unknown detector `{d}` (known: {})", known.join(", "));
            }
        }
        let allow = match &self.allow {
            Some(path) => {
                let mut scopes = known.clone();
                scopes.extend(AlertKind::ALL.iter().map(|k| k.as_str()));
                rampart_detect::AllowList::load(path, &scopes)?
            }
            None => rampart_detect::AllowList::default(),
        };
        let mut entities = match &self.config {
            Some(path) => load_config(path)?.entities,
            None => rampart_detect::EntityConfig::default(),
        };
        if let Some(path) = &self.directory {
            add_directory_facts(&mut entities, path, quiet)?;
        }
        Ok(EngineConfig {
            disabled: self.disable.clone(),
            allow,
            entities,
            sigma: load_rules(&self.rules, quiet)?,
            ..EngineConfig::default()
        })
    }
}

/// The configuration file (`--config`).
#[derive(serde::Deserialize, Default)]
#[serde(deny_unknown_fields)]
struct ConfigFile {
    #[serde(default)]
    entities: rampart_detect::EntityConfig,
}

fn cmd_posture(args: posture_cmd::PostureArgs) -> anyhow::Result<ExitCode> {
    let honeytokens = match args.config() {
        Some(path) => load_config(path)?.entities.honeytokens,
        None => Vec::new(),
    };
    posture_cmd::run(args, honeytokens)
}

/// Adds what a directory snapshot says about sensitivity to the configured entity lists.
fn add_directory_facts(
    entities: &mut rampart_detect::EntityConfig,
    path: &std::path::Path,
    quiet: bool,
) -> anyhow::Result<()> {
    use rampart_directory::sensitive::SensitiveConfig;
    let d = directory_cmd::load_any(path)?;
    let cfg = SensitiveConfig {
        sensitive_accounts: entities.sensitive_accounts.clone(),
        sensitive_groups: entities.sensitive_groups.clone(),
        honeytokens: entities.honeytokens.clone(),
    };
    let facts = d.entity_facts(&cfg);
    if !quiet {
        eprintln!(
            "Directory {}: {} users, {} computers, {} groups; {} sensitive accounts, {} sensitive groups, {} domain controllers, {} honeytoken identifiers",
            path.display(),
            d.users.len(),
            d.computers.len(),
            d.groups.len(),
            facts.sensitive_accounts.len(),
            facts.sensitive_groups.len(),
            facts.domain_controllers.len(),
            facts.honeytokens.len(),
        );
    }
    let merge = |into: &mut Vec<String>, from: Vec<String>| {
        for v in from {
            if !into.iter().any(|x| x.eq_ignore_ascii_case(&v)) {
                into.push(v);
            }
        }
    };
    merge(&mut entities.sensitive_accounts, facts.sensitive_accounts);
    merge(&mut entities.sensitive_groups, facts.sensitive_groups);
    merge(&mut entities.honeytokens, facts.honeytokens);
    merge(&mut entities.domain_controllers, facts.domain_controllers);
    Ok(())
}

fn load_config(path: &std::path::Path) -> anyhow::Result<ConfigFile> {
    let text = std::fs::read_to_string(path)
        .with_context(|| format!("reading the configuration {}", path.display()))?;
    toml::from_str(&text).map_err(|e| anyhow::anyhow!("{}: {e}", path.display()))
}

#[derive(Args)]
struct AlertsArgs {
    /// The database written by `rampart scan --db`.
    #[arg(long, value_name = "FILE")]
    db: PathBuf,
    #[arg(long, short = 'f', value_enum)]
    format: Option<Format>,
    #[arg(long, value_name = "LEVEL", default_value = "low", value_parser = parse_severity)]
    min_severity: Severity,
    /// Only this alert kind (e.g. dcsync).
    #[arg(long, value_parser = parse_kind)]
    kind: Option<AlertKind>,
    /// At most this many alerts.
    #[arg(long, default_value_t = 1000)]
    limit: usize,
}

pub(crate) fn parse_severity(s: &str) -> Result<Severity, String> {
    s.parse()
}

fn parse_kind(s: &str) -> Result<AlertKind, String> {
    s.parse()
        .map_err(|e: rampart_core::kind::UnknownKind| e.to_string())
}

/// Transparent huge pages off for this process. mimalloc asks the kernel for them on its
/// arenas, and then every 2 MiB region the scan touches is faulted in and zeroed whole: on the
/// benchmark corpus that doubled peak RSS (about 95 → 50 MiB without) and spent a tenth of the
/// scan's CPU zeroing pages, for allocations that are small and short-lived.
fn no_transparent_huge_pages() {
    #[cfg(target_os = "linux")]
    // SAFETY: PR_SET_THP_DISABLE takes plain integer arguments and touches no memory of ours;
    // a failure (an old kernel) only leaves the default in place.
    unsafe {
        libc::prctl(libc::PR_SET_THP_DISABLE, 1, 0, 0, 0);
    }
}

fn main() -> ExitCode {
    no_transparent_huge_pages();
    let cli = Cli::parse();
    let result = match cli.command {
        Command::Scan(args) => cmd_scan(args),
        Command::Sensor(args) => sensor_cmd::run(args),
        Command::Alerts(args) => cmd_alerts(args),
        Command::Detectors => cmd_detectors(),
        Command::Rules(RulesCommand::Check(args)) => cmd_rules_check(args),
        Command::Collect(args) => directory_cmd::cmd_collect(args),
        Command::Paths(args) => directory_cmd::cmd_paths(args),
        Command::Posture(args) => cmd_posture(args),
    };
    match result {
        Ok(code) => code,
        Err(e) => {
            eprintln!("rampart: error: {e:#}");
            ExitCode::from(2)
        }
    }
}

/// Prints warnings and errors as they happen, above the progress bar.
struct StderrObserver {
    bar: Option<ProgressBar>,
    quiet: bool,
    warnings_shown: u64,
}

pub(crate) const MAX_WARNINGS_SHOWN: u64 = 50;

impl StderrObserver {
    fn say(&self, msg: String) {
        match &self.bar {
            Some(b) => b.println(msg),
            None => eprintln!("{msg}"),
        }
    }
}

impl ScanObserver for StderrObserver {
    fn warning(&mut self, w: &Warning) {
        if self.quiet {
            return;
        }
        self.warnings_shown += 1;
        if self.warnings_shown <= MAX_WARNINGS_SHOWN {
            self.say(format!("warning: {w}"));
        } else if self.warnings_shown == MAX_WARNINGS_SHOWN + 1 {
            self.say("warning: more warnings follow; counted in the summary".to_string());
        }
    }

    fn file_error(&mut self, e: &IngestError) {
        self.say(format!("error: {e}"));
    }

    fn file_done(&mut self, _file: &InputFile, _stats: &ReadStats) {}
}

fn cmd_scan(args: ScanArgs) -> anyhow::Result<ExitCode> {
    let stderr_tty = std::io::stderr().is_terminal();
    let show_progress = stderr_tty && !args.quiet;
    let format = args.format.unwrap_or(
        if args.output.is_none() && std::io::stdout().is_terminal() {
            Format::Table
        } else {
            Format::Jsonl
        },
    );
    let opts = ScanOptions {
        paths: args.paths.clone(),
        threads: args.threads.unwrap_or_else(scan::default_threads),
        mmap: !args.no_mmap,
        engine: args.detection.engine_config(args.quiet)?,
    };
    let mut store = match &args.db {
        Some(path) => Some(
            SqliteStore::open(path)
                .with_context(|| format!("opening the database {}", path.display()))?,
        ),
        None => None,
    };

    let progress = Progress::default();
    let bar = show_progress.then(|| {
        let b = ProgressBar::with_draw_target(None, ProgressDrawTarget::stderr_with_hz(10));
        b.set_style(
            ProgressStyle::with_template("{spinner} [{elapsed_precise}] {bar:30} {msg}")
                .unwrap_or_else(|_| ProgressStyle::default_bar()),
        );
        b
    });
    let mut observer = StderrObserver {
        bar: bar.clone(),
        quiet: args.quiet,
        warnings_shown: 0,
    };

    let done = std::sync::atomic::AtomicBool::new(false);
    let report = std::thread::scope(|s| {
        if let Some(bar) = &bar {
            let progress = &progress;
            let done = &done;
            s.spawn(move || {
                let started = std::time::Instant::now();
                while !done.load(Ordering::Relaxed) {
                    let total = progress.files_total.load(Ordering::Relaxed) as u64;
                    let files = progress.files_done.load(Ordering::Relaxed) as u64;
                    let records = progress.records.load(Ordering::Relaxed);
                    let rate = records as f64 / started.elapsed().as_secs_f64().max(0.001);
                    bar.set_length(total.max(1));
                    bar.set_position(files);
                    bar.set_message(format!(
                        "{files}/{total} files, {records} records, {} events, {rate:.0} records/s",
                        progress.events.load(Ordering::Relaxed)
                    ));
                    std::thread::sleep(Duration::from_millis(100));
                }
            });
        }
        let r = scan::run_scan(
            &opts,
            &progress,
            &mut observer,
            store.as_mut().map(|s| s as &mut dyn Store),
        );
        done.store(true, Ordering::Relaxed);
        r
    })?;
    if let Some(b) = &bar {
        b.finish_and_clear();
    }

    let shown: Vec<Alert> = report
        .alerts
        .iter()
        .filter(|a| a.severity >= args.min_severity)
        .cloned()
        .collect();
    let color = format == Format::Table
        && args.output.is_none()
        && std::io::stdout().is_terminal()
        && std::env::var_os("NO_COLOR").is_none();
    let timeline = args.timeline.then(|| {
        let evidence: Vec<rampart_core::Evidence> = shown
            .iter()
            .flat_map(|a| a.evidence.iter().cloned())
            .collect();
        scan::events_for_evidence(&evidence, opts.threads, scan::raw_select(&opts.engine))
    });
    let shown_ids: std::collections::HashSet<&str> = shown.iter().map(|a| a.id.as_str()).collect();
    let incidents: Vec<rampart_detect::Incident> = report
        .incidents
        .iter()
        .filter(|i| i.alerts.iter().any(|a| shown_ids.contains(a.as_str())))
        .cloned()
        .collect();
    let view = output::View {
        alerts: &shown,
        incidents: &incidents,
        totals: &report.totals,
        timeline: timeline.as_ref(),
    };
    match &args.output {
        Some(path) => {
            let f = std::fs::File::create(path)
                .with_context(|| format!("creating {}", path.display()))?;
            let mut w = std::io::BufWriter::new(f);
            output::write_alerts(&mut w, format, &view, false)
                .with_context(|| format!("writing {}", path.display()))?;
        }
        None => {
            let stdout = std::io::stdout();
            let mut w = std::io::BufWriter::new(stdout.lock());
            if let Err(e) = output::write_alerts(&mut w, format, &view, color) {
                if e.kind() != std::io::ErrorKind::BrokenPipe {
                    return Err(e.into());
                }
            }
        }
    }
    if let Some(path) = &args.stats {
        let doc = serde_json::json!({
            "summary": report.totals,
            "files": report.files,
            "errors": report.errors,
        });
        std::fs::write(path, serde_json::to_vec_pretty(&doc)?)
            .with_context(|| format!("writing {}", path.display()))?;
    }
    if !args.quiet {
        let mut err = std::io::stderr().lock();
        output::write_summary(&mut err, &report.totals)?;
        if shown.len() < report.alerts.len() {
            writeln!(
                err,
                "{} alert(s) below --min-severity {} not shown.",
                report.alerts.len() - shown.len(),
                args.min_severity
            )?;
        }
    }
    if report.nothing_readable() {
        if !args.quiet || report.errors.is_empty() {
            eprintln!("rampart: nothing readable in the given paths");
        }
        return Ok(ExitCode::from(2));
    }
    Ok(if shown.is_empty() {
        ExitCode::SUCCESS
    } else {
        ExitCode::from(1)
    })
}

/// Sigma rules for a scan: `None` without `--rules`. Every rule that does not load is said on
/// standard error (even with `--quiet`: a rule silently not run is a detection gap); a path
/// that does not exist is an error.
fn load_rules(
    paths: &[PathBuf],
    quiet: bool,
) -> anyhow::Result<Option<std::sync::Arc<rampart_detect::RuleSet>>> {
    if paths.is_empty() {
        return Ok(None);
    }
    let set = rampart_detect::RuleSet::load(paths);
    let r = set.report();
    if let Some(missing) = r
        .failed
        .iter()
        .find(|e| e.line == 0 && e.message == rampart_detect::sigma::load::NO_SUCH_PATH)
    {
        anyhow::bail!("--rules {missing}");
    }
    for e in r.failed.iter().take(MAX_RULE_ERRORS_SHOWN) {
        eprintln!("rule error: {e}");
    }
    if r.failed.len() > MAX_RULE_ERRORS_SHOWN {
        eprintln!(
            "rule error: {} more; see `rampart rules check`",
            r.failed.len() - MAX_RULE_ERRORS_SHOWN
        );
    }
    if !quiet {
        eprintln!(
            "Sigma: {} rule(s) loaded{}, {} failed, {} skipped (not for Windows event logs) from {} file(s) in {:.2?}",
            r.loaded.len(),
            match r.correlations.len() {
                0 => String::new(),
                n => format!(" with {n} correlation(s)"),
            },
            r.failed.len(),
            r.skipped.len(),
            r.files.len(),
            r.elapsed
        );
    }
    if set.is_empty() {
        anyhow::bail!(
            "--rules: no rule loaded from {}",
            paths
                .iter()
                .map(|p| p.display().to_string())
                .collect::<Vec<_>>()
                .join(", ")
        );
    }
    Ok(Some(std::sync::Arc::new(set)))
}

const MAX_RULE_ERRORS_SHOWN: usize = 50;

fn cmd_rules_check(args: RulesCheckArgs) -> anyhow::Result<ExitCode> {
    let set = rampart_detect::RuleSet::load(&args.paths);
    let r = set.report();
    let mut out = std::io::stdout().lock();
    if args.verbose {
        for (file, id, title) in &r.loaded {
            writeln!(out, "loaded   {file}: {title} ({id})")?;
        }
        for (file, id, title) in &r.correlations {
            writeln!(out, "loaded   {file}: correlation {title} ({id})")?;
        }
    }
    for e in &r.failed {
        writeln!(out, "failed   {e}")?;
    }
    if args.verbose {
        for s in &r.skipped {
            writeln!(out, "skipped  {s}")?;
        }
    }
    writeln!(
        out,
        "\n{} file(s): {} rule(s) loaded, {} correlation(s), {} failed, {} skipped in {:.2?}",
        r.files.len(),
        r.loaded.len(),
        r.correlations.len(),
        r.failed.len(),
        r.skipped.len(),
        r.elapsed
    )?;
    let reasons = r.failure_reasons();
    if !reasons.is_empty() {
        writeln!(out, "failed, by reason:")?;
        for (reason, n) in reasons {
            writeln!(out, "  {n:6}  {reason}")?;
        }
    }
    let skips = r.skip_reasons();
    if !skips.is_empty() {
        writeln!(out, "skipped, by reason:")?;
        for (reason, n) in skips {
            writeln!(out, "  {n:6}  {reason}")?;
        }
    }
    let missing = r.failed.iter().any(|e| e.line == 0);
    Ok(if (args.strict && !r.failed.is_empty()) || missing {
        ExitCode::from(2)
    } else {
        ExitCode::SUCCESS
    })
}

fn cmd_alerts(args: AlertsArgs) -> anyhow::Result<ExitCode> {
    if !args.db.exists() {
        anyhow::bail!("{}: no such database", args.db.display());
    }
    let store = SqliteStore::open(&args.db)
        .with_context(|| format!("opening the database {}", args.db.display()))?;
    let q = AlertQuery {
        min_severity: Some(args.min_severity),
        kind: args.kind,
        limit: Some(args.limit),
        ..AlertQuery::default()
    };
    let alerts = store.alerts(&q)?;
    let format = args.format.unwrap_or(if std::io::stdout().is_terminal() {
        Format::Table
    } else {
        Format::Jsonl
    });
    let color = format == Format::Table && std::io::stdout().is_terminal();
    let totals = rampart::scan::ScanTotals {
        alerts: alerts.len() as u64,
        alerts_by_severity: rampart::scan::AlertsBySeverity::count(&alerts),
        ..Default::default()
    };
    let stdout = std::io::stdout();
    let mut w = std::io::BufWriter::new(stdout.lock());
    let view = output::View {
        alerts: &alerts,
        incidents: &[],
        totals: &totals,
        timeline: None,
    };
    output::write_alerts(&mut w, format, &view, color)?;
    Ok(if alerts.is_empty() {
        ExitCode::SUCCESS
    } else {
        ExitCode::from(1)
    })
}

fn cmd_detectors() -> anyhow::Result<ExitCode> {
    let mut out = std::io::stdout().lock();
    for d in rampart_detect::detectors::all() {
        for k in d.kinds() {
            writeln!(
                out,
                "{:<24} {:<24} {:<18} {}",
                d.name(),
                k.as_str(),
                k.phase().as_str(),
                k.mitre().join(", ")
            )?;
        }
    }
    Ok(ExitCode::SUCCESS)
}
