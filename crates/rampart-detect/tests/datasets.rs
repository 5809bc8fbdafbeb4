//! Detectors over real attack samples, through the real readers and engine (no binary needed).
//! Each case names a labelled file of `../shared/datasets` and the alert kind it must raise;
//! benign files must raise nothing.

use rampart_core::Alert;
use rampart_detect::{Engine, EngineConfig};
use rampart_ingest::{discover, read_file, EventSink, ReadOptions, Warning};
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

/// Scans one dataset file with every built-in detector.
pub fn scan(rel: &str) -> Vec<Alert> {
    let path = datasets().join(rel);
    let (files, errors) = discover(std::slice::from_ref(&path));
    assert!(errors.is_empty(), "{}: {errors:?}", path.display());
    let mut engine = Engine::new(&EngineConfig::default());
    for f in &files {
        read_file(f, &ReadOptions::default(), &mut Feed(&mut engine)).expect("readable");
    }
    engine.finish()
}

fn kinds(rel: &str) -> Vec<String> {
    let mut k: Vec<String> = scan(rel).iter().map(|a| a.kind.to_string()).collect();
    k.sort();
    k.dedup();
    k
}

#[track_caller]
fn expect(rel: &str, kind: &str) {
    let k = kinds(rel);
    assert!(
        k.iter().any(|x| x == kind),
        "{rel}: expected {kind}, got {k:?}"
    );
}

#[test]
fn domain_dominance_and_persistence_samples() {
    expect(
        "evtx/e2m__ID4769-Golden_ticket_issued.evtx",
        "golden_ticket",
    );
    expect(
        "evtx/e2m__ID_4765_-_SID_history_added.evtx",
        "sid_history_injection",
    );
    expect(
        "evtx/ebs__4765_sidhistory_add_t1178.evtx",
        "sid_history_injection",
    );
    expect(
        "evtx/e2m__ID5136-4662_sensitive_GPO_edited.evtx",
        "gpo_change",
    );
    expect(
        "evtx/e2m__ID5136-Permissions_changed_on_a_GPO.evtx",
        "ad_acl_change",
    );
    expect(
        "evtx/e2m__ID5136-4662_AD_object_owner_changed.evtx",
        "ad_acl_change",
    );
    expect(
        "evtx/ebs__DACL_DCSync_Right_Powerview_Add-DomainObjectAcl.evtx",
        "ad_acl_change",
    );
    expect("evtx/ebs__privexchange_dirkjan.evtx", "ad_acl_change");
    expect(
        "evtx/ebs__persistence_security_dcshadow_4742.evtx",
        "dcshadow",
    );
    expect(
        "evtx/e2m__ID5136-AdminSDholder_permissions_changed.evtx",
        "adminsdholder_change",
    );
}

#[test]
fn account_and_delegation_samples() {
    for rel in [
        "evtx/e2m__ID4688-SPN_added_to_an_account.evtx",
        "evtx/e2m__ID4720-4726_Fast_created-deleted_user.evtx",
        "evtx/e2m__ID4720-Admin_like_user_created.evtx",
        "evtx/e2m__ID4728-Massive_account_group_membership_change.evtx",
        "evtx/e2m__ID4728-Member_adding_to_a_group_by_the_same_account.evtx",
        "evtx/e2m__ID472_4728_Hidden_user_creation.evtx",
        "evtx/e2m__ID4732-4733-Quick_added-removed_user_from_local_group.evtx",
        "evtx/e2m__ID4738-Account_with_password_not_required.evtx",
        "evtx/e2m__ID4738-Do_not_require_Kerberos_preauthentication.evtx",
        "evtx/e2m__ID4738-Use_only_Kerberos_DES_encryption_types.evtx",
        "evtx/e2m__ID4738-User_set_with_reversible_psw_encryption.evtx",
        "evtx/e2m__ID4738_5136-SPN_set_on_user_account.evtx",
        "evtx/e2m__ID4742_5136-SPN_set_on_computer_account.evtx",
        "evtx/e2m__ID4781-4738-User_renamed_to_admin_or_likely.evtx",
        "evtx/ebs__Network_Service_Guest_added_to_admins_4732.evtx",
        "evtx/ebs__persist_valid_account_guest_rid_hijack.evtx",
        "evtx/ebs__remote_pwd_reset_rpc_mimikatz_postzerologon_target_DC.evtx",
    ] {
        expect(rel, "account_manipulation");
    }
    for rel in [
        "evtx/e2m__ID4742_5136-Enable_Trust_this_computer_for_delegation_to_any_service_Kerberos_only_.evtx",
        "evtx/e2m__ID4742_5136-Enable_Trust_this_computer_for_delegation_to_specified_service_Kerberos_only_.evtx",
        "evtx/e2m__ID4742_5136-Enable_Trust_this_computer_for_delegation_to_specified_service_any_protocol_.evtx",
    ] {
        expect(rel, "kerberos_delegation_abuse");
    }
    expect(
        "evtx/ebs__samaccount_spoofing_CVE-2021-42287_CVE-2021-42278_DC_securitylogs.evtx",
        "sam_name_spoofing",
    );
    expect("evtx/ebs__privexchange_dirkjan.evtx", "ntlm_relay");
}

#[test]
fn lateral_movement_samples() {
    for rel in [
        "evtx/e2m__ID4688_5140_5145-WMIexec_execution_via_SMB_GLOBAL_.evtx",
        "evtx/ebs__LM_WMIC_4648_rpcss.evtx",
        "evtx/ebs__LM_WMI_4624_4688_TargetHost.evtx",
        "evtx/ebs__LM_wmiexec_impacket_sysmon_whoami.evtx",
        "json/otrf__empire_msbuild_dcerpc_wmi_smb_2020-09-20173857.json",
    ] {
        expect(rel, "remote_exec_wmi");
    }
    for rel in [
        "evtx/ebs__LM_PowershellRemoting_sysmon_1_wsmprovhost.evtx",
        "evtx/ebs__LM_winrm_exec_sysmon_1_winrshost.evtx",
        "evtx/ebs__LM_winrm_target_wrmlogs_91_wsmanShellStarted_poorLog.evtx",
        // WMI's Win32_Process.Create invoked over WS-Man: also (rightly) remote_exec_wmi.
        "json/otrf__covenant_com_wsman_automation_2020-10-13002455.json",
        "json/otrf__purplesharp_ad_playbook_I_2020-10-22042947.json",
    ] {
        expect(rel, "remote_exec_winrm");
    }
    for rel in [
        "evtx/ebs__LM_DCOM_MSHTA_LethalHTA_Sysmon_3_1.evtx",
        "evtx/ebs__LM_impacket_docmexec_mmc_sysmon_01.evtx",
        "json/otrf__covenant_dcom_registerxll_2020-09-18145959.json",
    ] {
        expect(rel, "remote_exec_dcom");
    }
    for rel in [
        "evtx/ebs__LM_ScheduledTask_ATSVC_target_host.evtx",
        "evtx/ebs__remote_task_update_4624_4702_same_logonid.evtx",
        "evtx/ebs__temp_scheduled_task_4698_4699.evtx",
        "json/otrf__schtask_create_2020-12-1907003032.json",
        "json/otrf__schtask_modification_2020-12-1907505969.json",
    ] {
        expect(rel, "sched_task_remote");
    }
    for rel in [
        "evtx/ebs__ImpersonateUser-via_local_Pass_The_Hash_Sysmon_and_Security.evtx",
        "evtx/ebs__LM_4624_mimikatz_sekurlsa_pth_source_machine.evtx",
    ] {
        expect(rel, "pass_the_hash");
    }
    let rubeus = "json/otrf__empire_shell_rubeus_asktgt_ptt_2020-09-21223848.json";
    expect(rubeus, "overpass_the_hash");
    expect(rubeus, "pass_the_ticket");
    // Not caught as labelled: otrf__empire_mimikatz_opth (sekurlsa::pth, reported as
    // pass_the_hash: the file holds no KDC record of the injected key's Kerberos use).
}

#[test]
fn benign_samples_raise_nothing() {
    for rel in [
        "evtx/oev__Security_with_size_t.evtx",
        "evtx/oev__post-Security.evtx",
        "evtx/oev__system.evtx",
        "evtx/oev__2-vss_7-System.evtx",
        "evtx/oev__sysmon.evtx",
        "evtx/dbc__many-events-application.evtx",
    ] {
        let alerts = scan(rel);
        assert!(
            alerts.is_empty(),
            "{rel}: {:?}",
            alerts.iter().map(|a| &a.title).collect::<Vec<_>>()
        );
    }
}

/// Scans one dataset file with every built-in detector and the given engine settings.
fn scan_with(rel: &str, config: &EngineConfig) -> Vec<Alert> {
    let path = datasets().join(rel);
    let (files, errors) = discover(std::slice::from_ref(&path));
    assert!(errors.is_empty(), "{}: {errors:?}", path.display());
    let mut engine = Engine::new(config);
    for f in &files {
        read_file(f, &ReadOptions::default(), &mut Feed(&mut engine)).expect("readable");
    }
    engine.finish()
}

#[test]
fn credential_access_and_recon_samples() {
    for (rel, kind) in [
        // LSASS: dump file, handles, comsvcs command lines, silent process exit, Sysmon 10.
        (
            "evtx/e2m__ID11-LSASS_credentials_dump_via_Task_Manager.evtx",
            "lsass_dump",
        ),
        (
            "evtx/e2m__ID4688-4663-4656-LSASS_dump_with_LSASSY_process_.evtx",
            "lsass_dump",
        ),
        ("evtx/ebs__CA_hashdump_4663_4656_lsass_access.evtx", "lsass_dump"),
        (
            "evtx/ebs__LsassSilentProcessExit_process_exit_monitor_3001_lsass.evtx",
            "lsass_dump",
        ),
        (
            "json/otrf__empire_mimikatz_logonpasswords_2020-08-07103224.json",
            "lsass_dump",
        ),
        (
            "json/otrf__psh_lsass_memory_dump_comsvcs_2020-10-18T19500924.json",
            "lsass_dump",
        ),
        // NTDS.dit: ESENT on the copy, ntdsutil IFM, diskshadow script.
        ("evtx/e2m__ID325-327-IFM_created_-_ESENT.evtx", "ntds_dump"),
        ("evtx/e2m__ID4688-IFM_created.evtx", "ntds_dump"),
        ("evtx/e2m__ID4688-Diskshadow_abuse.evtx", "ntds_dump"),
        (
            "evtx/ebs__CA_protectedstorage_5145_rpc_masterkey.evtx",
            "dpapi_backup_key",
        ),
        // Zerologon: the anonymous DC password change (and the exploit's command line), and
        // the post-exploitation restore of the DC's password.
        (
            "json/otrf__mimikatz_CVE-2020-1472_Unauthenticated_NetrServerAuthenticate2_2020-09-16233923.json",
            "zerologon",
        ),
        (
            "evtx/ebs__remote_pwd_reset_rpc_mimikatz_postzerologon_target_DC.evtx",
            "zerologon",
        ),
        (
            "evtx/ebs__smb_bi_auth_conn_spoolsample.evtx",
            "forced_auth_coercion",
        ),
        // SAMR: RID cycling, privileged group lookups, remote local groups, `net user /domain`.
        (
            "evtx/e2m__ID4661-Local_group_enumeration_with_RID_brutforce_with_CME.evtx",
            "samr_recon",
        ),
        (
            "evtx/e2m__ID4661-SAM_sensitive_domain_users_groups_discovery.evtx",
            "samr_recon",
        ),
        (
            "evtx/ebs__dicovery_4661_net_group_domain_admins_target.evtx",
            "samr_recon",
        ),
        (
            "evtx/ebs__4799_remote_local_groups_enumeration.evtx",
            "samr_recon",
        ),
        (
            "json/otrf__empire_shell_samr_EnumDomainUsers_2020-09-21193527.json",
            "samr_recon",
        ),
        ("evtx/e2m__ID4662-Domain_group_enumeration_CME.evtx", "ldap_recon"),
        (
            "evtx/e2m__ID6004-DNS-server-failed_zone_transfer.evtx",
            "dns_recon",
        ),
        // Session enumeration: PsLoggedOn, srvsvc on a DC, hunting across hosts.
        ("evtx/ebs__discovery_psloggedon.evtx", "smb_session_enum"),
        (
            "json/otrf__empire_getsession_dcerpc_smb_srvsvc_NetSessEnum_2020-09-22034513.json",
            "smb_session_enum",
        ),
        (
            "json/otrf__purplesharp_ad_playbook_I_2020-10-22042947.json",
            "smb_session_enum",
        ),
    ] {
        expect(rel, kind);
    }

    // The decoy of the honeypot sample, configured by its objectGUID (4662 names it so).
    let rel = "evtx/e2m__ID4662-4624-Honeypot_account_property_read.evtx";
    let config = EngineConfig {
        entities: rampart_detect::EntityConfig {
            honeytokens: vec!["259162f1-58e4-4ee9-9b9c-2baf2a03d376".to_string()],
            ..Default::default()
        },
        ..EngineConfig::default()
    };
    let alerts = scan_with(rel, &config);
    assert!(
        alerts
            .iter()
            .any(|a| a.kind.as_str() == "honeytoken_activity"),
        "{rel}: {:?}",
        alerts.iter().map(|a| &a.title).collect::<Vec<_>>()
    );
    // Without a configured decoy, nothing is guessed.
    assert!(kinds(rel).iter().all(|k| k != "honeytoken_activity"));

    // The DCShadow sample's SAM handles are a DC's own: not reconnaissance.
    let rel =
        "evtx/e2m__ID4661-Suspicious_SAM_access_to_password_attributes_by_LSASS_Dcshadow_.evtx";
    assert!(kinds(rel).iter().all(|k| k != "samr_recon"), "{rel}");
}

/// One attack, one alert of its kind: repeated evidence of one attack (several accounts
/// guessed by one tool, one account fanning out to several hosts, both ends of one remote
/// task or TGT request) is merged, not raised again.
#[test]
fn one_attack_is_one_alert() {
    for (rel, kind) in [
        (
            "evtx/e2m__ID_4776_4625-AccountRestore_local_bruteforce.evtx",
            "brute_force",
        ),
        (
            "json/otrf__empire_shell_rubeus_asktgt_ptt_2020-09-21223848.json",
            "overpass_the_hash",
        ),
        (
            "json/otrf__schtask_create_2020-12-1907003032.json",
            "sched_task_remote",
        ),
        (
            "json/otrf__purplesharp_ad_playbook_I_2020-10-22042947.json",
            "remote_exec_winrm",
        ),
    ] {
        let n = scan(rel).iter().filter(|a| a.kind.as_str() == kind).count();
        assert_eq!(n, 1, "{rel}: {n} {kind} alerts");
    }
    // A user list sprayed by kerbrute: seven guessed names, two existing accounts refused and
    // one that logs on, within milliseconds.
    expect("evtx/ebs__kerberos_pwd_spray_4771.evtx", "password_spray");
}
