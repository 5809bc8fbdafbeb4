//! Remote scheduled task (ATT&CK T1053.005): a task registered or changed on a machine from
//! another one, to run a command there — impacket `atexec`, `schtasks /create /S <host>`,
//! `at \\host`, Empire/Covenant task lateral movement. The caller talks to the Task Scheduler
//! over RPC (the `atsvc` pipe, or ITaskSchedulerService), so on the target the change is made in
//! the network logon session the caller's authentication opened.
//!
//! Evidence, on the target:
//! - a task registered or updated (4698, 4702) in a *network* logon session (4624 type 3 tied
//!   by `SubjectLogonId`) of a user account from another machine;
//! - a task registered or updated by an account that opened the legacy AT service pipe
//!   (`IPC$\atsvc`, 5145) from another machine within two minutes: the interface `atexec` and
//!   `at.exe` use;
//! - a one-shot execution task: registered and deleted again within a minute (4698 then 4699),
//!   running a command shell whose output is redirected to a file, or a remote-execution
//!   one-liner — the `atexec` pattern of running a command and collecting its output later.
//!   This one names no remote origin and is medium severity.
//!
//! Evidence, on the source: `schtasks.exe /create|/change … /s <other machine>` or
//! `at.exe \\<other machine>`.
//!
//! Not alerted on: tasks registered locally (interactive, service and SYSTEM sessions:
//! installers, updaters, Group Policy immediate tasks) and tasks registered by computer
//! accounts (management servers). Registering a task on another machine is also legitimate
//! administration, so a network-session registration whose action is not a shell one-liner is
//! medium severity; the legacy AT service pipe and shell one-liners are high.
//!
//! On the wire: task scheduler calls from another host ([`EventKind::RpcCall`]):
//! `ITaskSchedulerService` `SchRpcRegisterTask` (1), `SchRpcRun` (12), `SchRpcEnableTask` (19),
//! and the legacy `atsvc` `NetrJobAdd` (0). Reading tasks (`SchRpcRetrieveTask`, enumeration)
//! does not alert; calls from one host to one server join one alert.

use super::remote_exec_service::suspicious_command;
use super::{clipped, exe_name, is_shell_or_script_host, names_other_machine};
use crate::engine::{Context, Detector};
use crate::sessions::{host_key, logon_id, NetworkSession, NetworkSessions, ReportedProcesses};
use crate::state::{KeyedWindows, RecentSet};
use chrono::Duration;
use rampart_core::TaskAction;
use rampart_core::{Account, Alert, AlertKind, EventKind, Evidence, Host, IdentityEvent, Severity};

/// How close the atsvc pipe access and the task change must be.
const ATSVC_SECS: i64 = 120;
/// A task deleted within this long of its registration was a one-shot execution vehicle.
const ONE_SHOT_SECS: i64 = 60;

pub struct SchedTaskRemote {
    sessions: NetworkSessions,
    /// AT service pipe opened from another machine, by machine: (account, source, evidence).
    atsvc: KeyedWindows<String, (Option<Account>, Option<Host>, Evidence)>,
    /// Task changes waiting for the 4624 of their session, by (machine, logon id).
    pending: KeyedWindows<(String, u64), IdentityEvent>,
    /// Recent task changes by users, by machine, for a pipe access recorded after them.
    recent: KeyedWindows<String, IdentityEvent>,
    /// Registered tasks, by (machine, task name), for a deletion that follows.
    registered: KeyedWindows<(String, String), IdentityEvent>,
    /// Task changes already reported (their records).
    reported_tasks: RecentSet<Evidence>,
    reported: ReportedProcesses,
}

impl Default for SchedTaskRemote {
    fn default() -> Self {
        SchedTaskRemote {
            sessions: NetworkSessions::new(50_000),
            atsvc: KeyedWindows::new(Duration::seconds(2 * ATSVC_SECS), 5_000, 16),
            pending: KeyedWindows::new(Duration::minutes(10), 5_000, 8),
            recent: KeyedWindows::new(Duration::seconds(2 * ATSVC_SECS), 5_000, 16),
            registered: KeyedWindows::new(Duration::minutes(10), 10_000, 1),
            reported_tasks: RecentSet::new(Duration::hours(1), 10_000),
            reported: ReportedProcesses::new(10_000),
        }
    }
}

/// What ties a task change to another machine.
enum Origin<'a> {
    Session(&'a NetworkSession),
    Atsvc(Option<&'a Host>, &'a Evidence),
    OneShot(&'a IdentityEvent),
}

impl Detector for SchedTaskRemote {
    fn name(&self) -> &'static str {
        "sched_task_remote"
    }

    fn kinds(&self) -> &'static [AlertKind] {
        &[AlertKind::SchedTaskRemote]
    }

    fn on_event(&mut self, ev: &IdentityEvent, cx: &mut Context<'_>) {
        match &ev.kind {
            EventKind::RpcCall {
                interface,
                opnum,
                operation,
                ..
            } => task_call(ev, cx, interface, *opnum, operation.as_deref()),
            EventKind::Logon { .. } => {
                let Some(key) = self.sessions.observe(ev) else {
                    return;
                };
                let waiting: Vec<IdentityEvent> = self.pending.take(&key);
                for task in &waiting {
                    self.judge(task, cx);
                }
            }
            EventKind::ShareAccess {
                share,
                relative_target: Some(target),
            } if share.to_ascii_lowercase().ends_with("ipc$")
                && target.trim_matches('\\').eq_ignore_ascii_case("atsvc") =>
            {
                let remote = ev.source.as_ref().is_some_and(|s| !s.is_loopback());
                let Some(host) = host_key(ev) else { return };
                if !remote {
                    return;
                }
                self.atsvc.push(
                    host.clone(),
                    ev.time,
                    (ev.actor.clone(), ev.source.clone(), ev.evidence.clone()),
                );
                // A task change may have been recorded before the pipe access.
                let recent: Vec<IdentityEvent> = self
                    .recent
                    .get(&host)
                    .map(|items| items.iter().map(|(_, e)| e.clone()).collect())
                    .unwrap_or_default();
                for task in &recent {
                    self.judge(task, cx);
                }
            }
            EventKind::ScheduledTask {
                action: TaskAction::Created | TaskAction::Updated,
                name,
                ..
            } => {
                let Some(host) = host_key(ev) else { return };
                if matches!(
                    &ev.kind,
                    EventKind::ScheduledTask {
                        action: TaskAction::Created,
                        ..
                    }
                ) {
                    self.registered.push(
                        (host.clone(), name.to_ascii_lowercase()),
                        ev.time,
                        ev.clone(),
                    );
                }
                if ev
                    .actor
                    .as_ref()
                    .is_some_and(|a| !a.is_machine() && !a.is_builtin_service())
                {
                    self.recent.push(host, ev.time, ev.clone());
                }
                self.judge(ev, cx);
            }
            EventKind::ScheduledTask {
                action: TaskAction::Deleted,
                name,
                ..
            } => {
                let Some(host) = host_key(ev) else { return };
                let key = (host, name.to_ascii_lowercase());
                let created = self
                    .registered
                    .get(&key)
                    .and_then(|items| items.back())
                    .filter(|(t, _)| {
                        *t <= ev.time && ev.time - *t <= Duration::seconds(ONE_SHOT_SECS)
                    })
                    .map(|(_, e)| e.clone());
                if let Some(created) = created {
                    let by_user = created
                        .actor
                        .as_ref()
                        .is_some_and(|a| !a.is_machine() && !a.is_builtin_service());
                    if by_user
                        && shell_action(&created).is_some()
                        && !self
                            .reported_tasks
                            .contains(&created.evidence, created.time)
                    {
                        self.reported_tasks
                            .insert(created.evidence.clone(), created.time);
                        raise(cx, &created, Origin::OneShot(ev));
                    }
                }
            }
            EventKind::ProcessCreated { .. } => self.source_side(ev, cx),
            _ => {}
        }
    }
}

impl SchedTaskRemote {
    /// Decides on a task registration or update with what is known so far.
    fn judge(&mut self, task: &IdentityEvent, cx: &mut Context<'_>) {
        let EventKind::ScheduledTask {
            logon_id: raw_id, ..
        } = &task.kind
        else {
            return;
        };
        let Some(host) = host_key(task) else { return };
        if self.is_reported(task) {
            return;
        }
        let actor = task.actor.as_ref();
        let by_user = actor.is_some_and(|a| !a.is_machine() && !a.is_builtin_service());
        if !by_user {
            return;
        }
        // The AT service pipe, opened by the same account from another machine.
        let atsvc = self.atsvc.get(&host).and_then(|items| {
            items
                .iter()
                .find(|(t, (a, _, _))| {
                    (*t - task.time).abs() <= Duration::seconds(ATSVC_SECS)
                        && match (a, actor) {
                            (Some(a), Some(b)) => a.same_as(b),
                            _ => false,
                        }
                })
                .map(|(_, (_, src, e))| (src.clone(), e.clone()))
        });
        if let Some((src, e)) = atsvc {
            raise(cx, task, Origin::Atsvc(src.as_ref(), &e));
            self.mark_reported(task);
            return;
        }
        let Some(raw) = raw_id else { return };
        match self.sessions.get(&host, raw, task.time) {
            Some(session) => {
                if session.remote_source(&host).is_some() || session.source.is_none() {
                    let session = session.clone();
                    raise(cx, task, Origin::Session(&session));
                    self.mark_reported(task);
                }
            }
            None => {
                if let Some(id) = logon_id(raw) {
                    self.pending.push((host, id), task.time, task.clone());
                }
            }
        }
    }

    fn is_reported(&self, task: &IdentityEvent) -> bool {
        self.reported_tasks.contains(&task.evidence, task.time)
    }

    fn mark_reported(&mut self, task: &IdentityEvent) {
        self.reported_tasks.insert(task.evidence.clone(), task.time);
    }

    /// `schtasks /create /s <other machine>`, `at \\<other machine>`, seen where typed.
    fn source_side(&mut self, ev: &IdentityEvent, cx: &mut Context<'_>) {
        let EventKind::ProcessCreated {
            image,
            command_line: Some(cmd),
            ..
        } = &ev.kind
        else {
            return;
        };
        let exe = exe_name(image);
        if exe != "schtasks.exe" && exe != "at.exe" {
            return;
        }
        let words: Vec<&str> = cmd.split_whitespace().collect();
        let is = |w: &str, opts: &[&str]| opts.iter().any(|o| w.eq_ignore_ascii_case(o));
        let remote = match &*exe {
            "schtasks.exe" => {
                let changes = words
                    .iter()
                    .any(|w| is(w, &["/create", "/change", "-create", "-change"]));
                let server = words
                    .windows(2)
                    .find(|w| is(w[0], &["/s", "-s"]))
                    .map(|w| w[1].trim_matches('"').to_string());
                server.filter(|s| changes && names_other_machine(s, ev))
            }
            "at.exe" => words
                .iter()
                .find(|w| w.starts_with("\\\\"))
                .map(|w| w.trim_start_matches('\\').to_string())
                .filter(|s| names_other_machine(s, ev)),
            _ => None,
        };
        let Some(server) = remote else { return };
        if !self.reported.first(ev) {
            return;
        }
        let host = ev.observer.clone().unwrap_or_else(|| "a host".into());
        let one_liner = suspicious_command(cmd).is_some();
        let severity = if one_liner {
            Severity::High
        } else {
            Severity::Medium
        };
        let mut alert = Alert::new(AlertKind::SchedTaskRemote, severity, ev)
            .title(format!("Scheduled task registered on {server} from {host}"))
            .target(server.clone())
            .description(format!(
                "{} ran `{}` on {host}, registering a scheduled task on {server} to run a \
                 command there.",
                ev.actor
                    .as_ref()
                    .map_or("An account".to_string(), |a| a.to_string()),
                clipped(cmd)
            ))
            .remediation(REMEDIATION);
        if let Some(a) = &ev.actor {
            alert = alert.actor(a, cx.entities.is_sensitive_account(a));
        }
        alert = alert.source(&Host::named(&host));
        // Keyed as the target's own record of the task is: one task, one alert.
        cx.emit(&task_key(&server, ev.actor.as_ref()), alert);
    }
}

/// The task's command and arguments when its action is a command shell or script host (or a
/// remote-execution one-liner) redirecting output to a file, with why.
fn shell_action(task: &IdentityEvent) -> Option<(String, &'static str)> {
    let EventKind::ScheduledTask {
        content: Some(xml), ..
    } = &task.kind
    else {
        return None;
    };
    let command = xml_element(xml, "Command")?;
    let args = xml_element(xml, "Arguments").unwrap_or_default();
    let line = format!("{command} {args}");
    if let Some(why) = suspicious_command(&line) {
        return Some((line, why));
    }
    if is_shell_or_script_host(&command) && args.contains('>') {
        return Some((
            line,
            "a command shell whose output is redirected to a file, to be collected later",
        ));
    }
    None
}

/// The unescaped text of the first `<name>…</name>` element of a task's XML.
fn xml_element(xml: &str, name: &str) -> Option<String> {
    let open = format!("<{name}>");
    let close = format!("</{name}>");
    let start = xml.find(&open)? + open.len();
    let end = start + xml[start..].find(&close)?;
    let text = xml[start..end]
        .replace("&gt;", ">")
        .replace("&lt;", "<")
        .replace("&quot;", "\"")
        .replace("&apos;", "'")
        .replace("&amp;", "&");
    let text = text.trim().to_string();
    (!text.is_empty()).then_some(text)
}

fn raise(cx: &mut Context<'_>, task: &IdentityEvent, origin: Origin<'_>) {
    let EventKind::ScheduledTask { action, name, .. } = &task.kind else {
        return;
    };
    let host = task.observer.clone().unwrap_or_else(|| "a host".into());
    let verb = if *action == TaskAction::Updated {
        "changed"
    } else {
        "registered"
    };
    let shell = shell_action(task);
    let (how, source, mut severity) = match &origin {
        Origin::Session(s) => (
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
            s.source.clone(),
            if shell.is_some() {
                Severity::High
            } else {
                Severity::Medium
            },
        ),
        Origin::Atsvc(src, _) => (
            format!(
                "through the AT service pipe (IPC$\\atsvc) opened{}",
                src.map(|h| format!(" from {h}")).unwrap_or_default()
            ),
            src.cloned(),
            Severity::High,
        ),
        Origin::OneShot(_) => (
            "and deleted it again within a minute (a one-shot execution task; the machine the \
             request came from is not in the logs)"
                .to_string(),
            None,
            Severity::Medium,
        ),
    };
    let actor = task.actor.as_ref().filter(|a| !a.is_builtin_service());
    let actor_sensitive = actor.is_some_and(|a| cx.entities.is_sensitive_account(a));
    let on_dc = cx.entities.observer_is_dc(task);
    if actor_sensitive || on_dc {
        severity = severity.raised();
    }
    let runs = shell
        .as_ref()
        .map(|(line, why)| format!(" It runs `{}`: {why}.", clipped(line)))
        .unwrap_or_default();
    let title = match origin {
        Origin::OneShot(_) => format!("One-shot scheduled task ran a command shell on {host}"),
        _ => format!("Scheduled task {verb} remotely on {host}"),
    };
    let mut alert = Alert::new(AlertKind::SchedTaskRemote, severity, task)
        .title(title)
        .target(host.clone())
        .target(format!("task {name}"))
        .description(format!(
            "{} {verb} the scheduled task {name} on {host} {how}.{runs} Registering a task on \
             another machine is how atexec, `schtasks /S` and `at \\\\host` run commands \
             remotely.",
            actor.map_or("An account".to_string(), |a| a.to_string()),
        ))
        .remediation(REMEDIATION);
    match &origin {
        Origin::Session(s) => alert.add_evidence_ref(&s.evidence, s.time),
        Origin::Atsvc(_, e) => alert.add_evidence_ref(e, task.time),
        Origin::OneShot(deleted) => alert.add_evidence([*deleted]),
    }
    if let Some(a) = actor {
        alert = alert.actor(a, actor_sensitive);
    }
    if let Some(s) = &source {
        alert = alert.source(s);
    }
    if let Some(obs) = &task.observer {
        alert = alert.observer(obs, on_dc);
    }
    cx.emit(&task_key(&host, actor), alert);
}

/// Which alerts are one remote task: the target machine (by short name, as `schtasks /S` and
/// the target's own log may name it differently) and the account, so that the `schtasks`
/// command seen on the source and the registration seen on the target make one alert.
fn task_key(target: &str, actor: Option<&Account>) -> String {
    let target = target.trim().trim_start_matches('\\');
    let short = if target.parse::<std::net::IpAddr>().is_ok() {
        target
    } else {
        target.split('.').next().unwrap_or(target)
    };
    format!(
        "{}|{}",
        short.to_ascii_lowercase(),
        actor
            .filter(|a| !a.is_builtin_service())
            .map(|a| a.key())
            .unwrap_or_default()
    )
}

/// A captured task scheduler call that registers or runs a task.
fn task_call(
    ev: &IdentityEvent,
    cx: &mut Context<'_>,
    interface: &str,
    opnum: u16,
    operation: Option<&str>,
) {
    let (default_op, what) = match (interface, opnum) {
        ("itaskschedulerservice", 1) => ("SchRpcRegisterTask", "registered a scheduled task"),
        ("itaskschedulerservice", 12) => ("SchRpcRun", "ran a scheduled task"),
        ("itaskschedulerservice", 19) => ("SchRpcEnableTask", "enabled a scheduled task"),
        ("atsvc", 0) => ("NetrJobAdd", "added an at job"),
        _ => return,
    };
    let Some(src) = &ev.source else { return };
    if ev.source_is_local() {
        return;
    }
    let server = ev
        .observer
        .clone()
        .unwrap_or_else(|| "a server".to_string());
    let who = ev
        .actor
        .as_ref()
        .map_or_else(|| src.to_string(), |a| a.to_string());
    let op = operation.unwrap_or(default_op);
    let mut alert = Alert::new(AlertKind::SchedTaskRemote, Severity::High, ev)
        .title(format!("Scheduled task registered on {server} from {src}"))
        .target(server.clone())
        .description(format!(
            "{who} {what} on {server} over the network ({op}, from {src}){}. Registering a task \
             on another machine is how atexec, `schtasks /S` and `at \\\\host` run commands \
             remotely.",
            if ev.outcome.is_failure() {
                "; the server refused it, the attempt is the evidence"
            } else {
                ""
            }
        ))
        .remediation(REMEDIATION)
        .source(src);
    if let Some(a) = &ev.actor {
        alert = alert.actor(a, cx.entities.is_sensitive_account(a));
    }
    alert = alert.observer(&server, cx.entities.observer_is_dc(ev));
    cx.emit(&format!("wire|{}|{server}", src.key()), alert);
}

const REMEDIATION: &str = "Confirm with the account's owner that the task was planned \
    administration. If not, delete the task, look at what it ran and where its output went, \
    isolate the machine the request came from, reset the credentials used, and restrict remote \
    task scheduling (RPC to the Task Scheduler, the atsvc pipe) to administration workstations.";

#[cfg(test)]
mod tests {
    use super::*;
    use crate::testutil::*;

    const HOST: &str = "WIN-77LTAPHIQ1R.example.corp";

    fn atexec_xml() -> String {
        "<Task><Principals><Principal id=\"LocalSystem\"><UserId>S-1-5-18</UserId></Principal>\
         </Principals><Settings><Hidden>true</Hidden></Settings><Actions Context=\"LocalSystem\">\
         <Exec><Command>cmd.exe</Command><Arguments>/C tasklist &gt; %windir%\\Temp\\CYAlyNSS.tmp \
         2&gt;&amp;1</Arguments></Exec></Actions></Task>"
            .to_string()
    }

    fn task(secs: i64, action: TaskAction, session: &str, xml: Option<String>) -> IdentityEvent {
        observed_by(
            with(
                ev(
                    secs,
                    match action {
                        TaskAction::Created => 4698,
                        TaskAction::Deleted => 4699,
                        _ => 4702,
                    },
                    EventKind::ScheduledTask {
                        action,
                        name: "\\CYAlyNSS".into(),
                        content: xml,
                        logon_id: Some(session.into()),
                    },
                ),
                Some(acct("Administrator")),
                None,
                None,
            ),
            HOST,
        )
    }

    fn logon(secs: i64, id: &str, src: Option<&str>) -> IdentityEvent {
        observed_by(
            with(
                ev(
                    secs,
                    4624,
                    EventKind::Logon {
                        logon_type: 3,
                        auth_package: Some("NTLM".into()),
                        logon_process: Some("NtLmSsp".into()),
                        logon_id: Some(id.into()),
                        elevated: None,
                    },
                ),
                Some(acct("Administrator")),
                src.map(ip),
                None,
            ),
            HOST,
        )
    }

    fn pipe(secs: i64, name: &str) -> IdentityEvent {
        observed_by(
            with(
                ev(
                    secs,
                    5145,
                    EventKind::ShareAccess {
                        share: "\\\\*\\IPC$".into(),
                        relative_target: Some(name.into()),
                    },
                ),
                Some(acct("Administrator")),
                Some(ip("10.0.2.17")),
                None,
            ),
            HOST,
        )
    }

    #[test]
    fn task_registered_through_the_at_service_pipe_alerts() {
        let events = [
            pipe(0, "atsvc"),
            logon(1, "0x17e2d2", None),
            task(2, TaskAction::Created, "0x17e2d2", Some(atexec_xml())),
            task(3, TaskAction::Deleted, "0x17e2d2", None),
        ];
        let alerts = run(Box::<SchedTaskRemote>::default(), &events);
        assert_eq!(alerts.len(), 1);
        assert_eq!(alerts[0].kind, AlertKind::SchedTaskRemote);
        assert!(alerts[0].severity >= Severity::High);
        assert_eq!(alerts[0].source_host.as_deref(), Some("10.0.2.17"));
    }

    #[test]
    fn task_changed_in_a_remote_network_session_alerts() {
        let update = |secs| {
            let mut t = task(secs, TaskAction::Updated, "0x21a8c68", None);
            if let EventKind::ScheduledTask { content, .. } = &mut t.kind {
                *content = Some("<Exec><Command>notepad.exe</Command></Exec>".to_string());
            }
            t
        };
        let alerts = run(
            Box::<SchedTaskRemote>::default(),
            &[logon(0, "0x21a8c68", Some("172.16.66.142")), update(1)],
        );
        assert_eq!(alerts.len(), 1);
        assert_eq!(alerts[0].evidence.len(), 2);
        // The session's 4624 recorded after the change (out-of-order input) is found too.
        let alerts = run(
            Box::<SchedTaskRemote>::default(),
            &[update(1), logon(0, "0x21a8c68", Some("172.16.66.142"))],
        );
        assert_eq!(alerts.len(), 1);
    }

    #[test]
    fn one_shot_shell_task_alerts_without_a_remote_origin() {
        let events = [
            task(0, TaskAction::Created, "0x17e2d2", Some(atexec_xml())),
            task(1, TaskAction::Deleted, "0x17e2d2", None),
        ];
        let alerts = run(Box::<SchedTaskRemote>::default(), &events);
        assert_eq!(alerts.len(), 1);
        assert_eq!(
            alerts[0].severity,
            Severity::High,
            "Administrator is sensitive"
        );
    }

    #[test]
    fn local_and_ordinary_tasks_are_benign() {
        let updater = Some(
            "<Exec><Command>\"C:\\Program Files\\Google\\Update\\GoogleUpdate.exe\"</Command>\
             <Arguments>/ua /installsource scheduler</Arguments></Exec>"
                .to_string(),
        );
        let events = [
            // Registered in an interactive session (no network logon known for it).
            task(0, TaskAction::Created, "0x4fd77", updater.clone()),
            // Registered and deleted quickly, but not a shell one-liner.
            task(10, TaskAction::Deleted, "0x4fd77", None),
            // A loopback network session.
            logon(20, "0x99", Some("127.0.0.1")),
            task(21, TaskAction::Updated, "0x99", updater),
            // The SYSTEM account (Group Policy, installers), even for a one-shot shell task.
            {
                let mut t = task(30, TaskAction::Created, "0x3e7", Some(atexec_xml()));
                t.actor = Some(acct_sid("WIN-77LTAPHIQ1R$", "S-1-5-18"));
                t
            },
            {
                let mut t = task(31, TaskAction::Deleted, "0x3e7", None);
                t.actor = Some(acct_sid("WIN-77LTAPHIQ1R$", "S-1-5-18"));
                t
            },
            // Another pipe on IPC$.
            pipe(40, "srvsvc"),
        ];
        assert!(run(Box::<SchedTaskRemote>::default(), &events).is_empty());
    }

    #[test]
    fn schtasks_against_another_machine_alerts_on_the_source() {
        let typed = |cmd: &str| {
            observed_by(
                with(
                    ev(
                        0,
                        1,
                        EventKind::ProcessCreated {
                            image: "C:\\Windows\\System32\\schtasks.exe".into(),
                            command_line: Some(cmd.into()),
                            parent_image: Some("C:\\Windows\\System32\\cmd.exe".into()),
                            process_id: None,
                            parent_process_id: None,
                            logon_id: None,
                        },
                    ),
                    Some(acct("pgustavo")),
                    None,
                    None,
                ),
                "WORKSTATION5.theshire.local",
            )
        };
        let remote = typed(
            "schtasks  /create /F /tn \\Microsoft\\Windows\\X /tr \"cmd.exe /C notepad.exe\" \
             /sc ONSTART /ru system /S WORKSTATION6",
        );
        assert_eq!(run(Box::<SchedTaskRemote>::default(), &[remote]).len(), 1);
        let local = typed("schtasks /create /tn X /tr notepad.exe /sc daily");
        let query = typed("schtasks /query /s WORKSTATION6");
        let own = typed("schtasks /create /tn X /tr notepad.exe /s workstation5");
        assert!(run(Box::<SchedTaskRemote>::default(), &[local, query, own]).is_empty());
    }

    #[test]
    fn the_source_command_and_the_targets_record_of_one_task_are_one_alert() {
        // `schtasks /create /S` typed on WORKSTATION5, then the task registered on the target
        // (by its full name) in the network session the command opened: one alert, counted.
        let mut typed = observed_by(
            with(
                ev(
                    0,
                    1,
                    EventKind::ProcessCreated {
                        image: "C:\\Windows\\System32\\schtasks.exe".into(),
                        command_line: Some(format!(
                            "schtasks /create /tn X /tr notepad.exe /sc ONSTART /S {}",
                            HOST.split('.').next().unwrap_or(HOST).to_ascii_uppercase()
                        )),
                        parent_image: None,
                        process_id: None,
                        parent_process_id: None,
                        logon_id: None,
                    },
                ),
                Some(acct("Administrator")),
                None,
                None,
            ),
            "WORKSTATION5.theshire.local",
        );
        typed.evidence.record = 500;
        let events = [
            typed,
            logon(1, "0x21a8c68", Some("172.16.66.142")),
            task(2, TaskAction::Created, "0x21a8c68", None),
        ];
        let alerts = run(Box::<SchedTaskRemote>::default(), &events);
        assert_eq!(alerts.len(), 1, "{alerts:?}");
        assert_eq!(alerts[0].count, 2);
        assert_eq!(alerts[0].evidence.len(), 3);
    }

    #[test]
    fn task_xml_is_read() {
        assert_eq!(
            xml_element(&atexec_xml(), "Arguments").as_deref(),
            Some("/C tasklist > %windir%\\Temp\\CYAlyNSS.tmp 2>&1")
        );
        assert_eq!(xml_element("<Task/>", "Command"), None);
    }

    fn task_rpc(secs: i64, client: &str, interface: &str, opnum: u16) -> IdentityEvent {
        let mut e = wire(
            secs,
            "10.0.0.20",
            client,
            EventKind::RpcCall {
                interface: interface.into(),
                opnum,
                operation: None,
                pipe: Some("atsvc".into()),
                sealed: false,
                object: None,
            },
        );
        e.actor = Some(acct("jnguyen"));
        e
    }

    #[test]
    fn captured_remote_task_registration_alerts_once() {
        let events = [
            task_rpc(0, "10.0.0.50", "itaskschedulerservice", 1),
            task_rpc(1, "10.0.0.50", "itaskschedulerservice", 12),
        ];
        let alerts = run(Box::<SchedTaskRemote>::default(), &events);
        assert_eq!(alerts.len(), 1, "{alerts:?}");
        assert!(alerts[0].description.contains("SchRpcRegisterTask"));
    }

    #[test]
    fn captured_task_reads_and_local_calls_are_benign() {
        let events = [
            task_rpc(0, "10.0.0.50", "itaskschedulerservice", 2),
            task_rpc(1, "10.0.0.50", "itaskschedulerservice", 7),
            task_rpc(2, "10.0.0.20", "itaskschedulerservice", 1),
        ];
        assert!(run(Box::<SchedTaskRemote>::default(), &events).is_empty());
    }
}
