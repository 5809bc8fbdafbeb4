//! Remote execution through DCOM (ATT&CK T1021.003): impacket `dcomexec`, Invoke-DCOM,
//! Cobalt Strike/Covenant DCOM lateral movement. The attacker activates, on another machine, a
//! COM object whose methods run commands — `MMC20.Application` (`ExecuteShellCommand`),
//! `htafile` (LethalHTA), `Excel.Application` (`RegisterXLL`, `DDEInitiate`,
//! `ExecuteExcel4Macro`), `Outlook.Application`, `Word.Application`, `Visio.InvisibleApp` — and
//! the DCOM server launcher (`svchost.exe -k DcomLaunch`) starts that object's program there
//! with `-Embedding` (`/automation -Embedding` for Office).
//!
//! Evidence, on the target: such a DCOM server activation (4688, Sysmon 1) corroborated within
//! two minutes by at least one of
//! - a command shell, script host or LOLBin started by the activated program (4688, Sysmon 1):
//!   `mmc.exe` → `cmd.exe` is `ExecuteShellCommand`;
//! - a network connection of the activated program with another machine, other than web and
//!   DNS traffic (Sysmon 3): the remote caller driving the object over RPC;
//! - a network logon (4624 type 3) from another machine of the account the program runs as,
//!   within seconds before the activation: the caller's DCOM activation request.
//!
//! An activation alone does not alert: Office automation and MMC snap-ins are activated locally
//! by ordinary software, and an Office program's own web traffic (ports 80/443) is no evidence.
//! `ShellWindows`/`ShellBrowserWindow` run inside the already-running `explorer.exe` and start
//! no program of their own; a file holding only `explorer.exe`'s network connections (Sysmon 3)
//! is too thin to tell from ordinary Explorer traffic and is not caught, nor is a source-side
//! PowerShell script-block log (4103/4104, not read by Rampart).
//!
//! On the wire: a remote DCOM activation of a class used for lateral movement
//! ([`WIRE_CLASSES`]: MMC20.Application, ShellWindows, ShellBrowserWindow, the Office
//! applications, htafile, WScript.Shell), named by the activation request's clear-text
//! `InstantiationInfoData`, alerts on its own (high): these objects are not activated from
//! another machine for ordinary work. Any other remote activation
//! (`IRemoteSCMActivator::RemoteGetClassObject`/`RemoteCreateInstance`, opnums 3 and 4, or
//! `IActivation::RemoteActivation`) from another host counts when it is followed within
//! [`WIRE_WINDOW_SECS`] seconds by `IDispatch::Invoke` (opnum 6) from the same host to the same
//! server, with no WMI interface used in between: a scriptable object created remotely and
//! driven through automation (MMC20.Application `ExecuteShellCommand`, ShellWindows,
//! Excel `RegisterXLL`). WMI activates through DCOM too and is `remote_exec_wmi`'s.

use super::{clipped, exe_name, is_shell_or_script_host};
use crate::engine::{Context, Detector};
use crate::sessions::{host_key, ReportedProcesses};
use crate::state::{KeyedWindows, RecentSet};
use chrono::Duration;
use rampart_core::{Account, Alert, AlertKind, EventKind, Evidence, Host, IdentityEvent, Severity};

/// Programs of COM objects used for lateral movement, with the object they serve.
const DCOM_SERVERS: &[(&str, &str)] = &[
    ("mmc.exe", "MMC20.Application"),
    ("mshta.exe", "htafile (LethalHTA)"),
    ("excel.exe", "Excel.Application"),
    ("winword.exe", "Word.Application"),
    ("outlook.exe", "Outlook.Application"),
    ("visio.exe", "Visio.InvisibleApp"),
];

/// Servers with no ordinary reason to be driven from another machine: corroborated, they are
/// high severity on their own.
const NEVER_REMOTE: &[&str] = &["mmc.exe", "mshta.exe"];

/// Web and DNS ports: an Office program's own traffic, not a DCOM caller's.
const ORDINARY_PORTS: &[u16] = &[53, 80, 443, 8080, 8443];

/// Corroboration must fall within this span of the activation.
const WINDOW_SECS: i64 = 120;

/// A network logon counts when it precedes the activation by at most this.
const LOGON_LEAD_SECS: i64 = 10;

/// Both ends of a connection as Sysmon wrote them.
type Ends = (Option<Host>, Option<Host>);

#[derive(Debug, Clone)]
enum Item {
    Activation {
        server: String,
        ev: Box<IdentityEvent>,
    },
    Child {
        parent: String,
        cmd: String,
        evidence: Evidence,
    },
    Net {
        image: String,
        /// Both ends as Sysmon wrote them: it does not say which end is this machine.
        ends: Ends,
        port: Option<u16>,
        evidence: Evidence,
    },
}

pub struct RemoteExecDcom {
    /// Activations and their corroboration, by machine.
    items: KeyedWindows<String, Item>,
    /// Network logons of user accounts from other machines, by machine.
    user_logons: KeyedWindows<String, (Account, Option<Host>, Evidence)>,
    reported: ReportedProcesses,
    /// Activations already reported (by their record), with how much corroboration was told.
    raised: KeyedWindows<Evidence, usize>,
    /// Per (client, server) on the wire: remote activations.
    /// Per (client, server) on the wire: remote activations, with the class when it is one
    /// used for lateral movement.
    wire_activations: KeyedWindows<String, (Evidence, Option<&'static str>)>,
    /// (client, server) pairs seen using WMI interfaces.
    wire_wmi: RecentSet<String>,
}

/// How long after a captured activation an automation call belongs to it.
pub const WIRE_WINDOW_SECS: i64 = 300;

impl Default for RemoteExecDcom {
    fn default() -> Self {
        RemoteExecDcom {
            items: KeyedWindows::new(Duration::seconds(2 * WINDOW_SECS), 5_000, 64),
            user_logons: KeyedWindows::new(Duration::seconds(60), 5_000, 32),
            reported: ReportedProcesses::new(10_000),
            raised: KeyedWindows::new(Duration::minutes(30), 10_000, 1),
            wire_activations: KeyedWindows::new(Duration::seconds(WIRE_WINDOW_SECS), 10_000, 16),
            wire_wmi: RecentSet::new(Duration::seconds(WIRE_WINDOW_SECS), 10_000),
        }
    }
}

impl RemoteExecDcom {
    /// A captured DCOM call.
    fn dcom_call(&mut self, ev: &IdentityEvent, cx: &mut Context<'_>, interface: &str, opnum: u16) {
        let Some(src) = &ev.source else { return };
        if ev.source_is_local() {
            return;
        }
        let server = ev.observer.clone().unwrap_or_else(|| "a host".to_string());
        let key = format!("{}|{server}", src.key());
        match (interface, opnum) {
            ("iremotescmactivator", 3 | 4) | ("iactivation", 0) => {
                let class = match &ev.kind {
                    EventKind::RpcCall { object, .. } => object.as_deref(),
                    _ => None,
                };
                if class == Some(WMI_LOGIN_CLSID) {
                    self.wire_wmi.insert(key, ev.time);
                    return;
                }
                let known = class.and_then(wire_class_name);
                self.wire_activations
                    .push(key.clone(), ev.time, (ev.evidence.clone(), known));
                if let Some(name) = known.filter(|_| !ev.outcome.is_failure()) {
                    let alert = wire_alert(ev, cx, &server, src, Severity::High)
                        .title(format!(
                            "Remote DCOM activation of {name} on {server} from {src}"
                        ))
                        .description(format!(
                            "{} asked {server}, from {src}, to create {name} (class {}): a COM \
                             object whose methods run commands, used remotely only for lateral \
                             movement (Invoke-DCOM, impacket dcomexec, Cobalt Strike and \
                             Covenant DCOM modules).",
                            who(ev, src),
                            class.unwrap_or_default()
                        ));
                    cx.emit(&format!("wire|{key}"), alert);
                }
            }
            (i, _) if i.starts_with("iwbem") => self.wire_wmi.insert(key, ev.time),
            ("idispatch", 6) => {
                if self.wire_wmi.contains(&key, ev.time) {
                    return;
                }
                let Some(activations) = self.wire_activations.get(&key) else {
                    return;
                };
                let Some((t, (first, known))) = activations.iter().find(|(t, _)| {
                    *t <= ev.time && ev.time - *t <= Duration::seconds(WIRE_WINDOW_SECS)
                }) else {
                    return;
                };
                let (t, first, known) = (*t, first.clone(), *known);
                let object = known.map_or("a COM object".to_string(), |n| n.to_string());
                let severity = if known.is_some() {
                    Severity::High
                } else {
                    Severity::Medium
                };
                let mut alert = wire_alert(ev, cx, &server, src, severity)
                    .title(format!("Remote DCOM automation on {server} from {src}"))
                    .description(format!(
                        "{} created {object} on {server} remotely (DCOM activation from \
                         {src}) and drove it through IDispatch::Invoke: how MMC20.Application, \
                         ShellWindows, ShellBrowserWindow and Excel are used to run commands on \
                         another machine.",
                        who(ev, src)
                    ));
                alert.add_evidence_ref(&first, t);
                cx.emit(&format!("wire|{key}"), alert);
            }
            _ => {}
        }
    }
}

/// Who made a captured call: the authenticated account, else the address.
fn who(ev: &IdentityEvent, src: &Host) -> String {
    ev.actor
        .as_ref()
        .map_or_else(|| src.to_string(), |a| a.to_string())
}

/// The parts every wire alert shares.
fn wire_alert(
    ev: &IdentityEvent,
    cx: &Context<'_>,
    server: &str,
    src: &Host,
    severity: Severity,
) -> Alert {
    let mut alert = Alert::new(AlertKind::RemoteExecDcom, severity, ev)
        .target(server.to_string())
        .source(src)
        .remediation(
            "Find the process on the source host and what the object started on the \
             target (mmc.exe, explorer.exe, excel.exe children). Restrict remote DCOM \
             launch permissions (dcomcnfg) to administrators who need them.",
        );
    if let Some(a) = &ev.actor {
        alert = alert.actor(a, cx.entities.is_sensitive_account(a));
    }
    alert.observer(server, cx.entities.observer_is_dc(ev))
}

/// CLSID of WMI's `WbemLevel1Login`: a remote WMI connection, `remote_exec_wmi`'s.
const WMI_LOGIN_CLSID: &str = "8bc3f05e-d86b-11d0-a075-00c04fb68820";

/// COM classes whose remote activation is lateral movement, by CLSID (lower case).
const WIRE_CLASSES: &[(&str, &str)] = &[
    ("49b2791a-b1ae-4c90-9b8e-e860ba07f889", "MMC20.Application"),
    ("9ba05972-f6a8-11cf-a442-00a0c90a8f39", "ShellWindows"),
    ("c08afd90-f2a1-11d1-8455-00a0c91f3880", "ShellBrowserWindow"),
    ("00024500-0000-0000-c000-000000000046", "Excel.Application"),
    ("000209ff-0000-0000-c000-000000000046", "Word.Application"),
    (
        "0006f03a-0000-0000-c000-000000000046",
        "Outlook.Application",
    ),
    (
        "91493441-5a91-11cf-8700-00aa0060263b",
        "PowerPoint.Application",
    ),
    ("3050f4d8-98b5-11cf-bb82-00aa00bdce0b", "htafile"),
    (
        "0002df01-0000-0000-c000-000000000046",
        "InternetExplorer.Application",
    ),
    ("72c24dd5-d70a-438b-8a42-98424b88afb8", "WScript.Shell"),
];

fn wire_class_name(clsid: &str) -> Option<&'static str> {
    WIRE_CLASSES
        .iter()
        .find(|(c, _)| c.eq_ignore_ascii_case(clsid))
        .map(|(_, n)| *n)
}

fn dcom_server(image: &str) -> Option<(&'static str, &'static str)> {
    let exe = exe_name(image);
    DCOM_SERVERS.iter().copied().find(|(e, _)| *e == exe)
}

impl Detector for RemoteExecDcom {
    fn name(&self) -> &'static str {
        "remote_exec_dcom"
    }

    fn uses_process_images(&self) -> bool {
        true
    }

    fn kinds(&self) -> &'static [AlertKind] {
        &[AlertKind::RemoteExecDcom]
    }

    fn on_event(&mut self, ev: &IdentityEvent, cx: &mut Context<'_>) {
        if let EventKind::RpcCall {
            interface, opnum, ..
        } = &ev.kind
        {
            self.dcom_call(ev, cx, interface, *opnum);
            return;
        }
        if !matches!(
            ev.kind,
            EventKind::ProcessCreated { .. }
                | EventKind::NetworkConnection { .. }
                | EventKind::Logon { .. }
        ) {
            return;
        }
        let Some(host) = host_key(ev) else { return };
        match &ev.kind {
            EventKind::ProcessCreated {
                image,
                command_line,
                ..
            } => {
                let parent = cx.processes.parent_image(ev);
                let cmd = command_line.as_deref().unwrap_or(image);
                let lower = cmd.to_ascii_lowercase();
                if let Some((server, _)) = dcom_server(image) {
                    let by_launcher = parent
                        .as_deref()
                        .is_none_or(|p| exe_name(p) == "svchost.exe");
                    if by_launcher
                        && (lower.contains("-embedding") || lower.contains("/automation"))
                        && self.reported.first(ev)
                    {
                        let item = Item::Activation {
                            server: server.to_string(),
                            ev: Box::new(ev.clone()),
                        };
                        self.items.push(host.clone(), ev.time, item);
                        self.evaluate(&host, cx);
                    }
                    return;
                }
                let Some(parent) = parent.map(|p| exe_name(&p).into_owned()) else {
                    return;
                };
                if dcom_server(&parent).is_some() && is_shell_or_script_host(image) {
                    let item = Item::Child {
                        parent,
                        cmd: cmd.to_string(),
                        evidence: ev.evidence.clone(),
                    };
                    self.items.push(host.clone(), ev.time, item);
                    self.evaluate(&host, cx);
                }
            }
            EventKind::NetworkConnection {
                image: Some(image),
                destination,
                destination_port,
                ..
            } => {
                let Some((server, _)) = dcom_server(image) else {
                    return;
                };
                let loopback = |h: &Option<Host>| h.as_ref().is_some_and(|h| h.is_loopback());
                if loopback(destination)
                    || loopback(&ev.source)
                    || destination_port.is_some_and(|p| ORDINARY_PORTS.contains(&p))
                {
                    return;
                }
                let item = Item::Net {
                    image: server.to_string(),
                    ends: (ev.source.clone(), destination.clone()),
                    port: *destination_port,
                    evidence: ev.evidence.clone(),
                };
                self.items.push(host.clone(), ev.time, item);
                self.evaluate(&host, cx);
            }
            EventKind::Logon { logon_type: 3, .. } if !ev.outcome.is_failure() => {
                let Some(a) = ev.actor.as_ref() else { return };
                if a.is_machine() || a.is_builtin_service() {
                    return;
                }
                let from_self = ev
                    .source
                    .as_ref()
                    .is_some_and(|s| s.is_loopback() || s.short_name().is_some_and(|n| n == host));
                if from_self {
                    return;
                }
                self.user_logons.push(
                    host.clone(),
                    ev.time,
                    (a.clone(), ev.source.clone(), ev.evidence.clone()),
                );
                self.evaluate(&host, cx);
            }
            _ => {}
        }
    }
}

/// What corroborates one activation.
#[derive(Default)]
struct Corroboration {
    children: Vec<(String, Evidence)>,
    net: Vec<(Ends, Option<u16>, Evidence)>,
    logon: Option<(Account, Option<Host>, Evidence)>,
}

impl Corroboration {
    fn len(&self) -> usize {
        self.children.len() + self.net.len() + usize::from(self.logon.is_some())
    }
}

impl RemoteExecDcom {
    fn evaluate(&mut self, host: &str, cx: &mut Context<'_>) {
        let key = host.to_string();
        let Some(items) = self.items.get(&key) else {
            return;
        };
        let mut found = Vec::new();
        for (t, item) in items {
            let Item::Activation { server, ev } = item else {
                continue;
            };
            let told = self
                .raised
                .get(&ev.evidence)
                .and_then(|v| v.back())
                .map_or(0, |(_, n)| *n);
            let near = |u: &chrono::DateTime<chrono::Utc>| {
                (*u - *t).abs() <= Duration::seconds(WINDOW_SECS)
            };
            let mut c = Corroboration::default();
            for (u, other) in items {
                match other {
                    Item::Child {
                        parent,
                        cmd,
                        evidence,
                    } if parent == server && *u >= *t - Duration::seconds(1) && near(u) => {
                        c.children.push((cmd.clone(), evidence.clone()));
                    }
                    Item::Net {
                        image,
                        ends,
                        port,
                        evidence,
                    } if image == server && near(u) => {
                        c.net.push((ends.clone(), *port, evidence.clone()));
                    }
                    _ => {}
                }
            }
            if let (Some(actor), Some(logons)) = (&ev.actor, self.user_logons.get(&key)) {
                c.logon = logons
                    .iter()
                    .rev()
                    .find(|(u, (a, _, _))| {
                        a.same_as(actor)
                            && *u <= *t + Duration::seconds(1)
                            && *t - *u <= Duration::seconds(LOGON_LEAD_SECS)
                    })
                    .map(|(_, l)| l.clone());
            }
            if c.len() > told {
                found.push((server.clone(), (**ev).clone(), c));
            }
        }
        for (server, ev, c) in found {
            self.raised.push(ev.evidence.clone(), ev.time, c.len());
            raise(cx, &server, &ev, &c);
        }
    }
}

fn raise(cx: &mut Context<'_>, server: &str, ev: &IdentityEvent, c: &Corroboration) {
    let EventKind::ProcessCreated {
        image,
        command_line,
        ..
    } = &ev.kind
    else {
        return;
    };
    let object = dcom_server(image).map_or("a COM object", |(_, o)| o);
    let host = ev.observer.clone().unwrap_or_else(|| "a host".into());
    let mut reasons = Vec::new();
    if let Some((cmd, _)) = c.children.first() {
        reasons.push(format!("{server} then started `{}`", clipped(cmd)));
    }
    if let Some(((a, b), port, _)) = c.net.first() {
        let end = |h: &Option<Host>| h.as_ref().map_or("?".to_string(), |h| h.to_string());
        reasons.push(format!(
            "{server} held a network connection between {} and {}{}",
            end(a),
            end(b),
            port.map(|p| format!(" (port {p})")).unwrap_or_default()
        ));
    }
    if let Some((a, src, _)) = &c.logon {
        reasons.push(format!(
            "{a} had logged on over the network{} just before",
            src.as_ref()
                .map(|s| format!(" from {s}"))
                .unwrap_or_default()
        ));
    }
    let strong = !c.children.is_empty()
        || NEVER_REMOTE.contains(&server)
        || (!c.net.is_empty() && c.logon.is_some());
    let actor = ev
        .actor
        .as_ref()
        .filter(|a| !a.is_builtin_service())
        .or(c.logon.as_ref().map(|(a, _, _)| a));
    let actor_sensitive = actor.is_some_and(|a| cx.entities.is_sensitive_account(a));
    let on_dc = cx.entities.observer_is_dc(ev);
    let mut severity = if strong {
        Severity::High
    } else {
        Severity::Medium
    };
    if actor_sensitive || on_dc {
        severity = severity.raised();
    }
    let mut alert = Alert::new(AlertKind::RemoteExecDcom, severity, ev)
        .title(format!(
            "Remote execution through DCOM ({object}) on {host}"
        ))
        .target(host.clone())
        .description(format!(
            "On {host}, the DCOM launcher started {server} as a COM server (`{}`){} and {}. \
             Driving {object} from another machine is a known way to run commands remotely \
             (impacket dcomexec, Invoke-DCOM, LethalHTA, Excel RegisterXLL/DDE).",
            clipped(command_line.as_deref().unwrap_or(image)),
            actor.map(|a| format!(" for {a}")).unwrap_or_default(),
            reasons.join("; ")
        ))
        .remediation(
            "Find the machine and account that activated the object (the network logon and \
             connection named here). If it was not planned administration, isolate both \
             machines, reset the credentials used, and block DCOM (TCP 135 and dynamic RPC \
             ports) between workstations; consider disabling remote launch of these COM \
             objects.",
        );
    for (_, e) in &c.children {
        alert.add_evidence_ref(e, ev.time);
    }
    for (_, _, e) in &c.net {
        alert.add_evidence_ref(e, ev.time);
    }
    if let Some(a) = actor {
        alert = alert.actor(a, actor_sensitive);
    }
    let source = c.logon.as_ref().and_then(|(_, s, _)| s.clone());
    if let Some((_, _, e)) = &c.logon {
        alert.add_evidence_ref(e, ev.time);
    }
    if let Some(s) = &source {
        alert = alert.source(s);
    }
    if let Some(obs) = &ev.observer {
        alert = alert.observer(obs, on_dc);
    }
    // One alert per activated program on a machine, updated as corroboration arrives.
    cx.emit_summary(&format!("{}|{server}", host.to_ascii_lowercase()), alert);
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::testutil::*;

    fn proc(secs: i64, parent: &str, image: &str, cmd: &str) -> IdentityEvent {
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
                Some(acct("ieuser")),
                None,
                None,
            ),
            "IEWIN7",
        )
    }

    fn net(secs: i64, image: &str, peer: &str, port: u16) -> IdentityEvent {
        observed_by(
            with(
                ev(
                    secs,
                    3,
                    EventKind::NetworkConnection {
                        image: Some(image.into()),
                        destination: Some(ip(peer)),
                        destination_port: Some(port),
                        source_port: None,
                        initiated: None,
                    },
                ),
                Some(acct("ieuser")),
                Some(ip("10.0.2.16")),
                None,
            ),
            "IEWIN7",
        )
    }

    const SVCHOST: &str = "C:\\Windows\\System32\\svchost.exe";
    const MMC: &str = "C:\\Windows\\System32\\mmc.exe";

    #[test]
    fn mmc20_shell_command_alerts() {
        let events = [
            proc(0, SVCHOST, MMC, "C:\\Windows\\system32\\mmc.exe -Embedding"),
            proc(
                1,
                MMC,
                "C:\\Windows\\System32\\cmd.exe",
                "cmd.exe /Q /c whoami 1> \\\\127.0.0.1\\ADMIN$\\__1 2>&1",
            ),
        ];
        let alerts = run(Box::<RemoteExecDcom>::default(), &events);
        assert_eq!(alerts.len(), 1);
        assert_eq!(alerts[0].severity, Severity::High);
        assert_eq!(alerts[0].evidence.len(), 2);
    }

    #[test]
    fn lethalhta_network_traffic_alerts_in_either_order() {
        let act = proc(
            0,
            SVCHOST,
            "C:\\Windows\\System32\\mshta.exe",
            "C:\\Windows\\System32\\mshta.exe -Embedding",
        );
        let traffic = net(1, "C:\\Windows\\System32\\mshta.exe", "10.0.2.17", 55683);
        assert_eq!(
            run(
                Box::<RemoteExecDcom>::default(),
                &[act.clone(), traffic.clone()]
            )
            .len(),
            1
        );
        assert_eq!(
            run(Box::<RemoteExecDcom>::default(), &[traffic, act]).len(),
            1
        );
    }

    #[test]
    fn excel_after_a_remote_network_logon_alerts() {
        let logon = observed_by(
            with(
                ev(
                    0,
                    4624,
                    EventKind::Logon {
                        logon_type: 3,
                        auth_package: Some("NTLM".into()),
                        logon_process: None,
                        logon_id: Some("0xceec42".into()),
                        elevated: None,
                    },
                ),
                Some(acct("ieuser")),
                Some(ip("172.18.39.5")),
                None,
            ),
            "IEWIN7",
        );
        let excel = proc(
            1,
            SVCHOST,
            "C:\\Program Files\\Microsoft Office\\root\\Office16\\EXCEL.EXE",
            "\"C:\\Program Files\\Microsoft Office\\Root\\Office16\\EXCEL.EXE\" /automation -Embedding",
        );
        let alerts = run(Box::<RemoteExecDcom>::default(), &[logon, excel]);
        assert_eq!(alerts.len(), 1);
        assert_eq!(alerts[0].source_host.as_deref(), Some("172.18.39.5"));
    }

    #[test]
    fn local_automation_and_web_traffic_are_benign() {
        let excel = "C:\\Program Files\\Microsoft Office\\root\\Office16\\EXCEL.EXE";
        let events = [
            // Local Office automation that talks to the web.
            proc(0, SVCHOST, excel, "EXCEL.EXE /automation -Embedding"),
            net(1, excel, "23.195.64.29", 443),
            // An administrator opening MMC by hand, which runs a shell.
            proc(
                2,
                "C:\\Windows\\explorer.exe",
                MMC,
                "\"C:\\Windows\\system32\\mmc.exe\" compmgmt.msc",
            ),
            proc(3, MMC, "C:\\Windows\\System32\\cmd.exe", "cmd.exe"),
            // Explorer's own traffic.
            net(4, "C:\\Windows\\explorer.exe", "10.0.2.17", 58172),
        ];
        assert!(run(Box::<RemoteExecDcom>::default(), &events).is_empty());
    }

    fn dcom(secs: i64, client: &str, interface: &str, opnum: u16) -> IdentityEvent {
        wire(
            secs,
            "10.0.0.20",
            client,
            EventKind::RpcCall {
                interface: interface.into(),
                opnum,
                operation: None,
                pipe: None,
                sealed: true,
                object: None,
            },
        )
    }

    #[test]
    fn captured_activation_then_automation_alerts() {
        let alerts = run(
            Box::<RemoteExecDcom>::default(),
            &[
                dcom(0, "10.0.0.50", "iremotescmactivator", 4),
                dcom(2, "10.0.0.50", "idispatch", 5),
                dcom(3, "10.0.0.50", "idispatch", 6),
                dcom(4, "10.0.0.50", "idispatch", 6),
            ],
        );
        assert_eq!(alerts.len(), 1, "{alerts:?}");
    }

    #[test]
    fn captured_wmi_and_automation_without_activation_are_benign() {
        let alerts = run(
            Box::<RemoteExecDcom>::default(),
            &[
                // WMI: activation, WMI login, then calls.
                dcom(0, "10.0.0.50", "iremotescmactivator", 4),
                dcom(1, "10.0.0.50", "iwbemlevel1login", 6),
                dcom(2, "10.0.0.50", "idispatch", 6),
                // Automation on an object activated long ago.
                dcom(0, "10.0.0.51", "iremotescmactivator", 4),
                dcom(1000, "10.0.0.51", "idispatch", 6),
            ],
        );
        assert!(alerts.is_empty(), "{alerts:?}");
    }

    fn activation_of(secs: i64, client: &str, class: &str) -> IdentityEvent {
        let mut e = dcom(secs, client, "iremotescmactivator", 3);
        if let EventKind::RpcCall { object, .. } = &mut e.kind {
            *object = Some(class.into());
        }
        e
    }

    #[test]
    fn captured_activation_of_a_lateral_movement_class_alerts_alone() {
        // Covenant's Excel RegisterXLL: RemoteGetClassObject for Excel.Application, then
        // automation calls joining the same alert.
        let alerts = run(
            Box::<RemoteExecDcom>::default(),
            &[
                activation_of(0, "10.0.0.50", "00024500-0000-0000-C000-000000000046"),
                dcom(6, "10.0.0.50", "idispatch", 6),
            ],
        );
        assert_eq!(alerts.len(), 1, "{alerts:?}");
        assert_eq!(alerts[0].severity, Severity::High);
        assert!(
            alerts[0].title.contains("Excel.Application"),
            "{}",
            alerts[0].title
        );
    }

    #[test]
    fn captured_activation_of_wmi_or_an_ordinary_class_is_benign() {
        let alerts = run(
            Box::<RemoteExecDcom>::default(),
            &[
                // WMI's login class, then automation-looking calls: remote_exec_wmi's.
                activation_of(0, "10.0.0.50", WMI_LOGIN_CLSID),
                dcom(1, "10.0.0.50", "idispatch", 6),
                // Some other class activated, never driven.
                activation_of(0, "10.0.0.51", "4991d34b-80a1-4291-83b6-3328366b9097"),
            ],
        );
        assert!(alerts.is_empty(), "{alerts:?}");
    }
}
