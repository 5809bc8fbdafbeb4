//! `cargo xtask bench`: `rampart scan` throughput and memory against a parse-only baseline.

use crate::parse_only::Counts;
use crate::proc::{self, Exit, Outcome};
use crate::scoreboard::FOUNDATION;
use anyhow::{bail, Context as _, Result};
use serde::Serialize;
use std::fmt::Write as _;
use std::io::Read as _;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

const MB: f64 = 1_000_000.0;

#[derive(clap::Args)]
pub struct Args {
    /// Corpus size to reach, in MB (10^6 bytes), by copying the dataset EVTX files repeatedly.
    #[arg(long, value_name = "MB", default_value_t = 500)]
    size_mb: u64,
    /// Reader threads for `rampart scan --threads` and the parse-only baseline.
    #[arg(long, value_name = "N", default_value_t = 2)]
    threads: usize,
    /// Runs of each measurement; the median is reported.
    #[arg(long, value_name = "N", default_value_t = 3)]
    runs: usize,
    /// Where to build the corpus [default: <target>/bench-corpus]. Managed by this command:
    /// it may only hold copy-NNNN folders.
    #[arg(long, value_name = "DIR")]
    corpus: Option<PathBuf>,
    /// Keep the corpus afterwards; the next run reuses it (adding or removing copies as needed).
    #[arg(long)]
    keep: bool,
    /// The datasets folder [default: <workspace>/../shared/datasets].
    #[arg(long, value_name = "DIR")]
    datasets: Option<PathBuf>,
    /// Use this rampart binary instead of building `cargo build --release -p rampart`.
    #[arg(long, value_name = "PATH")]
    bin: Option<PathBuf>,
    /// Write the machine facts, every run and the medians as JSON to FILE.
    #[arg(long, value_name = "FILE")]
    json: Option<PathBuf>,
}

/// One measured run.
#[derive(Serialize, Debug, Clone, Default)]
struct Run {
    wall_secs: f64,
    cpu_secs: f64,
    max_rss_mib: f64,
    records: u64,
    /// `rampart scan` only.
    events: Option<u64>,
    alerts: Option<u64>,
    warnings: Option<u64>,
    /// Parse-only: record/chunk errors.
    errors: Option<u64>,
}

#[derive(Serialize, Debug)]
struct Variant {
    name: String,
    command: String,
    runs: Vec<Run>,
    median: Run,
    records_per_sec: f64,
    mb_per_sec: f64,
}

#[derive(Serialize)]
struct Report<'a> {
    cores: usize,
    os: String,
    threads: usize,
    runs: usize,
    corpus: String,
    corpus_bytes: u64,
    corpus_files: u64,
    copies: u64,
    corrupt_files_per_copy: Vec<String>,
    variants: &'a [Variant],
    /// 1, 5 and 15 minute load averages when the measurements started (other work skews them).
    load_average_before: String,
    /// Which parse-only variant is the baseline.
    parse_only: String,
    scan_over_parse_only_records_per_sec: f64,
}

pub fn run(args: Args) -> Result<()> {
    anyhow::ensure!(args.runs >= 1, "--runs must be at least 1");
    anyhow::ensure!(args.threads >= 1, "--threads must be at least 1");
    let datasets = crate::datasets_dir(args.datasets.clone())?;
    let bin = crate::rampart_binary(args.bin.clone())?;
    let xtask = std::env::current_exe().context("locating the xtask binary")?;

    // Corpus.
    let sources = evtx_sources(&datasets.join("evtx"))?;
    anyhow::ensure!(
        !sources.is_empty(),
        "no .evtx file in {}",
        datasets.join("evtx").display()
    );
    let corrupt = corrupt_evtx(&datasets, &sources);
    let corpus = args
        .corpus
        .clone()
        .unwrap_or_else(|| crate::target_dir().join("bench-corpus"));
    let per_copy: u64 = sources.iter().map(|s| s.1).sum();
    let target = args.size_mb.saturating_mul(1_000_000);
    let copies = target.div_ceil(per_copy.max(1)).max(1);
    let (corpus_bytes, corpus_files) = build_corpus(&corpus, &sources, copies)?;
    let corpus = corpus.canonicalize().unwrap_or(corpus);

    let load_before = load_average();
    let result = measure(&args, &bin, &xtask, &corpus, corpus_bytes).and_then(|variants| {
        report(
            &args,
            &corpus,
            corpus_bytes,
            corpus_files,
            copies,
            &sources,
            &corrupt,
            &variants,
            &load_before,
        )
    });
    if args.keep {
        eprintln!("xtask: corpus kept in {}", crate::show(&corpus));
    } else {
        std::fs::remove_dir_all(&corpus)
            .with_context(|| format!("removing {}", corpus.display()))?;
    }
    result
}

/// The 1, 5 and 15 minute load averages, from /proc/loadavg.
fn load_average() -> String {
    std::fs::read_to_string("/proc/loadavg")
        .ok()
        .map(|s| s.split_whitespace().take(3).collect::<Vec<_>>().join(" "))
        .unwrap_or_else(|| "?".into())
}

/// The `.evtx` files of `dir` (not recursive), sorted, with their sizes.
fn evtx_sources(dir: &Path) -> Result<Vec<(PathBuf, u64)>> {
    let mut out = Vec::new();
    for e in std::fs::read_dir(dir).with_context(|| format!("reading {}", dir.display()))? {
        let p = e?.path();
        let meta = std::fs::metadata(&p)?;
        if meta.is_file()
            && p.extension()
                .is_some_and(|x| x.eq_ignore_ascii_case("evtx"))
        {
            out.push((p, meta.len()));
        }
    }
    out.sort();
    Ok(out)
}

/// Names of the source files labelled `corrupt`.
fn corrupt_evtx(datasets: &Path, sources: &[(PathBuf, u64)]) -> Vec<String> {
    let Ok(entries) = crate::labels::read(&datasets.join("labels.csv")) else {
        return Vec::new();
    };
    sources
        .iter()
        .filter_map(|(p, _)| {
            let name = p.file_name()?.to_string_lossy().to_string();
            entries
                .iter()
                .any(|e| e.short() == name && e.is_corrupt())
                .then_some(name)
        })
        .collect()
}

/// Makes `corpus` hold exactly `copies` complete copy-NNNN folders of `sources`, reusing what
/// is there. Returns the corpus bytes and file count.
fn build_corpus(corpus: &Path, sources: &[(PathBuf, u64)], copies: u64) -> Result<(u64, u64)> {
    std::fs::create_dir_all(corpus).with_context(|| format!("creating {}", corpus.display()))?;
    let copy_index = |name: &str| -> Option<u64> {
        let n = name.strip_prefix("copy-")?;
        (n.len() == 4 && n.bytes().all(|b| b.is_ascii_digit()))
            .then(|| n.parse().ok())
            .flatten()
    };
    // Refuse to manage a folder that is not ours; drop copies beyond what is needed.
    for e in std::fs::read_dir(corpus)? {
        let e = e?;
        let name = e.file_name().to_string_lossy().to_string();
        match copy_index(&name) {
            Some(i) if e.file_type()?.is_dir() => {
                if i >= copies {
                    std::fs::remove_dir_all(e.path())?;
                }
            }
            _ => bail!(
                "{} holds {name}, which is not a bench copy-NNNN folder; pick another --corpus",
                corpus.display()
            ),
        }
    }
    let (mut copied, mut reused) = (0u64, 0u64);
    let (mut bytes, mut files) = (0u64, 0u64);
    for i in 0..copies {
        let dir = corpus.join(format!("copy-{i:04}"));
        std::fs::create_dir_all(&dir)?;
        for (src, size) in sources {
            let dst = dir.join(src.file_name().context("source without a name")?);
            if std::fs::metadata(&dst).is_ok_and(|m| m.len() == *size) {
                reused += 1;
            } else {
                std::fs::copy(src, &dst)
                    .with_context(|| format!("copying {} to {}", src.display(), dst.display()))?;
                copied += 1;
            }
            bytes += size;
            files += 1;
        }
    }
    eprintln!(
        "xtask: corpus {}: {copies} copies of {} files, {:.1} MB ({copied} files copied, {reused} reused)",
        crate::show(corpus),
        sources.len(),
        bytes as f64 / MB
    );
    // Warm the page cache.
    let mut buf = vec![0u8; 1 << 20];
    for i in 0..copies {
        let dir = corpus.join(format!("copy-{i:04}"));
        for (src, _) in sources {
            let mut f = std::fs::File::open(dir.join(src.file_name().unwrap_or_default()))?;
            while f.read(&mut buf)? > 0 {}
        }
    }
    Ok((bytes, files))
}

/// Index of the scan variant with only the foundation detectors: the catalogue's cost.
const SCAN_FOUNDATION: usize = 3;
/// Index of the scan variant with every detector disabled: what the detectors cost.
const SCAN_NO_DETECTOR: usize = 4;

/// The names `rampart detectors` lists (first column).
fn detector_names(bin: &Path) -> Result<Vec<String>> {
    let out = Command::new(bin)
        .arg("detectors")
        .stdin(Stdio::null())
        .output()
        .context("running `rampart detectors`")?;
    anyhow::ensure!(out.status.success(), "`rampart detectors` failed");
    let names: Vec<String> = String::from_utf8_lossy(&out.stdout)
        .lines()
        .filter_map(|l| l.split_whitespace().next())
        .map(str::to_string)
        .collect();
    anyhow::ensure!(!names.is_empty(), "`rampart detectors` listed no detector");
    Ok(names)
}

fn measure(
    args: &Args,
    bin: &Path,
    xtask: &Path,
    corpus: &Path,
    corpus_bytes: u64,
) -> Result<Vec<Variant>> {
    let work = crate::target_dir().join("xtask-bench");
    std::fs::create_dir_all(&work)?;
    let t = args.threads.to_string();
    let stats = work.join("scan-stats.json");
    let out = work.join("stdout");
    let err = work.join("stderr");

    let detectors = detector_names(bin)?;
    if let Some(missing) = FOUNDATION
        .iter()
        .find(|f| !detectors.iter().any(|d| d == *f))
    {
        bail!("`rampart detectors` does not list the foundation detector {missing}");
    }
    let mut names = vec![
        (
            "rampart scan".to_string(),
            format!(
                "rampart scan --format jsonl --quiet --threads {t} --output /dev/null --stats S.json CORPUS"
            ),
        ),
        (
            format!("parse-only files x{t}"),
            format!("xtask parse-only --mode files --threads {t} CORPUS"),
        ),
        (
            format!("parse-only chunks x{t}"),
            format!("RAYON_NUM_THREADS={t} xtask parse-only --mode chunks --threads {t} CORPUS"),
        ),
        (
            "rampart scan, foundation".to_string(),
            format!(
                "rampart scan … with only the {} detectors of the foundation issue ({})",
                FOUNDATION.len(),
                FOUNDATION.join(", ")
            ),
        ),
        (
            "rampart scan, no detector".to_string(),
            format!(
                "rampart scan … --disable NAME for each of the {} detectors of `rampart detectors`",
                detectors.len()
            ),
        ),
    ];
    let mut runs: Vec<Vec<Run>> = vec![Vec::new(); names.len()];
    for r in 0..args.runs {
        for (v, (name, _)) in names.iter().enumerate() {
            eprintln!("xtask: run {}/{}: {name}", r + 1, args.runs);
            let mut cmd;
            if v == 0 || v >= SCAN_FOUNDATION {
                let _ = std::fs::remove_file(&stats);
                cmd = Command::new(bin);
                cmd.arg("scan")
                    .args(["--format", "jsonl", "--quiet", "--threads", &t])
                    .args(["--output", "/dev/null", "--stats"])
                    .arg(&stats);
                for d in &detectors {
                    let off = v == SCAN_NO_DETECTOR
                        || (v == SCAN_FOUNDATION && !FOUNDATION.contains(&d.as_str()));
                    if off {
                        cmd.args(["--disable", d]);
                    }
                }
                cmd.arg(corpus);
            } else {
                cmd = Command::new(xtask);
                let mode = if v == 1 { "files" } else { "chunks" };
                cmd.args(["parse-only", "--mode", mode, "--threads", &t])
                    .arg(corpus)
                    .env("RAYON_NUM_THREADS", &t);
            }
            cmd.stdin(Stdio::null())
                .stdout(std::fs::File::create(&out)?)
                .stderr(std::fs::File::create(&err)?);
            let o = proc::run(&mut cmd, None)?;
            let failed = |what: &str| {
                let stderr = std::fs::read_to_string(&err).unwrap_or_default();
                let tail: Vec<&str> = stderr.lines().rev().take(5).collect();
                anyhow::anyhow!(
                    "{name} {what} ({:?}); stderr ends with:\n{}",
                    o.exit,
                    tail.into_iter().rev().collect::<Vec<_>>().join("\n")
                )
            };
            let mut run = base_run(&o);
            if v == 0 || v >= SCAN_FOUNDATION {
                if !matches!(o.exit, Exit::Code(0 | 1)) {
                    return Err(failed("failed"));
                }
                let s: serde_json::Value = serde_json::from_slice(
                    &std::fs::read(&stats).map_err(|_| failed("wrote no stats"))?,
                )?;
                let n = |k: &str| s["summary"][k].as_u64();
                run.records = n("records").unwrap_or(0);
                run.events = n("events");
                run.alerts = n("alerts");
                run.warnings = n("warnings");
            } else {
                if o.exit != Exit::Code(0) {
                    return Err(failed("failed"));
                }
                let c: Counts = serde_json::from_slice(&std::fs::read(&out)?)
                    .map_err(|_| failed("printed no counts"))?;
                run.records = c.records;
                run.errors = Some(c.errors);
            }
            runs[v].push(run);
        }
    }
    let _ = std::fs::remove_dir_all(&work);
    Ok(names
        .drain(..)
        .zip(runs)
        .map(|((name, command), runs)| {
            let median = median_run(&runs);
            let wall = median.wall_secs.max(1e-9);
            Variant {
                name,
                command,
                records_per_sec: median.records as f64 / wall,
                mb_per_sec: corpus_bytes as f64 / MB / wall,
                median,
                runs,
            }
        })
        .collect())
}

fn base_run(o: &Outcome) -> Run {
    Run {
        wall_secs: o.wall.as_secs_f64(),
        cpu_secs: o.cpu.as_secs_f64(),
        max_rss_mib: o.max_rss_kib as f64 / 1024.0,
        ..Run::default()
    }
}

fn median(mut v: Vec<f64>) -> f64 {
    v.sort_by(|a, b| a.total_cmp(b));
    let n = v.len();
    if n == 0 {
        0.0
    } else if n % 2 == 1 {
        v[n / 2]
    } else {
        (v[n / 2 - 1] + v[n / 2]) / 2.0
    }
}

/// Each measure's median on its own; counts from the first run (they do not vary).
fn median_run(runs: &[Run]) -> Run {
    let m = |f: fn(&Run) -> f64| median(runs.iter().map(f).collect());
    let first = runs.first().cloned().unwrap_or_default();
    Run {
        wall_secs: m(|r| r.wall_secs),
        cpu_secs: m(|r| r.cpu_secs),
        max_rss_mib: m(|r| r.max_rss_mib),
        ..first
    }
}

fn thousands(n: f64) -> String {
    let s = format!("{:.0}", n.max(0.0));
    let mut out = String::new();
    for (i, c) in s.chars().enumerate() {
        if i > 0 && (s.len() - i) % 3 == 0 {
            out.push(',');
        }
        out.push(c);
    }
    out
}

#[allow(clippy::too_many_arguments)]
fn report(
    args: &Args,
    corpus: &Path,
    corpus_bytes: u64,
    corpus_files: u64,
    copies: u64,
    sources: &[(PathBuf, u64)],
    corrupt: &[String],
    variants: &[Variant],
    load_before: &str,
) -> Result<()> {
    let mut o = String::new();
    let os = format!("{} {}", std::env::consts::OS, std::env::consts::ARCH);
    let _ = writeln!(
        o,
        "Machine: {} cores, {os}, load average {load_before} before the runs; --threads {}, \
         median of {} run(s)",
        crate::cores(),
        args.threads,
        args.runs
    );
    let _ = writeln!(
        o,
        "Corpus: {}, {:.1} MB in {corpus_files} files ({copies} copies of the {} dataset EVTX files, \
         {:.2} MB each; every copy includes the {} deliberately corrupt ones)",
        crate::show(corpus),
        corpus_bytes as f64 / MB,
        sources.len(),
        corpus_bytes as f64 / MB / copies as f64,
        corrupt.len()
    );
    let _ = writeln!(o);
    let _ = writeln!(
        o,
        "{:<24} {:>12} {:>12} {:>8} {:>9} {:>8} {:>7}",
        "", "records", "records/s", "MB/s", "RSS MiB", "wall s", "CPU s"
    );
    for v in variants {
        let _ = writeln!(
            o,
            "{:<24} {:>12} {:>12} {:>8.1} {:>9.1} {:>8.2} {:>7.2}",
            v.name,
            thousands(v.median.records as f64),
            thousands(v.records_per_sec),
            v.mb_per_sec,
            v.median.max_rss_mib,
            v.median.wall_secs,
            v.median.cpu_secs
        );
    }
    let scan = &variants[0];
    let best = variants[1..SCAN_FOUNDATION]
        .iter()
        .max_by(|a, b| a.records_per_sec.total_cmp(&b.records_per_sec))
        .unwrap_or(&variants[0]);
    let ratio = scan.records_per_sec / best.records_per_sec.max(1e-9);
    let _ = writeln!(o);
    let _ = writeln!(
        o,
        "scan / parse-only records/s: {ratio:.2}  (parse-only = {}, the faster variant)",
        best.name
    );
    let _ = writeln!(
        o,
        "scan: {} events, {} alerts, {} warnings; parse-only errors: {}",
        scan.median
            .events
            .map(|n| thousands(n as f64))
            .unwrap_or("-".into()),
        scan.median
            .alerts
            .map(|n| thousands(n as f64))
            .unwrap_or("-".into()),
        scan.median
            .warnings
            .map(|n| thousands(n as f64))
            .unwrap_or("-".into()),
        variants[1..SCAN_FOUNDATION]
            .iter()
            .map(|v| format!("{} {}", v.name, v.median.errors.unwrap_or(0)))
            .collect::<Vec<_>>()
            .join(", ")
    );
    if let Some(foundation) = variants.get(SCAN_FOUNDATION) {
        let _ = writeln!(
            o,
            "all detectors / foundation detectors records/s: {:.2}  ({} alerts with the foundation's {})",
            scan.records_per_sec / foundation.records_per_sec.max(1e-9),
            foundation.median.alerts.unwrap_or(0),
            FOUNDATION.len()
        );
    }
    if let Some(bare) = variants.get(SCAN_NO_DETECTOR) {
        let _ = writeln!(
            o,
            "all detectors / no detector records/s: {:.2}  (the detection engine's cost: {:+.1}% wall, {:+.1}% CPU; {} alerts without detectors)",
            scan.records_per_sec / bare.records_per_sec.max(1e-9),
            (scan.median.wall_secs / bare.median.wall_secs.max(1e-9) - 1.0) * 100.0,
            (scan.median.cpu_secs / bare.median.cpu_secs.max(1e-9) - 1.0) * 100.0,
            bare.median.alerts.unwrap_or(0)
        );
    }
    if scan.median.records != best.median.records {
        let _ = writeln!(
            o,
            "note: scan counted {} records, parse-only rendered {}",
            scan.median.records, best.median.records
        );
    }
    print!("{o}");
    if let Some(path) = &args.json {
        let r = Report {
            cores: crate::cores(),
            os,
            threads: args.threads,
            runs: args.runs,
            corpus: corpus.display().to_string(),
            corpus_bytes,
            corpus_files,
            copies,
            corrupt_files_per_copy: corrupt.to_vec(),
            variants,
            load_average_before: load_before.to_string(),
            parse_only: best.name.clone(),
            scan_over_parse_only_records_per_sec: ratio,
        };
        std::fs::write(path, serde_json::to_vec_pretty(&r)?)
            .with_context(|| format!("writing {}", path.display()))?;
        eprintln!("xtask: wrote {}", path.display());
    }
    Ok(())
}
