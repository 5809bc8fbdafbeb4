//! Sigma's Windows log-source taxonomy, for event logs: which channel and event ids a rule's
//! `logsource` stands for, and under which field names its records are seen.
//!
//! - `service` names a channel (`security` → `Security`, `sysmon` →
//!   `Microsoft-Windows-Sysmon/Operational`, …); any event id of it.
//! - `category` names a kind of record whatever the log (`process_creation` is Sysmon 1 or
//!   Security 4688, `registry_set` Sysmon 13, `ps_script` PowerShell/Operational 4104, …).
//!   Sigma writes category rules with Sysmon's field names; a Security 4688 record is seen
//!   under those names ([`Alias::ProcessCreation4688`]), as SigmaHQ's `windows-audit`
//!   pipeline maps them. Fields 4688 does not record (`ParentCommandLine`,
//!   `OriginalFileName`, `Hashes`, `CurrentDirectory`, `Company`, `Product`, `Description`)
//!   are absent, so rules that need them match only Sysmon records.
//!
//! Categories with no event-log source are not applicable ([`Source::unsupported`] says why):
//! `file_access`, `file_rename` (Kernel-File ETW), `antivirus` (product-specific), `webserver`,
//! `firewall`, … Rules for them are skipped with that reason.

/// How a matched record's fields are named for a rule.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Alias {
    /// The record's own field names.
    None,
    /// A Security 4688 record under Sysmon 1's names (`Image`, `ParentImage`, `ProcessId`,
    /// `ParentProcessId`, `User`, `LogonId`, `IntegrityLevel`).
    ProcessCreation4688,
}

/// One (channel, event ids) a rule applies to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Source {
    pub channel: &'static str,
    /// `None`: every event id of the channel.
    pub ids: Option<Vec<u32>>,
    pub alias: Alias,
}

/// The channel of rules for every Windows log.
pub const ANY_CHANNEL: &str = "*";
const SYSMON: &str = "Microsoft-Windows-Sysmon/Operational";
const POWERSHELL: &str = "Microsoft-Windows-PowerShell/Operational";
const POWERSHELL_CLASSIC: &str = "Windows PowerShell";

fn sysmon(ids: &[u32]) -> Vec<Source> {
    vec![Source {
        channel: SYSMON,
        ids: Some(ids.to_vec()),
        alias: Alias::None,
    }]
}

fn one(channel: &'static str, ids: &[u32]) -> Vec<Source> {
    vec![Source {
        channel,
        ids: Some(ids.to_vec()),
        alias: Alias::None,
    }]
}

/// The channels of a Windows `service`, from SigmaHQ's Windows log-source mapping.
pub fn service_channels(service: &str) -> Option<&'static [&'static str]> {
    Some(match service {
        "security" => &["Security"],
        "system" => &["System"],
        "application" => &["Application"],
        "sysmon" => &[SYSMON],
        "powershell" => &[POWERSHELL],
        "powershell-classic" => &[POWERSHELL_CLASSIC],
        "taskscheduler" => &["Microsoft-Windows-TaskScheduler/Operational"],
        "wmi" => &["Microsoft-Windows-WMI-Activity/Operational"],
        "dns-server" => &["DNS Server"],
        "dns-server-audit" => &["Microsoft-Windows-DNS-Server/Audit"],
        "dns-server-analytic" => &["Microsoft-Windows-DNS-Server/Analytical"],
        "driver-framework" => &["Microsoft-Windows-DriverFrameworks-UserMode/Operational"],
        "ntlm" => &["Microsoft-Windows-NTLM/Operational"],
        "dhcp" => &["Microsoft-Windows-DHCP-Server/Operational"],
        "msexchange-management" => &["MSExchange Management"],
        "applocker" => &[
            "Microsoft-Windows-AppLocker/MSI and Script",
            "Microsoft-Windows-AppLocker/EXE and DLL",
            "Microsoft-Windows-AppLocker/Packaged app-Deployment",
            "Microsoft-Windows-AppLocker/Packaged app-Execution",
        ],
        "printservice-admin" => &["Microsoft-Windows-PrintService/Admin"],
        "printservice-operational" => &["Microsoft-Windows-PrintService/Operational"],
        "codeintegrity-operational" => &["Microsoft-Windows-CodeIntegrity/Operational"],
        "smbclient-security" => &["Microsoft-Windows-SmbClient/Security"],
        "smbclient-connectivity" => &["Microsoft-Windows-SmbClient/Connectivity"],
        "smbserver-connectivity" => &["Microsoft-Windows-SmbServer/Connectivity"],
        "smbserver-security" => &["Microsoft-Windows-SmbServer/Security"],
        "firewall-as" => &["Microsoft-Windows-Windows Firewall With Advanced Security/Firewall"],
        "bits-client" => &["Microsoft-Windows-Bits-Client/Operational"],
        "windefend" => &["Microsoft-Windows-Windows Defender/Operational"],
        "terminalservices-localsessionmanager" => {
            &["Microsoft-Windows-TerminalServices-LocalSessionManager/Operational"]
        }
        "microsoft-servicebus-client" | "servicebus-client" => &["Microsoft-ServiceBus-Client"],
        "ldap" | "ldap_debug" => &["Microsoft-Windows-LDAP-Client/Debug"],
        "security-mitigations" => &[
            "Microsoft-Windows-Security-Mitigations/Kernel Mode",
            "Microsoft-Windows-Security-Mitigations/User Mode",
        ],
        "diagnosis-scripted" => &["Microsoft-Windows-Diagnosis-Scripted/Operational"],
        "shell-core" => &["Microsoft-Windows-Shell-Core/Operational"],
        "openssh" => &["OpenSSH/Operational"],
        "bitlocker" => &["Microsoft-Windows-BitLocker/BitLocker Management"],
        "vhdmp" => &["Microsoft-Windows-VHDMP/Operational"],
        "appxdeployment-server" => &["Microsoft-Windows-AppXDeploymentServer/Operational"],
        "lsa-server" => &["Microsoft-Windows-LSA/Operational"],
        "appxpackaging-om" => &["Microsoft-Windows-AppxPackaging/Operational"],
        "dns-client" => &["Microsoft-Windows-DNS Client Events/Operational"],
        "appmodel-runtime" => &["Microsoft-Windows-AppModel-Runtime/Admin"],
        "capi2" => &["Microsoft-Windows-CAPI2/Operational"],
        "certificateservicesclient-lifecycle-system" => {
            &["Microsoft-Windows-CertificateServicesClient-Lifecycle-System/Operational"]
        }
        "kernel-shimengine" => &[
            "Microsoft-Windows-Kernel-ShimEngine/Operational",
            "Microsoft-Windows-Kernel-ShimEngine/Diagnostic",
        ],
        "iis-configuration" => &["Microsoft-IIS-Configuration/Operational"],
        "hyper-v-worker" => &["Microsoft-Windows-Hyper-V-Worker"],
        "sense" => &["Microsoft-Windows-SENSE/Operational"],
        _ => return None,
    })
}

/// The sources of a Windows `category`, or why it has none in event logs.
fn category_sources(category: &str) -> Result<Vec<Source>, &'static str> {
    Ok(match category {
        "process_creation" => vec![
            Source {
                channel: SYSMON,
                ids: Some(vec![1]),
                alias: Alias::None,
            },
            Source {
                channel: "Security",
                ids: Some(vec![4688]),
                alias: Alias::ProcessCreation4688,
            },
        ],
        "file_change" => sysmon(&[2]),
        "network_connection" => sysmon(&[3]),
        "sysmon_status" => sysmon(&[4, 16]),
        "process_termination" => sysmon(&[5]),
        "driver_load" => sysmon(&[6]),
        "image_load" => sysmon(&[7]),
        "create_remote_thread" => sysmon(&[8]),
        "raw_access_thread" => sysmon(&[9]),
        "process_access" => sysmon(&[10]),
        "file_event" => sysmon(&[11]),
        "registry_add" | "registry_delete" => sysmon(&[12]),
        "registry_set" => sysmon(&[13]),
        "registry_rename" => sysmon(&[14]),
        "registry_event" => sysmon(&[12, 13, 14]),
        "create_stream_hash" => sysmon(&[15]),
        "pipe_created" => sysmon(&[17, 18]),
        "wmi_event" => sysmon(&[19, 20, 21]),
        "dns_query" => sysmon(&[22]),
        "file_delete" => sysmon(&[23, 26]),
        "clipboard_change" => sysmon(&[24]),
        "process_tampering" => sysmon(&[25]),
        "file_block_executable" => sysmon(&[27]),
        "file_block_shredding" => sysmon(&[28]),
        "file_executable_detected" => sysmon(&[29]),
        "sysmon_error" => sysmon(&[255]),
        "ps_module" => one(POWERSHELL, &[4103]),
        "ps_script" => one(POWERSHELL, &[4104]),
        "ps_classic_start" => one(POWERSHELL_CLASSIC, &[400]),
        "ps_classic_provider_start" => one(POWERSHELL_CLASSIC, &[600]),
        "ps_classic_script" => one(POWERSHELL_CLASSIC, &[800]),
        "file_access" | "file_rename" => {
            return Err("comes from Microsoft-Windows-Kernel-File ETW, which no event log records")
        }
        "antivirus" => {
            return Err("needs a product-specific antivirus log mapping, which is not configured")
        }
        _ => return Err("is not a Windows event-log category Rampart knows"),
    })
}

/// What a rule's `logsource` applies to, or why it does not apply to Windows event logs.
pub fn sources(
    product: Option<&str>,
    service: Option<&str>,
    category: Option<&str>,
) -> Result<Vec<Source>, String> {
    let lower = |s: Option<&str>| s.map(|s| s.trim().to_ascii_lowercase());
    let (product, service, category) = (lower(product), lower(service), lower(category));
    match product.as_deref() {
        Some("windows") => {}
        Some(p) => return Err(format!("product `{p}` is not Windows event logs")),
        None if service.is_none() && category.is_none() => {
            return Err("logsource names no product, service or category".to_string())
        }
        None => {}
    }
    let by_service = match service.as_deref() {
        Some(s) => Some(
            service_channels(s)
                .ok_or_else(|| format!("service `{s}` has no known Windows event log channel"))?
                .iter()
                .map(|c| Source {
                    channel: c,
                    ids: None,
                    alias: Alias::None,
                })
                .collect::<Vec<_>>(),
        ),
        None => None,
    };
    let by_category = match category.as_deref() {
        Some(c) => Some(category_sources(c).map_err(|why| format!("category `{c}` {why}"))?),
        None => None,
    };
    Ok(match (by_service, by_category) {
        // Both: the category's records within the service's channels.
        (Some(svc), Some(cat)) => {
            let both: Vec<Source> = cat
                .into_iter()
                .filter(|c| svc.iter().any(|s| s.channel == c.channel))
                .collect();
            if both.is_empty() {
                return Err("service and category name no common event log".to_string());
            }
            both
        }
        (Some(s), None) => s,
        (None, Some(c)) => c,
        // `product: windows` alone: every Windows log (keyword rules).
        (None, None) => vec![Source {
            channel: ANY_CHANNEL,
            ids: None,
            alias: Alias::None,
        }],
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn maps_services_and_categories() {
        let s = sources(Some("windows"), Some("security"), None).unwrap();
        assert_eq!(s[0].channel, "Security");
        assert_eq!(s[0].ids, None);
        let s = sources(Some("windows"), None, Some("process_creation")).unwrap();
        assert_eq!(s.len(), 2);
        assert_eq!(s[1].alias, Alias::ProcessCreation4688);
        let s = sources(Some("windows"), Some("sysmon"), Some("process_creation")).unwrap();
        assert_eq!(s.len(), 1);
        assert!(sources(Some("linux"), None, Some("process_creation"))
            .unwrap_err()
            .contains("product `linux`"));
        assert!(sources(Some("windows"), None, Some("file_access"))
            .unwrap_err()
            .contains("ETW"));
        assert!(sources(Some("windows"), Some("nope"), None).is_err());
    }
}
