//! End-to-end tests of `rampart scan` on the project's sample and on real attack samples.

use serde_json::Value;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

fn bin() -> Command {
    Command::new(env!("CARGO_BIN_EXE_rampart"))
}

fn repo() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

fn datasets() -> PathBuf {
    let d = repo().join("../shared/datasets");
    assert!(
        d.join("labels.csv").is_file(),
        "the shared datasets are missing at {}; they must sit beside the checkout",
        d.display()
    );
    d
}

fn scan(args: &[&str]) -> Output {
    bin().arg("scan").args(args).output().expect("run rampart")
}

fn alerts(out: &Output) -> Vec<Value> {
    String::from_utf8_lossy(&out.stdout)
        .lines()
        .map(|l| serde_json::from_str(l).expect("each line is one JSON alert"))
        .collect()
}

fn kinds(out: &Output) -> Vec<String> {
    let mut k: Vec<String> = alerts(out)
        .iter()
        .map(|a| a["kind"].as_str().unwrap_or_default().to_string())
        .collect();
    k.sort();
    k.dedup();
    k
}

#[test]
fn sample_intrusion_is_found_end_to_end() {
    let sample = repo().join("samples");
    let out = scan(&["--format", "jsonl", "--quiet", sample.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(1), "alerts mean exit 1");
    let expected = [
        "account_enum",
        "adminsdholder_change",
        "asrep_roasting",
        "brute_force",
        "dcsync",
        "kerberoasting",
        "log_cleared",
        "password_spray",
        "remote_exec_service",
        "sensitive_group_change",
    ];
    assert_eq!(kinds(&out), expected);
    // One alert per attack step: the background noise (typos, DC replication, legacy RC4,
    // help-desk group changes, an agent install) raises nothing.
    assert_eq!(alerts(&out).len(), expected.len());
}

#[test]
fn jsonl_output_keeps_its_contract() {
    let file = repo().join("samples/corp-dc01.winlogbeat.jsonl");
    let given = file.to_str().unwrap();
    let out = scan(&["--format", "jsonl", "--quiet", given]);
    for a in alerts(&out) {
        for field in [
            "id",
            "kind",
            "title",
            "severity",
            "mitre",
            "time",
            "actor",
            "targets",
            "evidence",
            "description",
            "remediation",
        ] {
            assert!(a.get(field).is_some(), "alert lacks `{field}`: {a}");
        }
        assert!(matches!(
            a["severity"].as_str(),
            Some("low" | "medium" | "high" | "critical")
        ));
        assert!(a["mitre"].as_array().is_some_and(|m| !m.is_empty()));
        chrono::DateTime::parse_from_rfc3339(a["time"].as_str().unwrap()).expect("RFC 3339 time");
        let ev = a["evidence"].as_array().expect("evidence array");
        assert!(!ev.is_empty());
        for e in ev {
            assert_eq!(
                e["source"].as_str(),
                Some(given),
                "source is the path as given"
            );
            assert!(e["record"].as_u64().is_some());
            assert!(e["event_id"].as_u64().is_some());
        }
    }
}

#[test]
fn scans_are_deterministic() {
    let d = datasets();
    let a = scan(&["-f", "jsonl", "-q", d.join("evtx").to_str().unwrap()]);
    let b = scan(&[
        "-f",
        "jsonl",
        "-q",
        "--threads",
        "1",
        d.join("evtx").to_str().unwrap(),
    ]);
    assert_eq!(
        a.stdout, b.stdout,
        "same inputs, same alerts, same ids, any thread count"
    );
    assert!(!a.stdout.is_empty());
}

#[test]
fn each_foundation_class_is_detected_on_a_real_sample() {
    let d = datasets();
    let cases = [
        ("evtx/ebs__CA_DCSync_4662.evtx", "dcsync"),
        (
            "json/otrf__covenant_dcsync_dcerpc_drsuapi_DsGetNCChanges_2020-08-05020926.json",
            "dcsync",
        ),
        (
            "evtx/ebs__persistence_security_dcshadow_4742.evtx",
            "dcshadow",
        ),
        (
            "json/otrf__purplesharp_ad_playbook_I_2020-10-22042947.json",
            "kerberoasting",
        ),
        (
            "json/otrf__purplesharp_ad_playbook_I_2020-10-22042947.json",
            "password_spray",
        ),
        (
            "evtx/e2m__ID4768-Kerberos_AS-REP_Roasting.evtx",
            "asrep_roasting",
        ),
        (
            "evtx/e2m__ID_4776_4625-AccountRestore_local_bruteforce.evtx",
            "brute_force",
        ),
        (
            "evtx/e2m__ID4728-4756-Member_added_to_sensitive_domain_groups.evtx",
            "sensitive_group_change",
        ),
        (
            "evtx/e2m__ID5136-AdminSDholder_permissions_changed.evtx",
            "adminsdholder_change",
        ),
        ("evtx/ebs__DE_1102_security_log_cleared.evtx", "log_cleared"),
        (
            "evtx/dbc__metasploit-psexec-powershell-target-system.evtx",
            "remote_exec_service",
        ),
        (
            "evtx/e2m__ID4768-4771-Kerberos_brutforce_with_non_existing_users.evtx",
            "account_enum",
        ),
    ];
    for (file, kind) in cases {
        let out = scan(&["-f", "jsonl", "-q", d.join(file).to_str().unwrap()]);
        assert!(
            kinds(&out).iter().any(|k| k == kind),
            "{file}: expected a {kind} alert, got {:?}",
            kinds(&out)
        );
    }
}

#[test]
fn benign_logs_raise_no_alert() {
    let d = datasets();
    for file in [
        "evtx/oev__Security_with_size_t.evtx",
        "evtx/oev__post-Security.evtx",
        "evtx/oev__system.evtx",
        "evtx/oev__2-vss_7-System.evtx",
        "evtx/oev__sysmon.evtx",
        "evtx/dbc__many-events-application.evtx",
    ] {
        let out = scan(&["-f", "jsonl", "-q", d.join(file).to_str().unwrap()]);
        assert_eq!(out.status.code(), Some(0), "{file}: {:?}", kinds(&out));
        assert!(out.stdout.is_empty());
    }
}

#[test]
fn damaged_files_are_named_and_the_scan_goes_on() {
    let d = datasets();
    let bad = d.join("evtx/oev__sample_with_a_bad_chunk_magic.evtx");
    let good = d.join("evtx/ebs__CA_DCSync_4662.evtx");
    let stats = tempfile::NamedTempFile::new().unwrap();
    let out = scan(&[
        "-f",
        "jsonl",
        "--stats",
        stats.path().to_str().unwrap(),
        bad.to_str().unwrap(),
        good.to_str().unwrap(),
    ]);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains("oev__sample_with_a_bad_chunk_magic.evtx") && stderr.contains("chunk"),
        "the warning names the file and the damaged chunk: {stderr}"
    );
    assert_eq!(out.status.code(), Some(1));
    assert_eq!(kinds(&out), ["dcsync"]);
    let s: Value = serde_json::from_slice(&std::fs::read(stats.path()).unwrap()).unwrap();
    assert_eq!(s["summary"]["files_read"], 2);
    assert!(s["summary"]["warnings"].as_u64().unwrap() > 0);
    // The damaged file's readable chunks were still read.
    let bad_file = s["files"]
        .as_array()
        .unwrap()
        .iter()
        .find(|f| {
            f["path"]
                .as_str()
                .unwrap()
                .ends_with("bad_chunk_magic.evtx")
        })
        .unwrap();
    assert!(bad_file["records"].as_u64().unwrap() > 100);
}

#[test]
fn unreadable_inputs_give_clear_errors_and_exit_codes() {
    let dir = tempfile::tempdir().unwrap();
    let garbage = dir.path().join("not-a-log.evtx");
    std::fs::write(&garbage, b"\x00\x01 definitely not an event log").unwrap();
    let out = scan(&["-f", "jsonl", garbage.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(2), "nothing readable is exit 2");
    assert!(String::from_utf8_lossy(&out.stderr).contains("not-a-log.evtx"));

    let missing = scan(&["-f", "jsonl", "/nonexistent/path/x.evtx"]);
    assert_eq!(missing.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&missing.stderr).contains("/nonexistent/path/x.evtx"));

    // A bad file beside a good one: named, counted, and the good one still scanned.
    let good = repo().join("samples/corp-dc01.winlogbeat.jsonl");
    let mixed = scan(&[
        "-f",
        "jsonl",
        garbage.to_str().unwrap(),
        good.to_str().unwrap(),
    ]);
    assert_eq!(mixed.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&mixed.stderr).contains("not-a-log.evtx"));

    let usage = bin()
        .args(["scan", "--format", "xml", "x"])
        .output()
        .unwrap();
    assert_eq!(usage.status.code(), Some(2));
}

#[test]
fn truncated_json_lines_are_warned_about_by_line() {
    let dir = tempfile::tempdir().unwrap();
    let src = std::fs::read_to_string(repo().join("samples/corp-dc01.winlogbeat.jsonl")).unwrap();
    let mut lines: Vec<&str> = src.lines().collect();
    let cut = &lines[10][..lines[10].len() / 2];
    lines[10] = cut;
    let path = dir.path().join("cut.jsonl");
    std::fs::write(&path, lines.join("\n")).unwrap();
    let out = scan(&["-f", "jsonl", path.to_str().unwrap()]);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains("cut.jsonl") && stderr.contains("line 11"),
        "{stderr}"
    );
    assert_eq!(
        out.status.code(),
        Some(1),
        "the other lines are still scanned"
    );
}

/// A folder holding a Windows DC's EVTX and a Samba DC's JSON audit logs: both are recognised
/// by content, read, detected on, and stored; a damaged Samba line is named by file and line.
#[test]
fn samba_audit_logs_beside_windows_logs() {
    let dir = tempfile::tempdir().unwrap();
    let samba = repo().join("crates/rampart-ingest/tests/fixtures/samba");
    std::fs::create_dir(dir.path().join("dc1")).unwrap();
    for name in ["brute_force", "sensitive_group_change"] {
        std::fs::copy(
            samba.join(format!("{name}.audit.jsonl")),
            dir.path().join(format!("dc1/{name}.audit.jsonl")),
        )
        .unwrap();
    }
    let mut benign = std::fs::read_to_string(samba.join("benign.audit.jsonl")).unwrap();
    benign.insert_str(
        benign.find('\n').unwrap() + 1,
        "{\"timestamp\": \"2026-11-2\n",
    );
    std::fs::write(dir.path().join("dc1/benign.audit.jsonl"), benign).unwrap();
    std::fs::copy(
        datasets().join("evtx/ebs__CA_DCSync_4662.evtx"),
        dir.path().join("dc01-security.evtx"),
    )
    .unwrap();
    let stats = dir.path().join("stats.json");
    let db = dir.path().join("case.db");
    let out = scan(&[
        "-f",
        "jsonl",
        "--stats",
        stats.to_str().unwrap(),
        "--db",
        db.to_str().unwrap(),
        dir.path().to_str().unwrap(),
    ]);
    assert_eq!(out.status.code(), Some(1));
    assert_eq!(
        kinds(&out),
        ["brute_force", "dcsync", "sensitive_group_change"]
    );
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains("benign.audit.jsonl") && stderr.contains("line 2"),
        "{stderr}"
    );
    let s: Value = serde_json::from_slice(&std::fs::read(&stats).unwrap()).unwrap();
    let formats: Vec<&str> = s["files"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["format"].as_str().unwrap())
        .collect();
    assert_eq!(
        formats,
        ["evtx", "samba-audit", "samba-audit", "samba-audit"]
    );
    let stored = bin()
        .args(["alerts", "--db", db.to_str().unwrap(), "-f", "jsonl"])
        .output()
        .unwrap();
    assert_eq!(alerts(&stored).len(), 3);
}

/// The lab's kept run: each scenario's pcap beside the DC's audit log. The captures are read by
/// the network sensor into the same events, stored, and traced back by `--timeline`.
#[test]
fn lab_captures_are_read_beside_the_audit_logs() {
    let lab = repo().join("../shared/lab/captures");
    assert!(
        lab.join("evidence.txt").is_file(),
        "{} missing",
        lab.display()
    );
    let dir = tempfile::tempdir().unwrap();
    let stats = dir.path().join("stats.json");
    let db = dir.path().join("case.db");
    let out = scan(&[
        "-f",
        "jsonl",
        "--timeline",
        "--stats",
        stats.to_str().unwrap(),
        "--db",
        db.to_str().unwrap(),
        lab.to_str().unwrap(),
    ]);
    assert_eq!(
        out.status.code(),
        Some(1),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let s: Value = serde_json::from_slice(&std::fs::read(&stats).unwrap()).unwrap();
    let files = s["files"].as_array().unwrap();
    let pcaps: Vec<&Value> = files.iter().filter(|f| f["format"] == "pcap").collect();
    assert_eq!(pcaps.len(), 13, "{files:?}");
    for f in &pcaps {
        assert!(f["error"].is_null(), "{f}");
        assert!(f["records"].as_u64().unwrap() > 0, "{f}");
    }
    let events = |name: &str| {
        pcaps
            .iter()
            .find(|f| f["path"].as_str().unwrap().ends_with(name))
            .map(|f| f["events"].as_u64().unwrap())
            .unwrap()
    };
    // 50 Kerberos exchanges, plus the NTLM sessions, shares and RPC calls over SMB.
    assert!(events("password_spray.pcap") >= 65);
    assert!(events("kerberoasting.pcap") >= 10);
    assert!(files.iter().any(|f| f["format"] == "samba-audit"));
    assert!(
        s["summary"]["encrypted"].as_u64().unwrap() >= 1,
        "{}",
        s["summary"]
    );
    assert!(kinds(&out).contains(&"brute_force".to_string()));
}

#[test]
fn min_severity_filters_output_and_exit_code() {
    let sample = repo().join("samples");
    let out = scan(&[
        "-f",
        "jsonl",
        "-q",
        "--min-severity",
        "critical",
        sample.to_str().unwrap(),
    ]);
    assert_eq!(kinds(&out), ["dcsync"]);
    let none = scan(&[
        "-f",
        "jsonl",
        "-q",
        "--min-severity",
        "critical",
        datasets()
            .join("evtx/ebs__DE_1102_security_log_cleared.evtx")
            .to_str()
            .unwrap(),
    ]);
    assert_eq!(none.status.code(), Some(0));
}

#[test]
fn scans_persist_to_the_database_without_duplicates() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("rampart.db");
    let sample = repo().join("samples");
    let first = scan(&[
        "-f",
        "jsonl",
        "-q",
        "--db",
        db.to_str().unwrap(),
        sample.to_str().unwrap(),
    ]);
    let again = scan(&[
        "-f",
        "jsonl",
        "-q",
        "--db",
        db.to_str().unwrap(),
        sample.to_str().unwrap(),
    ]);
    assert_eq!(first.stdout, again.stdout);
    let stored = bin()
        .args(["alerts", "--db", db.to_str().unwrap(), "-f", "jsonl"])
        .output()
        .unwrap();
    let mut scanned: Vec<String> = alerts(&first)
        .iter()
        .map(|a| a["id"].as_str().unwrap().to_string())
        .collect();
    let mut listed: Vec<String> = alerts(&stored)
        .iter()
        .map(|a| a["id"].as_str().unwrap().to_string())
        .collect();
    scanned.sort();
    listed.sort();
    assert_eq!(scanned, listed, "re-scanning merges into the stored alerts");
}

#[test]
fn csv_and_table_outputs_render() {
    let sample = repo().join("samples");
    let csv = scan(&["-f", "csv", "-q", sample.to_str().unwrap()]);
    let text = String::from_utf8_lossy(&csv.stdout);
    assert!(text.starts_with("id,time,last_time,severity,kind"));
    assert_eq!(text.lines().count(), 11);
    let table = scan(&["-f", "table", "-q", sample.to_str().unwrap()]);
    assert!(String::from_utf8_lossy(&table.stdout).contains("DCSync"));
}

#[test]
fn incidents_join_the_sample_intrusion_and_timelines_show_records() {
    let sample = repo().join("samples");
    let out = scan(&["-f", "json", "-q", "--timeline", sample.to_str().unwrap()]);
    let doc: Value = serde_json::from_slice(&out.stdout).expect("one JSON document");
    let incidents = doc["incidents"].as_array().unwrap();
    assert_eq!(
        incidents.len(),
        1,
        "one intrusion, one incident: {incidents:?}"
    );
    assert_eq!(incidents[0]["alerts"].as_array().unwrap().len(), 10);
    assert_eq!(incidents[0]["severity"], "critical");
    let alerts = doc["alerts"].as_array().unwrap();
    let inc_id = incidents[0]["id"].as_str().unwrap();
    assert!(alerts
        .iter()
        .all(|a| a["incident"].as_str() == Some(inc_id)));
    // Every evidence record of the DCSync alert is in its timeline, in time order.
    let dcsync = alerts.iter().find(|a| a["kind"] == "dcsync").unwrap();
    let tl = doc["timeline"][dcsync["id"].as_str().unwrap()]
        .as_array()
        .unwrap();
    assert_eq!(tl.len(), dcsync["evidence"].as_array().unwrap().len());
    assert_eq!(tl[0]["kind"]["type"], "directory_replication");

    let table = scan(&["-f", "table", "-q", "--timeline", sample.to_str().unwrap()]);
    let text = String::from_utf8_lossy(&table.stdout);
    assert!(text.starts_with("INCIDENTS"));
    assert!(text.contains("directory_replication  actor=CORP\\jnguyen"));
}

#[test]
fn allow_list_silences_known_good_entities_and_rejects_bad_lines() {
    let dir = tempfile::tempdir().unwrap();
    let allow = dir.path().join("allow.txt");
    std::fs::write(
        &allow,
        "# the red team's box\naccount_enum source 10.10.1.133\ndcsync actor CORP\\jnguyen\n",
    )
    .unwrap();
    let sample = repo().join("samples");
    let out = scan(&[
        "-f",
        "jsonl",
        "--allow",
        allow.to_str().unwrap(),
        sample.to_str().unwrap(),
    ]);
    let k = kinds(&out);
    assert!(!k.contains(&"account_enum".to_string()) && !k.contains(&"dcsync".to_string()));
    assert!(
        k.contains(&"password_spray".to_string()),
        "other detectors still see that host"
    );
    assert!(String::from_utf8_lossy(&out.stderr).contains("2 alert(s) silenced by the allow-list"));

    std::fs::write(&allow, "dcsync actor x\nnot_a_detector actor y\n").unwrap();
    let bad = scan(&[
        "-f",
        "jsonl",
        "--allow",
        allow.to_str().unwrap(),
        sample.to_str().unwrap(),
    ]);
    assert_eq!(bad.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&bad.stderr).contains("allow.txt:2: unknown detector"));
}

#[test]
fn configuration_errors_name_the_file_and_line() {
    let dir = tempfile::tempdir().unwrap();
    let good = dir.path().join("rampart.toml");
    std::fs::write(
        &good,
        "[entities]\nsensitive_accounts = [\"svc_backup\"]\nhoneytokens = [\"adm_legacy\"]\n",
    )
    .unwrap();
    let sample = repo().join("samples");
    let out = scan(&[
        "-f",
        "jsonl",
        "-q",
        "--config",
        good.to_str().unwrap(),
        sample.to_str().unwrap(),
    ]);
    assert_eq!(out.status.code(), Some(1));
    let bad = dir.path().join("bad.toml");
    std::fs::write(&bad, "[entities]\nhoneytoken = [\"x\"]\n").unwrap();
    let out = scan(&[
        "-f",
        "jsonl",
        "-q",
        "--config",
        bad.to_str().unwrap(),
        sample.to_str().unwrap(),
    ]);
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("bad.toml") && err.contains("line 2") && err.contains("honeytoken"),
        "{err}"
    );
}

fn sigma_rules() -> PathBuf {
    let d = repo().join("../shared/sigma/rules/windows");
    assert!(
        d.is_dir(),
        "SigmaHQ's Windows rules are missing at {}; the shared folder must sit beside the checkout",
        d.display()
    );
    d
}

#[test]
fn scan_with_sigma_rules_adds_their_alerts() {
    let file = datasets().join("evtx/ebs__DE_1102_security_log_cleared.evtx");
    let file = file.to_str().unwrap();
    let without = scan(&["--format", "jsonl", "--quiet", file]);
    let rule = sigma_rules().join("builtin/security/win_security_audit_log_cleared.yml");
    let with = scan(&[
        "--format",
        "jsonl",
        "--quiet",
        "--rules",
        rule.to_str().unwrap(),
        file,
    ]);
    assert_eq!(with.status.code(), Some(1));
    let (a, b) = (alerts(&without), alerts(&with));
    assert_eq!(b.len(), a.len() + 1, "one more alert, from the rule");
    let sigma: Vec<&Value> = b
        .iter()
        .filter(|x| x["detector"].as_str().unwrap_or("").starts_with("sigma:"))
        .collect();
    assert_eq!(sigma.len(), 1);
    assert_eq!(sigma[0]["title"], "Security Eventlog Cleared");
    // The built-in alerts are the same with and without rules.
    let strip = |v: &[Value]| -> Vec<Value> {
        v.iter()
            .filter(|x| !x["detector"].as_str().unwrap_or("").starts_with("sigma:"))
            .map(|x| {
                let mut x = x.clone();
                x.as_object_mut().unwrap().remove("incident");
                x
            })
            .collect()
    };
    assert_eq!(strip(&a), strip(&b));
    // A rules path that does not exist is an error, not a scan without rules.
    let out = scan(&["--quiet", "--rules", "/nonexistent/rules", file]);
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("/nonexistent/rules"));
}

#[test]
fn rules_check_reports_failures_with_file_and_line() {
    let fixtures = repo().join("crates/rampart-detect/tests/fixtures/sigma");
    let out = bin()
        .args(["rules", "check"])
        .arg(&fixtures)
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(0));
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(
        text.contains("malformed.yml:12:23: Unknown field modifier 'i' provided"),
        "{text}"
    );
    assert!(text.contains("0 rule(s) loaded"), "{text}");
    assert!(text.contains("3 failed"), "{text}");
    let out = bin()
        .args(["rules", "check", "--strict"])
        .arg(&fixtures)
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    let out = bin()
        .args(["rules", "check", "--strict"])
        .arg(sigma_rules().join("builtin/security/win_security_audit_log_cleared.yml"))
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(0));
    assert!(String::from_utf8_lossy(&out.stdout).contains("1 rule(s) loaded"));
}

#[test]
fn sensor_configuration_errors_are_named_before_capturing() {
    let run = |args: &[&str]| {
        bin()
            .arg("sensor")
            .args(args)
            .output()
            .expect("run rampart")
    };
    let out = run(&["--interface", "rampart-no-such-if0", "--duration", "1"]);
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("interface rampart-no-such-if0"), "{err}");

    let out = run(&[
        "--interface",
        "lo",
        "--filter",
        "port 88 and (",
        "--duration",
        "1",
    ]);
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("`port 88 and (`") && err.contains("does not compile"),
        "{err}"
    );

    let out = run(&["--interface", "lo", "--duration", "0"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("--duration"));

    let out = run(&[]);
    assert_eq!(out.status.code(), Some(2), "no interface is a usage error");
}

#[test]
fn sensor_on_a_quiet_interface_stops_on_time_with_no_alert() {
    // A filter nothing matches: the sensor must still see the clock and stop (a blocking
    // read on a quiet interface would hang here).
    let out = bin()
        .args([
            "sensor",
            "-i",
            "lo",
            "--filter",
            "host 127.0.0.254 and port 9",
            "--duration",
            "1",
        ])
        .output()
        .expect("run rampart");
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(out.stdout.is_empty());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("0 packets") && err.contains("0 alerts"),
        "{err}"
    );
}
