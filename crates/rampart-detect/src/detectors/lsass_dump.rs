//! LSASS memory dumping (ATT&CK T1003.001): reading the memory of `lsass.exe` to take the
//! credentials it caches (NT hashes, Kerberos keys and tickets, sometimes clear-text passwords):
//! mimikatz `sekurlsa::`, `rundll32 comsvcs.dll MiniDump`, ProcDump, Task Manager's "create dump
//! file", lsassy, nanodump, and dumps made by Windows Error Reporting through silent process exit
//! monitoring.
//!
//! Evidence, on the host whose LSASS was read:
//! - a handle to `lsass.exe` with `PROCESS_VM_READ` (0x10; e.g. 0x1010, 0x1410, 0x1438,
//!   0x1fffff) requested by a script host or living-off-the-land binary (PowerShell, rundll32,
//!   cscript, mshta, …), a known dumping tool, or a program run from a user's profile, a Temp
//!   folder or PerfLogs — Sysmon 10, 4656/4663;
//! - a process started to dump it: `comsvcs.dll` `MiniDump`, ProcDump on `lsass`, mimikatz
//!   `sekurlsa::`/`lsadump::lsa` (4688, Sysmon 1);
//! - a dump file named for LSASS (`lsass.dmp`, `lsass (4).DMP`, …), or any `.dmp` written by
//!   rundll32 (the comsvcs technique) — Sysmon 11;
//! - silent process exit monitoring of `lsass.exe` (Application 3000/3001) or its configuration
//!   under `SilentProcessExit\lsass.exe` / `Image File Execution Options\lsass.exe` — Sysmon 13.
//!
//! Deliberately not alerted: handles without `PROCESS_VM_READ` (svchost's 0x1000/0x2000/0x3000
//! queries), handles from programs installed under `Windows`, `Program Files` or `ProgramData`
//! (WMI providers reading process details, Defender and other endpoint agents, some of which
//! run from `ProgramData`, monitoring agents, Task Manager listing processes), and
//! Sysinternals Process Monitor / Process Explorer, which open every process with full access
//! by design (a renamed dumper hiding under those names still shows up by its dump file or its
//! command line). Local system activity on a DC reading LSASS is not an attack by itself.

use super::{clipped, exe_name};
use crate::engine::{Context, Detector};
use rampart_core::{wellknown, Alert, AlertKind, EventKind, IdentityEvent, Severity};

pub struct LsassDump;

/// `PROCESS_VM_READ`: the right that lets a process read another's memory.
const PROCESS_VM_READ: u32 = 0x10;

/// Script hosts and living-off-the-land binaries that have no business reading LSASS, lower-case.
const LOLBINS: &[&str] = &[
    "powershell.exe",
    "pwsh.exe",
    "powershell_ise.exe",
    "rundll32.exe",
    "regsvr32.exe",
    "cscript.exe",
    "wscript.exe",
    "mshta.exe",
    "msbuild.exe",
    "installutil.exe",
    "cmd.exe",
    "createdump.exe",
    "rdrleakdiag.exe",
    "tttracer.exe",
    "sqldumper.exe",
];

/// Names (lower-case, without extension) of credential-dumping tools.
const DUMP_TOOLS: &[&str] = &[
    "mimikatz",
    "procdump",
    "procdump64",
    "procdump64a",
    "nanodump",
    "dumpert",
    "pypykatz",
    "lsassy",
    "safetykatz",
    "handlekatz",
    "physmem2profit",
];

/// Diagnostic tools that open every process, LSASS included, with full access by design.
const PROCESS_INSPECTORS: &[&str] = &[
    "procmon.exe",
    "procmon64.exe",
    "procmon64a.exe",
    "procexp.exe",
    "procexp64.exe",
    "procexp64a.exe",
];

impl Detector for LsassDump {
    fn name(&self) -> &'static str {
        "lsass_dump"
    }

    fn kinds(&self) -> &'static [AlertKind] {
        &[AlertKind::LsassDump]
    }

    fn on_event(&mut self, ev: &IdentityEvent, cx: &mut Context<'_>) {
        let Some((severity, what)) = finding(ev) else {
            return;
        };
        let host = ev
            .observer
            .clone()
            .unwrap_or_else(|| "the host".to_string());
        let mut alert = Alert::new(AlertKind::LsassDump, severity, ev)
            .title(format!("LSASS credential dump on {host}"))
            .target(format!("lsass.exe on {host}"))
            .description(format!(
                "On {host}, {what}{}. LSASS holds the credentials of every account logged on to \
                 the host (NT hashes, Kerberos keys and tickets); whoever reads its memory can \
                 reuse them to move laterally or escalate.",
                ev.actor
                    .as_ref()
                    .filter(|a| !a.is_builtin_service())
                    .map(|a| format!(", as {a}"))
                    .unwrap_or_default()
            ))
            .remediation(
                "Isolate the host and find the process and account behind the access. Treat every \
                 credential that was logged on to the host as stolen: reset those passwords \
                 (twice for service and privileged accounts) and look for their use from other \
                 machines. Delete any dump file, and enable LSA protection (RunAsPPL) and \
                 Credential Guard to stop repeats.",
            );
        if let Some(actor) = ev.actor.as_ref().filter(|a| !a.is_builtin_service()) {
            alert = alert.actor(actor, cx.entities.is_sensitive_account(actor));
        }
        if let Some(obs) = &ev.observer {
            alert = alert.observer(obs, cx.entities.observer_is_dc(ev));
        }
        cx.emit(&format!("lsass:{}", host.to_ascii_lowercase()), alert);
    }
}

/// What an event shows of an LSASS dump, if anything: severity and a sentence.
fn finding(ev: &IdentityEvent) -> Option<(Severity, String)> {
    match &ev.kind {
        EventKind::ProcessAccess {
            source_image,
            target_image,
            access,
        } => {
            if exe_name(target_image) != "lsass.exe" || exe_name(source_image) == "lsass.exe" {
                return None;
            }
            let mask = access.as_deref().and_then(wellknown::parse_number)?;
            if mask & PROCESS_VM_READ == 0 {
                return None;
            }
            let why = suspicious_reader(source_image)?;
            Some((
                Severity::High,
                format!(
                    "{source_image} opened lsass.exe with access {mask:#x}, which includes \
                     reading its memory ({why})"
                ),
            ))
        }
        EventKind::ProcessCreated {
            image,
            command_line,
            ..
        } => {
            let cmd = command_line.as_deref().unwrap_or(image);
            dump_command(image, cmd).map(|why| {
                (
                    Severity::High,
                    format!("the command `{}` was run ({why})", clipped(cmd)),
                )
            })
        }
        EventKind::FileCreated { path, image } => {
            let name = exe_name(path);
            let by_rundll = image
                .as_deref()
                .is_some_and(|i| exe_name(i) == "rundll32.exe");
            let dump = name.ends_with(".dmp") && (name.contains("lsass") || by_rundll);
            dump.then(|| {
                (
                    Severity::High,
                    format!(
                        "the memory dump {path} was written{}",
                        image
                            .as_deref()
                            .map(|i| format!(" by {i}"))
                            .unwrap_or_default()
                    ),
                )
            })
        }
        EventKind::ProcessExitReported {
            image,
            terminated_by,
            ..
        } => (exe_name(image) == "lsass.exe").then(|| {
            (
                Severity::High,
                format!(
                    "silent process exit monitoring reported LSASS exiting{}: it is only \
                     configured for LSASS to have Windows Error Reporting dump its memory",
                    terminated_by
                        .as_deref()
                        .map(|t| format!(" at the hand of {t}"))
                        .unwrap_or_default()
                ),
            )
        }),
        EventKind::RegistryValueSet { key, value, .. } => {
            let k = key.to_ascii_lowercase();
            let silent_exit = k.contains("\\silentprocessexit\\lsass.exe");
            let ifeo_flag = k.contains("\\image file execution options\\lsass.exe")
                && k.ends_with("\\globalflag");
            (silent_exit || ifeo_flag).then(|| {
                (
                    Severity::High,
                    format!(
                        "the registry value {key} was set{}, configuring silent process exit \
                         monitoring of LSASS, which makes Windows Error Reporting dump its memory",
                        value
                            .as_deref()
                            .map(|v| format!(" to {v}"))
                            .unwrap_or_default()
                    ),
                )
            })
        }
        _ => None,
    }
}

/// Why a process reading LSASS memory is suspicious, if it is.
fn suspicious_reader(image: &str) -> Option<&'static str> {
    let name = exe_name(image);
    let stem = name.strip_suffix(".exe").unwrap_or(&name);
    if DUMP_TOOLS.contains(&stem) {
        return Some("a credential-dumping tool");
    }
    if LOLBINS.contains(&&*name) {
        return Some("a script host or system utility that has no reason to read LSASS");
    }
    if PROCESS_INSPECTORS.contains(&&*name) {
        return None;
    }
    let path = image.to_ascii_lowercase().replace('/', "\\");
    let user_writable = [
        "\\users\\",
        "\\temp\\",
        "\\tmp\\",
        "\\appdata\\",
        "\\perflogs\\",
        "\\downloads\\",
        "\\$recycle.bin\\",
    ]
    .iter()
    .any(|d| path.contains(d));
    let installed = path.contains(":\\windows\\system32\\")
        || path.contains(":\\windows\\syswow64\\")
        || path.contains(":\\program files\\")
        || path.contains(":\\program files (x86)\\")
        || path.contains(":\\programdata\\");
    if user_writable && !installed {
        return Some("a program run from a user profile or a temporary folder");
    }
    None
}

/// Why a command line dumps LSASS, if it does.
fn dump_command(image: &str, cmd: &str) -> Option<&'static str> {
    let c = cmd.to_ascii_lowercase();
    if c.contains("comsvcs") && (c.contains("minidump") || c.contains("#24")) {
        return Some("MiniDumpWriteDump through comsvcs.dll, the usual living-off-the-land dump");
    }
    if c.contains("sekurlsa::") || c.contains("lsadump::lsa") {
        return Some("mimikatz reading credentials from LSASS");
    }
    let name = exe_name(image);
    let procdump = name.starts_with("procdump") || c.contains("procdump");
    if procdump && c.contains("lsass") {
        return Some("ProcDump of LSASS");
    }
    if (name == "rdrleakdiag.exe" && c.contains("/fullmemdmp"))
        || (c.contains("out-minidump") && c.contains("lsass"))
        || c.contains("nanodump")
    {
        return Some("a process memory dumper pointed at LSASS");
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::testutil::*;
    use serde_json::json;

    fn kind(v: serde_json::Value) -> EventKind {
        serde_json::from_value(v).expect("a valid event kind")
    }

    fn access(src: &str, mask: &str) -> IdentityEvent {
        observed_by(
            ev(
                0,
                10,
                EventKind::ProcessAccess {
                    source_image: src.into(),
                    target_image: "C:\\Windows\\system32\\lsass.exe".into(),
                    access: Some(mask.into()),
                },
            ),
            "WS01.corp.local",
        )
    }

    #[test]
    fn script_host_reading_lsass_alerts() {
        let events = [
            access(
                "C:\\Windows\\System32\\WindowsPowerShell\\v1.0\\powershell.exe",
                "0x1010",
            ),
            access("C:\\Windows\\System32\\rundll32.exe", "0x1fffff"),
            ev(
                1,
                4688,
                kind(json!({
                    "type": "process_created",
                    "image": "C:\\Windows\\System32\\rundll32.exe",
                    "command_line": "rundll32.exe C:\\Windows\\System32\\comsvcs.dll MiniDump 512 C:\\t\\x.dmp full"
                })),
            ),
            ev(
                2,
                11,
                EventKind::FileCreated {
                    path: "C:\\Users\\bob\\AppData\\Local\\Temp\\lsass (4).DMP".into(),
                    image: Some("C:\\Windows\\System32\\Taskmgr.exe".into()),
                },
            ),
        ];
        let alerts = run(Box::new(LsassDump), &events);
        assert_eq!(alerts.len(), 2, "one per host: {alerts:#?}");
        assert!(alerts.iter().all(|a| a.kind == AlertKind::LsassDump));
        assert_eq!(alerts[0].count + alerts[1].count, 4);
    }

    #[test]
    fn silent_process_exit_on_lsass_alerts() {
        let e = ev(
            0,
            3001,
            EventKind::ProcessExitReported {
                image: "C:\\Windows\\System32\\lsass.exe".into(),
                terminated_by: Some("C:\\Users\\x\\Desktop\\LsassSilentProcessExit.exe".into()),
                exit_code: Some(0),
            },
        );
        assert_eq!(run(Box::new(LsassDump), &[e]).len(), 1);
        assert!(finding(&ev(
            0,
            13,
            EventKind::RegistryValueSet {
                key: "HKLM\\SOFTWARE\\Microsoft\\Windows NT\\CurrentVersion\\SilentProcessExit\\lsass.exe\\ReportingMode".into(),
                value: Some("DWORD (0x00000002)".into()),
                image: None,
            }
        ))
        .is_some());
    }

    #[test]
    fn benign_lsass_handles_are_quiet() {
        let events = [
            // Queries without PROCESS_VM_READ.
            access("C:\\Windows\\system32\\svchost.exe", "0x1000"),
            access(
                "C:\\Program Files\\VMware\\VMware Tools\\vmtoolsd.exe",
                "0x1000",
            ),
            // Installed software reading process details.
            access("C:\\Windows\\system32\\wbem\\wmiprvse.exe", "0x1410"),
            access(
                "C:\\Program Files\\Microsoft Monitoring Agent\\Agent\\HealthService.exe",
                "0x1410",
            ),
            access(
                "C:\\ProgramData\\Microsoft\\Windows Defender\\Platform\\4.18\\MsMpEng.exe",
                "0x1fffff",
            ),
            // Process Monitor opens every process with full access.
            access(
                "C:\\Users\\tony\\AppData\\Local\\Temp\\Procmon64.exe",
                "0x1fffff",
            ),
            // Other dumps and processes.
            ev(
                1,
                11,
                EventKind::FileCreated {
                    path: "C:\\Windows\\MEMORY.DMP".into(),
                    image: Some("System".into()),
                },
            ),
            ev(
                2,
                4688,
                kind(json!({
                    "type": "process_created",
                    "image": "C:\\Windows\\System32\\rundll32.exe",
                    "command_line": "rundll32.exe shell32.dll,Control_RunDLL"
                })),
            ),
        ];
        assert!(run(Box::new(LsassDump), &events).is_empty());
    }

    #[test]
    fn readers_are_judged_by_name_and_place() {
        assert!(suspicious_reader("C:\\Users\\bob\\Downloads\\mimikatz.exe").is_some());
        assert!(suspicious_reader("C:\\TOOLS\\procdump64.exe").is_some());
        assert!(suspicious_reader("C:\\Users\\Public\\updater.exe").is_some());
        assert!(suspicious_reader("C:\\Windows\\Temp\\x.exe").is_some());
        assert!(suspicious_reader("C:\\ProgramData\\Vendor\\agent.exe").is_none());
        assert!(suspicious_reader("C:\\Windows\\System32\\taskmgr.exe").is_none());
        assert!(suspicious_reader("C:\\Program Files\\Vendor\\agent.exe").is_none());
    }
}
