//! The stable alert vocabulary: one [`AlertKind`] per attack class, with its ATT&CK techniques
//! and kill-chain phase. The string ids are a contract (JSONL output, the store, SIEM feeds):
//! never rename one, only add.

use serde::{Deserialize, Serialize};
use std::fmt;
use std::str::FromStr;

/// Where an attack sits in the kill chain (the grouping Defender for Identity uses).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum KillChainPhase {
    Reconnaissance,
    CredentialAccess,
    LateralMovement,
    DomainDominance,
    Persistence,
    DefenseEvasion,
    /// Outside the phases above (Defender for Identity's "other"): a Sigma rule whose ATT&CK
    /// tactics name none of them.
    Other,
}

impl KillChainPhase {
    pub fn as_str(&self) -> &'static str {
        match self {
            KillChainPhase::Reconnaissance => "reconnaissance",
            KillChainPhase::CredentialAccess => "credential_access",
            KillChainPhase::LateralMovement => "lateral_movement",
            KillChainPhase::DomainDominance => "domain_dominance",
            KillChainPhase::Persistence => "persistence",
            KillChainPhase::DefenseEvasion => "defense_evasion",
            KillChainPhase::Other => "other",
        }
    }
}

macro_rules! alert_kinds {
    ($( $variant:ident => $id:literal, $phase:ident, [$($t:literal),*], $title:literal; )+) => {
        /// An attack class. The ids are those of the project's class vocabulary.
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
        pub enum AlertKind { $( $variant, )+ }

        impl AlertKind {
            pub const ALL: &'static [AlertKind] = &[ $( AlertKind::$variant, )+ ];

            /// The stable id (`dcsync`, `kerberoasting`, …).
            pub fn as_str(&self) -> &'static str {
                match self { $( AlertKind::$variant => $id, )+ }
            }

            /// ATT&CK technique ids, main technique first.
            pub fn mitre(&self) -> &'static [&'static str] {
                match self { $( AlertKind::$variant => &[$($t),*], )+ }
            }

            pub fn phase(&self) -> KillChainPhase {
                match self { $( AlertKind::$variant => KillChainPhase::$phase, )+ }
            }

            /// A generic title; detectors usually give a more specific one.
            pub fn title(&self) -> &'static str {
                match self { $( AlertKind::$variant => $title, )+ }
            }
        }

        impl FromStr for AlertKind {
            type Err = UnknownKind;
            fn from_str(s: &str) -> Result<Self, Self::Err> {
                match s { $( $id => Ok(AlertKind::$variant), )+ _ => Err(UnknownKind(s.to_string())) }
            }
        }
    };
}

alert_kinds! {
    LdapRecon => "ldap_recon", Reconnaissance, ["T1087.002", "T1069.002"], "Directory reconnaissance over LDAP";
    SamrRecon => "samr_recon", Reconnaissance, ["T1087.002", "T1069.002"], "Account and group enumeration over SAMR";
    DnsRecon => "dns_recon", Reconnaissance, ["T1018"], "DNS zone transfer attempt";
    AccountEnum => "account_enum", Reconnaissance, ["T1087.002"], "Account enumeration through Kerberos";
    SmbSessionEnum => "smb_session_enum", Reconnaissance, ["T1049"], "SMB session enumeration";
    BruteForce => "brute_force", CredentialAccess, ["T1110.001"], "Brute force against an account";
    PasswordSpray => "password_spray", CredentialAccess, ["T1110.003"], "Password spray across accounts";
    Kerberoasting => "kerberoasting", CredentialAccess, ["T1558.003"], "Kerberoasting";
    AsrepRoasting => "asrep_roasting", CredentialAccess, ["T1558.004"], "AS-REP roasting";
    HoneytokenActivity => "honeytoken_activity", CredentialAccess, ["T1087.002"], "Honeytoken account activity";
    Dcsync => "dcsync", CredentialAccess, ["T1003.006"], "DCSync: directory replication by a non-DC";
    NtdsDump => "ntds_dump", CredentialAccess, ["T1003.003"], "NTDS.dit extraction";
    LsassDump => "lsass_dump", CredentialAccess, ["T1003.001"], "LSASS memory access";
    DpapiBackupKey => "dpapi_backup_key", CredentialAccess, ["T1552.004"], "DPAPI domain backup key retrieval";
    Zerologon => "zerologon", CredentialAccess, ["T1210"], "Zerologon (CVE-2020-1472) exploitation";
    AdcsAbuse => "adcs_abuse", CredentialAccess, ["T1649"], "Certificate services abuse";
    PassTheHash => "pass_the_hash", LateralMovement, ["T1550.002"], "Pass-the-hash";
    PassTheTicket => "pass_the_ticket", LateralMovement, ["T1550.003"], "Pass-the-ticket";
    OverpassTheHash => "overpass_the_hash", LateralMovement, ["T1550.002"], "Overpass-the-hash";
    RemoteExecService => "remote_exec_service", LateralMovement, ["T1569.002", "T1021.002"], "Remote execution through a service";
    RemoteExecWmi => "remote_exec_wmi", LateralMovement, ["T1047"], "Remote execution through WMI";
    RemoteExecWinrm => "remote_exec_winrm", LateralMovement, ["T1021.006"], "Remote execution through WinRM";
    RemoteExecDcom => "remote_exec_dcom", LateralMovement, ["T1021.003"], "Remote execution through DCOM";
    SchedTaskRemote => "sched_task_remote", LateralMovement, ["T1053.005"], "Remote scheduled task";
    GoldenTicket => "golden_ticket", DomainDominance, ["T1558.001"], "Golden ticket";
    SilverTicket => "silver_ticket", DomainDominance, ["T1558.002"], "Silver ticket";
    Dcshadow => "dcshadow", DomainDominance, ["T1207"], "DCShadow: rogue domain controller";
    SkeletonKey => "skeleton_key", DomainDominance, ["T1556.001"], "Skeleton key";
    SensitiveGroupChange => "sensitive_group_change", Persistence, ["T1098"], "Sensitive group membership change";
    AdminsdholderChange => "adminsdholder_change", Persistence, ["T1098"], "AdminSDHolder modified";
    KerberosDelegationAbuse => "kerberos_delegation_abuse", Persistence, ["T1558", "T1098"], "Kerberos delegation set or abused";
    SidHistoryInjection => "sid_history_injection", Persistence, ["T1134.005"], "SID history injection";
    GpoChange => "gpo_change", Persistence, ["T1484.001"], "Group Policy object modified";
    LogCleared => "log_cleared", DefenseEvasion, ["T1070.001"], "Event log cleared";
    AccountManipulation => "account_manipulation", Persistence, ["T1098"], "Account manipulation";
    AdAclChange => "ad_acl_change", Persistence, ["T1222.001"], "Directory permissions changed";
    SamNameSpoofing => "sam_name_spoofing", DomainDominance, ["T1078.002", "T1068"], "sAMAccountName spoofing (noPac)";
    ForcedAuthCoercion => "forced_auth_coercion", CredentialAccess, ["T1187"], "Forced authentication (coercion)";
    NtlmRelay => "ntlm_relay", CredentialAccess, ["T1557.001"], "NTLM relay";
    // A community Sigma rule matched and its ATT&CK tags name no single class above. The
    // alert's own `mitre` and `phase` come from the rule's tags; `detector` is `sigma:<rule id>`.
    SigmaRule => "sigma_rule", Other, [], "Sigma rule match";
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UnknownKind(pub String);

impl fmt::Display for UnknownKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "unknown alert kind `{}`", self.0)
    }
}

impl std::error::Error for UnknownKind {}

impl fmt::Display for AlertKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl Serialize for AlertKind {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(self.as_str())
    }
}

impl<'de> Deserialize<'de> for AlertKind {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let s = String::deserialize(d)?;
        s.parse().map_err(serde::de::Error::custom)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_round_trip() {
        for k in AlertKind::ALL {
            assert_eq!(k.as_str().parse::<AlertKind>().ok(), Some(*k));
            assert!(!k.mitre().is_empty() || *k == AlertKind::SigmaRule);
            assert!(k.mitre().iter().all(|t| t.starts_with('T')));
        }
        assert!("nope".parse::<AlertKind>().is_err());
    }
}
