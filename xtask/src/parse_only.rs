//! `xtask parse-only` (hidden): the bench baseline. Renders every record of every EVTX file
//! under the given paths to JSON bytes with the `evtx` crate, with the settings `rampart scan`
//! uses, and prints the counts as one JSON object on stdout.

use anyhow::{Context as _, Result};
use evtx::{EvtxParser, ParserSettings};
use serde::{Deserialize, Serialize};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};

#[derive(clap::ValueEnum, Clone, Copy, Debug, PartialEq, Eq)]
pub enum Mode {
    /// T worker threads, each parsing whole files with one thread (`num_threads(1)`).
    Files,
    /// One file at a time, its chunks parsed with `num_threads(T)`.
    Chunks,
}

#[derive(clap::Args)]
pub struct Args {
    /// Worker threads.
    #[arg(long, value_name = "N", default_value_t = 1)]
    threads: usize,
    /// How the threads share the work.
    #[arg(long, value_enum, default_value = "files")]
    mode: Mode,
    /// EVTX files or folders of them.
    #[arg(required = true, value_name = "PATH")]
    paths: Vec<PathBuf>,
}

/// What `parse-only` prints.
#[derive(Serialize, Deserialize, Debug, Default, Clone)]
pub struct Counts {
    pub files: u64,
    pub bytes: u64,
    /// Records rendered to JSON.
    pub records: u64,
    /// Record or chunk errors, and files that could not be opened.
    pub errors: u64,
    /// JSON bytes produced.
    pub json_bytes: u64,
}

pub fn run(args: Args) -> Result<()> {
    let mut files = Vec::new();
    for p in &args.paths {
        collect(p, &mut files)?;
    }
    files.sort();
    let threads = args.threads.max(1);
    let records = AtomicU64::new(0);
    let errors = AtomicU64::new(0);
    let json_bytes = AtomicU64::new(0);
    let parse = |path: &Path, parser_threads: usize| {
        let settings = ParserSettings::new()
            .num_threads(parser_threads)
            .validate_checksums(false)
            .indent(false)
            .separate_json_attributes(false);
        let mut parser = match EvtxParser::from_path(path) {
            Ok(p) => p.with_configuration(settings),
            Err(_) => {
                errors.fetch_add(1, Ordering::Relaxed);
                return;
            }
        };
        let (mut n, mut e, mut b) = (0u64, 0u64, 0u64);
        for r in parser.records_json_bytes() {
            match r {
                Ok(r) => {
                    n += 1;
                    b += r.data.len() as u64;
                }
                Err(_) => e += 1,
            }
        }
        records.fetch_add(n, Ordering::Relaxed);
        errors.fetch_add(e, Ordering::Relaxed);
        json_bytes.fetch_add(b, Ordering::Relaxed);
    };
    match args.mode {
        Mode::Files => {
            let next = AtomicUsize::new(0);
            std::thread::scope(|s| {
                for _ in 0..threads.min(files.len().max(1)) {
                    s.spawn(|| {
                        while let Some(f) = files.get(next.fetch_add(1, Ordering::Relaxed)) {
                            parse(&f.0, 1);
                        }
                    });
                }
            });
        }
        Mode::Chunks => {
            for f in &files {
                parse(&f.0, threads);
            }
        }
    }
    let counts = Counts {
        files: files.len() as u64,
        bytes: files.iter().map(|f| f.1).sum(),
        records: records.into_inner(),
        errors: errors.into_inner(),
        json_bytes: json_bytes.into_inner(),
    };
    println!("{}", serde_json::to_string(&counts)?);
    Ok(())
}

/// Adds `path` (a file) or the `.evtx` files below it (a folder) with their sizes.
fn collect(path: &Path, out: &mut Vec<(PathBuf, u64)>) -> Result<()> {
    let meta = std::fs::metadata(path).with_context(|| format!("{}", path.display()))?;
    if meta.is_file() {
        out.push((path.to_path_buf(), meta.len()));
        return Ok(());
    }
    for entry in std::fs::read_dir(path).with_context(|| format!("{}", path.display()))? {
        let p = entry?.path();
        if p.is_dir()
            || p.extension()
                .is_some_and(|e| e.eq_ignore_ascii_case("evtx"))
        {
            collect(&p, out)?;
        }
    }
    Ok(())
}
