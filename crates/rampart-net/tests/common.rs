//! Shared by the capture tests: read a capture as `rampart scan` does.
#![allow(dead_code)] // each test file uses its own share of the helpers

use rampart_core::IdentityEvent;
use rampart_ingest::{EventSink, InputFile, ReadOptions, ReadStats, Warning};
use std::path::{Path, PathBuf};

#[derive(Default)]
pub struct Collect {
    pub events: Vec<IdentityEvent>,
    pub warnings: Vec<Warning>,
}

impl EventSink for Collect {
    fn events(&mut self, batch: Vec<IdentityEvent>) -> bool {
        self.events.extend(batch);
        true
    }
    fn warning(&mut self, w: Warning) {
        self.warnings.push(w);
    }
}

pub fn shared(rel: &str) -> PathBuf {
    let p = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../../../shared")
        .join(rel);
    assert!(
        p.exists(),
        "{} is missing: the tests need ../shared beside the checkout",
        p.display()
    );
    p
}

pub fn input(path: &Path) -> InputFile {
    let (files, errors) = rampart_ingest::discover(&[path.to_path_buf()]);
    assert!(errors.is_empty(), "{errors:?}");
    assert_eq!(files.len(), 1, "{} not discovered", path.display());
    files.into_iter().next().unwrap()
}

pub fn read(path: &Path) -> (ReadStats, Collect) {
    let f = input(path);
    let mut c = Collect::default();
    let stats = rampart_net::read(&f, &ReadOptions::default(), &mut c)
        .unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    (stats, c)
}

pub fn lab(name: &str) -> (ReadStats, Collect) {
    read(&shared(&format!("lab/captures/{name}.pcap")))
}
