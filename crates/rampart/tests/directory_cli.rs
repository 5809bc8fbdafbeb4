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
