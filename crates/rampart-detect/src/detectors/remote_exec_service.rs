//! Remote execution through a service (ATT&CK T1569.002, T1021.002): PsExec and its kin
//! (impacket `psexec`/`smbexec`, Metasploit `psexec`, RemCom, CSExec, PAExec) create a service on
//! the target through the service control manager over SMB (`svcctl` pipe) to run a command as
//! SYSTEM.
//!
//! Evidence, on the target host:
//! - a service installed (7045, 4697; the `ImagePath` registry value, Sysmon 13) whose command is
//!   a shell one-liner (`%COMSPEC% /b /c start … powershell -nop -w hidden`, `cmd.exe /c echo …
//!   > \\.\pipe\…`), runs from an admin share, or is a known remote-execution service binary;
//! - named pipes of remote-execution services (Sysmon 17/18: `\PSEXESVC`,
//!   `\<name>-<HOST>-<pid>-stdin` of renamed PsExec, `\RemCom_communicaton`, …);
//! - the service control manager pipe `svcctl` opened over the network (5145 on `IPC$`), or a
//!   service binary written to `ADMIN$`;
//! - on the wire, service control manager calls ([`EventKind::RpcCall`], interface `svcctl`, over
//!   the `svcctl` pipe or TCP) from another host: `RCreateServiceW`/`A` (12, 24; 44/45 WOW64) —
//!   the attempt is the evidence, refused or not —, `RChangeServiceConfigW`/`A` (11, 23:
//!   smbexec-style repurposing of an existing service) and `RStartServiceW`/`A` (19, 31);
//! - a shell one-liner started by `services.exe` (4688, Sysmon 1);
//! - a service with a random-looking name that failed or timed out (7000/7009: Metasploit's
//!   payload services never answer the service manager).
//!
//! Ordinary installs (drivers, programs under Program Files, svchost services) do not alert.

use super::clip_to;
use crate::engine::{Context, Detector};
use rampart_core::{Alert, AlertKind, EventKind, IdentityEvent, Severity};

pub struct RemoteExecService;

/// Service binaries of remote-execution tools, lower-case, without extension.
const KNOWN_SERVICES: &[&str] = &[
    "psexesvc",
    "remcomsvc",
    "csexecsvc",
    "paexec",
    "winexesvc",
    "btobto",
    "rexecsvc",
];

/// Pipe names (lower-case, without `\`) of remote-execution tools.
const KNOWN_PIPES: &[&str] = &[
    "psexesvc",
    "remcom_communicaton",
    "csexecsvc",
    "paexec",
    "winexesvc",
    "remcom",
];

impl Detector for RemoteExecService {
    fn name(&self) -> &'static str {
        "remote_exec_service"
    }

    fn kinds(&self) -> &'static [AlertKind] {
        &[AlertKind::RemoteExecService]
    }

    fn on_event(&mut self, ev: &IdentityEvent, cx: &mut Context<'_>) {
        let finding = match &ev.kind {
            EventKind::ServiceInstalled {
                name, image_path, ..
            } => suspicious_command(image_path)
                .or_else(|| known_service_binary(image_path))
                .map(|why| {
                    (
                        Severity::High,
                        format!(
                            "service {name} was installed to run `{}` ({why})",
                            clip_to(image_path, 160)
                        ),
                    )
                }),
            EventKind::RegistryValueSet { key, value, .. } => {
                const IMAGE_PATH: &str = "\\imagepath";
                let image_path = key
                    .len()
                    .checked_sub(IMAGE_PATH.len())
                    .and_then(|at| key.get(at..))
                    .is_some_and(|tail| tail.eq_ignore_ascii_case(IMAGE_PATH));
                if !image_path
                    || !key
                        .to_ascii_lowercase()
                        .contains("\\currentcontrolset\\services\\")
                {
                    None
                } else {
                    value.as_deref().and_then(|v| {
                        suspicious_command(v)
                            .or_else(|| known_service_binary(v))
                            .map(|why| {
                                (
                                    Severity::High,
                                    format!(
                                        "a service's ImagePath was set to `{}` ({why})",
                                        clip_to(v, 160)
                                    ),
                                )
                            })
                    })
                }
            }
            EventKind::PipeEvent { pipe, image, .. } => remote_exec_pipe(pipe).map(|tool| {
                (
                    Severity::Medium,
                    format!(
                        "the named pipe {pipe} of {tool} was used{}",
                        image
                            .as_deref()
                            .map(|i| format!(" by {i}"))
                            .unwrap_or_default()
                    ),
                )
            }),
            EventKind::ShareAccess {
                share,
                relative_target,
            } => {
                let remote = ev.source.is_some() && !ev.source_is_local();
                let target = relative_target
                    .as_deref()
                    .unwrap_or("")
                    .to_ascii_lowercase();
                let share_l = share.to_ascii_lowercase();
                if remote && share_l.ends_with("ipc$") && target.trim_matches('\\') == "svcctl" {
                    Some((
                        Severity::Medium,
                        "the service control manager (svcctl pipe) was opened over the network"
                            .to_string(),
                    ))
                } else if remote && share_l.ends_with("admin$") && target.ends_with(".exe") {
                    Some((
                        Severity::Medium,
                        format!("the program {target} was accessed through the ADMIN$ share"),
                    ))
                } else {
                    None
                }
            }
            EventKind::RpcCall {
                interface,
                opnum,
                operation,
                ..
            } if interface == "svcctl" && ev.source.is_some() && !ev.source_is_local() => {
                svcctl_call(*opnum).map(|(severity, what, default_op)| {
                    let op = operation.as_deref().unwrap_or(default_op);
                    let refused = if ev.outcome.is_failure() {
                        " (the service manager refused the call; the attempt is the evidence)"
                    } else {
                        ""
                    };
                    (severity, format!("{what} over the network ({op}){refused}"))
                })
            }
            EventKind::ProcessCreated {
                image,
                command_line,
                parent_image,
                ..
            } => {
                let cmd = command_line.as_deref().unwrap_or(image);
                let parent_services = parent_image
                    .as_deref()
                    .is_some_and(|p| p.to_ascii_lowercase().ends_with("\\services.exe"));
                // Old 4688 records carry no parent: accept the SYSTEM context instead.
                let system_context = parent_image.is_none()
                    && ev
                        .actor
                        .as_ref()
                        .is_some_and(|a| a.is_machine() || a.is_builtin_service());
                if parent_services || system_context {
                    suspicious_command(cmd).map(|why| {
                        (
                            Severity::High,
                            format!(
                                "{} started `{}` ({why})",
                                if parent_services {
                                    "services.exe"
                                } else {
                                    "a SYSTEM process"
                                },
                                clip_to(cmd, 160)
                            ),
                        )
                    })
                } else {
                    None
                }
            }
            EventKind::ServiceStatus { name, status } => {
                let s = status.to_ascii_lowercase();
                let failed = s.contains("timeout") || s.contains("timed out") || s.contains("fail");
                (failed && random_looking(name)).then(|| {
                    (
                        Severity::Medium,
                        format!(
                            "the service {name}, whose name looks randomly generated, failed to \
                             start ({status}) as payload services of remote-execution tools do"
                        ),
                    )
                })
            }
            _ => None,
        };
        let Some((severity, what)) = finding else {
            return;
        };
        let host = ev
            .observer
            .clone()
            .unwrap_or_else(|| "the host".to_string());
        let key = host.to_ascii_lowercase();
        // The alert's target is the host its key names: a repeat only adds evidence.
        if cx.repeat(&key, severity, ev) {
            return;
        }
        let mut alert = Alert::new(AlertKind::RemoteExecService, severity, ev)
            .title(format!("Remote execution through a service on {host}"))
            .target(host.clone())
            .description(format!(
                "On {host}, {what}{}. PsExec-style tools run commands remotely by creating a \
                 service through the service control manager over SMB.",
                ev.source
                    .as_ref()
                    .map(|s| format!(", from {s}"))
                    .unwrap_or_default()
            ))
            .remediation(
                "Identify the account and source host that created the service. If it was not an \
                 administrator's planned action, isolate the host, remove the service and its \
                 binary, reset the credentials used, and look for the same service on other hosts.",
            );
        if let Some(actor) = &ev.actor {
            if !actor.is_builtin_service() {
                alert = alert.actor(actor, cx.entities.is_sensitive_account(actor));
            }
        }
        if let Some(src) = &ev.source {
            alert = alert.source(src);
        }
        if let Some(obs) = &ev.observer {
            alert = alert.observer(obs, cx.entities.observer_is_dc(ev));
        }
        cx.emit(&key, alert);
    }
}

/// What a captured service control manager call does (MS-SCMR 3.1.4), if it is one that runs
/// code: severity, a description, and the operation's name.
fn svcctl_call(opnum: u16) -> Option<(Severity, &'static str, &'static str)> {
    Some(match opnum {
        12 => (Severity::High, "a service was created", "RCreateServiceW"),
        24 => (Severity::High, "a service was created", "RCreateServiceA"),
        44 => (
            Severity::High,
            "a service was created",
            "RCreateServiceWOW64A",
        ),
        45 => (
            Severity::High,
            "a service was created",
            "RCreateServiceWOW64W",
        ),
        11 => (
            Severity::Medium,
            "a service's configuration was changed",
            "RChangeServiceConfigW",
        ),
        23 => (
            Severity::Medium,
            "a service's configuration was changed",
            "RChangeServiceConfigA",
        ),
        19 => (Severity::Medium, "a service was started", "RStartServiceW"),
        31 => (Severity::Medium, "a service was started", "RStartServiceA"),
        _ => return None,
    })
}

/// Why a service or process command line looks like a remote-execution one-liner, if it does.
pub(crate) fn suspicious_command(cmd: &str) -> Option<&'static str> {
    let c = cmd.to_ascii_lowercase();
    let shell = c.contains("%comspec%")
        || c.contains("cmd.exe /c")
        || c.contains("cmd.exe /b /c")
        || c.contains("cmd.exe /q /c")
        || c.starts_with("cmd /c")
        || c.contains("cmd.exe  /c");
    if c.contains("\\\\.\\pipe\\") && (c.contains("echo") || shell) {
        return Some("writes to a named pipe: a privilege-escalation or remote shell trick");
    }
    let script = c.contains("powershell")
        || c.contains("pwsh")
        || c.contains("mshta")
        || c.contains("wscript")
        || c.contains("cscript")
        || c.contains("rundll32");
    if shell && script {
        return Some("a command shell launching a script host");
    }
    if script
        && (c.contains("-enc")
            || c.contains("-nop")
            || c.contains("hidden")
            || c.contains("frombase64string")
            || c.contains("-command"))
    {
        return Some("a hidden or encoded script");
    }
    if shell
        && (c.contains("\\\\127.0.0.1\\")
            || c.contains("__output")
            || c.contains("\\admin$\\")
            || c.contains("\\c$\\"))
    {
        return Some(
            "a shell writing its output to an admin share, as impacket smbexec/wmiexec do",
        );
    }
    None
}

fn known_service_binary(image: &str) -> Option<&'static str> {
    let file = image
        .trim_matches('"')
        .rsplit(['\\', '/'])
        .next()
        .unwrap_or(image)
        .to_ascii_lowercase();
    let stem = file.split('.').next().unwrap_or(&file);
    if KNOWN_SERVICES.contains(&stem) {
        return Some("a known remote-execution service binary");
    }
    // impacket psexec: a random 8-letter executable straight in %SystemRoot%.
    let lower = image.to_ascii_lowercase();
    let in_root = lower.starts_with("%systemroot%\\") || lower.starts_with("c:\\windows\\");
    let depth_one = lower.matches('\\').count() == 1;
    if in_root
        && depth_one
        && file.ends_with(".exe")
        && stem.len() == 8
        && random_looking_lower(stem)
    {
        return Some(
            "a randomly named executable in the Windows directory, as impacket psexec drops",
        );
    }
    None
}

fn remote_exec_pipe(pipe: &str) -> Option<&'static str> {
    let p = pipe.trim_start_matches('\\').to_ascii_lowercase();
    if KNOWN_PIPES
        .iter()
        .any(|k| p == *k || p.starts_with(&format!("{k}-")))
    {
        return Some("a remote-execution tool (PsExec, RemCom, PAExec)");
    }
    // PsExec renamed with -r: `<name>-<HOST>-<pid>-stdin|stdout|stderr`.
    let parts: Vec<&str> = p.split('-').collect();
    if parts.len() >= 4 {
        let n = parts.len();
        if matches!(parts[n - 1], "stdin" | "stdout" | "stderr")
            && parts[n - 2].chars().all(|c| c.is_ascii_digit())
            && !parts[n - 2].is_empty()
        {
            return Some("a renamed PsExec service (its stdin/stdout/stderr pipes)");
        }
    }
    None
}

/// Names like `UWdKhYTIQWWJxHfx` or `gdKhvCScykzNFZKd`: letters only, long, with case switching
/// no word would have.
pub(crate) fn random_looking(name: &str) -> bool {
    if name.len() < 8 || name.len() > 40 || !name.chars().all(|c| c.is_ascii_alphabetic()) {
        return false;
    }
    let upper = name
        .chars()
        .skip(1)
        .filter(|c| c.is_ascii_uppercase())
        .count();
    let switches = name
        .as_bytes()
        .windows(2)
        .filter(|w| w[0].is_ascii_uppercase() != w[1].is_ascii_uppercase())
        .count();
    upper >= 3 && switches >= 5 && upper * 5 >= name.len()
}

/// An all-lower-case name with no vowel pattern of a word (impacket's random 8-letter names).
fn random_looking_lower(s: &str) -> bool {
    if !s.chars().all(|c| c.is_ascii_alphabetic()) {
        return false;
    }
    let vowels = s.chars().filter(|c| "aeiou".contains(*c)).count();
    // Random letters average ~19% vowels; words ~40%.
    vowels * 4 < s.len()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::testutil::*;

    fn install(name: &str, image: &str) -> IdentityEvent {
        observed_by(
            ev(
                0,
                7045,
                EventKind::ServiceInstalled {
                    name: name.into(),
                    image_path: image.into(),
                    service_type: Some("user mode service".into()),
                    start_type: Some("demand start".into()),
                    service_account: Some("LocalSystem".into()),
                },
            ),
            "WS01.corp.local",
        )
    }

    #[test]
    fn shell_one_liner_services_alert() {
        let events = [
            install(
                "UWdKhYTIQWWJxHfx",
                "%COMSPEC% /b /c start /b /min powershell.exe -nop -w hidden -c $x",
            ),
            install("genusn", "cmd.exe /c echo genusn > \\\\.\\pipe\\genusn"),
        ];
        let alerts = run(Box::new(RemoteExecService), &events);
        assert_eq!(alerts.len(), 1, "same target host: one alert");
        assert_eq!(alerts[0].count, 2);
        assert_eq!(alerts[0].severity, Severity::High);
    }

    #[test]
    fn service_image_paths_written_to_the_registry() {
        let set = |key: &str, value: &str| {
            observed_by(
                ev(
                    0,
                    13,
                    EventKind::RegistryValueSet {
                        key: key.into(),
                        value: Some(value.into()),
                        image: Some("C:\\Windows\\system32\\services.exe".into()),
                    },
                ),
                "WS01.corp.local",
            )
        };
        let alerts = run(
            Box::new(RemoteExecService),
            &[set(
                "HKLM\\System\\CurrentControlSet\\Services\\PSEXESVC\\ImagePath",
                "%SystemRoot%\\PSEXESVC.exe",
            )],
        );
        assert_eq!(alerts.len(), 1);
        assert!(alerts[0].description.contains("ImagePath"));
        let benign = run(
            Box::new(RemoteExecService),
            &[
                set(
                    "HKLM\\System\\CurrentControlSet\\Services\\VMTools\\ImagePath",
                    "\"C:\\Program Files\\VMware\\VMware Tools\\vmtoolsd.exe\"",
                ),
                // A PsExec-looking value outside a service's ImagePath.
                set(
                    "HKCU\\Software\\Sysinternals\\PsExec\\EulaAccepted",
                    "PSEXESVC.exe",
                ),
            ],
        );
        assert!(benign.is_empty(), "{benign:?}");
    }

    #[test]
    fn counted_repeats_equal_built_and_merged_repeats() {
        // A thousand runs of the tool on one host: the engine counts repeats without building
        // their alerts unless an allow-list must see each one. Both paths give the same alert.
        let events: Vec<IdentityEvent> = (0..200)
            .map(|i| {
                let mut e = install(
                    "BTOBTO",
                    "%COMSPEC% /Q /c echo dir > \\\\127.0.0.1\\C$\\__output",
                );
                e.time = t(i * 30);
                e.evidence.record = i as u64 + 1;
                e
            })
            .collect();
        let fast = run(Box::new(RemoteExecService), &events);
        let allow = crate::AllowList::parse(
            "remote_exec_service host nothing-matches",
            "allow",
            &["remote_exec_service"],
        )
        .expect("valid allow-list");
        let cfg = crate::EngineConfig {
            allow,
            ..crate::EngineConfig::default()
        };
        let mut engine = crate::Engine::with_detectors(&cfg, vec![Box::new(RemoteExecService)]);
        for e in &events {
            engine.process(e);
        }
        let built = engine.finish();
        assert_eq!(fast.len(), 1);
        assert_eq!(fast[0].count, 200);
        assert_eq!(fast[0].evidence.len(), rampart_core::alert::MAX_EVIDENCE);
        assert_eq!(
            serde_json::to_value(&fast).expect("alerts serialize"),
            serde_json::to_value(&built).expect("alerts serialize")
        );
    }

    #[test]
    fn ordinary_service_installs_are_benign() {
        let events = [
            install("VMware Tools", "\"C:\\Program Files\\VMware\\VMware Tools\\vmtoolsd.exe\""),
            install("Printer Extensions and Notifications", "%SystemRoot%\\system32\\svchost.exe -k print"),
            install("MpKsl1bb57ead", "C:\\ProgramData\\Microsoft\\Windows Defender\\Definition Updates\\{97}\\MpKsl1bb57ead.sys"),
            install("Pathfinder", "\"C:\\Users\\tony\\AppData\\Local\\Temp\\pathfinder\\pathfinder.exe\""),
            install("VMware Snapshot Provider", "C:\\Windows\\system32\\dllhost.exe /Processid:{74600A00-7492-484F-9A3E-C510CC95F515}"),
        ];
        assert!(run(Box::new(RemoteExecService), &events).is_empty());
    }

    #[test]
    fn psexec_pipes_and_impacket_binaries_alert() {
        let pipe = ev(
            0,
            17,
            EventKind::PipeEvent {
                pipe: "\\svchost-MSEDGEWIN10-8116-stdin".into(),
                created: true,
                image: None,
            },
        );
        assert_eq!(run(Box::new(RemoteExecService), &[pipe]).len(), 1);
        assert!(known_service_binary("%systemroot%\\qxtvzrkp.exe").is_some());
        assert!(known_service_binary("C:\\Windows\\explorer.exe").is_none());
        let benign_pipe = ev(
            0,
            18,
            EventKind::PipeEvent {
                pipe: "\\wkssvc".into(),
                created: false,
                image: None,
            },
        );
        assert!(run(Box::new(RemoteExecService), &[benign_pipe]).is_empty());
    }

    #[test]
    fn random_names_are_recognised() {
        assert!(random_looking("gdKhvCScykzNFZKd"));
        assert!(random_looking("UWdKhYTIQWWJxHfx"));
        assert!(!random_looking("TeamViewer"));
        assert!(!random_looking("MpKslfbbd78dc"));
        assert!(!random_looking("gupdatem"));
    }

    fn svcctl(secs: i64, client: &str, opnum: u16) -> IdentityEvent {
        let mut e = wire(
            secs,
            "10.0.0.10",
            client,
            EventKind::RpcCall {
                interface: "svcctl".into(),
                opnum,
                operation: None,
                pipe: Some("svcctl".into()),
                sealed: false,
                object: None,
            },
        );
        e.actor = Some(acct("Administrator"));
        e
    }

    #[test]
    fn captured_service_creation_alerts_even_when_refused() {
        let events = [
            svcctl(0, "10.0.0.50", 15),
            failed(svcctl(1, "10.0.0.50", 12), 0x1c01_0002),
            svcctl(2, "10.0.0.50", 16),
        ];
        let alerts = run(Box::new(RemoteExecService), &events);
        assert_eq!(alerts.len(), 1, "{alerts:?}");
        assert_eq!(alerts[0].severity, Severity::High);
        assert!(alerts[0].description.contains("RCreateServiceW"));
        assert!(alerts[0].description.contains("refused"));
    }

    #[test]
    fn captured_service_queries_and_local_calls_are_benign() {
        // Open the manager, open a service, query its status (opnum 6), close (0).
        let mut events: Vec<_> = [15, 16, 6, 0]
            .iter()
            .enumerate()
            .map(|(i, op)| svcctl(i as i64, "10.0.0.50", *op))
            .collect();
        // The server calling itself.
        events.push(svcctl(9, "10.0.0.10", 12));
        assert!(run(Box::new(RemoteExecService), &events).is_empty());
    }
}
