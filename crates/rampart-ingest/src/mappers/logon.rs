//! Logon sessions (Security log).
//!
//! | id   | becomes |
//! |------|---------|
//! | 4624 | [`EventKind::Logon`]: actor = `Target*` (who logged on), source = `WorkstationName`/`IpAddress`; for a `NewCredentials` logon (type 9) the target is the `TargetOutbound*` account whose credentials go out on the network |
//! | 4625 | [`EventKind::LogonFailure`], outcome `Failure(Status)`: actor = `Target*` (who tried) |
//! | 4634 | [`EventKind::Logoff`]: actor = `Target*` |
//! | 4647 | [`EventKind::Logoff`] (user-initiated): actor = `Target*` |
//! | 4648 | [`EventKind::ExplicitCredentials`]: actor = `Subject*` (who used them), target = `Target*` (whose credentials) |

use super::one;
use crate::winevent::WinEvent;
use rampart_core::{Account, EventKind, IdentityEvent, Outcome};
use std::sync::Arc;

pub fn map(ev: &WinEvent, src: &Arc<str>) -> Option<Vec<IdentityEvent>> {
    match ev.event_id {
        4624 => one(logon(ev, src)),
        4625 => one(logon_failure(ev, src)),
        4634 | 4647 => {
            let mut e = ev.identity_event(
                src,
                EventKind::Logoff {
                    logon_id: ev.string("TargetLogonId"),
                },
            );
            e.actor = ev.account("Target");
            one(e)
        }
        4648 => {
            let target_server = ev
                .value("TargetServerName")
                .or_else(|| ev.value("IpAddress"))
                .map(str::to_string);
            let mut e = ev.identity_event(
                src,
                EventKind::ExplicitCredentials {
                    target_server,
                    process: ev.string("ProcessName"),
                },
            );
            e.actor = ev.account("Subject");
            e.target =
                Account::from_parts(ev.get("TargetUserName"), ev.get("TargetDomainName"), None);
            one(e)
        }
        _ => None,
    }
}

fn logon(ev: &WinEvent, src: &Arc<str>) -> IdentityEvent {
    let logon_type = ev.get_u32("LogonType").unwrap_or(0);
    // %%1842 = Yes, %%1843 = No (ElevatedToken, Windows 10 / 2016 and later).
    let elevated = match ev.value("ElevatedToken") {
        Some("%%1842") | Some("Yes") => Some(true),
        Some("%%1843") | Some("No") => Some(false),
        _ => None,
    };
    let mut e = ev.identity_event(
        src,
        EventKind::Logon {
            logon_type,
            auth_package: ev.string("AuthenticationPackageName"),
            logon_process: ev.string("LogonProcessName"),
            logon_id: ev.string("TargetLogonId"),
            elevated,
        },
    );
    e.actor = ev.account("Target");
    e.source = ev.source_host("WorkstationName", "IpAddress");
    if logon_type == 9 {
        e.target = Account::from_parts(
            ev.get("TargetOutboundUserName"),
            ev.get("TargetOutboundDomainName"),
            None,
        );
    }
    e
}

fn logon_failure(ev: &WinEvent, src: &Arc<str>) -> IdentityEvent {
    let status = ev.get_u32("Status").unwrap_or(0);
    let sub_status = ev.get_u32("SubStatus").unwrap_or(0);
    let mut e = ev.identity_event(
        src,
        EventKind::LogonFailure {
            logon_type: ev.get_u32("LogonType").unwrap_or(0),
            status,
            sub_status,
            auth_package: ev.string("AuthenticationPackageName"),
            process: ev.string("ProcessName"),
        },
    );
    e.actor = ev.account("Target");
    e.source = ev.source_host("WorkstationName", "IpAddress");
    e.outcome = Outcome::Failure(status);
    e
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::winevent::test_support::security;

    fn src() -> Arc<str> {
        Arc::from("t.evtx")
    }

    #[test]
    fn network_logon() {
        let ev = security(
            4624,
            &[
                ("SubjectUserSid", "S-1-0-0"),
                ("SubjectUserName", "-"),
                ("TargetUserSid", "S-1-5-21-1-2-3-500"),
                ("TargetUserName", "Administrator"),
                ("TargetDomainName", "CORP"),
                ("TargetLogonId", "0x40c6511"),
                ("LogonType", "3"),
                ("LogonProcessName", "NtLmSsp "),
                ("AuthenticationPackageName", "NTLM"),
                ("WorkstationName", "WS01"),
                ("IpAddress", "::ffff:10.0.0.5"),
                ("IpPort", "49152"),
                ("ElevatedToken", "%%1842"),
            ],
        );
        let e = &map(&ev, &src()).unwrap()[0];
        match &e.kind {
            EventKind::Logon {
                logon_type,
                auth_package,
                logon_process,
                logon_id,
                elevated,
            } => {
                assert_eq!(*logon_type, 3);
                assert_eq!(auth_package.as_deref(), Some("NTLM"));
                assert_eq!(logon_process.as_deref(), Some("NtLmSsp"));
                assert_eq!(logon_id.as_deref(), Some("0x40c6511"));
                assert_eq!(*elevated, Some(true));
            }
            k => panic!("unexpected {k:?}"),
        }
        let actor = e.actor.as_ref().unwrap();
        assert_eq!(actor.name, "Administrator");
        assert_eq!(actor.domain.as_deref(), Some("CORP"));
        assert_eq!(actor.rid(), Some(500));
        let source = e.source.as_ref().unwrap();
        assert_eq!(source.name.as_deref(), Some("WS01"));
        assert_eq!(source.ip, "10.0.0.5".parse().ok());
        assert_eq!(e.observer.as_deref(), Some("DC01.corp.local"));
        assert_eq!(e.evidence.record, 42);
        assert_eq!(e.evidence.event_id, Some(4624));
        assert_eq!(e.outcome, Outcome::Success);
        assert!(e.target.is_none());
    }

    #[test]
    fn new_credentials_logon_names_the_outbound_account() {
        let ev = security(
            4624,
            &[
                ("TargetUserName", "alice"),
                ("LogonType", "9"),
                ("LogonProcessName", "seclogo"),
                ("TargetOutboundUserName", "admin"),
                ("TargetOutboundDomainName", "CORP"),
            ],
        );
        let e = &map(&ev, &src()).unwrap()[0];
        assert_eq!(e.target.as_ref().unwrap().name, "admin");
    }

    #[test]
    fn failed_logon() {
        let ev = security(
            4625,
            &[
                ("TargetUserName", "admmig@offsec.lan"),
                ("TargetDomainName", "-"),
                ("Status", "0xc000006d"),
                ("SubStatus", "0xc000006a"),
                ("LogonType", "8"),
                ("ProcessName", "C:\\Windows\\System32\\OpenSSH\\sshd.exe"),
                ("IpAddress", "-"),
                ("WorkstationName", "-"),
            ],
        );
        let e = &map(&ev, &src()).unwrap()[0];
        assert_eq!(e.outcome, Outcome::Failure(0xC000_006D));
        match &e.kind {
            EventKind::LogonFailure {
                logon_type,
                status,
                sub_status,
                process,
                ..
            } => {
                assert_eq!(*logon_type, 8);
                assert_eq!(*status, 0xC000_006D);
                assert_eq!(*sub_status, 0xC000_006A);
                assert!(process.as_deref().unwrap().ends_with("sshd.exe"));
            }
            k => panic!("unexpected {k:?}"),
        }
        let actor = e.actor.as_ref().unwrap();
        assert_eq!(actor.name, "admmig");
        assert_eq!(actor.domain.as_deref(), Some("offsec.lan"));
        assert!(e.source.is_none());
    }

    #[test]
    fn logoff_and_explicit_credentials() {
        let ev = security(
            4634,
            &[("TargetUserName", "bob"), ("TargetLogonId", "0x1234")],
        );
        let e = &map(&ev, &src()).unwrap()[0];
        assert_eq!(e.kind.name(), "logoff");
        assert_eq!(e.actor.as_ref().unwrap().name, "bob");

        let ev = security(
            4648,
            &[
                ("SubjectUserName", "alice"),
                ("SubjectDomainName", "CORP"),
                ("TargetUserName", "admin"),
                ("TargetDomainName", "CORP"),
                ("TargetServerName", "RPCSS"),
                ("ProcessName", "C:\\Windows\\System32\\wbem\\WMIC.exe"),
                ("IpAddress", "10.0.0.9"),
            ],
        );
        let e = &map(&ev, &src()).unwrap()[0];
        assert_eq!(e.actor.as_ref().unwrap().name, "alice");
        assert_eq!(e.target.as_ref().unwrap().name, "admin");
        match &e.kind {
            EventKind::ExplicitCredentials {
                target_server,
                process,
            } => {
                assert_eq!(target_server.as_deref(), Some("RPCSS"));
                assert!(process.as_deref().unwrap().ends_with("WMIC.exe"));
            }
            k => panic!("unexpected {k:?}"),
        }
    }
}
