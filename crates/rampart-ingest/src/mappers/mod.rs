//! Mappers: one file per Windows event family, each turning a [`WinEvent`] into the
//! [`IdentityEvent`]s it means. They say what happened, never whether it is an attack.
//! Samba's JSON audit records have their own mappers in [`samba`] (one file per record family),
//! which map each record as the Windows event a DC writes for the same step.
//!
//! Dispatch is on (log, event id). The log is the record's channel, or its provider when the
//! channel is one we do not know (forwarded events, renamed WEF channels, exports without a
//! channel). Event ids are not unique across logs: Sysmon 1 is a process start, Application
//! 4625 comes from the COM+ event system; so an id never selects a mapper on its own.
//!
//! Roles follow `rampart_core::event`: for logons and Kerberos/NTLM authentications the actor
//! is the account authenticating; for management events the actor is the `Subject*` account and
//! the target the `Target*` one; the observer is the record's `Computer`; the source is the
//! remote machine (`WorkstationName`/`IpAddress`) when the event names one.

pub mod account;
pub mod directory;
pub mod dns;
pub mod esent;
pub mod group;
pub mod kerberos;
pub mod log_cleared;
pub mod logon;
pub mod netlogon;
pub mod ntlm;
pub mod object_access;
pub mod process;
pub mod process_exit;
pub mod sam;
pub mod samba;
pub mod service;
pub mod share;
pub mod sysmon;
pub mod task;
pub mod winrm;

use crate::winevent::WinEvent;
use rampart_core::IdentityEvent;
use std::sync::Arc;

/// The logs mappers know, by channel or provider.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Log {
    Security,
    System,
    /// `Microsoft-Windows-Eventlog` by provider, when the channel is unknown: 1102 and 104.
    Eventlog,
    Sysmon,
    DnsServer,
    TaskScheduler,
    WinRm,
    /// The database engine (`ESENT`), by provider: its events sit in the Application log,
    /// whose ids other providers reuse.
    Esent,
    /// Silent process exit monitoring (`Microsoft-Windows-ProcessExitMonitor`), by provider,
    /// in the Application log.
    ProcessExitMonitor,
}

/// The log a channel or provider name stands for (ASCII case ignored).
pub fn log_of(name: &[u8]) -> Option<Log> {
    const NAMES: &[(&[u8], Log)] = &[
        (b"Security", Log::Security),
        (b"Microsoft-Windows-Security-Auditing", Log::Security),
        (b"System", Log::System),
        (b"Service Control Manager", Log::System),
        (b"Microsoft-Windows-Eventlog", Log::Eventlog),
        (b"Microsoft-Windows-Sysmon/Operational", Log::Sysmon),
        (b"Microsoft-Windows-Sysmon", Log::Sysmon),
        (b"DNS Server", Log::DnsServer),
        (b"Microsoft-Windows-DNS-Server-Service", Log::DnsServer),
        (
            b"Microsoft-Windows-TaskScheduler/Operational",
            Log::TaskScheduler,
        ),
        (b"Microsoft-Windows-TaskScheduler", Log::TaskScheduler),
        (b"Microsoft-Windows-WinRM/Operational", Log::WinRm),
        (b"Microsoft-Windows-WinRM", Log::WinRm),
        (b"ESENT", Log::Esent),
        (
            b"Microsoft-Windows-ProcessExitMonitor",
            Log::ProcessExitMonitor,
        ),
        (b"Process Exit Monitor", Log::ProcessExitMonitor),
    ];
    NAMES
        .iter()
        .find(|(n, _)| n.len() == name.len() && n.eq_ignore_ascii_case(name))
        .map(|(_, log)| *log)
}

/// The log of a record from its channel, else its provider.
pub fn log_of_record(channel: &[u8], provider: &[u8]) -> Option<Log> {
    log_of(channel).or_else(|| log_of(provider))
}

/// Whether some mapper handles `event_id` in `log`.
pub fn handles(log: Log, event_id: u32) -> bool {
    match log {
        Log::Security => matches!(
            event_id,
            1102
                | 4624
                | 4625
                | 4634
                | 4647
                | 4648
                | 4656
                | 4661
                | 4662
                | 4663
                | 4688
                | 4697..=4702
                | 4720
                | 4722..=4738
                | 4740..=4767
                | 4768
                | 4769
                | 4770
                | 4771
                | 4776
                | 4781
                | 4794
                | 4798
                | 4799
                | 5136..=5139
                | 5141
                | 5140
                | 5145
        ),
        Log::System => matches!(
            event_id,
            104 | 5805 | 5827..=5831 | 7000 | 7009 | 7036 | 7040 | 7045
        ),
        Log::Eventlog => matches!(event_id, 104 | 1102),
        Log::Sysmon => matches!(event_id, 1 | 3 | 10 | 11 | 13 | 17 | 18),
        Log::DnsServer => matches!(event_id, 6001 | 6004),
        Log::TaskScheduler => matches!(event_id, 106 | 140 | 141),
        Log::WinRm => matches!(event_id, 91 | 169),
        Log::Esent => matches!(event_id, 216 | 325 | 326 | 327),
        Log::ProcessExitMonitor => matches!(event_id, 3000 | 3001),
    }
}

/// The readers' pre-filter: whether a record of `event_id` from the channel or provider
/// `name` can produce events. Cheap enough to run on every record before parsing it.
pub fn is_interesting(event_id: u32, channel_or_provider: &[u8]) -> bool {
    log_of(channel_or_provider).is_some_and(|log| handles(log, event_id))
}

/// Whether a record with this channel and provider can produce events.
pub fn is_interesting_record(event_id: u32, channel: &[u8], provider: &[u8]) -> bool {
    log_of_record(channel, provider).is_some_and(|log| handles(log, event_id))
}

/// The identity events of one Windows event. `None` when no mapper handles its (log, id);
/// `Some` of an empty list when one does but the record says nothing about identities (a
/// 4663 on a file, say).
pub fn map(ev: &WinEvent, source: &Arc<str>) -> Option<Vec<IdentityEvent>> {
    let log = log_of_record(ev.channel.as_bytes(), ev.provider.as_bytes())?;
    if !handles(log, ev.event_id) {
        return None;
    }
    match log {
        Log::Security => match ev.event_id {
            4624 | 4625 | 4634 | 4647 | 4648 => logon::map(ev, source),
            4768..=4771 => kerberos::map(ev, source),
            4776 => ntlm::map(ev, source),
            4662 | 5136..=5139 | 5141 => directory::map(ev, source),
            1102 => log_cleared::map(ev, source),
            4688 => process::map(ev, source),
            4697 => service::map(ev, source),
            4698..=4702 => task::map(ev, source),
            4656 | 4663 => object_access::map(ev, source),
            4661 => sam::map(ev, source),
            5140 | 5145 => share::map(ev, source),
            4727..=4737 | 4744..=4764 | 4798 | 4799 => group::map(ev, source),
            _ => account::map(ev, source),
        },
        Log::System => match ev.event_id {
            104 => log_cleared::map(ev, source),
            5805 | 5827..=5831 => netlogon::map(ev, source),
            _ => service::map(ev, source),
        },
        Log::Eventlog => log_cleared::map(ev, source),
        Log::Sysmon => match ev.event_id {
            1 => process::map(ev, source),
            _ => sysmon::map(ev, source),
        },
        Log::DnsServer => dns::map(ev, source),
        Log::TaskScheduler => task::map(ev, source),
        Log::WinRm => winrm::map(ev, source),
        Log::Esent => esent::map(ev, source),
        Log::ProcessExitMonitor => process_exit::map(ev, source),
    }
}

/// One event, as mappers return it.
pub(crate) fn one(ev: IdentityEvent) -> Option<Vec<IdentityEvent>> {
    Some(vec![ev])
}

/// A GUID as events write it (`%{1131F6AA-…}`, `{…}`), bare and lower-case.
pub(crate) fn bare_guid(raw: &str) -> String {
    raw.trim()
        .trim_start_matches('%')
        .trim_matches(['{', '}'])
        .to_ascii_lowercase()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::winevent::test_support::{event, security};

    #[test]
    fn interesting_needs_the_right_log() {
        assert!(is_interesting(4624, b"Security"));
        assert!(is_interesting(4624, b"security"));
        assert!(is_interesting(4624, b"Microsoft-Windows-Security-Auditing"));
        assert!(!is_interesting(4625, b"Application"));
        assert!(!is_interesting(4625, b"Microsoft-Windows-EventSystem"));
        assert!(is_interesting(1, b"Microsoft-Windows-Sysmon/Operational"));
        assert!(!is_interesting(1, b"Security"));
        assert!(!is_interesting(
            4624,
            b"Microsoft-Windows-Sysmon/Operational"
        ));
        assert!(is_interesting(7045, b"System"));
        assert!(is_interesting(7045, b"Service Control Manager"));
        assert!(!is_interesting(4688, b"System"));
        assert!(is_interesting(6004, b"DNS Server"));
        assert!(!is_interesting(5156, b"Security"));
        assert!(is_interesting_record(
            1102,
            b"ForwardedEvents",
            b"Microsoft-Windows-Eventlog"
        ));
        // Application-log families are known by their provider; the channel says nothing.
        assert!(is_interesting_record(325, b"Application", b"ESENT"));
        assert!(!is_interesting_record(
            325,
            b"Application",
            b"Microsoft-Windows-AppXDeployment"
        ));
        assert!(!is_interesting_record(300, b"Application", b"ESENT"));
        assert!(is_interesting_record(
            3001,
            b"Application",
            b"Microsoft-Windows-ProcessExitMonitor"
        ));
        assert!(is_interesting(5805, b"System"));
    }

    #[test]
    fn map_dispatches_on_log_and_id() {
        let src: Arc<str> = Arc::from("t.evtx");
        // Application 4625 from the COM+ event system is not a logon failure.
        let app = event(4625, "Microsoft-Windows-EventSystem", "Application", &[]);
        assert!(map(&app, &src).is_none());
        // Forwarded events fall back to the provider.
        let fwd = event(
            4776,
            "Microsoft-Windows-Security-Auditing",
            "ForwardedEvents",
            &[("TargetUserName", "bob"), ("Status", "0x0")],
        );
        let evs = map(&fwd, &src).unwrap();
        assert_eq!(evs[0].kind.name(), "ntlm_auth");
        assert!(map(&security(5156, &[]), &src).is_none());
    }

    #[test]
    fn guids_are_bare_and_lower_case() {
        assert_eq!(
            bare_guid("%{1131F6AA-9C07-11D1-F79F-00C04FC2DCD2}"),
            "1131f6aa-9c07-11d1-f79f-00c04fc2dcd2"
        );
    }
}
