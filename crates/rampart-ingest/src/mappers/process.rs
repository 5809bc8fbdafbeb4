//! Process creation.
//!
//! | log/id        | becomes |
//! |---------------|---------|
//! | Security 4688 | [`EventKind::ProcessCreated`] (`NewProcessName`, `CommandLine`, `ParentProcessName`, `NewProcessId`, creator `ProcessId`, logon session `TargetLogonId` when set else `SubjectLogonId`); actor = the new process's account (`Target*`, Windows 10 and later) when named, else the creator (`Subject*`) |
//! | Sysmon 1      | [`EventKind::ProcessCreated`] (`Image`, `CommandLine`, `ParentImage`, `ProcessId`, `ParentProcessId`, `LogonId`); actor = `User` (`DOMAIN\name`) |
//!
//! 4688 before Windows 10 names no parent image and no new-process account: the creator's
//! process id is all that ties a process to its parent, and the `Subject*` account is the
//! creator's.

use super::one;
use crate::winevent::WinEvent;
use rampart_core::{Account, EventKind, IdentityEvent};
use std::sync::Arc;

pub fn map(ev: &WinEvent, src: &Arc<str>) -> Option<Vec<IdentityEvent>> {
    let (kind, actor) = match ev.event_id {
        4688 => (
            EventKind::ProcessCreated {
                image: ev.value("NewProcessName").unwrap_or_default().to_string(),
                command_line: ev.string("CommandLine"),
                parent_image: ev.string("ParentProcessName"),
                process_id: ev.get_u32("NewProcessId"),
                parent_process_id: ev.get_u32("ProcessId"),
                logon_id: session(ev, "TargetLogonId").or_else(|| session(ev, "SubjectLogonId")),
            },
            ev.account("Target").or_else(|| ev.account("Subject")),
        ),
        1 => (
            EventKind::ProcessCreated {
                image: ev.value("Image").unwrap_or_default().to_string(),
                command_line: ev.string("CommandLine"),
                parent_image: ev.string("ParentImage"),
                process_id: ev.get_u32("ProcessId"),
                parent_process_id: ev.get_u32("ParentProcessId"),
                logon_id: session(ev, "LogonId"),
            },
            ev.value("User").and_then(Account::parse),
        ),
        _ => return None,
    };
    let mut e = ev.identity_event(src, kind);
    e.actor = actor;
    one(e)
}

/// A logon id field, `None` when absent or zero (4688 writes `0x0` in `TargetLogonId` when the
/// new process runs in its creator's session).
fn session(ev: &WinEvent, field: &str) -> Option<String> {
    if ev.get_u64(field) == Some(0) {
        return None;
    }
    ev.string(field)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::winevent::test_support::{event, security};

    #[test]
    fn security_4688() {
        let ev = security(
            4688,
            &[
                ("SubjectUserName", "IEUser"),
                ("SubjectDomainName", "IE10WIN7"),
                ("NewProcessName", "C:\\Windows\\System32\\ipconfig.exe"),
                ("CommandLine", "ipconfig"),
                ("SubjectLogonId", "0x3e4"),
                ("NewProcessId", "0x424"),
                ("ProcessId", "0xae8"),
                ("TargetUserSid", "S-1-0-0"),
                ("TargetUserName", "-"),
                ("TargetDomainName", "-"),
                ("TargetLogonId", "0x0"),
            ],
        );
        let e = &map(&ev, &Arc::from("x")).unwrap()[0];
        assert_eq!(
            e.kind,
            EventKind::ProcessCreated {
                image: "C:\\Windows\\System32\\ipconfig.exe".into(),
                command_line: Some("ipconfig".into()),
                parent_image: None,
                process_id: Some(0x424),
                parent_process_id: Some(0xae8),
                logon_id: Some("0x3e4".into()),
            }
        );
        assert_eq!(e.actor.as_ref().unwrap().name, "IEUser");
    }

    #[test]
    fn sysmon_1() {
        let ev = event(
            1,
            "Microsoft-Windows-Sysmon",
            "Microsoft-Windows-Sysmon/Operational",
            &[
                ("Image", "C:\\Windows\\System32\\cmd.exe"),
                ("CommandLine", "cmd.exe /Q /c whoami"),
                ("ParentImage", "C:\\Windows\\System32\\wbem\\WmiPrvSE.exe"),
                ("User", "CORP\\admin"),
                ("ProcessId", "2740"),
                ("ParentProcessId", "7280"),
                ("LogonId", "0x770575"),
            ],
        );
        let e = &map(&ev, &Arc::from("x")).unwrap()[0];
        match &e.kind {
            EventKind::ProcessCreated {
                parent_image,
                process_id,
                parent_process_id,
                logon_id,
                ..
            } => {
                assert!(parent_image.as_deref().unwrap().ends_with("WmiPrvSE.exe"));
                assert_eq!((*process_id, *parent_process_id), (Some(2740), Some(7280)));
                assert_eq!(logon_id.as_deref(), Some("0x770575"));
            }
            k => panic!("unexpected {k:?}"),
        }
        assert_eq!(e.actor.as_ref().unwrap().domain.as_deref(), Some("CORP"));
    }
}
