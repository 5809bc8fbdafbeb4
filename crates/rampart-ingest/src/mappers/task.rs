//! Scheduled tasks.
//!
//! | log/id                    | becomes |
//! |---------------------------|---------|
//! | Security 4698             | [`EventKind::ScheduledTask`] `Created` with `TaskName`, the task XML (`TaskContent`) and the logon session (`SubjectLogonId`); actor = `Subject*` |
//! | Security 4699             | `Deleted` |
//! | Security 4700             | `Enabled` |
//! | Security 4701             | `Disabled` |
//! | Security 4702             | `Updated`, content = `TaskContentNew` |
//! | TaskScheduler 106         | `Created` (task registered); actor = `UserContext` |
//! | TaskScheduler 140         | `Updated`; actor = `UserName` |
//! | TaskScheduler 141         | `Deleted`; actor = `UserName` |

use super::one;
use crate::winevent::WinEvent;
use rampart_core::{Account, EventKind, IdentityEvent, TaskAction};
use std::sync::Arc;

pub fn map(ev: &WinEvent, src: &Arc<str>) -> Option<Vec<IdentityEvent>> {
    let security = !ev.channel.to_ascii_lowercase().contains("taskscheduler")
        && !ev.provider.to_ascii_lowercase().contains("taskscheduler");
    let action = match (security, ev.event_id) {
        (true, 4698) | (false, 106) => TaskAction::Created,
        (true, 4699) | (false, 141) => TaskAction::Deleted,
        (true, 4700) => TaskAction::Enabled,
        (true, 4701) => TaskAction::Disabled,
        (true, 4702) | (false, 140) => TaskAction::Updated,
        _ => return None,
    };
    let content = ev
        .value("TaskContent")
        .or_else(|| ev.value("TaskContentNew"))
        .map(str::to_string);
    let kind = EventKind::ScheduledTask {
        action,
        name: ev.value("TaskName").unwrap_or_default().to_string(),
        content,
        logon_id: if security {
            ev.string("SubjectLogonId")
        } else {
            None
        },
    };
    let mut e = ev.identity_event(src, kind);
    e.actor = if security {
        ev.account("Subject")
    } else {
        ev.value("UserContext")
            .or_else(|| ev.value("UserName"))
            .and_then(Account::parse)
    };
    one(e)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::winevent::test_support::{event, security};

    #[test]
    fn security_task_events() {
        let ev = security(
            4698,
            &[
                ("SubjectUserName", "Administrator"),
                ("SubjectLogonId", "0x17e2d2"),
                ("TaskName", "\\CYAlyNSS"),
                ("TaskContent", "<?xml version=\"1.0\"?><Task/>"),
            ],
        );
        let e = &map(&ev, &Arc::from("t")).unwrap()[0];
        assert_eq!(
            e.kind,
            EventKind::ScheduledTask {
                action: TaskAction::Created,
                name: "\\CYAlyNSS".into(),
                content: Some("<?xml version=\"1.0\"?><Task/>".into()),
                logon_id: Some("0x17e2d2".into()),
            }
        );
        assert_eq!(e.actor.as_ref().unwrap().name, "Administrator");
        let ev = security(
            4702,
            &[("TaskName", "\\LMST"), ("TaskContentNew", "<Task/>")],
        );
        match &map(&ev, &Arc::from("t")).unwrap()[0].kind {
            EventKind::ScheduledTask {
                action, content, ..
            } => {
                assert_eq!(*action, TaskAction::Updated);
                assert_eq!(content.as_deref(), Some("<Task/>"));
            }
            k => panic!("unexpected {k:?}"),
        }
    }

    #[test]
    fn task_scheduler_operational() {
        let ev = event(
            106,
            "Microsoft-Windows-TaskScheduler",
            "Microsoft-Windows-TaskScheduler/Operational",
            &[
                ("TaskName", "\\Updater"),
                ("UserContext", "THESHIRE\\pgustavo"),
            ],
        );
        let e = &map(&ev, &Arc::from("t")).unwrap()[0];
        match &e.kind {
            EventKind::ScheduledTask { action, name, .. } => {
                assert_eq!(*action, TaskAction::Created);
                assert_eq!(name, "\\Updater");
            }
            k => panic!("unexpected {k:?}"),
        }
        let actor = e.actor.as_ref().unwrap();
        assert_eq!(
            (actor.name.as_str(), actor.domain.as_deref()),
            ("pgustavo", Some("THESHIRE"))
        );
    }
}
