//! Process creation.
//!
//! | log/id        | becomes |
//! |---------------|---------|
//! | Security 4688 | [`EventKind::ProcessCreated`] (`NewProcessName`, `CommandLine`, `ParentProcessName`); actor = the new process's account (`Target*`, Windows 10 and later) when named, else the creator (`Subject*`) |
//! | Sysmon 1      | [`EventKind::ProcessCreated`] (`Image`, `CommandLine`, `ParentImage`); actor = `User` (`DOMAIN\name`) |

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
            },
            ev.account("Target").or_else(|| ev.account("Subject")),
        ),
        1 => (
            EventKind::ProcessCreated {
                image: ev.value("Image").unwrap_or_default().to_string(),
                command_line: ev.string("CommandLine"),
                parent_image: ev.string("ParentImage"),
            },
            ev.value("User").and_then(Account::parse),
        ),
        _ => return None,
    };
    let mut e = ev.identity_event(src, kind);
    e.actor = actor;
    one(e)
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
                ("TargetUserSid", "S-1-0-0"),
                ("TargetUserName", "-"),
                ("TargetDomainName", "-"),
            ],
        );
        let e = &map(&ev, &Arc::from("x")).unwrap()[0];
        assert_eq!(
            e.kind,
            EventKind::ProcessCreated {
                image: "C:\\Windows\\System32\\ipconfig.exe".into(),
                command_line: Some("ipconfig".into()),
                parent_image: None
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
            ],
        );
        let e = &map(&ev, &Arc::from("x")).unwrap()[0];
        match &e.kind {
            EventKind::ProcessCreated { parent_image, .. } => {
                assert!(parent_image.as_deref().unwrap().ends_with("WmiPrvSE.exe"))
            }
            k => panic!("unexpected {k:?}"),
        }
        assert_eq!(e.actor.as_ref().unwrap().domain.as_deref(), Some("CORP"));
    }
}
