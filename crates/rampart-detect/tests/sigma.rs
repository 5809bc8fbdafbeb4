//! Sigma rules over real data: SigmaHQ's Windows rules from `../shared/sigma` (never copied
//! into the project) on the attack samples of `../shared/datasets`, through the real readers
//! and engine.

use rampart_core::Alert;
use rampart_detect::{Engine, EngineConfig, RuleSet};
use rampart_ingest::{discover, read_file, EventSink, RawSelect, ReadOptions, Warning};
use std::collections::BTreeSet;
use std::path::{Path, PathBuf};
use std::sync::Arc;

fn shared(rel: &str, what: &str) -> PathBuf {
    let d = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../../../shared")
        .join(rel);
    assert!(
        d.exists(),
        "{what} missing at {}; the shared folder must sit beside the checkout",
        d.display()
    );
    d
}

fn windows_rules() -> PathBuf {
    shared("sigma/rules/windows", "SigmaHQ's Windows rules are")
}

fn rule(rel: &str) -> PathBuf {
    windows_rules().join(rel)
}

fn fixture(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures/sigma")
        .join(name)
}

struct Feed<'a>(&'a mut Engine);

impl EventSink for Feed<'_> {
    fn events(&mut self, batch: Vec<rampart_core::IdentityEvent>) -> bool {
        for e in &batch {
            self.0.process(e);
        }
        true
    }
    fn warning(&mut self, _w: Warning) {}
}

/// What the readers must keep raw for a rule set.
fn select(rules: &RuleSet) -> RawSelect {
    let mut s = RawSelect::default();
    for (channel, ids) in rules.wanted() {
        s.add(channel, ids.as_deref());
    }
    s
}

/// Scans one dataset file with the built-in detectors and `rules`.
fn scan(rules: Arc<RuleSet>, rel: &str) -> Vec<Alert> {
    let path = shared("datasets", "the datasets are").join(rel);
    let (files, errors) = discover(std::slice::from_ref(&path));
    assert!(errors.is_empty(), "{}: {errors:?}", path.display());
    let opts = ReadOptions {
        raw: Some(Arc::new(select(&rules))),
        ..ReadOptions::default()
    };
    let mut engine = Engine::new(&EngineConfig {
        sigma: Some(rules),
        ..EngineConfig::default()
    });
    for f in &files {
        read_file(f, &opts, &mut Feed(&mut engine)).expect("readable");
    }
    engine.finish()
}

fn sigma_alerts(alerts: &[Alert]) -> Vec<&Alert> {
    alerts
        .iter()
        .filter(|a| a.detector.starts_with("sigma:"))
        .collect()
}

#[test]
fn every_sigmahq_windows_rule_loads_or_is_named_with_a_reason() {
    let root = windows_rules();
    let set = RuleSet::load(std::slice::from_ref(&root));
    let report = set.report();
    let on_disk: BTreeSet<String> = walk_yml(&root);
    assert!(on_disk.len() > 1000, "only {} rule files", on_disk.len());
    let read: BTreeSet<String> = report.files.iter().cloned().collect();
    assert_eq!(read, on_disk, "every .yml file is read");
    let accounted: BTreeSet<String> = report
        .loaded
        .iter()
        .map(|(f, _, _)| f.clone())
        .chain(report.correlations.iter().map(|(f, _, _)| f.clone()))
        .chain(report.failed.iter().map(|e| e.file.clone()))
        .chain(report.skipped.iter().map(|s| s.file.clone()))
        .collect();
    let silent: Vec<&String> = on_disk.difference(&accounted).collect();
    assert!(
        silent.is_empty(),
        "files neither loaded nor reported: {silent:?}"
    );
    for e in &report.failed {
        assert!(e.line > 0, "{e}: no line");
        assert!(!e.message.is_empty());
    }
    for s in &report.skipped {
        assert!(!s.reason.is_empty(), "{s}");
    }
    // Most of them run.
    assert!(
        report.loaded.len() * 10 > on_disk.len() * 9,
        "{} of {} loaded",
        report.loaded.len(),
        on_disk.len()
    );
    eprintln!(
        "SigmaHQ windows: {} files, {} loaded, {} failed, {} skipped in {:.2?}",
        on_disk.len(),
        report.loaded.len(),
        report.failed.len(),
        report.skipped.len(),
        report.elapsed
    );
    for (reason, n) in report.failure_reasons() {
        eprintln!("  failed {n:4}  {reason}");
    }
    for (reason, n) in report.skip_reasons() {
        eprintln!("  skipped {n:4}  {reason}");
    }
    for e in report.failed.iter().take(10) {
        eprintln!("  {e}");
    }
}

fn walk_yml(root: &Path) -> BTreeSet<String> {
    let mut out = BTreeSet::new();
    let mut stack = vec![root.to_path_buf()];
    while let Some(d) = stack.pop() {
        for e in std::fs::read_dir(&d).unwrap() {
            let p = e.unwrap().path();
            if p.is_dir() {
                stack.push(p);
            } else if p.extension().is_some_and(|x| x == "yml") {
                out.insert(p.display().to_string());
            }
        }
    }
    out
}

#[test]
fn the_security_log_cleared_rule_fires_on_a_real_1102() {
    let set = Arc::new(RuleSet::load(&[rule(
        "builtin/security/win_security_audit_log_cleared.yml",
    )]));
    assert_eq!(set.rules().len(), 1, "{:?}", set.report().failed);
    let alerts = scan(set, "evtx/ebs__DE_1102_security_log_cleared.evtx");
    let sigma = sigma_alerts(&alerts);
    assert_eq!(sigma.len(), 1, "{alerts:#?}");
    let a = sigma[0];
    assert_eq!(a.detector, "sigma:d99b79d2-0a6f-4f46-ad8b-260b6e17f982");
    assert_eq!(a.title, "Security Eventlog Cleared");
    assert_eq!(a.severity.as_str(), "high");
    assert!(a.mitre.contains(&"T1685.005".to_string()), "{:?}", a.mitre);
    assert_eq!(a.evidence[0].event_id, Some(1102));
    assert!(a.description.contains("Florian Roth"));
    // The built-in detector still raises its own alert on the same record.
    assert!(alerts.iter().any(|a| a.detector == "log_cleared"));
}

#[test]
fn a_process_creation_rule_fires_on_real_sysmon_and_4688_records() {
    let set = Arc::new(RuleSet::load(&[rule(
        "process_creation/proc_creation_win_hktl_impacket_lateral_movement.yml",
    )]));
    assert_eq!(set.rules().len(), 1, "{:?}", set.report().failed);
    // wmiexec through Sysmon 1 (`ParentImage` wmiprvse.exe, `cmd.exe /Q /c … \\127.0.0.1\ADMIN$`).
    let alerts = scan(
        set.clone(),
        "evtx/ebs__LM_wmiexec_impacket_sysmon_whoami.evtx",
    );
    let sigma = sigma_alerts(&alerts);
    assert!(!sigma.is_empty(), "no Sigma alert on the Sysmon sample");
    assert!(sigma.iter().all(|a| a.evidence[0].event_id == Some(1)));
    // The same attack seen by Security 4688 (`NewProcessName`/`ParentProcessName` under
    // Sysmon's names).
    let alerts = scan(
        set,
        "evtx/e2m__ID4688_5140_5145-WMIexec_execution_via_SMB_GLOBAL_.evtx",
    );
    let sigma = sigma_alerts(&alerts);
    assert!(!sigma.is_empty(), "no Sigma alert on the 4688 sample");
    assert!(sigma.iter().all(|a| a.evidence[0].event_id == Some(4688)));
    // Tagged T1047 (remote_exec_wmi's) and T1021.003 (remote_exec_dcom's): no single class.
    assert_eq!(sigma[0].kind.as_str(), "sigma_rule");
    assert_eq!(sigma[0].mitre, ["T1047", "T1021.003"]);
}

#[test]
fn a_rule_that_does_not_load_is_named_with_file_and_line() {
    let set = RuleSet::load(&[fixture("")]);
    let report = set.report();
    assert!(set.is_empty());
    assert_eq!(report.files.len(), 3);
    assert_eq!(report.failed.len(), 3, "{:#?}", report.failed);
    let by = |name: &str| {
        report
            .failed
            .iter()
            .find(|e| e.file.ends_with(name))
            .unwrap_or_else(|| panic!("{name} not reported"))
    };
    let e = by("malformed.yml");
    assert_eq!((e.line, e.column), (12, Some(23)), "{e}");
    assert!(e.message.contains("modifier 'i'"), "{e}");
    assert!(e.to_string().contains("malformed.yml:12:23: "), "{e}");
    let e = by("bad_yaml.yml");
    assert!(e.message.starts_with("not valid YAML"), "{e}");
    assert!((7..=8).contains(&e.line), "{e}");
    let e = by("bad_condition.yml");
    assert_eq!((e.line, e.column), (8, Some(34)), "{e}");
    assert!(e.message.contains("filter"), "{e}");
}

/// Not a test: prints the raw records of a dataset file, for writing tests
/// (`DUMP=evtx/x.evtx cargo test -p rampart-detect --test sigma dump_records -- --ignored --nocapture`).
#[test]
#[ignore]
fn dump_records() {
    let rel = std::env::var("DUMP").unwrap();
    let path = shared("datasets", "").join(rel);
    let (files, _) = discover(std::slice::from_ref(&path));
    struct P;
    impl EventSink for P {
        fn events(&mut self, batch: Vec<rampart_core::IdentityEvent>) -> bool {
            for e in batch {
                if let rampart_core::EventKind::RawRecord { record } = &e.kind {
                    eprintln!("{} {} {:?}", record.channel, record.event_id, record.fields);
                }
            }
            true
        }
        fn warning(&mut self, _w: Warning) {}
    }
    let opts = ReadOptions {
        raw: Some(Arc::new(RawSelect::everything())),
        ..ReadOptions::default()
    };
    read_file(&files[0], &opts, &mut P).unwrap();
}
