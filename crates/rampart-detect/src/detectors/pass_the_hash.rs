//! Pass-the-hash (ATT&CK T1550.002): authenticating with a stolen NTLM hash instead of the
//! password.
//!
//! Evidence:
//! - on the machine the hash is used from, a logon with new credentials (4624 logon type 9,
//!   logon process `seclogo`): mimikatz `sekurlsa::pth` starts a process whose outbound
//!   credentials are the stolen hash this way. Corroborated (high severity) when a process
//!   other than LSASS opened LSASS with memory-write access within a minute (Sysmon 10 with
//!   `PROCESS_VM_WRITE`): `sekurlsa::pth` writes the hash into the new logon session. `runas
//!   /netonly` writes the same 4624; a new-credentials logon that follows a `runas.exe` start by
//!   the same account does not alert, and an uncorroborated one is medium;
//! - a process running in a network logon session (tied by logon id) that the machine opened
//!   for itself over NTLM (4624 type 3 from a loopback address or its own name), started by a
//!   program that is not a service or remote-management host: a hash used against the machine
//!   itself to obtain a token for another account (Invoke-TheHash style impersonation);
//! - the command line of the tools (`sekurlsa::pth`, Invoke-TheHash's `Invoke-SMBExec` /
//!   `Invoke-WMIExec` / `Invoke-SMBClient` with `-Hash`).
//!
//! The same `sekurlsa::pth` also serves overpass-the-hash: whether the injected key is then used
//! for NTLM or Kerberos is not in these events, so this detector names the injection;
//! [`super::overpass_the_hash`] names the Kerberos side when the KDC's records show it.
//! NTLM network logons on the target are not evidence by themselves (they are how every
//! non-Kerberos client authenticates), and are not alerted on.

use super::{clipped, exe_name};
use crate::engine::{Context, Detector};
use crate::sessions::{host_key, logon_id, NetworkSession, NetworkSessions, ReportedProcesses};
use crate::state::KeyedWindows;
use chrono::Duration;
use rampart_core::{Account, Alert, AlertKind, EventKind, Evidence, IdentityEvent, Severity};

/// PROCESS_VM_WRITE: the right to write another process's memory.
const PROCESS_VM_WRITE: u32 = 0x20;

/// How close an LSASS write and a new-credentials logon must be.
const INJECTION_SECS: i64 = 60;

/// Parents that legitimately run processes in a network session the machine opened to itself
/// (services, scheduled and remote-management hosts, web servers with Windows authentication).
const SESSION_HOSTS: &[&str] = &[
    "services.exe",
    "svchost.exe",
    "wmiprvse.exe",
    "wsmprovhost.exe",
    "winrshost.exe",
    "w3wp.exe",
    "taskhostw.exe",
    "taskeng.exe",
];

pub struct PassTheHash {
    sessions: NetworkSessions,
    reported: ReportedProcesses,
    /// `runas.exe` starts, by machine: the account that ran it.
    runas: KeyedWindows<String, Option<Account>>,
    /// LSASS opened for writing by another process, by machine: (process, evidence).
    lsass_writes: KeyedWindows<String, (String, Evidence)>,
    /// New-credentials logons, by machine, for an LSASS write recorded after them.
    new_credentials: KeyedWindows<String, IdentityEvent>,
    /// Processes waiting for the 4624 of their session, by (machine, logon id).
    pending: KeyedWindows<(String, u64), IdentityEvent>,
}

impl Default for PassTheHash {
    fn default() -> Self {
        PassTheHash {
            sessions: NetworkSessions::new(50_000),
            reported: ReportedProcesses::new(10_000),
            runas: KeyedWindows::new(Duration::seconds(60), 5_000, 8),
            lsass_writes: KeyedWindows::new(Duration::seconds(2 * INJECTION_SECS), 5_000, 8),
            new_credentials: KeyedWindows::new(Duration::seconds(2 * INJECTION_SECS), 5_000, 8),
            pending: KeyedWindows::new(Duration::minutes(10), 5_000, 8),
        }
    }
}

impl Detector for PassTheHash {
    fn name(&self) -> &'static str {
        "pass_the_hash"
    }

    fn uses_process_images(&self) -> bool {
        true
    }

    fn kinds(&self) -> &'static [AlertKind] {
        &[AlertKind::PassTheHash]
    }

    fn on_event(&mut self, ev: &IdentityEvent, cx: &mut Context<'_>) {
        if !matches!(
            ev.kind,
            EventKind::Logon { .. }
                | EventKind::ProcessAccess { .. }
                | EventKind::ProcessCreated { .. }
        ) {
            return;
        }
        let Some(host) = host_key(ev) else { return };
        match &ev.kind {
            EventKind::Logon {
                logon_type: 9,
                logon_process: Some(process),
                ..
            } if process.trim().eq_ignore_ascii_case("seclogo") && !ev.outcome.is_failure() => {
                let after_runas = self.runas.get(&host).is_some_and(|items| {
                    items.iter().any(|(t, a)| {
                        *t <= ev.time
                            && ev.time - *t <= Duration::seconds(60)
                            && match (a, &ev.actor) {
                                (Some(a), Some(b)) => a.same_as(b),
                                _ => true,
                            }
                    })
                });
                if after_runas {
                    return;
                }
                self.new_credentials.push(host.clone(), ev.time, ev.clone());
                let write = self.lsass_write_near(&host, ev);
                raise_new_credentials(cx, ev, write.as_ref());
            }
            EventKind::Logon { .. } => {
                let Some(key) = self.sessions.observe(ev) else {
                    return;
                };
                let waiting: Vec<IdentityEvent> = self.pending.take(&key);
                for p in &waiting {
                    self.judge_process(p, cx);
                }
            }
            EventKind::ProcessAccess {
                source_image,
                target_image,
                access: Some(access),
            } if exe_name(target_image) == "lsass.exe"
                && exe_name(source_image) != "lsass.exe"
                && rampart_core::wellknown::parse_number(access)
                    .is_some_and(|a| a & PROCESS_VM_WRITE != 0) =>
            {
                self.lsass_writes.push(
                    host.clone(),
                    ev.time,
                    (source_image.clone(), ev.evidence.clone()),
                );
                let logons: Vec<IdentityEvent> = self
                    .new_credentials
                    .get(&host)
                    .map(|items| {
                        items
                            .iter()
                            .filter(|(t, _)| {
                                (*t - ev.time).abs() <= Duration::seconds(INJECTION_SECS)
                            })
                            .map(|(_, e)| e.clone())
                            .collect()
                    })
                    .unwrap_or_default();
                for logon in &logons {
                    raise_new_credentials(
                        cx,
                        logon,
                        Some(&(source_image.clone(), ev.evidence.clone())),
                    );
                }
            }
            EventKind::ProcessCreated {
                image,
                command_line,
                ..
            } => {
                if exe_name(image) == "runas.exe" {
                    self.runas.push(host.clone(), ev.time, ev.actor.clone());
                }
                if let Some(cmd) = command_line {
                    if let Some(tool) = pth_tool(cmd) {
                        if self.reported.first(ev) {
                            raise_tool(cx, ev, cmd, tool);
                        }
                        return;
                    }
                }
                self.judge_process(ev, cx);
            }
            _ => {}
        }
    }
}

impl PassTheHash {
    fn lsass_write_near(&self, host: &str, ev: &IdentityEvent) -> Option<(String, Evidence)> {
        self.lsass_writes.get(&host.to_string()).and_then(|items| {
            items
                .iter()
                .find(|(t, _)| (*t - ev.time).abs() <= Duration::seconds(INJECTION_SECS))
                .map(|(_, w)| w.clone())
        })
    }

    /// A process in a network session the machine opened to itself over NTLM.
    fn judge_process(&mut self, ev: &IdentityEvent, cx: &mut Context<'_>) {
        let EventKind::ProcessCreated {
            logon_id: Some(raw),
            ..
        } = &ev.kind
        else {
            return;
        };
        let Some(host) = host_key(ev) else { return };
        let Some(actor) = ev.actor.as_ref() else {
            return;
        };
        if actor.is_machine() || actor.is_builtin_service() {
            return;
        }
        let parent = cx
            .processes
            .parent_image(ev)
            .map(|p| exe_name(&p).into_owned());
        if parent.as_deref().is_none_or(|p| SESSION_HOSTS.contains(&p)) {
            return;
        }
        match self.sessions.get(&host, raw, ev.time) {
            Some(session) => {
                if session.is_ntlm() && session.from_itself(&host) && self.reported.first(ev) {
                    let session = session.clone();
                    raise_loopback(cx, ev, parent.as_deref().unwrap_or("?"), &session);
                }
            }
            None => {
                if let Some(id) = logon_id(raw) {
                    self.pending.push((host, id), ev.time, ev.clone());
                }
            }
        }
    }
}

/// The pass-the-hash tool a command line runs, if it is one.
fn pth_tool(cmd: &str) -> Option<&'static str> {
    let c = cmd.to_ascii_lowercase();
    if c.contains("sekurlsa::pth") {
        return Some("mimikatz sekurlsa::pth");
    }
    let hash_arg = c.contains("-hash ") || c.contains("-hash:");
    if hash_arg
        && [
            "invoke-smbexec",
            "invoke-wmiexec",
            "invoke-smbclient",
            "invoke-thehash",
        ]
        .iter()
        .any(|t| c.contains(t))
    {
        return Some("Invoke-TheHash");
    }
    None
}

fn finish(cx: &mut Context<'_>, ev: &IdentityEvent, mut alert: Alert, actor: Option<&Account>) {
    let host = ev.observer.clone().unwrap_or_default();
    let actor_sensitive = actor.is_some_and(|a| cx.entities.is_sensitive_account(a));
    if let Some(a) = actor {
        alert = alert.actor(a, actor_sensitive);
    }
    if let Some(t) = ev
        .target
        .as_ref()
        .filter(|t| actor.is_none_or(|a| !a.same_as(t)))
    {
        alert = alert.target_account(t, cx.entities.is_sensitive_account(t));
    }
    if let Some(obs) = &ev.observer {
        alert = alert.observer(obs, cx.entities.observer_is_dc(ev));
    }
    let key = format!(
        "{}|{}",
        host.to_ascii_lowercase(),
        actor.map(|a| a.key()).unwrap_or_default()
    );
    cx.emit_summary(&key, alert);
}

fn raise_new_credentials(
    cx: &mut Context<'_>,
    ev: &IdentityEvent,
    lsass_write: Option<&(String, Evidence)>,
) {
    let host = ev.observer.clone().unwrap_or_else(|| "a host".into());
    let actor = ev.actor.as_ref();
    let outbound = ev
        .target
        .as_ref()
        .filter(|t| actor.is_none_or(|a| !a.same_as(t)));
    let severity = if lsass_write.is_some() {
        Severity::High
    } else {
        Severity::Medium
    };
    let injected = match lsass_write {
        Some((process, _)) => format!(
            " Within a minute {process} opened LSASS with memory-write access, which is how \
             sekurlsa::pth plants the hash in the new session."
        ),
        None => " No runas.exe start by the account was seen before it (runas /netonly writes \
                 the same record)."
            .to_string(),
    };
    let mut alert = Alert::new(AlertKind::PassTheHash, severity, ev)
        .title(format!("Pass-the-hash: new-credentials logon on {host}"))
        .target(host.clone())
        .description(format!(
            "{} started a process on {host} with new outbound credentials{} (4624 logon type 9, \
             logon process seclogo): the record mimikatz sekurlsa::pth leaves when it starts a \
             process that authenticates to other machines with a stolen NTLM hash or Kerberos \
             key.{injected}",
            actor.map_or("An account".to_string(), |a| a.to_string()),
            outbound.map(|o| format!(" of {o}")).unwrap_or_default(),
        ))
        .remediation(REMEDIATION);
    if let Some((_, e)) = lsass_write {
        alert.add_evidence_ref(e, ev.time);
    }
    finish(cx, ev, alert, actor);
}

fn raise_loopback(cx: &mut Context<'_>, ev: &IdentityEvent, parent: &str, s: &NetworkSession) {
    let EventKind::ProcessCreated {
        image,
        command_line,
        ..
    } = &ev.kind
    else {
        return;
    };
    let host = ev.observer.clone().unwrap_or_else(|| "a host".into());
    let actor = ev.actor.as_ref();
    let mut alert = Alert::new(AlertKind::PassTheHash, Severity::High, ev)
        .title(format!(
            "Pass-the-hash: process on a self-authenticated NTLM token on {host}"
        ))
        .target(host.clone())
        .description(format!(
            "{parent} started `{}` on {host} as {}, in a network logon session that {host} \
             opened to itself with NTLM{}. A token obtained by authenticating to the machine \
             itself is how a stolen hash is turned into a process of another account \
             (Invoke-TheHash style impersonation); services and remote-management hosts, which \
             do this legitimately, are not its parent.",
            clipped(command_line.as_deref().unwrap_or(image)),
            actor.map_or("another account".to_string(), |a| a.to_string()),
            s.source
                .as_ref()
                .map(|h| format!(" (from {h})"))
                .unwrap_or_default()
        ))
        .remediation(REMEDIATION);
    alert.add_evidence_ref(&s.evidence, s.time);
    finish(cx, ev, alert, actor);
}

fn raise_tool(cx: &mut Context<'_>, ev: &IdentityEvent, cmd: &str, tool: &str) {
    let host = ev.observer.clone().unwrap_or_else(|| "a host".into());
    let actor = ev.actor.as_ref().filter(|a| !a.is_builtin_service());
    let alert = Alert::new(AlertKind::PassTheHash, Severity::High, ev)
        .title(format!("Pass-the-hash tool run on {host}"))
        .target(host.clone())
        .description(format!(
            "{} ran `{}` on {host}: the command line of {tool}, which authenticates to other \
             machines with a stolen NTLM hash.",
            actor.map_or("An account".to_string(), |a| a.to_string()),
            clipped(cmd)
        ))
        .remediation(REMEDIATION);
    finish(cx, ev, alert, actor);
}

const REMEDIATION: &str = "Treat the machine as compromised: isolate it, find how the hash was \
    obtained (LSASS access, SAM or NTDS dumps), and reset the password of the account whose hash \
    was used (twice for a privileged account). Look for logons of that account from this \
    machine to others. Reduce exposure with Credential Guard, LAPS for local administrators, \
    and the Protected Users group for privileged accounts.";

#[cfg(test)]
mod tests {
    use super::*;
    use crate::testutil::*;

    const HOST: &str = "PC01.example.corp";

    fn new_credentials(secs: i64, user: &str, outbound: Option<&str>) -> IdentityEvent {
        observed_by(
            with(
                ev(
                    secs,
                    4624,
                    EventKind::Logon {
                        logon_type: 9,
                        auth_package: Some("Negotiate".into()),
                        logon_process: Some("seclogo".into()),
                        logon_id: Some("0x4530f0f".into()),
                        elevated: Some(true),
                    },
                ),
                Some(acct(user)),
                Some(ip("::1")),
                outbound.map(acct),
            ),
            HOST,
        )
    }

    fn proc(
        secs: i64,
        user: &str,
        parent: &str,
        image: &str,
        cmd: &str,
        session: &str,
    ) -> IdentityEvent {
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
                        logon_id: Some(session.into()),
                    },
                ),
                Some(acct(user)),
                None,
                None,
            ),
            HOST,
        )
    }

    fn lsass_write(secs: i64, access: &str) -> IdentityEvent {
        observed_by(
            ev(
                secs,
                10,
                EventKind::ProcessAccess {
                    source_image: "C:\\Windows\\System32\\WindowsPowerShell\\v1.0\\powershell.exe"
                        .into(),
                    target_image: "C:\\Windows\\system32\\lsass.exe".into(),
                    access: Some(access.into()),
                },
            ),
            HOST,
        )
    }

    #[test]
    fn new_credentials_logon_alerts_and_an_lsass_write_confirms_it() {
        let alerts = run(
            Box::<PassTheHash>::default(),
            &[new_credentials(0, "user01", None)],
        );
        assert_eq!(alerts.len(), 1);
        assert_eq!(alerts[0].severity, Severity::Medium);
        // The write recorded after the logon raises the same alert.
        let alerts = run(
            Box::<PassTheHash>::default(),
            &[
                new_credentials(0, "pgustavo", Some("Mmidge")),
                lsass_write(1, "0x1038"),
            ],
        );
        assert_eq!(alerts.len(), 1);
        assert_eq!(alerts[0].severity, Severity::High);
        assert_eq!(
            alerts[0].targets.last().map(String::as_str),
            Some("CORP\\Mmidge")
        );
    }

    #[test]
    fn runas_netonly_and_read_only_lsass_access_are_benign() {
        let runas = proc(
            0,
            "alice",
            "C:\\Windows\\System32\\cmd.exe",
            "C:\\Windows\\System32\\runas.exe",
            "runas /netonly /user:OTHER\\admin mmc.exe",
            "0x1234",
        );
        let events = [
            runas,
            new_credentials(2, "alice", Some("admin")),
            lsass_write(3, "0x1010"),
        ];
        assert!(run(Box::<PassTheHash>::default(), &events).is_empty());
        // Other logon types from seclogon (runas without /netonly) are type 2.
        let mut interactive = new_credentials(0, "bob", None);
        if let EventKind::Logon { logon_type, .. } = &mut interactive.kind {
            *logon_type = 2;
        }
        assert!(run(Box::<PassTheHash>::default(), &[interactive]).is_empty());
    }

    fn network_logon(secs: i64, id: &str, src: &str, pkg: &str) -> IdentityEvent {
        observed_by(
            with(
                ev(
                    secs,
                    4624,
                    EventKind::Logon {
                        logon_type: 3,
                        auth_package: Some(pkg.into()),
                        logon_process: None,
                        logon_id: Some(id.into()),
                        elevated: None,
                    },
                ),
                Some(acct("user03")),
                Some(ip(src)),
                None,
            ),
            HOST,
        )
    }

    #[test]
    fn process_on_a_loopback_ntlm_token_alerts() {
        let shell = proc(
            1,
            "user03",
            "C:\\Windows\\System32\\WindowsPowerShell\\v1.0\\powershell.exe",
            "C:\\Windows\\System32\\cmd.exe",
            "cmd.exe",
            "0x770575",
        );
        let alerts = run(
            Box::<PassTheHash>::default(),
            &[
                network_logon(0, "0x770575", "127.0.0.1", "NTLM"),
                shell.clone(),
            ],
        );
        assert_eq!(alerts.len(), 1);
        assert_eq!(alerts[0].severity, Severity::High);
        // From another machine, over Kerberos, or under a service host: not this.
        let remote = [
            network_logon(0, "0x770575", "10.0.0.9", "NTLM"),
            shell.clone(),
        ];
        assert!(run(Box::<PassTheHash>::default(), &remote).is_empty());
        let kerberos = [network_logon(0, "0x770575", "127.0.0.1", "Kerberos"), shell];
        assert!(run(Box::<PassTheHash>::default(), &kerberos).is_empty());
        let remoting = proc(
            1,
            "user03",
            "C:\\Windows\\System32\\wsmprovhost.exe",
            "C:\\Windows\\System32\\cmd.exe",
            "cmd.exe",
            "0x770575",
        );
        let local_remoting = [network_logon(0, "0x770575", "127.0.0.1", "NTLM"), remoting];
        assert!(run(Box::<PassTheHash>::default(), &local_remoting).is_empty());
    }

    #[test]
    fn tool_command_lines_alert() {
        let mimikatz = proc(
            0,
            "pgustavo",
            "C:\\Windows\\System32\\cmd.exe",
            "C:\\Users\\x\\m.exe",
            "m.exe \"sekurlsa::pth /user:Mmidge /domain:shire.com /ntlm:6ed5833cf35286ebf8662b7b5949f0d742\"",
            "0x1",
        );
        assert_eq!(run(Box::<PassTheHash>::default(), &[mimikatz]).len(), 1);
        assert!(
            pth_tool("Invoke-SMBExec -Target 10.0.0.5 -Username admin -Hash F6F38B7931").is_some()
        );
        assert!(pth_tool("Get-FileHash -Algorithm SHA256 x.zip").is_none());
    }
}
