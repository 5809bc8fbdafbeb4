//! `rampart collect` and `rampart paths` on the lab's LDIF export, through the real binary.

use std::path::Path;
use std::process::Command;

fn ldif() -> std::path::PathBuf {
    let p =
        Path::new(env!("CARGO_MANIFEST_DIR")).join("../../../shared/lab/captures/directory.ldif");
    assert!(p.is_file(), "lab capture missing: {}", p.display());
    p
}

fn rampart(args: &[&str]) -> (i32, String, String) {
    let out = Command::new(env!("CARGO_BIN_EXE_rampart"))
        .args(args)
        .output()
        .expect("run rampart");
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

#[test]
fn collect_then_paths_finds_the_planted_paths() {
    let dir = tempfile::tempdir().expect("tempdir");
    let snap = dir.path().join("snapshot.json");
    let ldif = ldif();
    let (code, _, err) = rampart(&[
        "collect",
        "--ldif",
        ldif.to_str().expect("utf-8"),
        "--out",
        snap.to_str().expect("utf-8"),
    ]);
    assert_eq!(code, 0, "{err}");
    assert!(err.contains("65 users, 17 computers, 51 groups"), "{err}");
    let (code, out, err) = rampart(&["paths", "--directory", snap.to_str().expect("utf-8")]);
    assert_eq!(code, 1, "paths found means exit 1: {err}");
    let paths: Vec<&str> = out
        .lines()
        .filter_map(|l| l.split_whitespace().nth(2))
        .collect();
    assert_eq!(paths.len(), 6, "{out}");
    assert!(
        out.contains("jnguyen>MemberOf>IT-Support>GenericAll>Tier0-Admins>MemberOf>Domain Admins")
    );
    assert!(out.contains("sync_reader>DCSync>rampart.lab"));
    // From one account without a path: exit 0.
    let (code, out, _) = rampart(&[
        "paths",
        "--ldif",
        ldif.to_str().expect("utf-8"),
        "--from",
        "rmoore",
    ]);
    assert_eq!(code, 0);
    assert!(out.contains("no path"), "{out}");
    // JSON names every node with its DN.
    let (_, out, _) = rampart(&[
        "paths",
        "--ldif",
        ldif.to_str().expect("utf-8"),
        "--from",
        "helpdesk_lead",
        "-f",
        "json",
    ]);
    let v: serde_json::Value = serde_json::from_str(&out).expect("json");
    assert_eq!(
        v["paths"][0]["edges"],
        serde_json::json!(["ForceChangePassword", "MemberOf"])
    );
    // An LDAP collection needs a password source, never a password argument.
    let (code, _, err) = rampart(&[
        "collect",
        "--ldap",
        "ldap://127.0.0.2",
        "--bind",
        "x",
        "--out",
        snap.to_str().expect("utf-8"),
    ]);
    assert_eq!(code, 2);
    assert!(err.contains("--password-file"), "{err}");
}

/// The target account entry of the AS-REP roasting alert of a lab capture scan.
fn asrep_alert(extra: &[&str]) -> serde_json::Value {
    let pcap = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../../../shared/lab/captures/asrep_roasting.pcap");
    let mut args = vec!["scan", "--format", "jsonl", "--quiet"];
    args.extend_from_slice(extra);
    args.push(pcap.to_str().expect("utf-8"));
    let (code, out, err) = rampart(&args);
    assert_eq!(code, 1, "{err}");
    out.lines()
        .map(|l| serde_json::from_str::<serde_json::Value>(l).expect("JSON alert"))
        .find(|a| a["kind"] == "asrep_roasting")
        .unwrap_or_else(|| panic!("no asrep_roasting alert: {out}"))
}

fn target_is_sensitive(alert: &serde_json::Value) -> bool {
    alert["entities"]
        .as_array()
        .into_iter()
        .flatten()
        .any(|e| e["role"] == "target" && e["name"] == "svc_backup" && e["sensitive"] == true)
}

#[test]
fn scan_with_the_directory_knows_who_is_sensitive() {
    // svc_backup is in Backup Operators: only the directory says so.
    let without = asrep_alert(&[]);
    assert!(!target_is_sensitive(&without), "{without}");
    assert_eq!(without["severity"], "high");

    let ldif = ldif();
    let with_ldif = asrep_alert(&["--directory", ldif.to_str().expect("utf-8")]);
    assert!(target_is_sensitive(&with_ldif), "{with_ldif}");
    assert_eq!(with_ldif["severity"], "critical");

    // The same from a snapshot written by `rampart collect`.
    let dir = tempfile::tempdir().expect("tempdir");
    let snap = dir.path().join("snapshot.json");
    let (code, _, err) = rampart(&[
        "collect",
        "--ldif",
        ldif.to_str().expect("utf-8"),
        "--out",
        snap.to_str().expect("utf-8"),
    ]);
    assert_eq!(code, 0, "{err}");
    let with_snapshot = asrep_alert(&["--directory", snap.to_str().expect("utf-8")]);
    assert!(target_is_sensitive(&with_snapshot), "{with_snapshot}");
}

#[test]
fn an_unreadable_directory_is_a_named_error() {
    let dir = tempfile::tempdir().expect("tempdir");
    let bad = dir.path().join("broken.json");
    std::fs::write(&bad, "{\"users\": [").expect("write");
    let (code, _, err) = rampart(&["scan", "--directory", bad.to_str().expect("utf-8"), "."]);
    assert_eq!(code, 2);
    assert!(err.contains("broken.json"), "{err}");
}
