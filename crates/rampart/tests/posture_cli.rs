//! End-to-end tests of `rampart posture` on the lab's LDIF export and on snapshots.

use serde_json::Value;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

fn bin() -> Command {
    Command::new(env!("CARGO_BIN_EXE_rampart"))
}

fn lab_ldif() -> PathBuf {
    let p =
        Path::new(env!("CARGO_MANIFEST_DIR")).join("../../../shared/lab/captures/directory.ldif");
    assert!(
        p.is_file(),
        "the lab captures are missing at {}; ../shared must sit beside the checkout",
        p.display()
    );
    p
}

fn posture(args: &[&str]) -> Output {
    bin()
        .arg("posture")
        .args(args)
        .output()
        .expect("run rampart")
}

#[test]
fn json_report_over_the_lab_export_fails_with_findings() {
    let dir = tempfile::tempdir().unwrap();
    let config = dir.path().join("rampart.toml");
    std::fs::write(&config, "[entities]\nhoneytokens = [\"adm_legacy\"]\n").unwrap();
    let dcs = dir.path().join("dcs.toml");
    std::fs::write(
        &dcs,
        "[[dc]]\nname = \"DC1\"\nldap_signing_required = false\n",
    )
    .unwrap();
    let out = posture(&[
        "--ldif",
        lab_ldif().to_str().unwrap(),
        "--format",
        "json",
        "--config",
        config.to_str().unwrap(),
        "--dc-config",
        dcs.to_str().unwrap(),
    ]);
    assert_eq!(
        out.status.code(),
        Some(1),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let v: Value = serde_json::from_slice(&out.stdout).expect("JSON report");
    let score = v["score"].as_u64().unwrap();
    assert!(score < 50, "score {score}");
    let results = v["results"].as_array().unwrap();
    assert!(results.len() >= 30);
    let by_id = |id: &str| results.iter().find(|r| r["id"] == id).cloned().unwrap();
    assert_eq!(by_id("dcsync_non_admin")["status"], "fail");
    assert_eq!(
        by_id("dcsync_non_admin")["affected"][0]["principal"],
        "sync_reader"
    );
    assert_eq!(
        by_id("ldap_signing_not_required")["affected"][0]["name"],
        "DC1"
    );
    assert_eq!(by_id("honeytoken_absent")["status"], "pass");
    assert_eq!(by_id("adcs_esc1")["status"], "not_applicable");
    assert!(by_id("unconstrained_delegation")["equivalents"]
        .as_array()
        .unwrap()
        .iter()
        .any(|e| e["id"] == "P-UnconstrainedDelegation"));
    // Failing checks come first.
    let first_pass = results.iter().position(|r| r["status"] != "fail").unwrap();
    assert!(results[first_pass..].iter().all(|r| r["status"] != "fail"));
}

#[test]
fn table_and_html_outputs() {
    let out = posture(&["--ldif", lab_ldif().to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(1));
    let table = String::from_utf8_lossy(&out.stdout);
    assert!(table.starts_with("Posture score: "), "{table}");
    assert!(table.contains("not_applicable") && table.contains("--dc-config"));

    let dir = tempfile::tempdir().unwrap();
    let html = dir.path().join("posture.html");
    let out = posture(&[
        "--ldif",
        lab_ldif().to_str().unwrap(),
        "--format",
        "html",
        "--output",
        html.to_str().unwrap(),
    ]);
    assert_eq!(out.status.code(), Some(1));
    assert!(out.stdout.is_empty());
    let page = std::fs::read_to_string(&html).unwrap();
    assert!(page.starts_with("<!DOCTYPE html>"));
    assert!(!page.contains("<script") && !page.contains("<link"));
    assert!(page.contains("svc_deploy") && page.contains("How to fix"));
}

#[test]
fn a_clean_snapshot_exits_0_and_names_in_it_are_escaped() {
    // A minimal snapshot: one domain with a sound policy, one enabled user whose name carries
    // markup; every check passes or does not apply.
    let dir = tempfile::tempdir().unwrap();
    let snap = dir.path().join("snapshot.json");
    std::fs::write(
        &snap,
        r#"{"version":1,"collected_at":"2026-11-23T12:00:00Z",
            "domains":[{"dn":"DC=corp,DC=test","dns_name":"corp.test","functional_level":7,
              "machine_account_quota":0,"krbtgt_pwd_last_set":"2026-11-01T00:00:00Z",
              "policy":{"min_pwd_length":14,"min_pwd_age":{"seconds":86400},
                "pwd_properties":1,"lockout_threshold":10}}],
            "users":[{"domain":"corp.test","dn":"CN=x,DC=corp,DC=test",
              "sam_account_name":"<script>alert(1)</script>","user_account_control":512,
              "last_logon_timestamp":"2026-11-22T00:00:00Z"}]}"#,
    )
    .unwrap();
    let config = dir.path().join("rampart.toml");
    std::fs::write(
        &config,
        "[entities]\nhoneytokens = [\"<script>alert(1)</script>\"]\n",
    )
    .unwrap();
    let args = |fmt: &str| {
        posture(&[
            "--directory",
            snap.to_str().unwrap(),
            "--config",
            config.to_str().unwrap(),
            "--format",
            fmt,
        ])
    };
    let out = args("table");
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(String::from_utf8_lossy(&out.stdout).starts_with("Posture score: 100/100"));

    // Make it fail on that user (password never expires), then check the HTML escapes it.
    let text = std::fs::read_to_string(&snap).unwrap().replace(
        "\"user_account_control\":512",
        "\"user_account_control\":66048",
    );
    std::fs::write(&snap, text).unwrap();
    let out = args("html");
    assert_eq!(out.status.code(), Some(1));
    let page = String::from_utf8_lossy(&out.stdout);
    assert!(!page.contains("<script>"), "unescaped name in the HTML");
    assert!(page.contains("&lt;script&gt;alert(1)&lt;/script&gt;"));
}

#[test]
fn usage_and_input_errors_exit_2() {
    let out = posture(&[]);
    assert_eq!(out.status.code(), Some(2), "no input is a usage error");
    let out = posture(&["--ldif", "a.ldif", "--directory", "b.json"]);
    assert_eq!(out.status.code(), Some(2), "two inputs are a usage error");
    let out = posture(&["--directory", "/nonexistent/snapshot.json"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("snapshot.json"));
    let dir = tempfile::tempdir().unwrap();
    let bad = dir.path().join("dcs.toml");
    std::fs::write(&bad, "[[dc]]\nnam = 1\n").unwrap();
    let out = posture(&[
        "--ldif",
        lab_ldif().to_str().unwrap(),
        "--dc-config",
        bad.to_str().unwrap(),
    ]);
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("dcs.toml"));
}

#[test]
fn bloodhound_folders_are_assessed() {
    let folder = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../rampart-directory/tests/fixtures/bloodhound");
    let out = posture(&["--bloodhound", folder.to_str().unwrap(), "--format", "json"]);
    assert!(
        matches!(out.status.code(), Some(0 | 1)),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let v: Value = serde_json::from_slice(&out.stdout).expect("JSON report");
    assert!(!v["domains"].as_array().unwrap().is_empty());
    // BloodHound ships no domain policy or DC settings: those checks cannot apply.
    let results = v["results"].as_array().unwrap();
    let status = |id: &str| results.iter().find(|r| r["id"] == id).unwrap()["status"].clone();
    assert_eq!(status("ldap_signing_not_required"), "not_applicable");
    assert_eq!(status("no_lockout_policy"), "not_applicable");
}
