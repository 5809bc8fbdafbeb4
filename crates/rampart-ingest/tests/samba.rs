//! Samba's JSON audit log, read from the lab's recorded captures (`tests/fixtures/samba`, copied
//! from `shared/lab/captures`): every file reads without a warning, each maps to the events its
//! scenario must produce, the planted facts come through, and damaged copies never panic.

mod common;
use common::*;
use rampart_core::wellknown::{krb_error, ntstatus};
use rampart_core::{EventKind, IdentityEvent, Outcome};
use rampart_ingest::{discover_all, read_file, Format, InputFile, ReadOptions, ReadStats};
use std::collections::BTreeMap;
use std::io::Write;
use std::path::PathBuf;

fn fixtures() -> PathBuf {
    PathBuf::from(concat!(env!("CARGO_MANIFEST_DIR"), "/tests/fixtures/samba"))
}

fn input(name: &str) -> InputFile {
    let (mut files, errors) = rampart_ingest::discover(&[fixtures().join(name)]);
    assert!(errors.is_empty(), "{name}: {errors:?}");
    files.remove(0)
}

fn read(name: &str) -> (ReadStats, Collect) {
    let file = input(name);
    assert_eq!(file.format, Format::SambaAudit, "{name}");
    let mut sink = Collect::default();
    let stats = read_file(&file, &ReadOptions::default(), &mut sink).expect(name);
    assert!(sink.warnings.is_empty(), "{name}: {:?}", sink.warnings);
    (stats, sink)
}

fn kinds(events: &[IdentityEvent]) -> BTreeMap<&'static str, usize> {
    let mut m = BTreeMap::new();
    for e in events {
        *m.entry(e.kind.name()).or_default() += 1;
    }
    m
}

fn actor(e: &IdentityEvent) -> String {
    e.actor.as_ref().map(|a| a.key()).unwrap_or_default()
}

/// A capture, its record count and its events per kind.
type Expected = (&'static str, u64, &'static [(&'static str, usize)]);

/// Events per kind of every capture. The records are the lab's: `Authentication` by the KDC
/// become TGT requests, other authentications NTLM validations, `Authorization` logons,
/// `dsdbChange` one directory change per attribute value (lastLogon, logonCount,
/// lastLogonTimestamp bookkeeping by SYSTEM in most files).
#[test]
fn every_capture_maps_without_warnings() {
    #[rustfmt::skip]
    let expected: &[Expected] = &[
        ("account_enum", 38, &[("kerberos_tgt_request", 38)]),
        ("asrep_roasting", 8, &[("directory_change", 7), ("kerberos_tgt_request", 3), ("logon", 1), ("ntlm_auth", 1)]),
        ("benign", 51, &[("directory_change", 30), ("kerberos_tgt_request", 12), ("logon", 14), ("ntlm_auth", 11), ("password_change", 1)]),
        ("brute_force", 34, &[("directory_change", 5), ("kerberos_tgt_request", 17), ("logon", 1), ("ntlm_auth", 14)]),
        ("dcsync", 14, &[("logon", 8), ("ntlm_auth", 6)]),
        ("honeytoken_activity", 9, &[("directory_change", 5), ("kerberos_tgt_request", 3), ("logon", 2), ("ntlm_auth", 2)]),
        ("kerberoasting", 12, &[("directory_change", 10), ("kerberos_tgt_request", 5), ("logon", 1), ("ntlm_auth", 1)]),
        ("ldap_recon", 29, &[("directory_change", 1), ("logon", 14), ("ntlm_auth", 14)]),
        ("password_spray", 69, &[("directory_change", 5), ("kerberos_tgt_request", 51), ("logon", 1), ("ntlm_auth", 15)]),
        ("remote_exec_service", 10, &[("logon", 5), ("ntlm_auth", 5)]),
        ("samr_recon", 16, &[("logon", 12), ("ntlm_auth", 4)]),
        ("sensitive_group_change", 8, &[("directory_change", 1), ("group_membership_change", 1), ("logon", 3), ("ntlm_auth", 3)]),
    ];
    let d = discover_all(&[fixtures()]);
    assert!(d.errors.is_empty(), "{:?}", d.errors);
    // The README and the empty dns_recon capture (Samba does not audit DNS) are not logs.
    let skipped: Vec<&str> = d
        .skipped
        .iter()
        .map(|s| s.display.rsplit('/').next().unwrap_or_default())
        .collect();
    assert_eq!(skipped, ["README.md", "dns_recon.audit.jsonl"]);
    assert_eq!(d.files.len(), expected.len());
    for (file, (name, records, want)) in d.files.iter().zip(expected) {
        assert!(file.display.ends_with(&format!("{name}.audit.jsonl")));
        let (stats, sink) = read(&format!("{name}.audit.jsonl"));
        assert_eq!(stats.records, *records, "{name}");
        assert_eq!((stats.unknown, stats.skipped), (0, 0), "{name}");
        assert_eq!(stats.events as usize, sink.events.len(), "{name}");
        let want: BTreeMap<&str, usize> = want.iter().copied().collect();
        assert_eq!(kinds(&sink.events), want, "{name}");
        // Lines are evidence, in order; times are the records' own.
        let lines: Vec<u64> = sink.events.iter().map(|e| e.evidence.record).collect();
        assert!(lines.windows(2).all(|w| w[0] <= w[1]), "{name}");
        assert!(lines.iter().all(|l| (1..=*records).contains(l)), "{name}");
        assert!(sink
            .events
            .iter()
            .all(|e| e.time.timestamp() > 1_700_000_000));
        // Every file but account_enum names its server (an NTLM or simple-bind authorization);
        // account_enum holds only KDC records, which do not, and nothing is guessed.
        let observers: Vec<Option<&str>> =
            sink.events.iter().map(|e| e.observer.as_deref()).collect();
        let want_observer = if *name == "account_enum" {
            None
        } else {
            Some("DC1")
        };
        assert!(observers.iter().all(|o| *o == want_observer), "{name}");
    }
}

#[test]
fn brute_force_failures_against_rmoore() {
    let (_, sink) = read("brute_force.audit.jsonl");
    let failed: Vec<&IdentityEvent> = sink
        .events
        .iter()
        .filter(|e| e.outcome.is_failure())
        .collect();
    assert_eq!(failed.len(), 28);
    assert!(failed.iter().all(|e| actor(e) == "rmoore"));
    let kerberos = failed
        .iter()
        .filter(|e| {
            matches!(
                e.kind,
                EventKind::KerberosTgtRequest {
                    status: krb_error::PREAUTH_FAILED,
                    preauth_type: Some(2),
                    ticket_etype: Some(18),
                    ..
                }
            )
        })
        .count();
    let ntlm = failed
        .iter()
        .filter(|e| {
            matches!(
                e.kind,
                EventKind::NtlmAuth {
                    status: ntstatus::WRONG_PASSWORD,
                    ..
                }
            )
        })
        .count();
    assert_eq!((kerberos, ntlm), (15, 13), "15 Kerberos, 8 SMB2 + 5 LDAP");
    assert!(failed.iter().all(|e| e
        .source
        .as_ref()
        .is_some_and(|s| s.ip == "127.0.0.1".parse().ok())));
    // The 16th guess was right, then the NTLM logon with it.
    let ok: Vec<&IdentityEvent> = sink
        .events
        .iter()
        .filter(|e| e.outcome == Outcome::Success && actor(e) == "rmoore")
        .filter(|e| !matches!(e.kind, EventKind::DirectoryChange { .. }))
        .collect();
    assert!(ok
        .iter()
        .any(|e| matches!(e.kind, EventKind::KerberosTgtRequest { status: 0, .. })));
    assert!(ok.iter().any(|e| matches!(&e.kind,
        EventKind::Logon { auth_package: Some(p), .. } if p == "NTLM")));
}

#[test]
fn spray_enumeration_and_roasting_facts() {
    let (_, spray) = read("password_spray.audit.jsonl");
    let wrong: std::collections::BTreeSet<String> = spray
        .events
        .iter()
        .filter(|e| e.outcome.is_failure())
        .map(actor)
        .collect();
    assert_eq!(wrong.len(), 49, "every staff account but eyoung");
    assert!(!wrong.contains("eyoung"));
    assert!(spray.events.iter().any(|e| actor(e) == "eyoung"
        && matches!(e.kind, EventKind::KerberosTgtRequest { status: 0, .. })));

    let (_, enumeration) = read("account_enum.audit.jsonl");
    let unknown: std::collections::BTreeSet<String> = enumeration
        .events
        .iter()
        .filter(|e| {
            matches!(
                e.kind,
                EventKind::KerberosTgtRequest {
                    status: krb_error::C_PRINCIPAL_UNKNOWN,
                    ..
                }
            )
        })
        .map(actor)
        .collect();
    assert_eq!(unknown.len(), 38);

    let (_, roast) = read("asrep_roasting.audit.jsonl");
    let no_preauth: Vec<String> = roast
        .events
        .iter()
        .filter(|e| {
            matches!(
                e.kind,
                EventKind::KerberosTgtRequest {
                    status: 0,
                    preauth_type: Some(0),
                    ..
                }
            )
        })
        .map(actor)
        .collect();
    assert_eq!(no_preauth, ["svc_backup"; 3]);
}

#[test]
fn group_and_password_changes_name_their_accounts() {
    let (_, sink) = read("sensitive_group_change.audit.jsonl");
    let change = sink
        .events
        .iter()
        .find(|e| matches!(e.kind, EventKind::GroupMembershipChange { .. }))
        .unwrap();
    let EventKind::GroupMembershipChange { member, added, .. } = &change.kind else {
        unreachable!()
    };
    assert!(*added);
    assert_eq!(member.as_ref().unwrap().name, "hking");
    assert_eq!(change.target.as_ref().unwrap().name, "Domain Admins");
    // The actor's SID is named from the simple bind's authorization earlier in the file.
    let by = change.actor.as_ref().unwrap();
    assert_eq!(by.to_string(), "RAMPART\\Administrator");
    assert_eq!(by.rid(), Some(500));
    assert_eq!(change.evidence.event_id, Some(4728));
    assert_eq!(change.evidence.record, 5);

    let (_, benign) = read("benign.audit.jsonl");
    let pw = benign
        .events
        .iter()
        .find(|e| e.kind == EventKind::PasswordChange)
        .unwrap();
    assert_eq!(pw.target.as_ref().unwrap().name, "wwhite");
    assert_eq!(actor(pw), "wwhite");
    assert_eq!(pw.evidence.event_id, Some(4723));
    // Logon bookkeeping is SYSTEM's.
    assert!(benign
        .events
        .iter()
        .filter(|e| matches!(&e.kind, EventKind::DirectoryChange { attribute: Some(a), .. } if a == "lastLogon"))
        .all(|e| e.actor.as_ref().is_some_and(|a| a.is_builtin_service())));
}

/// A folder with a Windows JSON export and Samba audit logs (one gzipped): both formats are
/// recognised by content and read.
#[test]
fn windows_and_samba_logs_side_by_side() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join("dc01-security.json"),
        r#"{"@timestamp":"2019-03-19T17:13:35.086Z","computer_name":"DC01.corp.local","event_data":{"TargetUserName":"wardog","Status":"0x18","PreAuthType":"2","IpAddress":"::ffff:172.18.39.6"},"event_id":4771,"log_name":"Security","source_name":"Microsoft-Windows-Security-Auditing"}"#,
    )
    .unwrap();
    std::fs::copy(
        fixtures().join("brute_force.audit.jsonl"),
        dir.path().join("dc1-audit.log"),
    )
    .unwrap();
    let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
    gz.write_all(&std::fs::read(fixtures().join("sensitive_group_change.audit.jsonl")).unwrap())
        .unwrap();
    std::fs::write(dir.path().join("dc1-audit.log.1.gz"), gz.finish().unwrap()).unwrap();

    let d = discover_all(&[dir.path().to_path_buf()]);
    let formats: Vec<(Format, bool)> = d.files.iter().map(|f| (f.format, f.compressed)).collect();
    assert_eq!(
        formats,
        [
            (Format::JsonLines, false),
            (Format::SambaAudit, false),
            (Format::SambaAudit, true)
        ]
    );
    let mut events = Vec::new();
    for f in &d.files {
        let mut sink = Collect::default();
        read_file(f, &ReadOptions::default(), &mut sink).unwrap();
        assert!(sink.warnings.is_empty());
        events.extend(sink.events);
    }
    assert_eq!(count(&events, "group_membership_change"), 1);
    assert_eq!(
        events
            .iter()
            .filter(|e| matches!(e.kind, EventKind::KerberosTgtRequest { status: 0x18, .. }))
            .count(),
        16,
        "15 from Samba, 1 from Windows"
    );
}

/// Samba's own log file: records indented by two spaces between debug headers.
#[test]
fn samba_log_file_as_written() {
    let text = std::fs::read_to_string(fixtures().join("benign.audit.jsonl")).unwrap();
    let mut raw = String::new();
    for line in text.lines() {
        raw.push_str("[2026/11/23 18:46:15.921250,  3] ../../auth/auth_log.c:635(log_json)\n  ");
        raw.push_str(line);
        raw.push('\n');
    }
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("audit.log");
    std::fs::write(&path, raw).unwrap();
    let (files, _) = rampart_ingest::discover(&[path]);
    assert_eq!(files[0].format, Format::SambaAudit);
    let mut sink = Collect::default();
    let stats = read_file(&files[0], &ReadOptions::default(), &mut sink).unwrap();
    assert!(sink.warnings.is_empty(), "{:?}", sink.warnings);
    let (plain, plain_sink) = read("benign.audit.jsonl");
    assert_eq!((stats.records, stats.events), (plain.records, plain.events));
    // The same events, but every record is now on an even line.
    for (a, b) in sink.events.iter().zip(&plain_sink.events) {
        assert_eq!(a.evidence.record, b.evidence.record * 2);
        assert_eq!(a.kind, b.kind);
    }
}

/// A small deterministic generator (xorshift64*), so failures reproduce.
struct Rng(u64);
impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_f491_4f6c_dd1d)
    }
    fn below(&mut self, n: usize) -> usize {
        (self.next() % n as u64) as usize
    }
}

/// Damaged copies of every capture (bytes overwritten, lines cut, a truncated tail): reading
/// never panics, damage is reported with file and line, and the undamaged lines still map.
#[test]
fn damaged_captures_never_panic() {
    let dir = tempfile::tempdir().unwrap();
    let mut rng = Rng(0x5a3b_a000_0000_0001);
    for entry in std::fs::read_dir(fixtures()).unwrap() {
        let path = entry.unwrap().path();
        if !path.to_string_lossy().ends_with(".audit.jsonl") {
            continue;
        }
        let original = std::fs::read(&path).unwrap();
        if original.is_empty() {
            continue;
        }
        for round in 0..8 {
            let mut bytes = original.clone();
            for _ in 0..(1 + round * 3) {
                let i = rng.below(bytes.len());
                bytes[i] = match rng.below(4) {
                    0 => b'\n',
                    1 => b'"',
                    2 => 0xff,
                    _ => rng.next() as u8,
                };
            }
            if round % 3 == 0 {
                bytes.truncate(rng.below(bytes.len()).max(1));
            }
            let name = format!("{}-{round}", path.file_name().unwrap().to_string_lossy());
            let copy = dir.path().join(name);
            std::fs::write(&copy, &bytes).unwrap();
            let file = InputFile {
                path: copy.clone(),
                display: std::sync::Arc::from(copy.to_string_lossy().as_ref()),
                format: Format::SambaAudit,
                compressed: false,
                size: bytes.len() as u64,
            };
            let mut sink = Collect::default();
            let stats = read_file(&file, &ReadOptions::default(), &mut sink).unwrap();
            assert_eq!(stats.events as usize, sink.events.len());
            assert_eq!(stats.skipped as usize, sink.warnings.len());
            for w in &sink.warnings {
                assert!(w.is_line && w.record.is_some() && w.offset.is_some(), "{w}");
                assert!(w.to_string().starts_with(&*file.display), "{w}");
            }
        }
    }
}
