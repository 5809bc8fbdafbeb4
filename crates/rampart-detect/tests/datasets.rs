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
