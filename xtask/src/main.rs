//! Rampart developer tasks, run as `cargo xtask <command>` (Linux only).
//!
//! - `cargo xtask scoreboard` builds the release `rampart` binary and scans every file listed in
//!   the labelled datasets (`<workspace>/../shared/datasets/labels.csv`), one file per `rampart
//!   scan` process. It prints per-class recall, false alerts (on benign files, and kinds that are
//!   not among an attack file's labels), errors (crashes, timeouts, unreadable files), how the
//!   deliberately corrupt files fared, and totals for all files, EVTX+JSON files, and the
//!   foundation classes. Formats `rampart scan` cannot read yet (pcap: exit 2) are counted as
//!   "unsupported" rather than as errors; they are scored as soon as a scan of them succeeds.
//!   `--json FILE` writes every per-file and per-class result.
//! - `cargo xtask bench` builds the release binary and a corpus of copies of the dataset EVTX
//!   files (`target/bench-corpus`, at least `--size-mb`), warms the page cache, then measures
//!   `rampart scan` against a parse-only baseline (the `evtx` crate rendering every record to
//!   JSON, in a child `xtask parse-only` process) and against `rampart scan` with every detector
//!   disabled (what the detection engine costs) — wall time, peak RSS, records/s and MB/s,
//!   median of `--runs`. It only prints numbers; it never asserts on them.
//! - `cargo xtask bench-net` builds a capture of `--size-mb` (1 GB by default) from the lab's
//!   recorded captures, replicated with each copy's clients on their own address, and measures
//!   `rampart scan` on it against `tshark -r` with the same protocols dissected: wall time, CPU,
//!   peak RSS, packets/s and MB/s, and the throughput ratio. It only prints numbers.
//! - `cargo xtask bench-paths` times the attack-path computation (graph build, one backward
//!   BFS, every account's path) on a deterministic synthetic graph of `--nodes`/`--edges`
//!   (100,000 / 1,000,000) and reports the measuring child's peak RSS.
//!
//! `cargo xtask <command> --help` lists the options.

mod bench;
mod bench_net;
mod bench_paths;
mod labels;
mod parse_only;
mod proc;
mod scoreboard;

use anyhow::{Context as _, Result};

/// The same allocator as the `rampart` binary, so the parse-only baseline measures the same
/// design limit.
#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;
use clap::{Parser, Subcommand};
use std::path::{Path, PathBuf};
use std::process::{Command, ExitCode};

/// Rampart developer tasks.
#[derive(Parser)]
#[command(name = "xtask", bin_name = "cargo xtask", about, long_about = None)]
struct Cli {
    #[command(subcommand)]
    command: Cmd,
}

#[derive(Subcommand)]
enum Cmd {
    /// Scan every labelled dataset file with `rampart scan` and score the alerts against the labels.
    Scoreboard(scoreboard::Args),
    /// Measure `rampart scan` throughput and memory against a parse-only evtx baseline.
    Bench(bench::Args),
    /// Measure `rampart scan` on a large capture against `tshark -r` dissecting the same protocols.
    BenchNet(bench_net::Args),
    /// Measure attack-path computation (time, peak RSS) on a synthetic 100k-node graph.
    BenchPaths(bench_paths::Args),
    /// (internal) The measured child of `bench-paths`.
    #[command(hide = true)]
    BenchPathsRun(bench_paths::Args),
    /// (internal) Parse EVTX files to JSON with the evtx crate and report counts as JSON.
    #[command(hide = true)]
    ParseOnly(parse_only::Args),
}

/// As `rampart` does (see its `no_transparent_huge_pages`), so that the parse-only baseline
/// runs with the same memory settings as the scan it is compared with.
fn no_transparent_huge_pages() {
    #[cfg(target_os = "linux")]
    // SAFETY: PR_SET_THP_DISABLE takes plain integer arguments and touches no memory of ours.
    unsafe {
        libc::prctl(libc::PR_SET_THP_DISABLE, 1, 0, 0, 0);
    }
}

fn main() -> ExitCode {
    no_transparent_huge_pages();
    let cli = Cli::parse();
    let result = match cli.command {
        Cmd::Scoreboard(a) => scoreboard::run(a),
        Cmd::Bench(a) => bench::run(a),
        Cmd::BenchNet(a) => bench_net::run(a),
        Cmd::ParseOnly(a) => parse_only::run(a),
        Cmd::BenchPaths(a) => bench_paths::run(a),
        Cmd::BenchPathsRun(a) => bench_paths::run_child(a),
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("xtask: error: {e:#}");
            ExitCode::FAILURE
        }
    }
}

/// The workspace root (the parent of this crate's folder).
pub fn workspace_root() -> PathBuf {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR"));
    dir.parent().unwrap_or(dir).to_path_buf()
}

/// The cargo target folder: `$CARGO_TARGET_DIR` or `<workspace>/target`.
pub fn target_dir() -> PathBuf {
    match std::env::var_os("CARGO_TARGET_DIR") {
        Some(d) if !d.is_empty() => {
            let d = PathBuf::from(d);
            if d.is_absolute() {
                d
            } else {
                workspace_root().join(d)
            }
        }
        _ => workspace_root().join("target"),
    }
}

/// `--datasets` or `<workspace>/../shared/datasets`, checked to hold `labels.csv`.
pub fn datasets_dir(arg: Option<PathBuf>) -> Result<PathBuf> {
    let dir = arg.unwrap_or_else(|| workspace_root().join("..").join("shared").join("datasets"));
    let labels = dir.join("labels.csv");
    anyhow::ensure!(
        labels.is_file(),
        "{} not found (use --datasets DIR)",
        labels.display()
    );
    Ok(dir.canonicalize().unwrap_or(dir))
}

/// Builds the release `rampart` binary (unless `bin` is given) and returns its path.
pub fn rampart_binary(bin: Option<PathBuf>) -> Result<PathBuf> {
    if let Some(bin) = bin {
        anyhow::ensure!(bin.is_file(), "{}: no such binary", bin.display());
        return Ok(bin);
    }
    let cargo = std::env::var_os("CARGO").unwrap_or_else(|| "cargo".into());
    eprintln!("xtask: cargo build --release -p rampart");
    let status = Command::new(cargo)
        .current_dir(workspace_root())
        .args(["build", "--release", "-p", "rampart"])
        .status()
        .context("running cargo build")?;
    anyhow::ensure!(
        status.success(),
        "cargo build --release -p rampart failed ({status})"
    );
    let bin = target_dir().join("release").join("rampart");
    anyhow::ensure!(bin.is_file(), "{}: not built", bin.display());
    Ok(bin)
}

/// Number of online CPUs.
pub fn cores() -> usize {
    std::thread::available_parallelism()
        .map(|n| n.get())
        .unwrap_or(1)
}

/// `path` relative to the current folder when it is below it, for shorter messages.
pub fn show(path: &Path) -> String {
    std::env::current_dir()
        .ok()
        .and_then(|cwd| path.strip_prefix(cwd).ok().map(Path::to_path_buf))
        .unwrap_or_else(|| path.to_path_buf())
        .display()
        .to_string()
}
