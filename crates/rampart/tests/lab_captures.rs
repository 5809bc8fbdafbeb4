//! The recorded lab run of `../shared/lab/captures` through `rampart scan`: every scenario's
//! capture must give its labelled kind, and the benign capture nothing.
//!
//! The captures are a real Samba AD DC attacked by real tools (impacket, MIT Kerberos, OpenLDAP
//! clients, Samba's own tools); `labels.csv` beside them names each file's class. The lab's
//! honeytoken is configured as an operator would configure it (`[entities] honeytokens`).

use serde_json::Value;
use std::collections::BTreeSet;
use std::path::{Path, PathBuf};
use std::process::Command;

fn captures() -> PathBuf {
    let d = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../../shared/lab/captures");
    assert!(
        d.join("labels.csv").is_file(),
        "the lab captures are missing at {}; ../shared must sit beside the checkout",
        d.display()
    );
    d
}

/// `path,classes,notes` rows of the captures' labels.
fn labels(dir: &Path) -> Vec<(String, String)> {
    let text = std::fs::read_to_string(dir.join("labels.csv")).expect("read labels.csv");
    text.lines()
        .skip(1)
        .filter_map(|l| {
            let mut parts = l.splitn(3, ',');
            Some((parts.next()?.to_string(), parts.next()?.to_string()))
        })
        .collect()
}

fn config() -> tempfile::NamedTempFile {
    let mut f = tempfile::NamedTempFile::new().expect("temp config");
    std::io::Write::write_all(&mut f, b"[entities]\nhoneytokens = [\"adm_legacy\"]\n")
        .expect("write config");
    f
}

/// The alert kinds `rampart scan` gives for one file.
fn kinds(file: &Path, config: &Path) -> (Option<i32>, BTreeSet<String>, String) {
    let out = Command::new(env!("CARGO_BIN_EXE_rampart"))
        .args(["scan", "--format", "jsonl", "--quiet", "--config"])
        .arg(config)
        .arg(file)
        .output()
        .expect("run rampart");
    let kinds = String::from_utf8_lossy(&out.stdout)
        .lines()
        .map(|l| {
            let v: Value = serde_json::from_str(l).expect("each line is one JSON alert");
            v["kind"].as_str().unwrap_or_default().to_string()
        })
        .collect();
    (
        out.status.code(),
        kinds,
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

#[test]
fn every_lab_capture_gives_its_labelled_kind_and_benign_gives_none() {
    let dir = captures();
    let config = config();
    let mut failures = Vec::new();
    let mut scored = 0;
    for (file, class) in labels(&dir) {
        if !file.ends_with(".pcap") {
            continue;
        }
        scored += 1;
        let (code, got, stderr) = kinds(&dir.join(&file), config.path());
        if class == "benign" {
            if !got.is_empty() || code != Some(0) {
                failures.push(format!("{file}: benign, got {got:?} (exit {code:?})"));
            }
        } else if !got.contains(&class) {
            failures.push(format!(
                "{file}: expected {class}, got {got:?} (exit {code:?}) {stderr}"
            ));
        }
    }
    assert_eq!(scored, 13, "13 lab scenarios have a capture");
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}
