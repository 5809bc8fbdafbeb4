//! What detectors learn of one machine's network logon sessions and processes from its own
//! events, to answer the two questions lateral-movement evidence hinges on:
//!
//! - "which logon opened the session this process (or task change) runs in?" — a process whose
//!   session came from a network logon (4624 type 3) was started on behalf of a remote caller;
//! - "which program started this process?" — 4688 before Windows 10 names no parent image, only
//!   the creator's process id.
//!
//! Logon ids and process ids are unique only on one machine, and only until reboot or reuse, so
//! both maps are keyed by (machine, id), the newest entry wins, entries older than a day are not
//! answered, and each map holds a bounded number of keys (the least recently touched go first).

use crate::state::{KeyedWindows, RecentSet};
use chrono::Duration;
use rampart_core::{Account, EventKind, Evidence, Host, IdentityEvent, Timestamp};

/// A network logon session as its 4624 described it.
#[derive(Debug, Clone)]
pub struct NetworkSession {
    pub account: Option<Account>,
    pub auth_package: Option<String>,
    pub source: Option<Host>,
    pub time: Timestamp,
    pub evidence: Evidence,
}

impl NetworkSession {
    pub fn is_ntlm(&self) -> bool {
        self.auth_package
            .as_deref()
            .is_some_and(|p| p.to_ascii_uppercase().starts_with("NTLM"))
    }

    /// Whether the logon came from the machine itself: a loopback address, or a workstation
    /// name equal to the machine's own (`host`, short and lower-case).
    pub fn from_itself(&self, host: &str) -> bool {
        self.source
            .as_ref()
            .is_some_and(|s| s.is_loopback() || s.short_name().is_some_and(|n| n == host))
    }

    /// The remote machine the logon came from, when it names one other than the machine itself.
    pub fn remote_source(&self, host: &str) -> Option<&Host> {
        if self.from_itself(host) {
            return None;
        }
        self.source.as_ref()
    }
}

/// How long a learned session or process is answered for.
const TTL_HOURS: i64 = 24;

/// Network logon sessions (4624 type 3) by (machine, logon id).
#[derive(Debug)]
pub struct NetworkSessions {
    map: KeyedWindows<(String, u64), NetworkSession>,
}

impl NetworkSessions {
    pub fn new(max_sessions: usize) -> Self {
        NetworkSessions {
            map: KeyedWindows::new(Duration::hours(TTL_HOURS), max_sessions, 1),
        }
    }

    /// Learns from a network logon; returns its (machine, logon id) when it was one.
    pub fn observe(&mut self, ev: &IdentityEvent) -> Option<(String, u64)> {
        let EventKind::Logon {
            logon_type: 3,
            auth_package,
            logon_id: Some(raw),
            ..
        } = &ev.kind
        else {
            return None;
        };
        if ev.outcome.is_failure() {
            return None;
        }
        let key = (host_key(ev)?, logon_id(raw)?);
        let session = NetworkSession {
            account: ev.actor.clone(),
            auth_package: auth_package.clone(),
            source: ev.source.clone(),
            time: ev.time,
            evidence: ev.evidence.clone(),
        };
        self.map.push(key.clone(), ev.time, session);
        Some(key)
    }

    /// The network session `raw_logon_id` names on `host`, if one was seen within a day of
    /// `time`.
    pub fn get(&self, host: &str, raw_logon_id: &str, time: Timestamp) -> Option<&NetworkSession> {
        let id = logon_id(raw_logon_id)?;
        self.map
            .get(&(host.to_string(), id))
            .and_then(|items| items.back())
            .filter(|(t, _)| (time - *t).abs() <= Duration::hours(TTL_HOURS))
            .map(|(_, s)| s)
    }
}

/// Process images by (machine, process id), to name the parent of a process whose record only
/// gives the creator's id.
#[derive(Debug)]
pub struct ProcessImages {
    map: KeyedWindows<(String, u32), String>,
}

impl ProcessImages {
    pub fn new(max_processes: usize) -> Self {
        ProcessImages {
            map: KeyedWindows::new(Duration::hours(TTL_HOURS), max_processes, 1),
        }
    }

    /// Learns the image of a created process. Returns false when the same process was already
    /// seen (the same id and image on the same machine within seconds): a machine that audits
    /// process creation and runs Sysmon reports every process twice, as 4688 and Sysmon 1.
    pub fn observe(&mut self, ev: &IdentityEvent) -> bool {
        let EventKind::ProcessCreated {
            image,
            process_id: Some(pid),
            ..
        } = &ev.kind
        else {
            return true;
        };
        let Some(host) = host_key(ev) else {
            return true;
        };
        if *pid == 0 || image.is_empty() {
            return true;
        }
        let key = (host, *pid);
        let seen = self
            .map
            .get(&key)
            .and_then(|items| items.back())
            .is_some_and(|(t, i)| {
                i.eq_ignore_ascii_case(image) && (ev.time - *t).abs() <= Duration::seconds(5)
            });
        if !seen {
            self.map.push(key, ev.time, image.clone());
        }
        !seen
    }

    /// The parent image of a process creation: the record's own, else the image last seen
    /// created on the same machine with the creator's process id (before this event).
    pub fn parent_image(&self, ev: &IdentityEvent) -> Option<String> {
        let EventKind::ProcessCreated {
            parent_image,
            parent_process_id,
            ..
        } = &ev.kind
        else {
            return None;
        };
        if let Some(p) = parent_image.as_deref().filter(|p| *p != "?") {
            return Some(p.to_string());
        }
        let pid = (*parent_process_id)?;
        self.map
            .get(&(host_key(ev)?, pid))
            .and_then(|items| items.back())
            .filter(|(t, _)| *t <= ev.time && ev.time - *t <= Duration::hours(TTL_HOURS))
            .map(|(_, image)| image.clone())
    }
}

/// Processes already reported, so that a machine reporting each process twice (4688 and
/// Sysmon 1) raises one alert per process, not two. A process is known by its id, or, where a
/// shipper dropped Sysmon's `ProcessId` (NXLog does), by its creator's id, image and command
/// line.
#[derive(Debug)]
pub struct ReportedProcesses {
    set: RecentSet<(String, String)>,
}

impl ReportedProcesses {
    pub fn new(max: usize) -> Self {
        ReportedProcesses {
            set: RecentSet::new(Duration::seconds(10), max),
        }
    }

    /// Whether the process of `ev` is reported for the first time (and marks it reported).
    /// Events that name neither the process nor its creator are always first.
    pub fn first(&mut self, ev: &IdentityEvent) -> bool {
        let EventKind::ProcessCreated {
            image,
            command_line,
            process_id,
            parent_process_id,
            ..
        } = &ev.kind
        else {
            return true;
        };
        let Some(host) = host_key(ev) else {
            return true;
        };
        let mut keys = Vec::with_capacity(2);
        if let Some(pid) = process_id.filter(|p| *p != 0) {
            keys.push((host.clone(), format!("pid:{pid}")));
        }
        if let Some(ppid) = parent_process_id {
            keys.push((
                host,
                format!(
                    "{ppid}|{}|{}",
                    image.to_ascii_lowercase(),
                    command_line.as_deref().unwrap_or("").trim()
                ),
            ));
        }
        if keys.is_empty() {
            return true;
        }
        let seen = keys.iter().any(|k| self.set.contains(k, ev.time));
        for k in keys {
            self.set.insert(k, ev.time);
        }
        !seen
    }
}

/// A logon id as events write it (`0x4da32af`, decimal in some exports); `None` for zero and
/// for values that are not numbers.
pub fn logon_id(raw: &str) -> Option<u64> {
    let s = raw.trim();
    let v = match s.strip_prefix("0x").or_else(|| s.strip_prefix("0X")) {
        Some(hex) => u64::from_str_radix(hex, 16).ok()?,
        None => s.parse().ok()?,
    };
    (v != 0).then_some(v)
}

/// The machine an event was recorded on, short and lower-case: the key of per-machine state.
pub fn host_key(ev: &IdentityEvent) -> Option<String> {
    ev.observer_short().filter(|h| !h.is_empty())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::testutil::*;

    fn network_logon(secs: i64, id: &str, src: &str) -> IdentityEvent {
        with(
            observed_by(
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
                "WS01.corp.local",
            ),
            Some(acct("alice")),
            Some(ip(src)),
            None,
        )
    }

    fn process(secs: i64, image: &str, pid: u32, ppid: u32) -> IdentityEvent {
        observed_by(
            ev(
                secs,
                4688,
                EventKind::ProcessCreated {
                    image: image.into(),
                    command_line: None,
                    parent_image: None,
                    process_id: Some(pid),
                    parent_process_id: Some(ppid),
                    logon_id: None,
                },
            ),
            "WS01.corp.local",
        )
    }

    #[test]
    fn sessions_are_found_by_machine_and_id() {
        let mut s = NetworkSessions::new(100);
        assert!(s
            .observe(&network_logon(0, "0x4DA32AF", "10.0.0.9"))
            .is_some());
        let found = s.get("ws01", "0x4da32af", t(5)).expect("session");
        assert!(found.is_ntlm());
        assert!(!found.from_itself("ws01"));
        assert!(s.get("ws02", "0x4da32af", t(5)).is_none());
        assert!(s.get("ws01", "0x4da32af", t(2 * 86_400)).is_none());
        assert!(s.get("ws01", "0x0", t(5)).is_none());
        s.observe(&network_logon(10, "0x10", "127.0.0.1"));
        assert!(s
            .get("ws01", "16", t(10))
            .is_some_and(|x| x.from_itself("ws01")));
    }

    #[test]
    fn parents_are_named_by_creator_id() {
        let mut p = ProcessImages::new(100);
        let parent = process(0, "C:\\Windows\\System32\\wbem\\WmiPrvSE.exe", 0xae8, 0x248);
        assert!(p.observe(&parent));
        assert!(
            !p.observe(&parent),
            "the same process reported twice (4688 and Sysmon 1)"
        );
        let child = process(1, "C:\\Windows\\System32\\calc.exe", 0x424, 0xae8);
        assert_eq!(
            p.parent_image(&child).as_deref(),
            Some("C:\\Windows\\System32\\wbem\\WmiPrvSE.exe")
        );
        // A creator seen only after the child is not its parent (the id was reused).
        let orphan = process(1, "C:\\x.exe", 0x500, 0x600);
        p.observe(&process(2, "C:\\y.exe", 0x600, 4));
        assert_eq!(p.parent_image(&orphan), None);
    }

    #[test]
    fn a_process_is_reported_once() {
        let mut r = ReportedProcesses::new(10);
        let p = process(0, "C:\\Windows\\System32\\cmd.exe", 7, 4);
        assert!(r.first(&p));
        assert!(!r.first(&p));
        // The same process without its own id (a shipper dropped it) is still the same.
        let mut no_pid = p.clone();
        if let EventKind::ProcessCreated { process_id, .. } = &mut no_pid.kind {
            *process_id = None;
        }
        assert!(!r.first(&no_pid));
        // Another child of the same parent is another process.
        assert!(r.first(&process(1, "C:\\Windows\\System32\\whoami.exe", 8, 4)));
        assert!(r.first(&process(60, "C:\\Windows\\System32\\cmd.exe", 7, 4)));
    }

    #[test]
    fn logon_ids_parse() {
        assert_eq!(logon_id("0x3e7"), Some(999));
        assert_eq!(logon_id("999"), Some(999));
        assert_eq!(logon_id("0x0"), None);
        assert_eq!(logon_id("-"), None);
    }
}
