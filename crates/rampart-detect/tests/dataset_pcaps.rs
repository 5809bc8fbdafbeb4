//! Network detections over the packet captures of `../shared/datasets`: each attack capture
//! must raise its labelled kinds that the wire shows, and the benign captures nothing.
//!
//! Read through the real network sensor (`rampart_net`) and engine. Captures whose labelled
//! activity is encrypted on the wire (SMB3-encrypted SAMR, sealed LDAP, Kerberos-sealed
//! WinRM bodies) are listed with what they cannot show, so a change that starts guessing from
//! ciphertext, or stops seeing what is in the clear, fails here.

use rampart_core::Alert;
use rampart_detect::{Engine, EngineConfig};
use rampart_ingest::{discover, EventSink, Format, ReadOptions, Warning};
use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

fn datasets() -> PathBuf {
    let d = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../../shared/datasets");
    assert!(
        d.join("labels.csv").is_file(),
        "the shared datasets are missing at {}; they must sit beside the checkout",
        d.display()
    );
    d
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

fn scan(rel: &str) -> Vec<Alert> {
    let path = datasets().join(rel);
    let (files, errors) = discover(std::slice::from_ref(&path));
    assert!(errors.is_empty(), "{}: {errors:?}", path.display());
    let mut engine = Engine::new(&EngineConfig::default());
    for f in &files {
        assert_eq!(f.format, Format::Pcap, "{rel}");
        rampart_net::read(f, &ReadOptions::default(), &mut Feed(&mut engine)).expect("readable");
    }
    engine.finish()
}

fn kinds(rel: &str) -> BTreeSet<String> {
    scan(rel).iter().map(|a| a.kind.to_string()).collect()
}

/// (capture, exactly the kinds it raises).
const ATTACKS: &[(&str, &[&str])] = &[
    (
        "otrf__covenant_dcom_registerxll_2020-09-18145959.cap",
        &["remote_exec_dcom"],
    ),
    (
        "otrf__covenant_dcsync_dcerpc_drsuapi_DsGetNCChanges_2020-08-05020926.cap",
        &["dcsync"],
    ),
    (
        "otrf__covenant_sharpsc_start_dcerpc_smb_svcctl_2020-08-06030120.cap",
        &["remote_exec_service"],
    ),
    (
        "otrf__empire_getsession_dcerpc_smb_srvsvc_NetSessEnum_2020-09-22034513.cap",
        &["smb_session_enum"],
    ),
    (
        "otrf__empire_msbuild_dcerpc_wmi_smb_WORKSTATION5_2020-09-20173857.cap",
        &["remote_exec_wmi"],
    ),
    (
        "otrf__empire_msbuild_dcerpc_wmi_smb_WORKSTATION6_2020-09-20173857.cap",
        &["remote_exec_wmi"],
    ),
    (
        "otrf__empire_psexec_dcerpc_tcp_svcctl_WORKSTATION5_2020-09-20121608.cap",
        &["remote_exec_service"],
    ),
    (
        "otrf__empire_psexec_dcerpc_tcp_svcctl_WORKSTATION6_2020-09-20121608.cap",
        &["remote_exec_service"],
    ),
    // The RC4-only AS-REQ from a workstation whose SMB session used an AES ticket. The
    // injected ticket's use (pass_the_ticket) is not in the capture.
    (
        "otrf__empire_shell_rubeus_asktgt_ptt_2020-09-21223848.cap",
        &["overpass_the_hash"],
    ),
    (
        "otrf__empire_shell_samr_EnumDomainUsers_2020-09-21193527.cap",
        &["samr_recon"],
    ),
    (
        "otrf__mimikatz_CVE-2020-1472_Unauthenticated_NetrServerAuthenticate2_2020-09-16233923.cap",
        &["zerologon"],
    ),
    (
        "otrf__schtask_create_2020-12-1907003032.pcapng",
        &["sched_task_remote"],
    ),
    (
        "otrf__schtask_modification_2020-12-1907505969.pcapng",
        &["sched_task_remote"],
    ),
];

#[test]
fn attack_captures_raise_their_labelled_kinds_and_no_other() {
    let mut failures = Vec::new();
    for (file, want) in ATTACKS {
        let got = kinds(&format!("pcap/{file}"));
        let want: BTreeSet<String> = want.iter().map(|k| k.to_string()).collect();
        if got != want {
            failures.push(format!("{file}: want {want:?}, got {got:?}"));
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

#[test]
fn benign_and_corrupt_captures_raise_nothing() {
    let labels = std::fs::read_to_string(datasets().join("labels.csv")).expect("labels.csv");
    let mut checked = 0;
    for line in labels.lines().skip(1) {
        let mut cols = line.splitn(4, ',');
        let (Some(path), Some(format), Some(class)) = (cols.next(), cols.next(), cols.next())
        else {
            continue;
        };
        if format != "pcap" || !(class == "benign" || class == "corrupt") {
            continue;
        }
        let alerts = scan(path);
        assert!(alerts.is_empty(), "{path} ({class}): {alerts:#?}");
        checked += 1;
    }
    assert!(
        checked >= 15,
        "only {checked} benign or corrupt captures found"
    );
}

#[test]
fn encrypted_captures_are_not_guessed_from() {
    // SMB3-encrypted sessions: SAMR inside is hidden, only NTLM and transform headers show.
    for file in [
        "samr__python.exe_crackmapexec_pass-pol.pcapng",
        "samr__python.exe_crackmapexec_users.pcapng",
        "samr__python.exe_impacket_net.py_user.pcapng",
        "samr__python.exe_impacket_samrdump.py.pcapng",
        "samr__samr-enum.py_summary.pcapng",
        "samr__samr-enum.py_users.pcapng",
    ] {
        let got = kinds(&format!("pcap/{file}"));
        assert!(got.is_empty(), "{file}: {got:?}");
    }
}
