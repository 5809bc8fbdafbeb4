use super::*;
use crate::{Engine, EngineConfig};
use chrono::TimeZone;
use rampart_core::Evidence;

fn raw(event_id: u32, channel: &str, secs: i64, fields: &[(&str, &str)]) -> IdentityEvent {
    let mut ev = IdentityEvent::new(
        chrono::Utc.timestamp_opt(1_700_000_000 + secs, 0).unwrap(),
        EventKind::RawRecord {
            record: Arc::new(RawRecord {
                event_id,
                channel: channel.to_string(),
                provider: "Microsoft-Windows-Security-Auditing".to_string(),
                computer: "WS01.corp.local".to_string(),
                fields: fields
                    .iter()
                    .map(|(k, v)| (k.to_string(), v.to_string()))
                    .collect(),
            }),
        },
        Evidence {
            source: "t.evtx".into(),
            record: secs as u64,
            event_id: Some(event_id),
        },
    );
    ev.observer = Some("WS01.corp.local".to_string());
    ev
}

fn run(rules: &str, events: &[IdentityEvent]) -> Vec<Alert> {
    let set = RuleSet::from_text("rules.yml", rules);
    assert!(set.report().failed.is_empty(), "{:?}", set.report().failed);
    let mut engine = Engine::new(&EngineConfig {
        sigma: Some(Arc::new(set)),
        ..EngineConfig::default()
    });
    for e in events {
        engine.process(e);
    }
    engine.finish()
}

const CLEARED: &str = r#"
title: Security Event Log Cleared
id: 11111111-2222-3333-4444-555555555555
status: test
description: The security log was cleared.
author: someone
tags:
    - attack.defense-evasion
    - attack.t1070.001
logsource:
    product: windows
    service: security
detection:
    selection:
        EventID: 1102
        Provider_Name: Microsoft-Windows-Eventlog
    condition: selection
falsepositives:
    - Legitimate administrative activity
level: high
"#;

#[test]
fn a_rule_raises_an_alert_of_the_class_its_tags_name() {
    let mut e = raw(
        1102,
        "Security",
        0,
        &[("SubjectUserName", "bob"), ("SubjectDomainName", "CORP")],
    );
    if let EventKind::RawRecord { record } = &mut e.kind {
        Arc::make_mut(record).provider = "Microsoft-Windows-Eventlog".to_string();
    }
    let alerts = run(CLEARED, &[e.clone(), raw(1100, "Security", 1, &[])]);
    assert_eq!(alerts.len(), 1);
    let a = &alerts[0];
    assert_eq!(a.kind, AlertKind::LogCleared);
    assert_eq!(a.detector, "sigma:11111111-2222-3333-4444-555555555555");
    assert_eq!(a.severity, Severity::High);
    assert_eq!(a.mitre, ["T1070.001"]);
    assert_eq!(a.title, "Security Event Log Cleared");
    assert_eq!(a.actor.as_deref(), Some("CORP\\bob"));
    assert!(a.description.contains("by someone"));
    assert!(a.remediation.contains("Legitimate administrative activity"));
    assert_eq!(a.evidence[0].record, 0);
    // The same rule on the same host merges.
    let mut again = e.clone();
    again.evidence.record = 9;
    let alerts = run(CLEARED, &[e, again]);
    assert_eq!((alerts.len(), alerts[0].count), (1, 2));
}

#[test]
fn process_creation_rules_see_4688_under_sysmon_names() {
    let rule = r#"
title: Whoami
id: w
logsource: {product: windows, category: process_creation}
tags: [attack.discovery, attack.t1033]
detection:
    selection:
        Image|endswith: '\whoami.exe'
        IntegrityLevel: High
        ParentProcessId: 4660
    condition: selection
level: medium
"#;
    let sec = raw(
        4688,
        "Security",
        0,
        &[
            ("NewProcessName", "C:\\Windows\\System32\\whoami.exe"),
            ("ProcessId", "0x1234"),
            ("MandatoryLabel", "S-1-16-12288"),
        ],
    );
    let sysmon = raw(
        1,
        "Microsoft-Windows-Sysmon/Operational",
        1,
        &[
            ("Image", "C:\\Windows\\System32\\WHOAMI.EXE"),
            ("ParentProcessId", "4660"),
            ("IntegrityLevel", "High"),
        ],
    );
    let other = raw(4688, "Security", 2, &[("NewProcessName", "C:\\x\\cmd.exe")]);
    let alerts = run(rule, &[sec, sysmon, other]);
    assert_eq!(alerts.len(), 1, "one alert per rule and host");
    let a = &alerts[0];
    assert_eq!(a.count, 2);
    assert_eq!(a.kind, AlertKind::SigmaRule);
    assert_eq!(a.phase, KillChainPhase::Reconnaissance);
    assert_eq!(a.mitre, ["T1033"]);
}

#[test]
fn rules_only_see_their_logsource() {
    let rule = r#"
title: Any 4624
logsource: {product: windows, service: security}
detection: {selection: {LogonType: 3}, condition: selection}
"#;
    let set = RuleSet::from_text("r.yml", rule);
    assert_eq!(set.wanted(), vec![("Security", None)]);
    let alerts = run(
        rule,
        &[
            raw(4624, "System", 0, &[("LogonType", "3")]),
            raw(4624, "Security", 1, &[("LogonType", "03")]),
            raw(4624, "security", 2, &[("LogonType", "3")]),
        ],
    );
    assert_eq!(alerts.len(), 1);
    assert_eq!(alerts[0].evidence[0].record, 2);
    assert_eq!(alerts[0].detector, "sigma:rules", "no id: the file stem");
    assert_eq!(alerts[0].severity, Severity::Medium);
}

#[test]
fn event_ids_narrow_what_readers_keep() {
    let set = RuleSet::from_text("r.yml", CLEARED);
    assert_eq!(set.wanted(), vec![("Security", Some(vec![1102]))]);
    let set = RuleSet::from_text(
        "r.yml",
        "title: p\nlogsource: {product: windows, category: process_creation}\ndetection: {s: {Image: x}, condition: s}\n",
    );
    assert_eq!(
        set.wanted(),
        vec![
            ("Microsoft-Windows-Sysmon/Operational", Some(vec![1])),
            ("Security", Some(vec![4688]))
        ]
    );
}

#[test]
fn correlations_count_within_their_timespan() {
    let rules = r#"
title: Failed logon
id: failed-logon
name: failed_logon
logsource: {product: windows, service: security}
detection: {selection: {EventID: 4625}, condition: selection}
level: low
---
title: Many failed logons for one account
id: many-failed
correlation:
    type: event_count
    rules: [failed_logon]
    group-by: [TargetUserName]
    timespan: 1m
    condition: {gte: 3}
tags: [attack.credential_access, attack.t1110.001]
level: high
"#;
    let fail = |s, user| raw(4625, "Security", s, &[("TargetUserName", user)]);
    let alerts = run(
        rules,
        &[
            fail(0, "alice"),
            fail(1, "bob"),
            fail(2, "alice"),
            fail(3, "bob"),
            fail(4, "alice"),
        ],
    );
    assert_eq!(alerts.len(), 1, "{alerts:#?}");
    let a = &alerts[0];
    assert_eq!(a.kind, AlertKind::BruteForce);
    assert_eq!(a.detector, "sigma:many-failed");
    assert_eq!(a.evidence.len(), 3);
    assert!(
        a.description.contains("TargetUserName = alice"),
        "{}",
        a.description
    );

    // With `generate: true` the base rule alerts too.
    let generating = rules.replace("condition: {gte: 3}", "condition: {gte: 3}\ngenerate: true");
    let alerts = run(&generating, &[fail(0, "alice")]);
    assert_eq!(alerts.len(), 1);
    assert_eq!(alerts[0].detector, "sigma:failed-logon");
}

#[test]
fn unresolved_correlations_are_errors() {
    let set = RuleSet::from_text(
        "c.yml",
        "title: c\ncorrelation: {type: temporal, rules: [a, b], timespan: 1m}\n",
    );
    let e = &set.report().failed[0];
    assert!(e.message.contains("`a`, which is not loaded"), "{e}");
    assert_eq!(e.line, 2);
}

#[test]
fn tags_map_to_one_class_or_none() {
    assert_eq!(
        techniques(&[
            "attack.t1003.006".into(),
            "attack.credential-access".into(),
            "attack.t10".into()
        ]),
        ["T1003.006"]
    );
    assert_eq!(kind_of(&["T1003.006".into()]), Some(AlertKind::Dcsync));
    // T1098 is the main technique of several classes.
    assert_eq!(kind_of(&["T1098".into()]), None);
    assert_eq!(kind_of(&["T1003.006".into(), "T1558.003".into()]), None);
    assert_eq!(kind_of(&[]), None);
}
