//! Shared helpers for the real-data tests.
#![allow(dead_code)]

use rampart_core::IdentityEvent;
use rampart_ingest::{discover, read_file, EventSink, InputFile, ReadOptions, ReadStats, Warning};
use std::path::PathBuf;

/// The shared datasets folder. Tests that need it fail (never pass silently) without it.
pub fn datasets() -> PathBuf {
    let dir = PathBuf::from(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../../../shared/datasets"
    ));
    assert!(
        dir.join("labels.csv").is_file(),
        "the datasets are missing: expected {} with labels.csv (see DESIGN.md, Testing with real things)",
        dir.display()
    );
    dir
}

/// One row of labels.csv.
#[derive(Debug, Clone)]
pub struct Label {
    pub path: String,
    pub format: String,
    pub classes: Vec<String>,
    pub notes: String,
}

/// The rows of labels.csv (a small CSV reader: quoted fields may hold commas).
pub fn labels() -> Vec<Label> {
    let text = std::fs::read_to_string(datasets().join("labels.csv")).expect("labels.csv");
    text.lines()
        .skip(1)
        .filter(|l| !l.trim().is_empty())
        .map(|line| {
            let f = split_csv(line);
            Label {
                path: f.first().cloned().unwrap_or_default(),
                format: f.get(1).cloned().unwrap_or_default(),
                classes: f
                    .get(2)
                    .map(|c| c.split(';').map(str::to_string).collect())
                    .unwrap_or_default(),
                notes: f.get(7).cloned().unwrap_or_default(),
            }
        })
        .collect()
}

fn split_csv(line: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut cur = String::new();
    let mut quoted = false;
    let mut chars = line.chars().peekable();
    while let Some(c) = chars.next() {
        match c {
            '"' if quoted && chars.peek() == Some(&'"') => {
                cur.push('"');
                chars.next();
            }
            '"' => quoted = !quoted,
            ',' if !quoted => out.push(std::mem::take(&mut cur)),
            c => cur.push(c),
        }
    }
    out.push(cur);
    out
}

/// A sink that keeps everything.
#[derive(Default)]
pub struct Collect {
    pub events: Vec<IdentityEvent>,
    pub warnings: Vec<Warning>,
    pub batches: usize,
}

impl EventSink for Collect {
    fn events(&mut self, batch: Vec<IdentityEvent>) -> bool {
        self.batches += 1;
        self.events.extend(batch);
        true
    }
    fn warning(&mut self, warning: Warning) {
        self.warnings.push(warning);
    }
}

/// The input file of a dataset path relative to the datasets folder (`evtx/x.evtx`).
pub fn input(rel: &str) -> InputFile {
    let path = datasets().join(rel);
    let (mut files, errors) = discover(&[path]);
    assert!(errors.is_empty(), "{rel}: {errors:?}");
    assert_eq!(files.len(), 1, "{rel}");
    files.remove(0)
}

/// Reads a dataset file with `threads` parser threads.
pub fn read(rel: &str, threads: usize) -> (ReadStats, Collect) {
    let file = input(rel);
    let mut sink = Collect::default();
    let stats = read_file(
        &file,
        &ReadOptions {
            threads,
            ..ReadOptions::default()
        },
        &mut sink,
    )
    .unwrap_or_else(|e| panic!("{rel}: {e}"));
    (stats, sink)
}

/// How many events of each kind name.
pub fn count(events: &[IdentityEvent], kind: &str) -> usize {
    events.iter().filter(|e| e.kind.name() == kind).count()
}
