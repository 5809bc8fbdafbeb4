//! The live sensor end to end: a real Samba AD DC on loopback (`../shared/lab/lab.sh up`,
//! `populate`), `rampart sensor` capturing on `lo`, the lab's real attack tools run against the
//! DC, and the alerts the sensor printed while they ran.
//!
//! One sensor run per scenario, so each scenario's alerts are its own: every attack must give
//! its labelled kind, the benign scenario nothing. `sensitive_group_change` is left to the
//! recorded captures (`lab_captures.rs`): it leaves a user in Domain Admins until its next run,
//! which the directory tests of the same lab would then see.
//!
//! Needs root (the DC, and capturing on `lo`); fails loudly without the lab, as CI installs it.

use serde_json::Value;
use std::collections::{BTreeMap, BTreeSet};
use std::io::{BufRead, BufReader};
use std::os::unix::io::AsRawFd;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

const SCENARIOS: &[&str] = &[
    "benign",
    "ldap_recon",
    "samr_recon",
    "dns_recon",
    "account_enum",
    "brute_force",
    "password_spray",
    "kerberoasting",
    "asrep_roasting",
    "dcsync",
    "honeytoken_activity",
    "remote_exec_service",
];

fn lab_script() -> PathBuf {
    let lab = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../../shared/lab/lab.sh");
    assert!(lab.is_file(), "lab script missing at {}", lab.display());
    lab
}

/// Holds the lab lock (other test binaries start and populate the same DC) for as long as it
/// lives.
struct Lab {
    facts: BTreeMap<String, String>,
    _lock: std::fs::File,
}

fn lab() -> Lab {
    // SAFETY: geteuid has no preconditions.
    assert_eq!(
        unsafe { libc::geteuid() },
        0,
        "the lab DC and live capture need root"
    );
    let lock_path = std::env::temp_dir().join("rampart-lab-start.lock");
    let lock = std::fs::OpenOptions::new()
        .create(true)
        .append(true)
        .open(&lock_path)
        .expect("lab lock file");
    // SAFETY: a valid open descriptor; the lock is released when the file is closed.
    assert_eq!(
        unsafe { libc::flock(lock.as_raw_fd(), libc::LOCK_EX) },
        0,
        "lab lock"
    );
    let run = |arg: &str| {
        let out = Command::new(lab_script())
            .arg(arg)
            .output()
            .unwrap_or_else(|e| panic!("run lab.sh {arg}: {e}"));
        assert!(
            out.status.success(),
            "lab.sh {arg} failed: {}\n{}",
            out.status,
            String::from_utf8_lossy(&out.stderr)
        );
        out
    };
    let up = run("up");
    run("populate");
    Lab {
        facts: String::from_utf8_lossy(&up.stdout)
            .lines()
            .filter_map(|l| l.split_once('='))
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect(),
        _lock: lock,
    }
}

/// A running `rampart sensor`, ready (it has said it is capturing).
struct Sensor {
    child: Child,
    alerts: PathBuf,
    stderr: std::thread::JoinHandle<()>,
}

fn start_sensor(dc_ip: &str, config: &Path, dir: &Path, name: &str) -> Sensor {
    let alerts = dir.join(format!("{name}.alerts.jsonl"));
    let mut child = Command::new(env!("CARGO_BIN_EXE_rampart"))
        .args(["sensor", "--interface", "lo", "--format", "jsonl"])
        .arg("--filter")
        .arg(format!("host {dc_ip}"))
        .arg("--config")
        .arg(config)
        .arg("--output")
        .arg(&alerts)
        .arg("--events")
        .arg(dir.join(format!("{name}.events.jsonl")))
        // A bound in case the test itself fails to stop it.
        .args(["--duration", "300"])
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .expect("start rampart sensor");
    let stderr = child.stderr.take().expect("sensor stderr");
    let mut lines = BufReader::new(stderr).lines();
    let first = lines
        .next()
        .and_then(|l| l.ok())
        .unwrap_or_else(|| panic!("{name}: the sensor ended before it started capturing"));
    assert!(
        first.contains("capturing on lo"),
        "{name}: the sensor did not start: {first}"
    );
    // Keep draining stderr so the sensor never blocks on it; the summary line is kept.
    let summary = dir.join(format!("{name}.sensor.log"));
    let stderr = std::thread::spawn(move || {
        let rest: Vec<String> = lines.map_while(Result::ok).collect();
        let _ = std::fs::write(summary, rest.join("\n"));
    });
    Sensor {
        child,
        alerts,
        stderr,
    }
}

/// Stops the sensor as an operator would (SIGINT) and returns its exit code and alert kinds.
fn stop_sensor(mut s: Sensor, name: &str) -> (Option<i32>, BTreeSet<String>, Vec<Value>) {
    let pid = libc::pid_t::try_from(s.child.id()).expect("pid");
    // SAFETY: signalling our own child, which has not been reaped yet.
    assert_eq!(
        unsafe { libc::kill(pid, libc::SIGINT) },
        0,
        "{name}: SIGINT"
    );
    let deadline = Instant::now() + Duration::from_secs(30);
    let status = loop {
        if let Some(st) = s.child.try_wait().expect("wait for the sensor") {
            break st;
        }
        if Instant::now() > deadline {
            let _ = s.child.kill();
            panic!("{name}: the sensor did not stop within 30 s of SIGINT");
        }
        std::thread::sleep(Duration::from_millis(50));
    };
    let _ = s.stderr.join();
    let text = std::fs::read_to_string(&s.alerts).unwrap_or_default();
    let alerts: Vec<Value> = text
        .lines()
        .map(|l| serde_json::from_str(l).expect("each line is one JSON alert"))
        .collect();
    let kinds = alerts
        .iter()
        .map(|a| a["kind"].as_str().unwrap_or_default().to_string())
        .collect();
    (status.code(), kinds, alerts)
}

#[test]
fn live_sensor_catches_every_lab_attack_as_it_happens() {
    let lab = lab();
    let dc_ip = lab
        .facts
        .get("LAB_IP")
        .expect("lab.sh up printed LAB_IP")
        .clone();
    let dir = tempfile::tempdir().expect("temp dir");
    let config = dir.path().join("rampart.toml");
    std::fs::write(&config, "[entities]\nhoneytokens = [\"adm_legacy\"]\n").expect("config");
    let mut failures = Vec::new();
    for &scenario in SCENARIOS {
        let sensor = start_sensor(&dc_ip, &config, dir.path(), scenario);
        let attack = Command::new(lab_script())
            .args(["attack", scenario])
            .env("LAB_OUT", dir.path().join("lab-out"))
            .output()
            .expect("run lab.sh attack");
        let (code, kinds, alerts) = stop_sensor(sensor, scenario);
        assert!(
            attack.status.success(),
            "lab.sh attack {scenario} failed: {}\n{}",
            attack.status,
            String::from_utf8_lossy(&attack.stderr)
        );
        for a in &alerts {
            let source = a["evidence"][0]["source"].as_str().unwrap_or_default();
            assert_eq!(
                source, "live:lo",
                "{scenario}: evidence names the interface"
            );
        }
        let log = std::fs::read_to_string(dir.path().join(format!("{scenario}.sensor.log")))
            .unwrap_or_default();
        if scenario == "benign" {
            if !kinds.is_empty() || code != Some(0) {
                failures.push(format!("benign: got {kinds:?} (exit {code:?}) {log}"));
            }
        } else if !kinds.contains(scenario) || code != Some(1) {
            failures.push(format!(
                "{scenario}: expected {scenario}, got {kinds:?} (exit {code:?}) {log}"
            ));
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}
