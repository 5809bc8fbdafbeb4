//! Remote execution through WinRM (ATT&CK T1021.006): PowerShell remoting (`Invoke-Command`,
//! `Enter-PSSession`), `winrs`, and WS-Management automation (`WSMan.Automation`,
//! `winrm invoke`, `Invoke-CimMethod` over WSMan) used to run commands on another machine.
//!
//! Evidence, on the target:
//! - a process started by the WinRM plugin hosts: `wsmprovhost.exe` (the PowerShell remoting
//!   session) or `winrshost.exe` (a `winrs` command), named by the record or, on 4688 before
//!   Windows 10, by the creator's process id (4688, Sysmon 1);
//! - a remote command shell or PowerShell session opened by the WinRM service (WinRM/Operational
//!   91, "creating WSMan shell" with a `…/windows/shell/cmd` or `…/powershell/…` resource);
//! - a process created by the WMI provider host (`WmiPrvSE.exe`) for a user account, within
//!   seconds of an inbound connection to the WinRM listener (Sysmon 3 to port 5985/5986 of the
//!   kernel HTTP listener): a WMI method such as `Win32_Process.Create` invoked over WS-Man.
//!
//! On the wire: PowerShell remoting accepted by a WinRM listener (a captured `POST
//! /wsman?PSVersion=…` answered 2xx: one per connection, see `rampart_net`'s HTTP dissector),
//! or a clear-text shell `Create` naming a command-shell or PowerShell resource. Windows
//! encrypts the session's SOAP with its Kerberos or NTLM key, so what ran is not visible; the
//! alert names the client, the server and the authentication.
//!
//! Inbound WinRM connections (Sysmon 3) are supporting evidence only: they name the source of a
//! session but never alert alone. A successful WinRM authentication (WinRM/Operational 169)
//! says an account authenticated, not that anything ran: Windows Event Forwarding and monitoring
//! agents authenticate this way all day, so it does not alert either. PowerShell remoting is
//! also the sanctioned administration channel: alerts are medium unless the target is a domain
//! controller or the account is sensitive.
//!
//! One account's commands on several machines within the hour (a playbook fanning out over
//! PowerShell remoting) are one alert naming every machine.
//!
//! Labelled samples not caught, by design: a file holding only WinRM/Operational 169/193
//! (authentication, no shell or process).

use super::{clipped, exe_name, is_shell_or_script_host};
use crate::engine::{Context, Detector};
use crate::sessions::{host_key, ReportedProcesses};
use crate::state::{KeyedWindows, RecentSet};
use chrono::Duration;
use rampart_core::{Alert, AlertKind, EventKind, Evidence, Host, IdentityEvent, Severity};

/// Processes the WinRM hosts start as part of their own work, not a caller's command.
const WINRM_PLUMBING: &[&str] = &["conhost.exe", "werfault.exe", "wsmprovhost.exe"];

/// How close (either way) a WMI child and an inbound WinRM connection must be to be one call.
const WSMAN_WMI_SECS: i64 = 30;

pub struct RemoteExecWinrm {
    /// Inbound connections to the WinRM listener, by machine: (source, evidence).
    inbound: KeyedWindows<String, (Option<Host>, Evidence)>,
    /// Recent WMI provider children running for user accounts, by machine.
    wmi_children: KeyedWindows<String, IdentityEvent>,
    /// WMI children already reported.
    wsman_raised: RecentSet<Evidence>,
    reported: ReportedProcesses,
    /// The machines of each alert, by its key.
    hosts: KeyedWindows<String, String>,
}

impl Default for RemoteExecWinrm {
    fn default() -> Self {
        RemoteExecWinrm {
            inbound: KeyedWindows::new(Duration::minutes(2), 5_000, 32),
            wmi_children: KeyedWindows::new(Duration::minutes(1), 5_000, 16),
            wsman_raised: RecentSet::new(Duration::minutes(10), 10_000),
            reported: ReportedProcesses::new(10_000),
            hosts: KeyedWindows::new(Duration::hours(1), 10_000, 64),
        }
    }
}

impl Detector for RemoteExecWinrm {
    fn name(&self) -> &'static str {
        "remote_exec_winrm"
    }

    fn uses_process_images(&self) -> bool {
        true
    }

    fn kinds(&self) -> &'static [AlertKind] {
        &[AlertKind::RemoteExecWinrm]
    }

    fn on_event(&mut self, ev: &IdentityEvent, cx: &mut Context<'_>) {
        match &ev.kind {
            EventKind::ProcessCreated {
                image,
                command_line,
                ..
            } => {
                let Some(parent) = cx.processes.parent_image(ev) else {
                    return;
                };
                let parent = exe_name(&parent);
                let child = exe_name(image);
                let cmd = command_line.as_deref().unwrap_or(image);
                if matches!(&*parent, "wsmprovhost.exe" | "winrshost.exe")
                    && !WINRM_PLUMBING.contains(&&*child)
                {
                    let via = if parent == "winrshost.exe" {
                        "a winrs command (winrshost.exe)"
                    } else {
                        "a PowerShell remoting session (wsmprovhost.exe)"
                    };
                    let source = self.recent_inbound(ev, Duration::minutes(2));
                    let what = format!("ran `{}` on {{host}} through {via}", clipped(cmd));
                    let strong = is_shell_or_script_host(image);
                    if self.reported.first(ev) {
                        raise(&mut self.hosts, cx, ev, what, source, strong, None);
                    }
                } else if parent == "wmiprvse.exe"
                    && ev
                        .actor
                        .as_ref()
                        .is_some_and(|a| !a.is_machine() && !a.is_builtin_service())
                    && child != "wmiprvse.exe"
                {
                    let Some(host) = host_key(ev) else { return };
                    if let Some(src) = self.inbound_near(ev) {
                        self.raise_wsman_wmi(cx, ev, src);
                    }
                    self.wmi_children.push(host, ev.time, ev.clone());
                }
            }
            EventKind::NetworkConnection {
                image: Some(image),
                destination_port: Some(5985 | 5986),
                ..
            } if is_kernel_listener(image) => {
                let Some(src) = ev.source.as_ref().filter(|s| !s.is_loopback()) else {
                    return;
                };
                let Some(host) = host_key(ev) else { return };
                self.inbound.push(
                    host.clone(),
                    ev.time,
                    (Some(src.clone()), ev.evidence.clone()),
                );
                let matched: Vec<IdentityEvent> = self
                    .wmi_children
                    .get(&host)
                    .map(|items| {
                        items
                            .iter()
                            .filter(|(t, _)| {
                                (*t - ev.time).abs() <= Duration::seconds(WSMAN_WMI_SECS)
                            })
                            .map(|(_, e)| e.clone())
                            .collect()
                    })
                    .unwrap_or_default();
                for child in &matched {
                    self.raise_wsman_wmi(cx, child, (Some(src.clone()), ev.evidence.clone()));
                }
            }
            EventKind::RemoteShell {
                resource: None,
                client: Some(client),
                auth,
                ..
            } if client.starts_with("PowerShell") => {
                // Captured: PowerShell remoting accepted by the WinRM listener (the session's
                // SOAP is encrypted by its authentication, the URL names the client).
                let Some(src) = ev.source.as_ref().filter(|_| !ev.source_is_local()) else {
                    return;
                };
                let text = format!(
                    "opened a PowerShell remoting session ({client}) on {{host}} over \
                     WS-Management{}",
                    auth.as_deref()
                        .map(|a| format!(", authenticated with {a}"))
                        .unwrap_or_default()
                );
                let source = Some((Some(src.clone()), ev.evidence.clone()));
                raise(&mut self.hosts, cx, ev, text, source, false, None);
            }
            EventKind::RemoteShell {
                resource: Some(resource),
                ..
            } => {
                let r = resource.to_ascii_lowercase();
                let what = if r.contains("/windows/shell/cmd") {
                    "a remote command shell (winrs)"
                } else if r.contains("schemas.microsoft.com/powershell/") {
                    "a PowerShell remoting session"
                } else {
                    return;
                };
                let source = self.recent_inbound(ev, Duration::minutes(2));
                let text = format!(
                    "opened {what} on {{host}} through the WinRM service (resource {resource})"
                );
                raise(&mut self.hosts, cx, ev, text, source, false, None);
            }
            _ => {}
        }
    }
}

impl RemoteExecWinrm {
    /// The latest inbound WinRM connection to the event's machine within `within` before it.
    fn recent_inbound(
        &self,
        ev: &IdentityEvent,
        within: Duration,
    ) -> Option<(Option<Host>, Evidence)> {
        let host = host_key(ev)?;
        self.inbound.get(&host).and_then(|items| {
            items
                .iter()
                .rev()
                .find(|(t, _)| *t <= ev.time && ev.time - *t <= within)
                .map(|(_, v)| v.clone())
        })
    }

    /// An inbound WinRM connection to the event's machine close to it, either way.
    fn inbound_near(&self, ev: &IdentityEvent) -> Option<(Option<Host>, Evidence)> {
        let host = host_key(ev)?;
        self.inbound.get(&host).and_then(|items| {
            items
                .iter()
                .find(|(t, _)| (*t - ev.time).abs() <= Duration::seconds(WSMAN_WMI_SECS))
                .map(|(_, v)| v.clone())
        })
    }

    /// Raises once per WMI child, whichever of its inbound connections is seen first.
    fn raise_wsman_wmi(
        &mut self,
        cx: &mut Context<'_>,
        child: &IdentityEvent,
        inbound: (Option<Host>, Evidence),
    ) {
        if self.wsman_raised.contains(&child.evidence, child.time) || !self.reported.first(child) {
            return;
        }
        self.wsman_raised.insert(child.evidence.clone(), child.time);
        let EventKind::ProcessCreated {
            image,
            command_line,
            ..
        } = &child.kind
        else {
            return;
        };
        let cmd = command_line.as_deref().unwrap_or(image);
        let what = format!(
            "ran `{}` on {{host}} through WMI invoked over WS-Management: the WMI provider host \
             created it while a WinRM connection{} was open",
            clipped(cmd),
            inbound
                .0
                .as_ref()
                .map(|h| format!(" from {h}"))
                .unwrap_or_default()
        );
        let strong = is_shell_or_script_host(image);
        raise(
            &mut self.hosts,
            cx,
            child,
            what,
            Some(inbound),
            strong,
            Some("wsman-wmi"),
        );
    }
}

/// The image Sysmon names for connections accepted by the kernel HTTP listener (http.sys),
/// which serves the WinRM endpoints.
fn is_kernel_listener(image: &str) -> bool {
    image.eq_ignore_ascii_case("system")
}

/// Raises one execution; `hosts` remembers the machines of each alert, so that an account's
/// commands on several machines update one alert naming them all.
fn raise(
    hosts: &mut KeyedWindows<String, String>,
    cx: &mut Context<'_>,
    ev: &IdentityEvent,
    what: String,
    source: Option<(Option<Host>, Evidence)>,
    strong: bool,
    flavour: Option<&str>,
) {
    let host = ev.observer.clone().unwrap_or_else(|| "a host".into());
    let actor = ev.actor.as_ref().filter(|a| !a.is_builtin_service());
    let actor_sensitive = actor.is_some_and(|a| cx.entities.is_sensitive_account(a));
    let on_dc = cx.entities.observer_is_dc(ev);
    let mut severity = Severity::Medium;
    if actor_sensitive || on_dc {
        severity = severity.raised();
    }
    let who = actor.map_or("A remote user".to_string(), |a| a.to_string());
    let what = what.replace("{host}", &host);
    let mut alert = Alert::new(AlertKind::RemoteExecWinrm, severity, ev)
        .title(format!("Remote execution through WinRM on {host}"))
        .target(host.clone())
        .description(format!(
            "{who} {what}{}. WinRM (PowerShell remoting, winrs) runs commands on other machines; \
             attackers use it with stolen credentials to move laterally.{}",
            source
                .as_ref()
                .and_then(|(h, _)| h.as_ref())
                .map(|h| format!(", over a WinRM connection from {h}"))
                .filter(|_| flavour.is_none())
                .unwrap_or_default(),
            if strong {
                " The program started is a command shell or script host."
            } else {
                ""
            }
        ))
        .remediation(
            "Confirm with the account's owner that this remote session was planned \
             administration. If not, end the session, isolate the source machine, reset the \
             credentials used, and limit WinRM access (TCP 5985/5986, the Remote Management \
             Users group) to administration workstations and accounts.",
        );
    if let Some((src, evidence)) = &source {
        alert.add_evidence_ref(evidence, ev.time);
        if let Some(h) = src {
            alert = alert.source(h);
        }
    }
    if let Some(a) = actor {
        alert = alert.actor(a, actor_sensitive);
    }
    if let Some(obs) = &ev.observer {
        alert = alert.observer(obs, on_dc);
    }
    // Without an account, one source's sessions on several machines are one fan-out.
    let source_host = source
        .as_ref()
        .and_then(|(h, _)| h.as_ref())
        .filter(|h| !h.is_loopback());
    let key = match (actor, source_host) {
        (Some(a), _) => format!("actor|{}|{}", a.key(), flavour.unwrap_or("")),
        (None, Some(src)) => format!("source|{}|{}", src.key(), flavour.unwrap_or("")),
        (None, None) => format!("{}||{}", host.to_ascii_lowercase(), flavour.unwrap_or("")),
    };
    let mut seen: Vec<String> = Vec::new();
    if let Some(items) = hosts.push(key.clone(), ev.time, host.clone()) {
        for (_, h) in items {
            if !seen.iter().any(|s| s.eq_ignore_ascii_case(h)) {
                seen.push(h.clone());
            }
        }
    }
    if seen.len() < 2 {
        cx.emit(&key, alert);
        return;
    }
    alert.title = format!("Remote execution through WinRM on {} hosts", seen.len());
    alert.description = format!(
        "{} Within the hour {who} ran commands this way on {} machines: {}.",
        alert.description,
        seen.len(),
        seen.join(", ")
    );
    // In the order the machines were reached.
    alert.targets = seen;
    cx.emit_summary(&key, alert);
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::testutil::*;
    use rampart_core::Account;

    fn proc(secs: i64, user: &str, parent: &str, image: &str, cmd: &str) -> IdentityEvent {
        observed_by(
            with(
                ev(
                    secs,
                    1,
                    EventKind::ProcessCreated {
                        image: image.into(),
                        command_line: Some(cmd.into()),
                        parent_image: Some(parent.into()),
                        process_id: None,
                        parent_process_id: None,
                        logon_id: None,
                    },
                ),
                Account::parse(user),
                None,
                None,
            ),
            "WS06.corp.local",
        )
    }

    fn inbound(secs: i64, port: u16, image: &str) -> IdentityEvent {
        observed_by(
            with(
                ev(
                    secs,
                    3,
                    EventKind::NetworkConnection {
                        image: Some(image.into()),
                        destination: Some(ip("172.18.39.6")),
                        destination_port: Some(port),
                        source_port: None,
                        initiated: None,
                    },
                ),
                None,
                Some(ip("172.18.39.5")),
                None,
            ),
            "WS06.corp.local",
        )
    }

    #[test]
    fn remoting_host_children_alert() {
        let events = [
            inbound(0, 5985, "System"),
            proc(
                1,
                "CORP\\pgustavo",
                "C:\\Windows\\System32\\wsmprovhost.exe",
                "C:\\Windows\\System32\\WindowsPowerShell\\v1.0\\powershell.exe",
                "powershell.exe",
            ),
            proc(
                2,
                "CORP\\pgustavo",
                "C:\\Windows\\System32\\winrshost.exe",
                "C:\\Windows\\System32\\cmd.exe",
                "cmd.exe /C ipconfig",
            ),
        ];
        let alerts = run(Box::<RemoteExecWinrm>::default(), &events);
        assert_eq!(alerts.len(), 1, "one session, one alert");
        assert_eq!(alerts[0].count, 2);
        assert_eq!(alerts[0].source_host.as_deref(), Some("172.18.39.5"));
    }

    #[test]
    fn one_account_fanning_out_to_three_hosts_is_one_alert() {
        // The PurpleSharp playbook's shape: the same account's remoting sessions on three
        // machines within seconds; another account's session stays its own alert.
        let on = |secs: i64, host: &str, user: &str| {
            let mut e = proc(
                secs,
                user,
                "C:\\Windows\\System32\\wsmprovhost.exe",
                "C:\\Windows\\System32\\WindowsPowerShell\\v1.0\\powershell.exe",
                "powershell.exe",
            );
            e.observer = Some(host.to_string());
            e
        };
        let events = [
            on(0, "WS06.corp.local", "CORP\\pgustavo"),
            on(1, "WS07.corp.local", "CORP\\pgustavo"),
            on(2, "DC01.corp.local", "CORP\\pgustavo"),
            on(3, "WS07.corp.local", "CORP\\helpdesk"),
        ];
        let alerts = run(Box::<RemoteExecWinrm>::default(), &events);
        assert_eq!(alerts.len(), 2, "{alerts:?}");
        let fan = alerts
            .iter()
            .find(|a| a.actor.as_deref() == Some("CORP\\pgustavo"))
            .expect("the fan-out alert");
        assert_eq!(fan.evidence.len(), 3);
        assert_eq!(fan.title, "Remote execution through WinRM on 3 hosts");
        assert_eq!(
            fan.targets,
            vec!["WS06.corp.local", "WS07.corp.local", "DC01.corp.local"]
        );
    }

    #[test]
    fn wsman_shell_events_alert_but_authentication_alone_does_not() {
        let shell = ev(
            0,
            91,
            EventKind::RemoteShell {
                protocol: "winrm".into(),
                resource: Some(
                    "http://schemas.microsoft.com/wbem/wsman/1/windows/shell/cmd".into(),
                ),
                auth: None,
                client: None,
            },
        );
        let alerts = run(Box::<RemoteExecWinrm>::default(), &[shell]);
        assert_eq!(alerts.len(), 1);
        let auth = ev(
            0,
            169,
            EventKind::RemoteShell {
                protocol: "winrm".into(),
                resource: None,
                auth: Some("NTLM".into()),
                client: None,
            },
        );
        let forwarding = ev(
            1,
            91,
            EventKind::RemoteShell {
                protocol: "winrm".into(),
                resource: Some("http://schemas.microsoft.com/wbem/wsman/1/windows/EventLog".into()),
                auth: None,
                client: None,
            },
        );
        assert!(run(Box::<RemoteExecWinrm>::default(), &[auth, forwarding]).is_empty());
    }

    #[test]
    fn wmi_over_wsman_needs_the_inbound_connection() {
        let child = proc(
            10,
            "CORP\\pgustavo",
            "C:\\Windows\\System32\\wbem\\WmiPrvSE.exe",
            "C:\\Windows\\System32\\whoami.exe",
            "whoami",
        );
        // The Sysmon 3 record arrives after the process (Sysmon reports connections late).
        let alerts = run(
            Box::<RemoteExecWinrm>::default(),
            &[child.clone(), inbound(13, 5985, "System")],
        );
        assert_eq!(alerts.len(), 1);
        // Without the inbound WinRM connection, or with an unrelated outbound one, nothing.
        assert!(run(
            Box::<RemoteExecWinrm>::default(),
            std::slice::from_ref(&child)
        )
        .is_empty());
        assert!(run(
            Box::<RemoteExecWinrm>::default(),
            &[
                child,
                inbound(11, 5985, "C:\\Tools\\client.exe"),
                inbound(12, 445, "System")
            ]
        )
        .is_empty());
    }

    #[test]
    fn ordinary_processes_and_plumbing_are_benign() {
        let events = [
            proc(
                0,
                "CORP\\alice",
                "C:\\Windows\\explorer.exe",
                "C:\\Windows\\System32\\WindowsPowerShell\\v1.0\\powershell.exe",
                "powershell.exe",
            ),
            proc(
                1,
                "CORP\\alice",
                "C:\\Windows\\System32\\wsmprovhost.exe",
                "C:\\Windows\\System32\\conhost.exe",
                "conhost.exe 0xffffffff -ForceV1",
            ),
            proc(
                2,
                "CORP\\alice",
                "C:\\Windows\\System32\\svchost.exe",
                "C:\\Windows\\System32\\wsmprovhost.exe",
                "wsmprovhost.exe -Embedding",
            ),
            inbound(3, 5985, "System"),
        ];
        assert!(run(Box::<RemoteExecWinrm>::default(), &events).is_empty());
    }

    fn captured_session(secs: i64, server: &str, client: &str, ps: Option<&str>) -> IdentityEvent {
        wire(
            secs,
            server,
            client,
            EventKind::RemoteShell {
                protocol: "winrm".into(),
                resource: None,
                auth: Some("Kerberos".into()),
                client: ps.map(str::to_string),
            },
        )
    }

    #[test]
    fn captured_powershell_remoting_fanning_out_is_one_alert() {
        // PurpleSharp: one workstation opening PowerShell remoting on three machines.
        let ps = Some("PowerShell 5.1.18362.1110");
        let events = [
            captured_session(0, "172.18.39.7", "172.18.39.5", ps),
            captured_session(1, "172.18.38.5", "172.18.39.5", ps),
            captured_session(30, "172.18.39.6", "172.18.39.5", ps),
        ];
        let alerts = run(Box::<RemoteExecWinrm>::default(), &events);
        assert_eq!(alerts.len(), 1, "{alerts:#?}");
        assert!(alerts[0].title.contains("3 hosts"), "{}", alerts[0].title);
    }

    #[test]
    fn captured_wsman_without_powershell_or_from_the_machine_itself_is_benign() {
        let events = [
            // WS-Man traffic of another client (event forwarding, CIM): no PSVersion.
            captured_session(0, "10.0.0.7", "10.0.0.5", None),
            // The machine remoting into itself.
            captured_session(1, "10.0.0.7", "10.0.0.7", Some("PowerShell 5.1")),
        ];
        let alerts = run(Box::<RemoteExecWinrm>::default(), &events);
        assert!(alerts.is_empty(), "{alerts:#?}");
    }
}
