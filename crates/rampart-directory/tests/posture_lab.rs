//! Posture checks over the lab's real Samba AD export: every planted weakness of
//! `facts.txt` (`POSTURE_PLANTED`) is found by its check, and nothing else fails except what
//! provisioning leaves (`POSTURE_DEFAULTS`) and the true findings listed in `LAB_TRUTHS`.

use rampart_directory::posture::{
    self, Affected, DcConfig, DcSettings, PostureContext, Report, Status,
};
use std::collections::{BTreeSet, HashMap};
use std::path::{Path, PathBuf};

fn lab() -> PathBuf {
    let p = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../../shared/lab/captures");
    assert!(
        p.join("directory.ldif").is_file() && p.join("facts.txt").is_file(),
        "lab captures missing at {} (../shared/lab must sit beside the checkout)",
        p.display()
    );
    p
}

fn facts() -> HashMap<String, String> {
    let text = std::fs::read_to_string(lab().join("facts.txt")).expect("facts.txt");
    text.lines()
        .filter(|l| !l.starts_with('#'))
        .filter_map(|l| l.split_once('='))
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect()
}

fn entries(facts: &HashMap<String, String>, key: &str) -> Vec<(String, String)> {
    facts[key]
        .split(';')
        .filter_map(|e| e.split_once(':'))
        .map(|(c, s)| (c.to_string(), s.to_string()))
        .collect()
}

/// How a planted subject is named in a finding.
#[derive(Clone, Copy, Debug)]
enum Subject {
    /// The affected object (`DOMAIN_ROOT` for the domain object).
    Object,
    /// The trustee holding the right.
    Principal,
    /// `trustee>object`.
    PrincipalObject,
}

/// facts.txt id → (our check id, how its subject reads). `weak_password` is left out on
/// purpose: a weak password is only found by guessing it (the brute-force and spray
/// scenarios), never from the directory.
const MAP: &[(&str, &str, Subject)] = &[
    ("kerberoastable", "kerberoastable_users", Subject::Object),
    ("rc4_only", "weak_kerberos_encryption", Subject::Object),
    ("asrep_roastable", "asrep_roastable", Subject::Object),
    (
        "lab_artifact_dont_req_preauth",
        "asrep_roastable",
        Subject::Object,
    ),
    (
        "privileged_service_account",
        "privileged_service_account",
        Subject::Object,
    ),
    (
        "unconstrained_delegation",
        "unconstrained_delegation",
        Subject::Object,
    ),
    (
        "constrained_delegation_protocol_transition",
        "constrained_delegation_protocol_transition",
        Subject::Object,
    ),
    (
        "password_never_expires",
        "password_never_expires",
        Subject::Object,
    ),
    ("stale_admincount", "stale_admincount", Subject::Object),
    (
        "generic_all",
        "unsafe_acl_privileged",
        Subject::PrincipalObject,
    ),
    (
        "write_dacl_domain",
        "domain_root_control",
        Subject::Principal,
    ),
    ("dcsync_non_admin", "dcsync_non_admin", Subject::Principal),
    (
        "force_change_password",
        "force_change_password_admins",
        Subject::PrincipalObject,
    ),
    (
        "adminsdholder_backdoor",
        "adminsdholder_write",
        Subject::Principal,
    ),
    ("no_lockout_policy", "no_lockout_policy", Subject::Object),
    ("min_pwd_age_zero", "min_pwd_age_zero", Subject::Object),
    (
        "ldap_signing_not_required",
        "ldap_signing_not_required",
        Subject::Object,
    ),
    // POSTURE_DEFAULTS: what provisioning leaves.
    (
        "machine_account_quota_10",
        "machine_account_quota",
        Subject::Object,
    ),
    (
        "domain_functional_level_2008R2",
        "domain_functional_level",
        Subject::Object,
    ),
    (
        "min_pwd_length_7",
        "short_min_password_length",
        Subject::Object,
    ),
    (
        "min_pwd_length_7",
        "min_password_length_below_14",
        Subject::Object,
    ),
    (
        "password_not_required_disabled",
        "password_not_required",
        Subject::Object,
    ),
];
const NOT_DISCOVERABLE: &[&str] = &["weak_password"];

/// True findings in the export that facts.txt does not list (it names what was planted and
/// what provisioning is known to leave): each was checked by hand against the LDIF.
/// `admins_delegatable`: every privileged account has userAccountControl 512 or 0x410200,
/// never NOT_DELEGATED (0x100000), and Protected Users is empty.
const LAB_TRUTHS: &[(&str, &str)] = &[
    ("admins_delegatable", "Administrator"),
    ("admins_delegatable", "adm_ajohnson"),
    ("admins_delegatable", "adm_bsmith"),
    ("admins_delegatable", "adm_cwilliams"),
    ("admins_delegatable", "svc_backup"),
];

fn subject(a: &Affected, how: Subject, base_dn: &str) -> String {
    let object = if a
        .dn
        .as_deref()
        .is_some_and(|d| d.eq_ignore_ascii_case(base_dn))
    {
        "DOMAIN_ROOT".to_string()
    } else {
        a.name.clone()
    };
    let principal = a.principal.clone().unwrap_or_default();
    match how {
        Subject::Object => object,
        Subject::Principal => principal,
        Subject::PrincipalObject => format!("{principal}>{object}"),
    }
}

fn assess_lab() -> (Report, HashMap<String, String>) {
    let facts = facts();
    let dir = rampart_directory::ldif::load(&lab().join("directory.ldif")).expect("LDIF loads");
    // The LDIF reader stamps the load time as collected_at; the export is judged as of its
    // own content instead, so the test does not age.
    let now = posture::content_time(&dir).expect("the export has time stamps");
    let mut cx = PostureContext::new(now);
    cx.honeytokens = facts["HONEYTOKEN_ACCOUNTS"]
        .split(';')
        .map(str::to_string)
        .collect();
    // The DC's own setting, as the lab README documents it (`ldap server require strong auth
    // = no` in its smb.conf); the live test reads the real smb.conf instead.
    cx.dc_config = Some(DcConfig {
        dcs: vec![DcSettings {
            name: facts["LAB_DC_NETBIOS"].clone(),
            source: Some("lab README: ldap server require strong auth = no".into()),
            ldap_signing_required: Some(false),
            ..DcSettings::default()
        }],
        ..DcConfig::default()
    });
    (posture::assess(&dir, &cx), facts)
}

#[test]
fn every_planted_weakness_is_found_and_nothing_else_fails() {
    let (report, facts) = assess_lab();
    let base = facts["LAB_BASE_DN"].clone();
    let by_id: HashMap<&str, _> = report.results.iter().map(|o| (o.info.id, o)).collect();
    for (id, check, _) in MAP {
        assert!(
            by_id.contains_key(check),
            "{id} maps to unknown check {check}"
        );
    }

    let planted = entries(&facts, "POSTURE_PLANTED");
    let defaults = entries(&facts, "POSTURE_DEFAULTS");
    let mut missed = Vec::new();
    for (fact, subj) in &planted {
        if NOT_DISCOVERABLE.contains(&fact.as_str()) {
            continue;
        }
        let maps: Vec<_> = MAP.iter().filter(|(p, _, _)| p == fact).collect();
        assert!(!maps.is_empty(), "planted id {fact} has no check in MAP");
        for (_, check, how) in maps {
            let o = by_id[check];
            let found = o.result.status == Status::Fail
                && o.result
                    .affected
                    .iter()
                    .any(|a| subject(a, *how, &base) == *subj);
            if !found {
                missed.push(format!("{fact}:{subj} (check {check}: {:?})", o.result));
            }
        }
    }
    assert!(
        missed.is_empty(),
        "planted weaknesses not found:\n{}",
        missed.join("\n")
    );

    // Everything that fails must be planted, a default, or a listed truth.
    let mut allowed: BTreeSet<(String, String)> = BTreeSet::new();
    for (fact, subj) in planted.iter().chain(defaults.iter()) {
        for (_, check, how) in MAP.iter().filter(|(p, _, _)| p == fact) {
            allowed.insert((check.to_string(), format!("{how:?}:{subj}")));
        }
    }
    let mut unexpected = Vec::new();
    for o in report.failing() {
        for a in &o.result.affected {
            let ok = MAP
                .iter()
                .filter(|(_, c, _)| *c == o.info.id)
                .any(|(_, _, how)| {
                    allowed.contains(&(
                        o.info.id.to_string(),
                        format!("{how:?}:{}", subject(a, *how, &base)),
                    ))
                })
                || LAB_TRUTHS.contains(&(o.info.id, a.name.as_str()));
            if !ok {
                unexpected.push(format!(
                    "{}: {} ({:?}) {}",
                    o.info.id, a.name, a.principal, a.why
                ));
            }
        }
    }
    assert!(
        unexpected.is_empty(),
        "findings that facts.txt does not plant:\n{}",
        unexpected.join("\n")
    );
}

#[test]
fn the_lab_report_scores_and_explains_itself() {
    let (report, _) = assess_lab();
    assert!(report.results.len() >= 30);
    assert!(
        report.score < 100 && report.score > 0,
        "score {}",
        report.score
    );
    assert_eq!(report.domains, ["rampart.lab"]);
    let status = |id: &str| {
        report
            .results
            .iter()
            .find(|o| o.info.id == id)
            .map(|o| o.result.status)
    };
    // What the export cannot tell is not applicable, not passed.
    for id in [
        "gpo_write_non_admin",
        "smb_signing_not_required",
        "print_spooler_on_dc",
    ] {
        assert_eq!(status(id), Some(Status::NotApplicable), "{id}");
    }
    assert_eq!(status("honeytoken_absent"), Some(Status::Pass));
    assert_eq!(status("krbtgt_password_age"), Some(Status::Pass));
    assert_eq!(
        status("password_not_required"),
        Some(Status::Pass),
        "Guest is disabled"
    );
    let html = posture::report::html(&report);
    assert!(html.contains("Tier0-Admins") && html.contains("IT-Support"));
    let table = posture::report::table(&report);
    eprintln!("{table}");
}

/// Starts (or finds running) and populates the lab DC, one test process at a time, as
/// `lab_ldap.rs` does (`up` and `populate` are idempotent but not safe to run concurrently;
/// the same lock file serialises both tests).
fn live_lab() -> HashMap<String, String> {
    use std::os::unix::io::AsRawFd;
    use std::process::Command;
    let lab = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../../shared/lab/lab.sh");
    assert!(lab.is_file(), "lab script missing at {}", lab.display());
    // SAFETY: geteuid has no preconditions.
    assert_eq!(unsafe { libc::geteuid() }, 0, "the lab DC needs root");
    let lock = std::fs::OpenOptions::new()
        .create(true)
        .append(true)
        .open(std::env::temp_dir().join("rampart-lab-start.lock"))
        .expect("lab lock file");
    // SAFETY: a valid open descriptor; the lock is released when `lock` is closed.
    assert_eq!(unsafe { libc::flock(lock.as_raw_fd(), libc::LOCK_EX) }, 0);
    let up = Command::new(&lab)
        .arg("up")
        .output()
        .expect("run lab.sh up");
    assert!(
        up.status.success(),
        "lab.sh up: {}",
        String::from_utf8_lossy(&up.stderr)
    );
    let pop = Command::new(&lab)
        .arg("populate")
        .output()
        .expect("run lab.sh populate");
    assert!(
        pop.status.success(),
        "lab.sh populate: {}",
        String::from_utf8_lossy(&pop.stderr)
    );
    drop(lock);
    String::from_utf8_lossy(&up.stdout)
        .lines()
        .filter_map(|l| l.split_once('='))
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect()
}

/// The same assessment over a live LDAP collection from the lab DC, with the DC's real
/// smb.conf as DC configuration: the planted weaknesses are found again, and what the live
/// collection adds over the export (the LAPS schema lookup) is the only extra finding.
#[test]
fn live_collection_from_the_lab_dc() {
    use rampart_directory::collect::{collect_ldap, LdapOptions, PasswordSource};
    let env = live_lab();
    let get = |k: &str| {
        env.get(k)
            .unwrap_or_else(|| panic!("lab.sh up printed no {k}"))
            .clone()
    };
    let password = PasswordSource::File(get("LAB_ADMIN_PASSWORD_FILE").into())
        .read()
        .expect("admin password");
    let dir = collect_ldap(&LdapOptions {
        url: get("LAB_LDAP_URL"),
        bind: get("LAB_ADMIN_DN"),
        password,
        base: Some(get("LAB_BASE_DN")),
        no_tls_verify: false,
        timeout: std::time::Duration::from_secs(30),
    })
    .expect("collect over LDAP");
    let facts = facts();
    let mut cx = PostureContext::new(posture::snapshot_time(&dir, chrono::Utc::now()));
    cx.honeytokens = vec![facts["HONEYTOKEN_ACCOUNTS"].clone()];
    cx.dc_config =
        Some(DcConfig::load(Path::new(&get("LAB_SMB_CONF"))).expect("the DC's smb.conf"));
    let report = posture::assess(&dir, &cx);
    eprintln!("{}", posture::report::table(&report));
    let base = get("LAB_BASE_DN");
    let by_id: HashMap<&str, _> = report.results.iter().map(|o| (o.info.id, o)).collect();
    let mut missed = Vec::new();
    for (fact, subj) in entries(&facts, "POSTURE_PLANTED") {
        if NOT_DISCOVERABLE.contains(&fact.as_str()) {
            continue;
        }
        for (_, check, how) in MAP.iter().filter(|(p, _, _)| *p == fact) {
            let o = by_id[check];
            if !o
                .result
                .affected
                .iter()
                .any(|a| subject(a, *how, &base) == subj)
            {
                missed.push(format!("{fact}:{subj} ({check}: {:?})", o.result));
            }
        }
    }
    assert!(missed.is_empty(), "not found live:\n{}", missed.join("\n"));
    // The smb.conf's own values: signing and NTLMv2-only are Samba's AD DC defaults.
    let status = |id: &str| by_id[id].result.status;
    assert_eq!(status("smb_signing_not_required"), Status::Pass);
    assert_eq!(status("ntlmv1_allowed"), Status::Pass);
    // The live collection reads the schema: no LAPS attribute in it means no LAPS.
    assert_eq!(status("laps_absent"), Status::Fail);
    assert_eq!(by_id["laps_absent"].result.affected[0].name, "rampart.lab");
}
