//! Remote execution through WMI (ATT&CK T1047): impacket `wmiexec`, `wmic /node:… process call
//! create`, `Invoke-WmiMethod -ComputerName`, Empire/Covenant WMI lateral movement. The caller
//! invokes `Win32_Process.Create` over DCOM; on the target the WMI provider host
//! (`WmiPrvSE.exe`) creates the process with the caller's token, in the network logon session
//! the caller's authentication opened.
//!
//! Evidence, on the target (4688, Sysmon 1):
//! - a process whose parent is `WmiPrvSE.exe` (named by the record, or by the creator's process
//!   id on 4688 before Windows 10) running in a *network* logon session (4624 type 3, tied by
//!   logon id) that came from another machine: a remote caller's process;
//! - or such a child whose command line is a remote-execution one-liner (a shell writing its
//!   output to `\\127.0.0.1\ADMIN$\__…` as `wmiexec` does, an encoded script), which needs no
//!   logon record;
//! - on 4688 before Windows 10, which names neither the parent nor the new process's account,
//!   a `WmiPrvSE.exe` child within seconds after a user account's network logon to the machine
//!   (the logon's account is named as the likely caller).
//!
//! Evidence, on the source: `wmic.exe` run with `/node:<other machine> … process call create`,
//! or `wmic.exe` presenting explicit credentials to another machine (4648).
//!
//! Children that run in the caller's own interactive session (local WMI use), children running
//! as SYSTEM or a service account (WMI providers at work), and the WMI plumbing itself
//! (`WmiPrvSE.exe`, `WerFault.exe`, `wmiadap.exe`) do not alert. Software deployment through
//! `Win32_Process.Create` (SCCM client push) does, at medium severity: it is remote execution.
//!
//! Labelled samples not caught, by design: a lone Sysmon 1 of `cmd.exe` starting `execute.bat`
//! under `cmd.exe` (no WMI process in sight; that pattern is impacket `smbexec`'s).
//!
//! On the wire: `IWbemServices::ExecMethod`/`ExecMethodAsync` (opnums 24, 25) called from
//! another host ([`EventKind::RpcCall`], interface `iwbemservices`): a WMI method run remotely,
//! which is how wmiexec, `wmic /node` and Invoke-WmiMethod start processes
//! (`Win32_Process.Create`). The DCOM stub is usually sealed, so the method's name is not
//! visible; queries (`ExecQuery`, enumeration) and logins alone do not alert.

use super::remote_exec_service::suspicious_command;
use super::{clipped, exe_name, is_shell_or_script_host, names_other_machine};
use crate::engine::{Context, Detector};
use crate::sessions::{host_key, logon_id, NetworkSession, NetworkSessions, ReportedProcesses};
use crate::state::KeyedWindows;
use chrono::Duration;
use rampart_core::{Account, Alert, AlertKind, EventKind, Evidence, Host, IdentityEvent, Severity};

/// Children of the WMI provider host that are WMI's own work, not a caller's command.
const WMI_PLUMBING: &[&str] = &[
    "wmiprvse.exe",
    "werfault.exe",
    "wmiadap.exe",
    "wmiapsrv.exe",
    "conhost.exe",
];

/// How long after a user's network logon a pre-Windows 10 WMI child is attributed to it.
const LEGACY_ATTRIBUTION_SECS: i64 = 5;

pub struct RemoteExecWmi {
    sessions: NetworkSessions,
    /// WMI children waiting for the 4624 of their session, by (machine, logon id).
    pending: KeyedWindows<(String, u64), IdentityEvent>,
    /// Recent network logons of user accounts, by machine.
    user_logons: KeyedWindows<String, (Account, Option<Host>, Evidence)>,
    reported: ReportedProcesses,
}

impl Default for RemoteExecWmi {
    fn default() -> Self {
        RemoteExecWmi {
            sessions: NetworkSessions::new(50_000),
            pending: KeyedWindows::new(Duration::minutes(10), 5_000, 8),
            user_logons: KeyedWindows::new(Duration::seconds(30), 5_000, 32),
            reported: ReportedProcesses::new(10_000),
        }
    }
}

/// A captured remote `IWbemServices::ExecMethod`.
fn wmi_call(ev: &IdentityEvent, cx: &mut Context<'_>) {
    let Some(src) = &ev.source else { return };
    if ev.source_is_local() {
        return;
    }
    let server = ev.observer.clone().unwrap_or_else(|| "a host".to_string());
    let who = ev
        .actor
        .as_ref()
        .map_or_else(|| src.to_string(), |a| a.to_string());
    let mut alert = Alert::new(AlertKind::RemoteExecWmi, Severity::High, ev)
        .title(format!("Remote WMI execution on {server} from {src}"))
        .target(server.clone())
        .source(src)
        .description(format!(
            "{who} called IWbemServices::ExecMethod on {server} over DCOM from {src}: a WMI \
             method run from another machine, which is how wmiexec, `wmic /node:` and \
             Invoke-WmiMethod start processes there (Win32_Process.Create)."
        ))
        .remediation(
            "Find the process on the source host and what ran on the target (WmiPrvSE.exe \
             children). If it was not an administrator's planned action, isolate both hosts and \
             reset the credentials used.",
        );
    if let Some(a) = &ev.actor {
        alert = alert.actor(a, cx.entities.is_sensitive_account(a));
    }
    alert = alert.observer(&server, cx.entities.observer_is_dc(ev));
    cx.emit(&format!("wire|{}|{server}", src.key()), alert);
}

/// Why a WMI child is taken for a remote caller's command.
enum Why<'a> {
    Session(&'a NetworkSession),
    OneLiner(&'static str),
    Legacy(&'a Account, Option<&'a Host>, &'a Evidence),
}

impl Detector for RemoteExecWmi {
    fn name(&self) -> &'static str {
        "remote_exec_wmi"
    }

    fn uses_process_images(&self) -> bool {
        true
    }

    fn kinds(&self) -> &'static [AlertKind] {
        &[AlertKind::RemoteExecWmi]
    }

    fn on_event(&mut self, ev: &IdentityEvent, cx: &mut Context<'_>) {
        match &ev.kind {
            EventKind::RpcCall {
                interface, opnum, ..
            } if interface == "iwbemservices" && matches!(opnum, 24 | 25) => wmi_call(ev, cx),
            EventKind::Logon { .. } => self.on_logon(ev, cx),
            EventKind::ProcessCreated { .. } => {
                self.on_process(ev, cx);
                source_side_wmic(ev, cx, &mut self.reported);
            }
            EventKind::ExplicitCredentials {
                target_server: Some(server),
                process: Some(process),
            } if exe_name(process) == "wmic.exe" && names_other_machine(server, ev) => {
                let host = ev.observer.clone().unwrap_or_else(|| "a host".into());
                let mut alert = Alert::new(AlertKind::RemoteExecWmi, Severity::Medium, ev)
                    .title(format!(
                        "Remote WMI with explicit credentials from {host} to {server}"
                    ))
                    .target(server.clone())
                    .description(format!(
                        "On {host}, {} ran WMIC with the credentials of {} against {server} \
                         (4648): WMIC with alternate credentials against another machine is \
                         how `wmic /node:{server} /user:… process call create` runs commands \
                         remotely.",
                        ev.actor
                            .as_ref()
                            .map_or("an account".to_string(), |a| a.to_string()),
                        ev.target
                            .as_ref()
                            .map_or("another account".to_string(), |a| a.to_string()),
                    ))
                    .remediation(REMEDIATION);
                if let Some(a) = &ev.actor {
                    alert = alert.actor(a, cx.entities.is_sensitive_account(a));
                }
                if let Some(t) = &ev.target {
                    alert = alert.target_account(t, cx.entities.is_sensitive_account(t));
                }
                alert = alert.source(&Host::named(&host));
                cx.emit(
                    &format!(
                        "src|{}|{}",
                        host.to_ascii_lowercase(),
                        server.to_lowercase()
                    ),
                    alert,
                );
            }
            _ => {}
        }
    }
}

impl RemoteExecWmi {
    fn on_logon(&mut self, ev: &IdentityEvent, cx: &mut Context<'_>) {
        let Some(key) = self.sessions.observe(ev) else {
            return;
        };
        if let Some(a) = ev.actor.as_ref().filter(|a| is_user(a)) {
            if !ev.source.as_ref().is_some_and(|s| s.is_loopback()) {
                self.user_logons.push(
                    key.0.clone(),
                    ev.time,
                    (a.clone(), ev.source.clone(), ev.evidence.clone()),
                );
            }
        }
        let waiting = self.pending.take(&key);
        if waiting.is_empty() {
            return;
        }
        for child in &waiting {
            if let Some(session) = self.sessions.get(&key.0, &key.1.to_string(), child.time) {
                if session.remote_source(&key.0).is_some() || session.source.is_none() {
                    let session = session.clone();
                    self.raise(cx, child, Why::Session(&session));
                }
            }
        }
    }

    fn on_process(&mut self, ev: &IdentityEvent, cx: &mut Context<'_>) {
        let EventKind::ProcessCreated {
            image,
            command_line,
            parent_image: own_parent,
            logon_id: session_id,
            ..
        } = &ev.kind
        else {
            return;
        };
        let Some(parent) = cx.processes.parent_image(ev) else {
            return;
        };
        if exe_name(&parent) != "wmiprvse.exe" || WMI_PLUMBING.contains(&&*exe_name(image)) {
            return;
        }
        let Some(host) = host_key(ev) else { return };
        let cmd = command_line.as_deref().unwrap_or(image);
        if let Some(why) = suspicious_command(cmd) {
            self.raise(cx, ev, Why::OneLiner(why));
            return;
        }
        let user = ev.actor.as_ref().filter(|a| is_user(a));
        if user.is_some() {
            let Some(raw) = session_id else { return };
            match self.sessions.get(&host, raw, ev.time) {
                Some(session) => {
                    if session.remote_source(&host).is_some() || session.source.is_none() {
                        let session = session.clone();
                        self.raise(cx, ev, Why::Session(&session));
                    }
                }
                None => {
                    if let Some(id) = logon_id(raw) {
                        self.pending.push((host, id), ev.time, ev.clone());
                    }
                }
            }
            return;
        }
        // 4688 before Windows 10: the parent came from the creator's id and the account is the
        // creator's (the provider host's service account), so the caller can only be inferred
        // from a user's network logon just before.
        if own_parent.is_some() {
            return;
        }
        let recent = self.user_logons.get(&host).and_then(|items| {
            items.iter().rev().find(|(t, _)| {
                *t <= ev.time && ev.time - *t <= Duration::seconds(LEGACY_ATTRIBUTION_SECS)
            })
        });
        if let Some((_, (account, source, evidence))) = recent {
            let (account, source, evidence) = (account.clone(), source.clone(), evidence.clone());
            self.raise(cx, ev, Why::Legacy(&account, source.as_ref(), &evidence));
        }
    }
}

impl RemoteExecWmi {
    fn raise(&mut self, cx: &mut Context<'_>, ev: &IdentityEvent, why: Why<'_>) {
        if self.reported.first(ev) {
            raise(cx, ev, why);
        }
    }
}

/// A person's or service's domain account: not a machine account nor a built-in principal.
fn is_user(a: &Account) -> bool {
    !a.is_machine() && !a.is_builtin_service()
}

fn raise(cx: &mut Context<'_>, ev: &IdentityEvent, why: Why<'_>) {
    let EventKind::ProcessCreated {
        image,
        command_line,
        ..
    } = &ev.kind
    else {
        return;
    };
    let host = ev.observer.clone().unwrap_or_else(|| "a host".into());
    let cmd = command_line.as_deref().unwrap_or(image);
    let (actor, source, how) = match &why {
        Why::Session(s) => (
            ev.actor.clone().or_else(|| s.account.clone()),
            s.source.clone(),
            format!(
                "in a network logon session opened {}{}",
                s.source
                    .as_ref()
                    .map_or("remotely".to_string(), |h| format!("from {h}")),
                s.auth_package
                    .as_deref()
                    .map(|p| format!(" with {p}"))
                    .unwrap_or_default()
            ),
        ),
        Why::OneLiner(w) => (
            ev.actor.clone().filter(is_user),
            None,
            format!("with a remote-execution command line ({w})"),
        ),
        Why::Legacy(a, src, _) => (
            Some((*a).clone()),
            src.cloned(),
            format!(
                "seconds after {a} logged on over the network{} (the record predates Windows 10 \
                 and names no account for the new process; the caller is inferred from that \
                 logon)",
                src.map(|h| format!(" from {h}")).unwrap_or_default()
            ),
        ),
    };
    let strong = is_shell_or_script_host(image) || matches!(why, Why::OneLiner(_));
    let mut severity = if strong {
        Severity::High
    } else {
        Severity::Medium
    };
    let actor_sensitive = actor
        .as_ref()
        .is_some_and(|a| cx.entities.is_sensitive_account(a));
    if actor_sensitive || cx.entities.observer_is_dc(ev) {
        severity = severity.raised();
    }
    let who = actor
        .as_ref()
        .map_or("A remote caller".to_string(), |a| a.to_string());
    let mut alert = Alert::new(AlertKind::RemoteExecWmi, severity, ev)
        .title(format!("Remote execution through WMI on {host}"))
        .target(host.clone())
        .description(format!(
            "{who} ran `{}` on {host} through WMI: the WMI provider host (WmiPrvSE.exe) \
             created it {how}. Impacket wmiexec, `wmic /node:` and Invoke-WmiMethod run \
             commands on other machines this way.",
            clipped(cmd)
        ))
        .remediation(REMEDIATION);
    match &why {
        Why::Session(s) => alert.add_evidence_ref(&s.evidence, s.time),
        Why::Legacy(_, _, e) => alert.add_evidence_ref(e, ev.time),
        Why::OneLiner(_) => {}
    }
    if let Some(a) = &actor {
        alert = alert.actor(a, actor_sensitive);
    }
    if let Some(src) = &source {
        alert = alert.source(src);
    }
    if let Some(obs) = &ev.observer {
        alert = alert.observer(obs, cx.entities.observer_is_dc(ev));
    }
    let key = format!(
        "{}|{}",
        host.to_ascii_lowercase(),
        actor.as_ref().map(|a| a.key()).unwrap_or_default()
    );
    cx.emit(&key, alert);
}

/// `wmic /node:<other machine> … process call create`, seen where it was typed.
fn source_side_wmic(ev: &IdentityEvent, cx: &mut Context<'_>, reported: &mut ReportedProcesses) {
    let EventKind::ProcessCreated {
        image,
        command_line: Some(cmd),
        ..
    } = &ev.kind
    else {
        return;
    };
    if exe_name(image) != "wmic.exe" {
        return;
    }
    let lower = cmd.to_ascii_lowercase();
    if !(lower.contains("process") && lower.contains("call") && lower.contains("create")) {
        return;
    }
    let Some(node) = node_argument(&lower) else {
        return;
    };
    let remote: Vec<&str> = node
        .split(',')
        .map(|n| n.trim().trim_matches(['"', '\'']))
        .filter(|n| names_other_machine(n, ev))
        .collect();
    if remote.is_empty() || !reported.first(ev) {
        return;
    }
    let host = ev.observer.clone().unwrap_or_else(|| "a host".into());
    let mut alert = Alert::new(AlertKind::RemoteExecWmi, Severity::High, ev)
        .title(format!(
            "WMI process creation on {} launched from {host}",
            remote.join(", ")
        ))
        .description(format!(
            "{} ran `{}` on {host}: WMIC asked {} to create a process through WMI \
             (Win32_Process.Create), the remote-execution use of WMI.",
            ev.actor
                .as_ref()
                .map_or("An account".to_string(), |a| a.to_string()),
            clipped(cmd),
            remote.join(", ")
        ))
        .remediation(REMEDIATION);
    for r in &remote {
        alert = alert.target(r.to_string());
    }
    if let Some(a) = &ev.actor {
        alert = alert.actor(a, cx.entities.is_sensitive_account(a));
    }
    alert = alert.source(&Host::named(&host));
    cx.emit(
        &format!("src|{}|{}", host.to_ascii_lowercase(), remote.join(",")),
        alert,
    );
}

/// The value of wmic's `/node:` switch (`/node:ws02`, `/node:"ws02","ws03"`).
fn node_argument(lower_cmd: &str) -> Option<&str> {
    let start = lower_cmd.find("/node:")? + "/node:".len();
    let rest = &lower_cmd[start..];
    let end = if rest.starts_with('"') {
        // A quoted list runs to the first space after a closing quote.
        rest.match_indices('"')
            .skip(1)
            .map(|(i, _)| i + 1)
            .find(|&i| rest[i..].starts_with(' ') || i == rest.len())
            .unwrap_or(rest.len())
    } else {
        rest.find(' ').unwrap_or(rest.len())
    };
    let node = &rest[..end];
    (!node.is_empty()).then_some(node)
}

const REMEDIATION: &str = "Confirm with the account's owner whether this was planned \
    administration. If not, isolate the target and the machine the call came from, reset the \
    credentials used, review what else the account ran on other machines, and restrict remote \
    WMI (DCOM on TCP 135 and dynamic RPC ports) to administration workstations.";

#[cfg(test)]
mod tests {
    use super::*;
    use crate::testutil::*;

    fn on(host: &str, e: IdentityEvent) -> IdentityEvent {
        observed_by(e, host)
    }

    fn logon(secs: i64, id: &str, user: &str, src: &str) -> IdentityEvent {
        on(
            "WS02.corp.local",
            with(
                ev(
                    secs,
                    4624,
                    EventKind::Logon {
                        logon_type: 3,
                        auth_package: Some("NTLM".into()),
                        logon_process: Some("NtLmSsp".into()),
                        logon_id: Some(id.into()),
                        elevated: Some(true),
                    },
                ),
                Some(acct(user)),
                Some(ip(src)),
                None,
            ),
        )
    }

    fn proc(
        secs: i64,
        user: Option<Account>,
        parent: Option<&str>,
        image: &str,
        cmd: &str,
        session: Option<&str>,
    ) -> IdentityEvent {
        on(
            "WS02.corp.local",
            with(
                ev(
                    secs,
                    4688,
                    EventKind::ProcessCreated {
                        image: image.into(),
                        command_line: Some(cmd.into()),
                        parent_image: parent.map(str::to_string),
                        process_id: None,
                        parent_process_id: None,
                        logon_id: session.map(str::to_string),
                    },
                ),
                user,
                None,
                None,
            ),
        )
    }

    const WMIPRVSE: &str = "C:\\Windows\\System32\\wbem\\WmiPrvSE.exe";

    #[test]
    fn wmi_child_in_a_remote_network_session_alerts() {
        let events = [
            logon(0, "0x4da32af", "admmig", "10.23.123.11"),
            proc(
                1,
                Some(acct("admmig")),
                Some(WMIPRVSE),
                "C:\\Windows\\System32\\cmd.exe",
                "cmd.exe /c C:\\Windows\\Microsoft.NET\\Framework64\\v4.0.30319\\MSBuild.exe x.xml",
                Some("0x4da32af"),
            ),
        ];
        let alerts = run(Box::<RemoteExecWmi>::default(), &events);
        assert_eq!(alerts.len(), 1);
        assert_eq!(alerts[0].kind, AlertKind::RemoteExecWmi);
        assert_eq!(alerts[0].severity, Severity::High);
        assert_eq!(alerts[0].source_host.as_deref(), Some("10.23.123.11"));
        assert_eq!(
            alerts[0].evidence.len(),
            2,
            "the process and its session's logon"
        );
        // The logon arriving after the process (out-of-order input) gives the same alert.
        let reversed = [events[1].clone(), events[0].clone()];
        assert_eq!(run(Box::<RemoteExecWmi>::default(), &reversed).len(), 1);
    }

    #[test]
    fn wmiexec_one_liner_alerts_without_a_logon() {
        let e = proc(
            0,
            Some(acct("ieuser")),
            Some(WMIPRVSE),
            "C:\\Windows\\System32\\cmd.exe",
            "cmd.exe /Q /c whoami /all 1> \\\\127.0.0.1\\ADMIN$\\__1556656369.7 2>&1",
            None,
        );
        assert_eq!(run(Box::<RemoteExecWmi>::default(), &[e]).len(), 1);
    }

    #[test]
    fn legacy_records_are_tied_by_process_id_and_a_fresh_logon() {
        let mut wmiprvse = proc(1, Some(acct("WS02$")), None, WMIPRVSE, "", None);
        let mut calc = proc(
            2,
            Some(acct_sid("WS02$", "S-1-5-20")),
            None,
            "C:\\Windows\\System32\\calc.exe",
            "",
            Some("0x3e4"),
        );
        if let EventKind::ProcessCreated { process_id, .. } = &mut wmiprvse.kind {
            *process_id = Some(0xae8);
        }
        if let EventKind::ProcessCreated {
            parent_process_id,
            command_line,
            ..
        } = &mut calc.kind
        {
            *parent_process_id = Some(0xae8);
            *command_line = None;
        }
        let events = [
            logon(0, "0x10fc09", "Administrator", "10.0.2.17"),
            wmiprvse,
            calc,
        ];
        let alerts = run(Box::<RemoteExecWmi>::default(), &events);
        assert_eq!(alerts.len(), 1);
        assert_eq!(alerts[0].actor.as_deref(), Some("CORP\\Administrator"));
        assert_eq!(
            alerts[0].severity,
            Severity::High,
            "administrator is sensitive"
        );
    }

    #[test]
    fn local_and_service_wmi_children_are_benign() {
        let events = [
            // A user's own interactive session (no network logon): local `wmic process call`.
            proc(
                0,
                Some(acct("alice")),
                Some(WMIPRVSE),
                "C:\\Windows\\System32\\notepad.exe",
                "notepad.exe",
                Some("0x2b78cd"),
            ),
            // WMI's own helpers and providers running as services.
            proc(
                1,
                Some(acct_sid("SYSTEM", "S-1-5-18")),
                Some(WMIPRVSE),
                "C:\\Windows\\System32\\WerFault.exe",
                "WerFault.exe -u -p 1234",
                Some("0x3e7"),
            ),
            proc(
                2,
                Some(acct_sid("NETWORK SERVICE", "S-1-5-20")),
                Some(WMIPRVSE),
                "C:\\Windows\\System32\\wbem\\wmiadap.exe",
                "wmiadap.exe /F /T /R",
                Some("0x3e4"),
            ),
            // A loopback network session (the machine querying itself).
            logon(3, "0x99", "bob", "127.0.0.1"),
            proc(
                4,
                Some(acct("bob")),
                Some(WMIPRVSE),
                "C:\\Windows\\System32\\hostname.exe",
                "hostname.exe",
                Some("0x99"),
            ),
            // Not a WMI child at all.
            proc(
                5,
                Some(acct("alice")),
                Some("C:\\Windows\\explorer.exe"),
                "C:\\Windows\\System32\\cmd.exe",
                "cmd.exe",
                Some("0x2b78cd"),
            ),
        ];
        assert!(run(Box::<RemoteExecWmi>::default(), &events).is_empty());
    }

    #[test]
    fn wmic_against_another_machine_alerts_on_the_source() {
        let explicit = on(
            "PC01.example.corp",
            with(
                ev(
                    0,
                    4648,
                    EventKind::ExplicitCredentials {
                        target_server: Some("WIN-77LTAPHIQ1R.example.corp".into()),
                        process: Some("C:\\Windows\\System32\\wbem\\WMIC.exe".into()),
                    },
                ),
                Some(acct("user01")),
                None,
                Some(acct("administrator")),
            ),
        );
        let mut typed = proc(
            1,
            Some(acct("user01")),
            Some("C:\\Windows\\System32\\cmd.exe"),
            "C:\\Windows\\System32\\wbem\\WMIC.exe",
            "wmic /node:\"ws03\",\"ws04\" /user:admin process call create \"cmd.exe /c x\"",
            None,
        );
        typed = on("PC01.example.corp", typed);
        let alerts = run(Box::<RemoteExecWmi>::default(), &[explicit, typed]);
        assert_eq!(alerts.len(), 2);
        // Local targets do not count.
        let local = proc(
            0,
            Some(acct("user01")),
            None,
            "C:\\Windows\\System32\\wbem\\WMIC.exe",
            "wmic /node:localhost process call create notepad",
            None,
        );
        let services = on(
            "PC01.example.corp",
            with(
                ev(
                    0,
                    4648,
                    EventKind::ExplicitCredentials {
                        target_server: Some("localhost".into()),
                        process: Some("C:\\Windows\\System32\\services.exe".into()),
                    },
                ),
                Some(acct("PC01$")),
                None,
                Some(acct("svc")),
            ),
        );
        assert!(run(Box::<RemoteExecWmi>::default(), &[local, services]).is_empty());
        assert_eq!(node_argument("wmic /node:ws03 process"), Some("ws03"));
        assert_eq!(
            node_argument("wmic /node:\"a\",\"b\" process"),
            Some("\"a\",\"b\"")
        );
    }

    fn wbem(secs: i64, client: &str, opnum: u16) -> IdentityEvent {
        wire(
            secs,
            "10.0.0.20",
            client,
            EventKind::RpcCall {
                interface: "iwbemservices".into(),
                opnum,
                operation: None,
                pipe: None,
                sealed: true,
                object: None,
            },
        )
    }

    #[test]
    fn captured_remote_exec_method_alerts_once() {
        let alerts = run(
            Box::<RemoteExecWmi>::default(),
            &[
                wbem(0, "10.0.0.50", 6),
                wbem(1, "10.0.0.50", 24),
                wbem(2, "10.0.0.50", 24),
            ],
        );
        assert_eq!(alerts.len(), 1, "{alerts:?}");
        assert_eq!(alerts[0].count, 2);
    }

    #[test]
    fn captured_wmi_queries_are_benign() {
        let alerts = run(
            Box::<RemoteExecWmi>::default(),
            &[
                wbem(0, "10.0.0.50", 20),
                wbem(1, "10.0.0.50", 18),
                wbem(2, "10.0.0.20", 24),
            ],
        );
        assert!(alerts.is_empty(), "{alerts:?}");
    }
}
