//! Shared helpers of the real-data tests: the lab captures and their facts.

#![allow(dead_code)]

use rampart_directory::{rid, Directory, ObjectKind};
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

pub fn captures() -> PathBuf {
    let p = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../../shared/lab/captures");
    assert!(
        p.join("directory.ldif").is_file(),
        "lab captures missing at {} (the shared lab folder must be next to the repository)",
        p.display()
    );
    p
}

pub fn facts() -> BTreeMap<String, String> {
    let text = std::fs::read_to_string(captures().join("facts.txt")).expect("facts.txt");
    text.lines()
        .filter(|l| !l.starts_with('#'))
        .filter_map(|l| l.split_once('='))
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect()
}

pub fn fact_list(key: &str) -> Vec<String> {
    let f = facts();
    let v = f
        .get(key)
        .unwrap_or_else(|| panic!("{key} missing in facts.txt"));
    v.split(';').map(str::to_string).collect()
}

/// The lab's node name of an object: sAMAccountName, `DOMAIN_ROOT`, or the container's name.
pub fn node_name(d: &Directory, dn: &str) -> String {
    match d.object_by_dn(dn) {
        Some(o) if o.kind == ObjectKind::Domain => "DOMAIN_ROOT".to_string(),
        Some(o) => o.name.to_string(),
        None => dn.to_string(),
    }
}

/// ACL edges of trustees with RID ≥ 1000 as `TRUSTEE>RIGHT>TARGET`, sorted.
pub fn non_builtin_acl_edges(d: &Directory) -> Vec<String> {
    let mut out: Vec<String> = d
        .acl_edges()
        .into_iter()
        .filter(|e| {
            e.trustee.starts_with("S-1-5-21-") && rid(&e.trustee).is_some_and(|r| r >= 1000)
        })
        .map(|e| {
            let trustee = d
                .object_by_sid(&e.trustee)
                .map(|o| o.name.to_string())
                .unwrap_or(e.trustee.clone());
            format!("{trustee}>{}>{}", e.right, node_name(d, &e.target))
        })
        .collect();
    out.sort();
    out.dedup();
    out
}
